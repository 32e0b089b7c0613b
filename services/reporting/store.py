"""The reporting database.

- `fact_<kind>`: one document per entity (contact, review, action, learner, enrolment...),
  `_id` = "<partnership>|<natural id>", updated with `$set` only, so a redelivered or
  reordered event leaves it as it was (see `facts`).
- `figures`: one document per (partnership, period), overwritten whole by each recomputation.
- `statuses`: the last RAG status published per (partnership, metric, period), with the
  number of changes so far (the exception event id derives from it).
- `exceptions`: the exception events published, for the HTTP API.
- `snapshots`: the content hash of the last snapshot published per (partnership, year).
Facts and figures are read models and a rebuild drops them; statuses, exceptions and
snapshot hashes record what was published, so they survive a rebuild and nothing is
announced twice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from pymongo import UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from services.reporting.facts import KINDS, FactUpdate, resolve, version_field
from services.reporting.metrics import Figures
from shared.mongo import Document

FACT_PREFIX = "fact_"
READ_MODELS = ("figures",)


def doc_id(partnership: str, key: str) -> str:
    return f"{partnership}|{key}"


class ReportingStore:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.db = db
        self.figures = db["figures"]
        self.statuses = db["statuses"]
        self.exceptions = db["exceptions"]
        self.snapshots = db["snapshots"]

    async def create_indexes(self) -> None:
        for kind in KINDS:
            await self.db[FACT_PREFIX + kind].create_index([("partnership", 1), ("fy", 1)])
        await self.figures.create_index([("partnership", 1), ("fy", 1)])
        await self.exceptions.create_index([("partnership", 1), ("time", 1)])

    # -- facts ----------------------------------------------------------------------------

    async def apply(self, updates: Iterable[tuple[str, FactUpdate]]) -> set[tuple[str, str]]:
        """Apply (partnership, update) pairs; returns the (partnership, financial year) pairs
        whose figures may have changed. Plain `$set` upserts by `_id`, no conditional filter
        (see `facts` on versioned fields)."""
        # One write per document per batch (an enrolment and its completion in one batch are
        # one upsert): FerretDB's upserts are the slow part of a batch.
        merged: dict[tuple[str, str], dict[str, Any]] = {}
        years: set[tuple[str, str]] = set()
        unplaced: set[tuple[str, str]] = set()
        for partnership, u in updates:
            _id = doc_id(partnership, u.key)
            fields = merged.setdefault((u.kind, _id), {"partnership": partnership})
            fields.update(u.fields)
            if u.versioned is not None:
                fields[version_field(u.versioned)] = u.versioned.fields
            if "fy" in u.fields:
                years.add((partnership, u.fields["fy"]))
            else:
                unplaced.add((u.kind, _id))
        by_kind: dict[str, list[UpdateOne]] = defaultdict(list)
        for (kind, _id), fields in merged.items():
            by_kind[kind].append(UpdateOne({"_id": _id}, {"$set": fields}, upsert=True))
        for kind, ops in by_kind.items():
            await self.db[FACT_PREFIX + kind].bulk_write(ops, ordered=True)
        for kind, _id in sorted(unplaced):
            doc = await self.db[FACT_PREFIX + kind].find_one(
                {"_id": _id}, {"partnership": 1, "fy": 1}
            )
            if doc and doc.get("fy"):
                years.add((doc["partnership"], doc["fy"]))
        return years

    async def load_year(self, partnership: str, fy: str) -> dict[str, list[Document]]:
        facts: dict[str, list[Document]] = {}
        for kind in KINDS:
            cursor = self.db[FACT_PREFIX + kind].find({"partnership": partnership, "fy": fy})
            facts[kind] = [resolve(d) async for d in cursor]
        return facts

    async def drop_read_models(self) -> None:
        for name in [*(FACT_PREFIX + kind for kind in KINDS), *READ_MODELS]:
            await self.db.drop_collection(name)

    # -- figures --------------------------------------------------------------------------

    async def save_figures(self, partnership: str, fy: str, figures: Mapping[str, Figures]) -> None:
        ops = [
            UpdateOne(
                {"_id": doc_id(partnership, period)},
                {
                    "$set": {
                        "partnership": partnership,
                        "period": period,
                        "fy": fy,
                        **fig.as_document(),
                    }
                },
                upsert=True,
            )
            for period, fig in figures.items()
        ]
        if ops:
            await self.figures.bulk_write(ops, ordered=False)

    async def figures_of(self, partnership: str, period: str) -> Document | None:
        return await self.figures.find_one({"_id": doc_id(partnership, period)})

    async def year(self, partnership: str, fy: str) -> dict[str, Figures]:
        cursor = self.figures.find({"partnership": partnership, "fy": fy})
        return {
            d["period"]: Figures(d.get("values", {}), d.get("breakdowns", {})) async for d in cursor
        }

    async def years(self) -> list[tuple[str, str]]:
        """Every (partnership, financial year) with figures."""
        cursor = await self.figures.aggregate(
            [{"$group": {"_id": {"p": "$partnership", "fy": "$fy"}, "n": {"$sum": 1}}}]
        )
        return sorted({(d["_id"]["p"], d["_id"]["fy"]) async for d in cursor})

    # -- what was published ---------------------------------------------------------------

    async def statuses_of(self, partnership: str, fy: str) -> dict[tuple[str, str], Document]:
        cursor = self.statuses.find({"partnership": partnership, "fy": fy})
        return {(d["metric"], d["period"]): d async for d in cursor}

    async def save_statuses(self, docs: list[Document]) -> None:
        if docs:
            await self.statuses.bulk_write(
                [UpdateOne({"_id": d["_id"]}, {"$set": d}, upsert=True) for d in docs],
                ordered=False,
            )

    async def record_exception(self, event_id: str, doc: Document) -> None:
        await self.exceptions.update_one({"_id": event_id}, {"$set": doc}, upsert=True)

    async def exceptions_of(self, partnership: str, limit: int = 200) -> list[Document]:
        cursor = (
            self.exceptions.find({"partnership": partnership}, {"_id": 0})
            .sort("time", -1)
            .limit(limit)
        )
        return [d async for d in cursor]

    async def snapshot_hash(self, partnership: str, fy: str) -> str | None:
        doc = await self.snapshots.find_one({"_id": doc_id(partnership, fy)})
        return doc["hash"] if doc else None

    async def save_snapshot_hash(self, partnership: str, fy: str, digest: str) -> None:
        await self.snapshots.update_one(
            {"_id": doc_id(partnership, fy)}, {"$set": {"hash": digest}}, upsert=True
        )

    async def all_statuses(self) -> list[Document]:
        return [d async for d in self.statuses.find({})]
