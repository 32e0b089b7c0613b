"""The intake database: each contact's history as append-only records (`shared.records`),
folded into the domain's `ContactFile`, and one read-model document per contact for queries.

Records (collection `contact_records`): changes `{"kind": "recorded", "slot", "event_id",
"recorded_at", "data", "revision", "source", "principal"}` (an inbound event recorded in its
slot; a correction is replayed through the domain's `place`, so the same version is current
on every replay) and `{"kind": "overdue-announced", "event_id", "at"}` (the sweep published
`decision overdue`). Records written before corrections existed have no revision: they are
the first of their slot.

Read model (collection `contacts`, `_id` = `[partnership, contact id]`): what lists and
queries filter on and show: `contact_id`, `partnership`, `version`, `status`,
`overdue_emitted`, and from the contact `agency`, `received_at`, `decision_due_at`,
`child_ref` (erasure finds a child's contacts by it), `decided_at` once decided. It is derived
from the records and written newest-version-wins, so it can be rebuilt from them at any time.
A contact's full view (the current version of each slot and the timeline of every version) is
folded from its records on request (`view_document`): kept out of the read model, it is not
written again with every event (FerretDB's work for the read model fell by four fifths).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from services.intake import domain
from services.intake.deadlines import OpenDeadlines
from services.intake.domain import ContactFile, Outgoing, Recorded
from shared.contracts import EventData
from shared.contracts.intake import ACKNOWLEDGED, DECISION_OVERDUE
from shared.events import derived_id
from shared.mongo import Document
from shared.read_models import write_newest
from shared.records import Change, EntityCache, Key, MongoRecordStore, Record, Repository

SLOT_MODELS: dict[str, type[EventData]] = {slot: model for model, slot in domain.SLOTS.items()}


class ContactFolding:
    """Records to `ContactFile`: the domain's own replay of what was recorded."""

    def initial(self, key: Key) -> ContactFile:
        return ContactFile(contact_id=key[1], partnership=key[0])

    def apply(self, state: ContactFile, record: Record) -> ContactFile:
        file = dataclasses.replace(state, applied=state.applied | frozenset(record.events))
        for change in record.changes:
            if change["kind"] == "recorded":
                slot = change["slot"]
                recorded: Recorded[Any] = Recorded(
                    change["event_id"],
                    SLOT_MODELS[slot].model_validate(change["data"]),
                    change["recorded_at"],
                    change.get("revision", 1),
                    change.get("source"),
                    change.get("principal"),
                )
                file = domain.place(file, slot, recorded)
            elif change["kind"] == "overdue-announced":
                file = dataclasses.replace(file, overdue_emitted=True)
        return file


def recorded_change(file: ContactFile, event_id: str) -> Change:
    """The change that records inbound event `event_id`, as `file` holds it."""
    for recorded in _all_versions(file):
        if recorded.event_id == event_id:
            return {
                "kind": "recorded",
                "slot": domain.slot_of(recorded.data),
                "event_id": event_id,
                "recorded_at": recorded.recorded_at,
                "data": recorded.data.model_dump(mode="json"),
                "revision": recorded.revision,
                "source": recorded.source,
                "principal": recorded.principal,
            }
    raise KeyError(event_id)


def _all_versions(file: ContactFile) -> list[Recorded[Any]]:
    current: list[Recorded[Any]] = [getattr(file, slot) for slot in SLOT_MODELS]
    return [r for r in current if r is not None] + list(file.superseded)


def overdue_change(event: Outgoing, now: datetime) -> Change:
    return {"kind": "overdue-announced", "event_id": event.id, "at": now}


def contact_key(partnership: str, contact_id: str) -> Key:
    return (partnership, contact_id)


def read_model_id(key: Key) -> str:
    return json.dumps(list(key), separators=(",", ":"))


