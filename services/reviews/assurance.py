"""Assurance returns and child death / ALTE cases (`shared.contracts.assurance`): reviews, as
the partnership's assurance and audit owner, records each command and publishes it as a
canonical event for reporting.

There is no lifecycle to keep: each command is a fact (a return, a case), stored once per
event id in `assurance_records`, and published with an id derived from the command's, so a
redelivered command re-publishes the very same event and changes nothing. A later return from
the same agency or setting for the same year is a new fact; reporting keeps the newest.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from shared.contracts import EventData, Inbound
from shared.contracts import assurance as a
from shared.events import Envelope, derived_id, new_event
from shared.mongo import Document
from shared.rejections import Conflict, Rejected

COLLECTION = "assurance_records"


def handles(data: object) -> bool:
    return type(data) in a.INBOUND_TO_CANONICAL


def subject_of(data: EventData) -> str:
    """The fact the command is about: the audit round, the returning agency or setting, the
    case."""
    for name in ("audit_id", "agency", "setting_id", "case_id"):
        value = getattr(data, name, None)
        if isinstance(value, str):
            return value
    raise Rejected("schema", "assurance command names no audit, agency, setting or case")


def canonical(envelope: Envelope, data: EventData, recorded_on: date) -> Envelope:
    """The canonical event of a recorded command: its fields, and the day reviews recorded it."""
    type_, model = a.INBOUND_TO_CANONICAL[type(data)]
    published = model.model_validate({**data.model_dump(), "recorded_on": recorded_on})
    return new_event(
        id=derived_id(envelope.id, type_),
        type=type_,
        source=a.SOURCE,
        partnership=envelope.partnership,
        subject=subject_of(data),
        data=published.model_dump(mode="json"),
    )


async def record(db: AsyncDatabase[Document], item: Inbound, today: date) -> Envelope:
    """Store the command once (by event id) and give its canonical event; a redelivery finds
    the first record and gives the same event."""
    env, data = item.envelope, item.data
    assert isinstance(data, EventData)
    subject = subject_of(data)
    if env.subject not in (None, subject):
        raise Rejected("subject-mismatch", f"subject {env.subject!r} is not {subject!r}")
    _id = json.dumps([env.partnership, env.id], separators=(",", ":"))
    fields: dict[str, Any] = {
        "partnership": env.partnership,
        "type": env.type,
        "subject": subject,
        "data": data.model_dump(mode="json"),
        "recorded_on": today.isoformat(),
    }
    await db[COLLECTION].update_one({"_id": _id}, {"$setOnInsert": fields}, upsert=True)
    stored = await db[COLLECTION].find_one({"_id": _id})
    if stored is not None and stored.get("type") != env.type:
        raise Conflict(f"event id {env.id} was used for another command")
    recorded_on = date.fromisoformat(stored["recorded_on"]) if stored else today
    return canonical(env, data, recorded_on)
