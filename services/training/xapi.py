"""xAPI 1.0.3 statements to training facts, without I/O.

The reference sender is Moodle's xAPI log store (logstore_xapi): the learner is
`actor.account` (`homePage` = the platform, `name` = its pseudonymous user id), the course is
the statement's activity (`object.id`, e.g. `https://lms.example/course/view.php?id=12`, matched
to a catalogue course by its `activity_id`). Verbs are recognised by the last segment of their
IRI:

| verb | fact |
| --- | --- |
| `.../registered` (Moodle: user enrolment created) | enrolment |
| `.../completed`, `.../passed` | completion (`passed` also records a pass) |
| `.../leave` (Moodle: user enrolment deleted), `.../unregistered` | withdrawal |

Anything else (including `voided`) is refused as an unknown verb.

Organisation, sector and partnership may come with the statement as context extensions:

| extension IRI | value |
| --- | --- |
| `https://partnership-pulse.example/xapi/organisation` | an `Organisation` code, e.g. `education` |
| `https://partnership-pulse.example/xapi/sector` | a `Sector` code, e.g. `health` |
| `https://partnership-pulse.example/xapi/partnership` | the partnership id |

Without them, the learner's registration gives the organisation and the service's default
partnership applies.

Personal data: a statement identifying its learner by email or OpenID (`actor.mbox`,
`actor.mbox_sha1sum`, `actor.openid`) is refused; so is one whose `actor.account.name` is not
a closed-format identifier (`shared.inbound_policy`) or whose display name (`actor.name`)
holds an NHS number, postcode, date, e-mail address or phone number; otherwise the display
name is dropped unread. Timestamps must fall between 2000-01-01 and the end of tomorrow. The
generic personal-data check is not run over the statement, since xAPI's own `account.name`
and `definition.name` keys would trip it; instead nothing of the statement is kept but the
codes extracted here and the statement id: no raw statement is stored or logged.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TypeVar

from shared.codes import Organisation, Sector
from shared.inbound_policy import (
    describe_findings,
    identifier_problem,
    latest_occurrence,
    text_findings,
)
from shared.rejections import Rejected

XAPI_VERSION = "1.0.3"
EXTENSION_BASE = "https://partnership-pulse.example/xapi/"
ORGANISATION_EXTENSION = EXTENSION_BASE + "organisation"
SECTOR_EXTENSION = EXTENSION_BASE + "sector"
PARTNERSHIP_EXTENSION = EXTENSION_BASE + "partnership"
# Moodle's log store sends batches of tens; the audit trail of an HTTP request is written as
# one bulk upsert, which FerretDB 1.24 stops answering at about a hundred operations.
MAX_STATEMENTS = 50

_STATEMENT_IDS = uuid.UUID("0b7f8f3e-2d4c-4bb1-9a55-3c1f6f0e9d21")
_EMAIL_IDENTIFIERS = ("mbox", "mbox_sha1sum", "openid")
E = TypeVar("E", Organisation, Sector)
EARLIEST_YEAR = 2000


class Verb(StrEnum):
    ENROL = "enrol"
    COMPLETE = "complete"
    WITHDRAW = "withdraw"


VERBS: dict[str, Verb] = {
    "registered": Verb.ENROL,
    "completed": Verb.COMPLETE,
    "passed": Verb.COMPLETE,
    "leave": Verb.WITHDRAW,
    "unregistered": Verb.WITHDRAW,
}


@dataclass(frozen=True)
class Statement:
    """What training keeps of one xAPI statement."""

    statement_id: str
    verb: Verb
    learner_id: str
    activity_id: str
    at: datetime
    passed: bool | None = None
    organisation: Organisation | None = None
    sector: Sector | None = None
    partnership: str | None = None


def _bad(path: str, problem: str) -> Rejected:
    return Rejected("bad-statement", f"{path}: {problem}", status=400)


def _object(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _bad(path, "must be a JSON object")
    return value


def _text(value: Any, path: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _bad(path, "must be a non-empty string")
    return value


def statements_of(body: Any) -> list[dict[str, Any]]:
    """The statements of a POST body: one statement object or a list of them."""
    items = body if isinstance(body, list) else [body]
    if not items:
        raise _bad("(body)", "no statements")
    if len(items) > MAX_STATEMENTS:
        raise _bad("(body)", f"at most {MAX_STATEMENTS} statements per request")
    return [
        _object(item, f"[{i}]" if isinstance(body, list) else "(statement)")
        for i, item in enumerate(items)
    ]


def _statement_id(raw: dict[str, Any]) -> str:
    given = raw.get("id")
    if given is not None:
        try:
            return str(uuid.UUID(_text(given, "id")))
        except ValueError:
            raise _bad("id", "must be a UUID") from None
    # An LRS assigns an id to a statement sent without one. Training derives it from the
    # content instead, so a statement re-sent after a lost response is recognised.
    digest = hashlib.sha256(json.dumps(raw, sort_keys=True, default=str).encode()).hexdigest()
    return str(uuid.uuid5(_STATEMENT_IDS, digest))


def _learner_id(raw: dict[str, Any]) -> str:
    actor = _object(raw.get("actor"), "actor")
    found = [key for key in _EMAIL_IDENTIFIERS if key in actor]
    if found:
        raise Rejected(
            "personal-data",
            f"actor.{found[0]}: learners identified by email or OpenID are personal data; "
            "identify the learner by actor.account (the platform's pseudonymous id)",
        )
    if actor.get("objectType", "Agent") != "Agent":
        raise _bad("actor.objectType", "must be 'Agent' (groups are not accepted)")
    account = _object(actor.get("account"), "actor.account")
    _text(account.get("homePage"), "actor.account.homePage")
    learner_id = _text(account.get("name"), "actor.account.name")
    problem = identifier_problem(learner_id)
    if problem:
        if "must not" in problem:
            raise Rejected("personal-data", f"actor.account.name: {problem}")
        raise _bad(
            "actor.account.name",
            "must be the platform's pseudonymous user id (up to 64 letters, digits, _ . : -)",
        )
    return learner_id


def _shown(value: str) -> str:
    """A sender's value fit to repeat in an error: never one that looks like personal data."""
    if len(value) > 200 or text_findings(value):
        return "(not repeated)"
    return repr(value)