class ContactStore:
    def __init__(
        self,
        db: AsyncDatabase[Document],
        cache: EntityCache[ContactFile],
        deadlines: OpenDeadlines,
    ) -> None:
        self.records = MongoRecordStore(db["contact_records"])
        self.contacts = db["contacts"]
        self.repository = Repository(self.records, ContactFolding(), cache)
        self.deadlines = deadlines

    async def ensure_indexes(self) -> None:
        """What the queries and the overdue sweep filter and sort on."""
        await self.records.ensure_indexes()
        await self.contacts.create_index([("contact_id", ASCENDING)], name="contact_id")
        await self.contacts.create_index(
            [("agency", ASCENDING), ("received_at", ASCENDING)], name="agency_received"
        )
        await self.contacts.create_index([("received_at", ASCENDING)], name="received")
        await self.contacts.create_index([("decision_due_at", ASCENDING)], name="decision_due")

    # -- the read model ------------------------------------------------------------------------

    async def project(self, files: Iterable[tuple[int, ContactFile]]) -> None:
        """Bring the read model up to these versions of these files (and this process's
        open deadlines with it)."""
        docs = [to_document(f, v) for v, f in files]
        await write_newest(self.contacts, docs)
        self.deadlines.note(docs)

    async def find(self, contact_id: str, partnership: str | None) -> list[Document]:
        """The read models of contact `contact_id`, in `partnership` or in any."""
        query: dict[str, Any] = {"contact_id": contact_id}
        if partnership is not None:
            query = {"_id": read_model_id(contact_key(partnership, contact_id))}
        return [doc async for doc in self.contacts.find(query)]

    async def view(self, key: Key) -> Document | None:
        """The contact's full view, folded from its records (None: nothing recorded)."""
        entity = (await self.repository.load([key]))[key]
        return view_document(entity.state, entity.version) if entity.version else None

    async def page(
        self,
        *,
        agency: str | None,
        partnerships: frozenset[str] | None = None,
        received_from: datetime | None,
        received_to: datetime | None,
        skip: int,
        limit: int,
    ) -> tuple[int, list[Document]]:
        """Received contacts (of `partnerships`, or of every one), oldest first, and how many
        match in all."""
        query: dict[str, Any] = {"received_at": {"$exists": True}}
        if agency:
            query["agency"] = agency
        if partnerships is not None:
            query["partnership"] = {"$in": sorted(partnerships)}
        if received_from or received_to:
            window: dict[str, Any] = {}
            if received_from:
                window["$gte"] = received_from
            if received_to:
                window["$lt"] = received_to
            query["received_at"] = window
        total = await self.contacts.count_documents(query)
        cursor = (
            self.contacts.find(query)
            .sort([("received_at", ASCENDING), ("_id", ASCENDING)])
            .skip(skip)
            .limit(limit)
        )
        return total, [doc async for doc in cursor]

    async def read_open_deadlines(self) -> None:
        """Take every contact the read model shows received, undecided and not announced into
        this process's open deadlines (a full sweep). The caller checks each candidate
        against its records before acting."""
        query = {
            "decision_due_at": {"$exists": True},
            "decided_at": {"$exists": False},
            "overdue_emitted": {"$ne": True},
        }
        fields = {"partnership": 1, "contact_id": 1, "decision_due_at": 1}
        self.deadlines.reading()
        try:
            # Noted as they come, so that memory stays within the deadlines' bound.
            chunk: list[Document] = []
            async for doc in self.contacts.find(query, fields):
                chunk.append(doc)
                if len(chunk) == 10_000:
                    self.deadlines.note(chunk)
                    chunk = []
            self.deadlines.note(chunk)
        except BaseException:
            self.deadlines.outdated()
            raise


def to_document(file: ContactFile, version: int) -> Document:
    """The stored read model of `file` at `version`."""
    assert file.partnership is not None
    doc: Document = {
        "_id": read_model_id(contact_key(file.partnership, file.contact_id)),
        "contact_id": file.contact_id,
        "partnership": file.partnership,
        "version": version,
        "overdue_emitted": file.overdue_emitted,
        "status": file.status,
    }
    if file.contact is not None:
        c = file.contact.data
        doc |= {
            "agency": c.agency,
            "received_at": c.received_at,
            "decision_due_at": domain.decision_deadline(c.received_at),
            "child_ref": c.child_ref,
        }
    if file.decision is not None:
        doc["decided_at"] = file.decision.data.decided_at
    return doc


def view_document(file: ContactFile, version: int) -> Document:
    """The read model with the current version of each slot and the timeline of every
    version, superseded ones marked: what GET /contacts/{id} shows."""
    doc = to_document(file, version)
    timeline: list[Document] = []
    for slot in SLOT_MODELS:
        recorded: Recorded[EventData] | None = getattr(file, slot)
        if recorded is None:
            continue
        doc[slot] = {
            "event_id": recorded.event_id,
            "recorded_at": recorded.recorded_at,
            "revision": recorded.revision,
            "data": recorded.data.model_dump(mode="json"),
        }
        timeline.append(_entry(recorded, current=True))
    timeline += [_entry(r, current=False) for r in file.superseded]
    if file.contact is not None:
        c = file.contact
        ack = derived_id(c.event_id, ACKNOWLEDGED)
        timeline.append(
            {
                "event_id": ack,
                "type": ACKNOWLEDGED,
                "at": domain.acknowledged_at(c),
                "recorded_at": c.recorded_at,
            }
        )
        if file.overdue_emitted:
            out = domain.overdue_event(file)
            timeline.append(
                {
                    "event_id": out.id,
                    "type": DECISION_OVERDUE,
                    "at": out.time,
                    "recorded_at": out.time,
                }
            )
    doc["timeline"] = timeline
    return doc


def _occurred_at(data: EventData) -> datetime | None:
    for name in (
        "received_at",
        "decided_at",
        "allocated_at",
        "submitted_at",
        "notified_at",
        "held_at",
        "completed_at",
        "attended_at",
    ):
        value = getattr(data, name, None)
        if isinstance(value, datetime):
            return value
    return None


def _entry(recorded: Recorded[EventData], *, current: bool) -> Document:
    """A version in the timeline: which of its kind it is, whether it is current, and who
    sent it (the agency and, over HTTP, the API key's principal)."""
    return {
        "event_id": recorded.event_id,
        "type": domain.INBOUND_TYPES[type(recorded.data)],
        "at": _occurred_at(recorded.data),
        "recorded_at": recorded.recorded_at,
        "data": recorded.data.model_dump(mode="json"),
        "revision": recorded.revision,
        "current": current,
        "source": recorded.source,
        "principal": recorded.principal,
    }
