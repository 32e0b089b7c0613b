"""The event envelope: CloudEvents 1.0 in structured JSON mode, the one shape on every topic.

Reading and spec validation are the CloudEvents SDK's; this module adds what the project
requires on top: a `partnership` extension and a `time` on every event, and ids that are
stable when an event is derived from another (so a re-published event is the same event).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import orjson
from cloudevents.core.base import BaseCloudEvent
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent
from dateutil.parser import isoparse
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from shared.inbound_policy import (
    PERSONAL_DATA,
    SCREENED,
    Identifier,
    PartnershipId,
    check_json_document,
    check_occurred_at,
    safe_field_name,
)
from shared.rejections import Rejected

_FORMAT = JSONFormat()
_NAMESPACE = uuid.UUID("6f1c9a52-5b7e-4d36-9a4e-2f52b0c7e1a1")
CONTENT_TYPE = "application/cloudevents+json"


class Envelope(BaseModel):
    """One CloudEvent. `data` is validated separately against the model registered for `type`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    specversion: Literal["1.0"] = "1.0"
    # The envelope follows the inbound policy too: ids and subjects are closed-format
    # identifiers (a UUID, or letters, digits and separators that hold no name or date), the
    # partnership a lower-case code, the time within the window anything can have happened in.
    id: Identifier
    source: str = Field(min_length=1, max_length=256, pattern=r"^[A-Za-z0-9][A-Za-z0-9_./:-]*$")
    type: str = Field(min_length=1, max_length=128, pattern=r"^[a-z][a-z0-9.-]*$")
    time: Annotated[datetime, AfterValidator(check_occurred_at)]
    subject: Identifier | None = None
    partnership: PartnershipId
    datacontenttype: Literal["application/json"] = "application/json"
    data: dict[str, Any] = Field(default_factory=dict)


def new_event(
    *,
    type: str,
    source: str,
    partnership: str,
    data: dict[str, Any],
    subject: str | None = None,
    time: datetime | None = None,
    id: str | None = None,
) -> Envelope:
    return Envelope(
        id=id or str(uuid.uuid4()),
        source=source,
        type=type,
        time=time or datetime.now(UTC),
        subject=subject,
        partnership=partnership,
        data=data,
    )


def derived_id(cause_id: str, type: str) -> str:
    """The id of the event of `type` caused by event `cause_id`: the same every time, so an
    event re-published after a crash is recognised downstream as the one already seen."""
    return str(uuid.uuid5(_NAMESPACE, f"{cause_id}/{type}"))


def encode(event: Envelope) -> bytes:
    """The event in structured JSON mode, as the SDK's `JSONFormat.write` writes it (times in
    RFC 3339 with `Z` for UTC), by orjson: the SDK's `json.dumps` with a Python hook for every
    time was a twentieth of intake's CPU. The envelope was validated when it was made."""
    document = event.model_dump(mode="python", exclude={"data"}, exclude_none=True)
    document["data"] = event.data
    return orjson.dumps(document, option=orjson.OPT_UTC_Z)


def _require_id_and_time(attributes: dict[str, Any]) -> None:
    # The SDK fills a missing id or time with a fresh one; an id invented on receipt would
    # make every redelivery a new event, so both must come from the sender.
    missing = [name for name in ("id", "time") if not attributes.get(name)]
    if missing:
        raise Rejected("invalid-envelope", f"missing required attribute(s): {', '.join(missing)}")


def _strict_factory(attributes: dict[str, Any], data: Any) -> CloudEvent:
    _require_id_and_time(attributes)
    return CloudEvent(attributes=attributes, data=data)


def _read_structured(document: Any, raw: bytes) -> BaseCloudEvent:
    """The SDK's `JSONFormat.read` of `raw`, from the document already parsed when it is a
    v1.0 event with JSON `data` (every event this system takes): `time` read as RFC 3339,
    `data` taken out of the attributes, the rest validated by the SDK's `CloudEvent`.
    Anything else goes through the SDK's reader itself, with its own errors."""
    if (
        isinstance(document, dict)
        and document.get("specversion") == "1.0"
        and isinstance(document.get("data"), dict)
        and "data_base64" not in document
    ):
        attributes = dict(document)
        data = attributes.pop("data")
        if "time" in attributes:
            attributes["time"] = isoparse(attributes["time"])
        return _strict_factory(attributes, data)
    return _FORMAT.read(_strict_factory, raw)


def decode(raw: bytes | None) -> Envelope:
    """Bytes from Kafka or HTTP to an envelope, or `Rejected` saying what is wrong."""
    if not raw:
        raise Rejected("undecodable", "empty message")
    # Size, nesting, numbers and text checked before any parser runs.
    document = check_json_document(raw)
    try:
        ce = _read_structured(document, raw)
    except Rejected:
        raise
    except (ValueError, TypeError, KeyError, UnicodeDecodeError) as exc:
        raise Rejected("undecodable", f"not a CloudEvents JSON document: {exc}") from None
    except Exception as exc:  # the SDK raises its own error classes for spec violations
        raise Rejected("invalid-envelope", str(exc)) from None
    attributes = dict(ce.get_attributes())
    data = ce.get_data()
    if not isinstance(data, dict):
        raise Rejected("invalid-envelope", "data must be a JSON object")
    try:
        return Envelope(**attributes, data=data)
    except ValidationError as exc:
        raise rejection(exc, "invalid-envelope") from None


def decode_canonical_event(raw: bytes | None) -> Envelope:
    """Bytes from a canonical topic to an envelope, or `Rejected`. Canonical events are
    written only by this system's services, from events screened at the inbound boundary
    (`decode`), so the boundary's scan of every value is not repeated here, nor its
    personal-data heuristics on identifiers (`SCREENED`): the envelope and, by the consumer,
    the data are still validated against their models (the form of identifiers, codes,
    bounded dates, bounded numbers). orjson refuses what the scan guarded the parser against
    (NaN, lone surrogates, nesting beyond its limit); the broker bounds the size.
    About five times faster than `decode`, which is what lets a rebuild replay at speed."""
    if not raw:
        raise Rejected("undecodable", "empty message")
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise Rejected("undecodable", "not a JSON document") from None
    if not isinstance(document, dict):
        raise Rejected("undecodable", "not a CloudEvents JSON document")
    _require_id_and_time(document)
    if not isinstance(document.get("data"), dict):
        raise Rejected("invalid-envelope", "data must be a JSON object")
    try:
        return Envelope.model_validate(document, context=SCREENED)
    except ValidationError as exc:
        raise rejection(exc, "invalid-envelope") from None


def describe(exc: ValidationError) -> str:
    """A pydantic error as one line naming each bad field, never repeating a value (pydantic's
    messages do not; unknown keys that are not plain names are not repeated either)."""
    return describe_errors(exc.errors(include_url=False, include_input=False))


def describe_errors(errors: list[Any]) -> str:
    parts = []
    for err in errors:
        loc = ".".join(safe_field_name(p) for p in err["loc"]) or "(root)"
        parts.append(f"{loc}: {err['msg']}")
    return "; ".join(parts)


def rejection(exc: ValidationError, reason: str = "schema") -> Rejected:
    """A validation error as the `Rejected` to answer with: `personal-data` when any field
    holds (or is shaped like) personal data, else `reason`."""
    errors = exc.errors(include_url=False, include_input=False)
    personal = [err for err in errors if err["type"] == PERSONAL_DATA]
    if personal:
        return Rejected("personal-data", describe_errors(personal))
    return Rejected(reason, describe(exc))