def _verb(raw: dict[str, Any]) -> Verb:
    verb_id = _text(_object(raw.get("verb"), "verb").get("id"), "verb.id")
    segment = re.split(r"[/#]", verb_id.rstrip("/"))[-1].lower()
    try:
        return VERBS[segment]
    except KeyError:
        raise Rejected(
            "unknown-verb",
            f"verb {_shown(verb_id)} is not used by training; accepted: IRIs ending in "
            + ", ".join(sorted(VERBS)),
        ) from None


def _activity_id(raw: dict[str, Any]) -> str:
    obj = _object(raw.get("object"), "object")
    if obj.get("objectType", "Activity") != "Activity":
        raise _bad("object.objectType", "must be 'Activity' (the course)")
    return _text(obj.get("id"), "object.id")


def _time(raw: dict[str, Any], received_at: datetime) -> datetime:
    value = raw.get("timestamp")
    if value is None:
        return received_at
    try:
        at = datetime.fromisoformat(_text(value, "timestamp"))
    except ValueError:
        raise _bad("timestamp", "must be an ISO 8601 date and time") from None
    last = latest_occurrence()
    window = _bad("timestamp", f"must be between {EARLIEST_YEAR}-01-01 and {last.isoformat()}")
    # The year first: year 1 or 9999 with an offset overflows when converted to UTC.
    if not EARLIEST_YEAR <= at.year <= last.year:
        raise window
    at = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    if not at.astimezone(UTC).year >= EARLIEST_YEAR or at.astimezone(UTC).date() > last:
        raise window
    return at


def _passed(raw: dict[str, Any], verb_id: str) -> bool | None:
    if verb_id.rstrip("/").lower().endswith("passed"):
        return True
    result = raw.get("result")
    success = result.get("success") if isinstance(result, dict) else None
    return success if isinstance(success, bool) else None


def _extensions(raw: dict[str, Any]) -> dict[str, Any]:
    context = raw.get("context")
    if context is None:
        return {}
    extensions = _object(context, "context").get("extensions", {})
    return _object(extensions, "context.extensions")


def _code(kind: type[E], value: Any, path: str) -> E | None:
    if value is None:
        return None
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise _bad(path, f"unknown code; one of {allowed}") from None


def parse(raw: dict[str, Any], *, received_at: datetime) -> Statement:
    """One statement to the facts training keeps, or `Rejected` saying what is wrong."""
    # The display name is dropped before anything else reads the statement (and before the
    # content-derived id), so it cannot reach storage, logs or error messages.
    actor = raw.get("actor")
    if isinstance(actor, dict) and "name" in actor:
        name = actor["name"]
        kinds = text_findings(name) if isinstance(name, str) else []
        if kinds:
            raise Rejected("personal-data", f"actor.name: {describe_findings(kinds)}")
        raw = {**raw, "actor": {k: v for k, v in actor.items() if k != "name"}}
    learner_id = _learner_id(raw)
    verb = _verb(raw)
    extensions = _extensions(raw)
    partnership = extensions.get(PARTNERSHIP_EXTENSION)
    if partnership is not None and (
        not isinstance(partnership, str) or identifier_problem(partnership, "partnership")
    ):
        raise _bad(f"context.extensions[{PARTNERSHIP_EXTENSION}]", "not a partnership id")
    return Statement(
        statement_id=_statement_id(raw),
        verb=verb,
        learner_id=learner_id,
        activity_id=_activity_id(raw),
        at=_time(raw, received_at),
        passed=_passed(raw, raw["verb"]["id"]) if verb is Verb.COMPLETE else None,
        organisation=_code(
            Organisation,
            extensions.get(ORGANISATION_EXTENSION),
            f"context.extensions[{ORGANISATION_EXTENSION}]",
        ),
        sector=_code(
            Sector, extensions.get(SECTOR_EXTENSION), f"context.extensions[{SECTOR_EXTENSION}]"
        ),
        partnership=partnership,
    )
