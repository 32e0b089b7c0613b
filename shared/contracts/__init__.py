"""Event contracts: for every event type, its pydantic model for `data`, who publishes it and
on which topic. The event catalogue and the AsyncAPI document are generated from this
registry, and every decoder validates against it.

Each service's contracts live in a module of this package (`intake`, `reviews`, `training`,
`reporting`); `all_contracts()` imports them all.
"""

from __future__ import annotations

import builtins
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from shared.events import Envelope, rejection
from shared.privacy import refuse_personal_data
from shared.rejections import Rejected

Direction = Literal["inbound", "canonical", "output"]
M = TypeVar("M", bound=BaseModel)
SERVICES = ("intake", "reviews", "training", "reporting")
# Further contract modules of those services: intake's casework (ICPC and assessment clocks),
# reviews' assurance returns and child death / ALTE cases.
MODULES = (*SERVICES, "casework", "assurance")


class EventData(BaseModel):
    """Base for every event's `data`: immutable, and unknown fields are an error (a typo in a
    field name must not silently drop information)."""

    model_config = ConfigDict(frozen=True, extra="forbid")


@dataclass(frozen=True)
class Contract:
    type: str
    model: builtins.type[BaseModel]
    service: str
    direction: Direction
    topic: str  # attribute name on shared.topics.Topics
    summary: str


_REGISTRY: dict[str, Contract] = {}


def event(
    type: str,
    *,
    service: str,
    direction: Direction,
    topic: str,
    summary: str,
) -> Callable[[builtins.type[M]], builtins.type[M]]:
    """Class decorator registering a model as the `data` of events of `type`."""

    def register(model: builtins.type[M]) -> builtins.type[M]:
        if type in _REGISTRY and _REGISTRY[type].model is not model:
            raise ValueError(f"event type {type} registered twice")
        _REGISTRY[type] = Contract(type, model, service, direction, topic, summary)
        return model

    return register


def all_contracts() -> list[Contract]:
    for name in MODULES:
        importlib.import_module(f"{__name__}.{name}")
    return sorted(_REGISTRY.values(), key=lambda c: (c.service, c.direction, c.type))


def contract_for(type: str) -> Contract:
    try:
        return _REGISTRY[type]
    except KeyError:
        raise Rejected("unknown-type", f"no event type {type!r} is accepted here") from None


def parse_data(envelope: Envelope, accepted: frozenset[str]) -> BaseModel:
    """The typed `data` of an inbound event, after the personal-data check: every inbound path
    (Kafka and HTTP) calls this, so both refuse the same things with the same reasons. The
    models apply the inbound policy field by field (`shared.inbound_policy`)."""
    if envelope.type not in accepted:
        raise Rejected("unknown-type", f"event type {envelope.type!r} is not accepted here")
    refuse_personal_data(envelope.data)
    model = contract_for(envelope.type).model
    try:
        return model.model_validate(envelope.data)
    except ValidationError as exc:
        raise rejection(exc) from None


def data_of(envelope: Envelope, model: type[M]) -> M:
    """Typed data of a trusted (canonical) event."""
    return model.model_validate(envelope.data)


def json_schema(model: type[BaseModel]) -> dict[str, Any]:
    return model.model_json_schema(mode="serialization")


@dataclass(frozen=True)
class Inbound:
    """An accepted inbound event: its envelope and its typed data."""

    envelope: Envelope
    data: BaseModel


def decode_inbound(raw: bytes | None, accepted: frozenset[str]) -> Inbound:
    """Bytes (from a Kafka record or an HTTP body) to an accepted inbound event, or `Rejected`."""
    from shared.auth import check_partnership, check_source, note_accepted
    from shared.events import decode

    envelope = decode(raw)
    check_source(envelope.source)
    check_partnership(envelope.partnership)
    inbound = Inbound(envelope, parse_data(envelope, accepted))
    check_agency(envelope, inbound.data)
    note_accepted(envelope.id, envelope.source)
    return inbound


def check_agency(envelope: Envelope, data: BaseModel) -> None:
    """An agency submits only as itself: an event whose data names its sending `agency` must
    come from that agency (`source` = `agency/<agency>`, which the API key or the agency's
    own topic vouches for). Sources that are not an agency (the partnership's own systems)
    are not held to it."""
    from shared.auth import forbid

    agency = getattr(data, "agency", None)
    if not isinstance(agency, str) or not envelope.source.startswith("agency/"):
        return
    if envelope.source != f"agency/{agency}":
        raise forbid(
            "forbidden-source", "data.agency must be the sending agency (the event's source)"
        )


def accepted_types(service: str, direction: Direction = "inbound") -> frozenset[str]:
    return frozenset(
        c.type for c in all_contracts() if c.service == service and c.direction == direction
    )
