"""The intake database: one document per contact, with its timeline."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from shared.idempotency import Change, apply_many
from shared.mongo import Document


class ContactStore:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.contacts = db["contacts"]

    async def record_received(self, changes: list[tuple[str, str, dict[str, Any]]]) -> list[bool]:
        """(contact id, event id, fields) per contact; True where applied now."""
        return await apply_many(
            self.contacts,
            [
                Change(
                    cid, eid, {"$set": fields, "$push": {"timeline": {"event_id": eid, **fields}}}
                )
                for cid, eid, fields in changes
            ],
        )

    async def get(self, contact_id: str) -> Document | None:
        return await self.contacts.find_one({"_id": contact_id}, {"_events": 0})
