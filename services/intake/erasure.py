"""Erasure in intake: a contact's history and read model removed, and a tombstone so that
intake refuses any later event about it (reason `erased`) instead of starting it again.

Contacts are found by id or by the child reference the sending agency gave them. Tombstones
(collection `erasures`, `_id` = `[partnership, contact id]`) hold no child data.
"""

from __future__ import annotations

from collections.abc import Sequence

from pymongo.asynchronous.database import AsyncDatabase

from services.intake.store import contact_key, read_model_id
from shared.mongo import Document, find_by_ids, insert_new
from shared.records import Key
from shared.rejections import Rejected

ERASURES = "erasures"


async def contacts_of_child(
    db: AsyncDatabase[Document], partnership: str, child_ref: str
) -> list[str]:
    # Read models written before `child_ref` was copied to the top hold it in the contact.
    query = {
        "partnership": partnership,
        "$or": [{"child_ref": child_ref}, {"contact.data.child_ref": child_ref}],
    }
    return [d["contact_id"] async for d in db["contacts"].find(query, {"contact_id": 1})]


async def erase_contacts(
    db: AsyncDatabase[Document], partnership: str, contact_ids: Sequence[str]
) -> int:
    """Tombstone the contacts (first, so no writer starts one again meanwhile), then delete
    their records and read models; returns how many records were deleted."""
    keys = [contact_key(partnership, c) for c in contact_ids]
    await insert_new(
        db[ERASURES],
        [{"_id": read_model_id(k), "partnership": k[0], "contact_id": k[1]} for k in keys],
    )
    deleted = await db["contact_records"].delete_many(
        {"p": partnership, "e": {"$in": list(contact_ids)}}
    )
    await db["contacts"].delete_many({"_id": {"$in": [read_model_id(k) for k in keys]}})
    return int(deleted.deleted_count)


async def refuse_erased(db: AsyncDatabase[Document], keys: Sequence[Key]) -> None:
    """`Rejected` when any of the contacts has been erased."""
    found = await find_by_ids(db[ERASURES], [read_model_id(k) for k in set(keys)], {"_id": 1})
    if found:
        raise Rejected("erased", "an event names a contact that has been erased")
