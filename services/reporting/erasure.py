"""Erasure in reporting: a contact's facts removed, the figures of its years recomputed, and
a tombstone that the live consumer and every later rebuild honour, so the figures become
those of a history that never had the contact (the canonical topics keep their events: the
tombstones are what keeps them out).

Tombstones (collection `erasures`, `_id` = `[partnership, contact id]`) are not read models:
a rebuild keeps them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from pymongo.asynchronous.database import AsyncDatabase

from services.reporting import facts
from services.reporting.store import FACT_PREFIX, ReportingStore, doc_id
from shared.mongo import Document, insert_new

ERASURES = "erasures"
# The fact kinds keyed by a contact id.
CONTACT_KINDS = (
    facts.CONTACTS,
    facts.VISTS,
    facts.ENCOMPASS,
    facts.STRATEGY_DISCUSSIONS,
    facts.CONFERENCES,
    facts.ASSESSMENTS,
)
Erased = frozenset[tuple[str, str]]  # (partnership, contact id)


async def erased_contacts(db: AsyncDatabase[Document]) -> Erased:
    return frozenset([(d["partnership"], d["contact_id"]) async for d in db[ERASURES].find({})])


def without_erased(
    updates: Iterable[tuple[str, facts.FactUpdate]], erased: Erased
) -> list[tuple[str, facts.FactUpdate]]:
    """The fact updates, less those about an erased contact."""
    return [
        (partnership, u)
        for partnership, u in updates
        if not (u.kind in CONTACT_KINDS and (partnership, u.key) in erased)
    ]


async def erase_contacts(
    store: ReportingStore, partnership: str, contact_ids: Sequence[str]
) -> set[tuple[str, str]]:
    """Tombstone the contacts and remove their facts; returns the (partnership, financial
    year) pairs whose figures must be recomputed (marked pending, so a restart does it too)."""
    await insert_new(
        store.db[ERASURES],
        [
            {
                "_id": json.dumps([partnership, c], separators=(",", ":")),
                "partnership": partnership,
                "contact_id": c,
            }
            for c in contact_ids
        ],
    )
    ids = [doc_id(partnership, c) for c in contact_ids]
    years: set[tuple[str, str]] = set()
    for kind in CONTACT_KINDS:
        collection = store.db[FACT_PREFIX + kind]
        async for doc in collection.find({"_id": {"$in": ids}}, {"fy": 1}):
            if doc.get("fy"):
                years.add((partnership, str(doc["fy"])))
        await collection.delete_many({"_id": {"$in": ids}})
    await store.facts_removed(partnership, years)
    return years
