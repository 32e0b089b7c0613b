"""The intake database: one document per contact with its whole timeline, mapped to and from
the domain's `ContactFile`.

Document shape (collection `contacts`, `_id` = contact id):
`partnership`; one sub-document per recorded inbound event (`contact`, `decision`,
`early_help`, `vist`, `encompass`), each `{event_id, recorded_at, data}`; `agency`,
`received_at`, `decision_due_at` and `decided_at` copied to the top for queries and indexes;
`overdue_emitted`; `timeline` (inbound events and intake's own milestones in arrival order);
`_events` (the idempotency guard, see shared.idempotency).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from services.intake import domain
from services.intake.domain import ContactFile, Outgoing, Recorded
from shared.contracts import EventData
from shared.contracts.intake import ACKNOWLEDGED, ContactSubmitted, DecisionRecorded
from shared.events import derived_id
from shared.idempotency import APPLIED_FIELD, Change, apply_many
from shared.mongo import Document, find_by_ids

SLOT_MODELS: dict[str, type[EventData]] = {slot: model for model, slot in domain.SLOTS.items()}


class ContactStore:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.contacts = db["contacts"]

    async def ensure_indexes(self) -> None:
        """What the queries and the overdue sweep filter and sort on."""
        await self.contacts.create_index(
            [("agency", ASCENDING), ("received_at", ASCENDING)], name="agency_received"
        )
        await self.contacts.create_index([("received_at", ASCENDING)], name="received")
        await self.contacts.create_index([("decision_due_at", ASCENDING)], name="decision_due")

    # -- reading ------------------------------------------------------------------------------

    async def load(self, contact_ids: Iterable[str]) -> dict[str, ContactFile]:
        """The file of each contact; an empty file for a contact not seen yet."""
        ids = list(dict.fromkeys(contact_ids))
        files = {cid: ContactFile(cid) for cid in ids}
        for doc in await find_by_ids(self.contacts, ids):
            files[doc["_id"]] = to_file(doc)
        return files

    async def get(self, contact_id: str) -> Document | None:
        return await self.contacts.find_one({"_id": contact_id}, {APPLIED_FIELD: 0})

    async def page(
        self,
        *,
        agency: str | None,
        received_from: datetime | None,
        received_to: datetime | None,
        skip: int,
        limit: int,
    ) -> tuple[int, list[Document]]:
        """Received contacts, oldest first, and how many match in all."""
        query: dict[str, Any] = {"received_at": {"$exists": True}}
        if agency:
            query["agency"] = agency
        if received_from or received_to:
            window: dict[str, Any] = {}
            if received_from:
                window["$gte"] = received_from
            if received_to:
                window["$lt"] = received_to
            query["received_at"] = window
        total = await self.contacts.count_documents(query)
        cursor = (
            self.contacts.find(query, {APPLIED_FIELD: 0})
            .sort([("received_at", ASCENDING), ("_id", ASCENDING)])
            .skip(skip)
            .limit(limit)
        )
        return total, [doc async for doc in cursor]

    async def overdue_candidates(self, now: datetime, limit: int) -> list[ContactFile]:
        query = {
            "decision_due_at": {"$lte": now},
            "decision": {"$exists": False},
            "overdue_emitted": {"$ne": True},
        }
        cursor = self.contacts.find(query).sort("decision_due_at", ASCENDING).limit(limit)
        return [to_file(doc) async for doc in cursor]

    # -- writing ------------------------------------------------------------------------------

    async def apply(self, changes: list[Change]) -> list[bool]:
        return await apply_many(self.contacts, changes)

    async def mark_overdue(self, file: ContactFile, event: Outgoing, now: datetime) -> bool:
        """Record that the overdue event was published (after publishing it, never before).
        Only the first mark adds the timeline entry; True when this call marked it."""
        entry = {"event_id": event.id, "type": event.type, "at": event.time, "recorded_at": now}
        result = await self.contacts.update_one(
            {"_id": file.contact_id, "overdue_emitted": {"$ne": True}},
            {"$set": {"overdue_emitted": True, "overdue_at": now}, "$push": {"timeline": entry}},
        )
        return bool(result.modified_count)


def change_for(file: ContactFile, event_id: str) -> Change:
    """The update that records, in the stored document, the event `event_id` of `file`."""
    slot, recorded = _recorded_by(file, event_id)
    stored = _dump(recorded)
    fields: dict[str, Any] = {
        "contact_id": file.contact_id,
        "partnership": file.partnership,
        slot: stored,
    }
    entries = [_entry(recorded)]
    data = recorded.data
    if isinstance(data, ContactSubmitted):
        fields |= {
            "agency": data.agency,
            "received_at": data.received_at,
            "decision_due_at": domain.decision_deadline(data.received_at),
        }
        entries.append(
            {
                "event_id": derived_id(event_id, ACKNOWLEDGED),
                "type": ACKNOWLEDGED,
                "at": recorded.recorded_at,
                "recorded_at": recorded.recorded_at,
            }
        )
    elif isinstance(data, DecisionRecorded):
        fields["decided_at"] = data.decided_at
    return Change(
        file.contact_id, event_id, {"$set": fields, "$push": {"timeline": {"$each": entries}}}
    )


def _recorded_by(file: ContactFile, event_id: str) -> tuple[str, Recorded[EventData]]:
    for slot in SLOT_MODELS:
        recorded: Recorded[EventData] | None = getattr(file, slot)
        if recorded is not None and recorded.event_id == event_id:
            return slot, recorded
    raise KeyError(event_id)


def _occurred_at(data: EventData) -> datetime | None:
    for name in ("received_at", "decided_at", "allocated_at", "submitted_at", "notified_at"):
        value = getattr(data, name, None)
        if isinstance(value, datetime):
            return value
    return None


def _entry(recorded: Recorded[EventData]) -> Document:
    return {
        "event_id": recorded.event_id,
        "type": domain.INBOUND_TYPES[type(recorded.data)],
        "at": _occurred_at(recorded.data),
        "recorded_at": recorded.recorded_at,
        "data": recorded.data.model_dump(mode="json"),
    }


def _dump(recorded: Recorded[EventData]) -> Document:
    return {
        "event_id": recorded.event_id,
        "recorded_at": recorded.recorded_at,
        "data": recorded.data.model_dump(mode="json"),
    }


def _load(slot: str, stored: Document) -> Recorded[Any]:
    return Recorded(
        stored["event_id"],
        SLOT_MODELS[slot].model_validate(stored["data"]),
        stored["recorded_at"],
    )


def to_file(doc: Document) -> ContactFile:
    slots = {slot: _load(slot, doc[slot]) for slot in SLOT_MODELS if doc.get(slot)}
    return ContactFile(
        contact_id=doc["_id"],
        partnership=doc.get("partnership"),
        overdue_emitted=bool(doc.get("overdue_emitted")),
        applied=frozenset(doc.get(APPLIED_FIELD, ())),
        **slots,
    )
