"""The reporting database.

- `fact_<kind>`: one document per entity (contact, review, action, learner, enrolment...),
  `_id` = "<partnership>|<natural id>", updated with `$set` only, so a redelivered or
  reordered event leaves it as it was (see `facts`).
- `figures`: one document per (partnership, period), overwritten whole by each recomputation.
- `pending`: the (partnership, financial year) pairs whose facts changed since their figures
  were last computed, with a version counting the changes. Marked after the batch's facts
  are written and before the consumer commits (a crash in between redelivers the batch,
  which marks again), so a stop before the debounced recomputation leaves the mark and the
  next start recomputes the year instead of showing stale figures. A recomputation reads
  the version before the facts, so it settles only changes it has seen.
- `statuses`: the last RAG status published per (partnership, metric, period), with the
  number of changes so far (the exception event id derives from it).
- `exceptions`: the exception events published, for the HTTP API.
- `snapshots`: the content hash of the last snapshot published per (partnership, year).
- `writers`: per partnership and writing process, how many batches of facts it has written
  (see `fact_cache`; partnership `*` counts rebuilds' drops).
Facts and figures are read models and a rebuild drops them; statuses, exceptions and
snapshot hashes record what was published, so they survive a rebuild and nothing is
announced twice.
"""

from __future__ import annotations

import asyncio
import weakref
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

import bson
from pymongo import UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from services.reporting.fact_cache import Counts, FactCache, FactKey
from services.reporting.facts import (
    ACTIONS,
    KINDS,
    FactUpdate,
    action_years,
    resolve,
    version_field,
)
from services.reporting.metrics import Figures
from shared.mongo import Document, chunks, find_by_ids, insert_new
from shared.workdays import LONDON

FACT_PREFIX = "fact_"
READ_MODELS = ("figures",)
# FerretDB 1.x takes a pooled connection (100 per database) per statement in flight and a
# write command keeps its statements' until it ends: the consumers of the three canonical
# topics run concurrently, so their fact writes go one command at a time (their reads are
# one `$in` query per fact kind, a connection each).
_MISSING = object()
ALL_PARTNERSHIPS = "*"


def doc_id(partnership: str, key: str) -> str:
    return f"{partnership}|{key}"


def with_set(doc: Mapping[str, Any] | None, _id: str, fields: Mapping[str, Any]) -> Document:
    """The document `update_one({"_id": _id}, {"$set": fields}, upsert=True)` leaves, given
    the one it found (None: the one it inserts). Dotted paths set nested fields; `doc` is
    left as it was."""
    out: Document = _copy(doc) if doc is not None else {"_id": _id}
    for path, value in fields.items():
        *parents, leaf = path.split(".")
        node = out
        for part in parents:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        node[leaf] = value
    return out


def _copy(doc: Mapping[str, Any]) -> Document:
    return {k: _copy(v) if isinstance(v, Mapping) else v for k, v in doc.items()}


def get_path(doc: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted path, or a marker unequal to every value when it is missing."""
    node: Any = doc
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return _MISSING
        node = node[part]
    return node


# One writer at a time per event loop (a service's stores share it; tests run a loop each).
_WRITES: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
    weakref.WeakKeyDictionary()
)


def _writes() -> asyncio.Lock:
    return _WRITES.setdefault(asyncio.get_running_loop(), asyncio.Lock())


class ReportingStore:
    def __init__(self, db: AsyncDatabase[Document], cache: FactCache | None = None) -> None:
        self.db = db
        self.cache = cache if cache is not None else FactCache()
        self.writers = db["writers"]
        self.figures = db["figures"]
        self.pending = db["pending"]
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
        whose figures may have changed. Plain `$set` by `_id`, no conditional filter (see
        `facts` on versioned fields).

        Written for FerretDB's costs: an insert is cheap, an update is not (a scan of the
        collection on stock FerretDB 1.24). So the batch's documents are read by id first;
        new ones are inserted, existing ones get an update only when it changes something (a
        redelivered batch writes nothing), in commands of at most `MAX_WRITE_BATCH`."""
        # One write per document per batch (an enrolment and its completion in one batch are
        # one write).
        merged: dict[tuple[str, str], dict[str, Any]] = {}
        for partnership, u in updates:
            fields = merged.setdefault((u.kind, doc_id(partnership, u.key)), {})
            fields["partnership"] = partnership
            fields.update(u.fields)
            if u.versioned is not None:
                fields[version_field(u.versioned)] = u.versioned.fields
        keys = list(merged)
        existing = await self._find_by_ids(keys)
        years: set[tuple[str, str]] = set()
        inserts: dict[str, list[Document]] = defaultdict(list)
        changes: dict[str, list[UpdateOne]] = defaultdict(list)
        written: dict[str, dict[FactKey, Document]] = defaultdict(dict)  # partnership -> docs
        for (kind, _id), fields, doc in zip(keys, merged.values(), existing, strict=True):
            partnership = fields["partnership"]
            # both years when a fact moves (a recommendation placed by its latest revision)
            for fy in (fields.get("fy"), (doc or {}).get("fy")):
                if fy:
                    years.add((partnership, str(fy)))
                    if kind == ACTIONS:  # overdue as at each later period's end too
                        years.update((partnership, y) for y in action_years(str(fy), _today()))
            after = with_set(doc, _id, fields)
            if doc is None:
                inserts[kind].append(after)
            elif any(get_path(doc, path) != value for path, value in fields.items()):
                changes[kind].append(UpdateOne({"_id": _id}, {"$set": fields}, upsert=True))
            else:
                continue
            written[partnership][(kind, _id)] = self._as_stored(kind, after)
        async with _writes():
            raced: set[str] = set()
            for kind, new in inserts.items():
                for _id in await self._insert_new(FACT_PREFIX + kind, new):
                    fields = merged[(kind, _id)]
                    raced.add(fields["partnership"])
                    changes[kind].append(UpdateOne({"_id": _id}, {"$set": fields}, upsert=True))
            for kind, ops in changes.items():
                for chunk in chunks(ops):
                    await self.db[FACT_PREFIX + kind].bulk_write(list(chunk), ordered=True)
            await self._mark_pending(years)
            for partnership, stored in written.items():
                await self._count_write(partnership)
                if partnership in raced:
                    # another writer's document under ours: what it holds now is not known here
                    self.cache.forget(partnership)
                else:
                    self.cache.written(partnership, stored)
        return years

    def _as_stored(self, kind: str, doc: Document) -> Document:
        """`doc` as it reads back from the database (dates, numbers), for the cache."""
        options = self.db[FACT_PREFIX + kind].codec_options
        return bson.decode(bson.encode(doc), codec_options=options)

    async def _count_write(self, partnership: str) -> None:
        """One more batch written by this process for `partnership` (its own document: no
        other process updates it)."""
        await self.writers.update_one(
            {"_id": f"{partnership}|{self.cache.writer}"},
            {
                "$inc": {"n": 1},
                "$set": {"partnership": partnership, "writer": self.cache.writer},
            },
            upsert=True,
        )

    async def _other_writers(self, partnership: str) -> Counts:
        cursor = self.writers.find({"partnership": {"$in": [partnership, ALL_PARTNERSHIPS]}})
        return {
            f"{d['partnership']}|{d['writer']}": d["n"]
            async for d in cursor
            if d["writer"] != self.cache.writer
        }

    async def _find_by_ids(self, keys: list[tuple[str, str]]) -> list[Document | None]:
        """The documents with these (kind, _id), in order (None where there is none): one
        `$in` read per kind, at most `MAX_READ_BATCH` ids each (see `shared.mongo`)."""
        by_kind: dict[str, list[str]] = defaultdict(list)
        for kind, _id in keys:
            by_kind[kind].append(_id)
        found: dict[tuple[str, str], Document] = {}
        for kind, ids in by_kind.items():
            docs = await find_by_ids(self.db[FACT_PREFIX + kind], ids)
            found.update(((kind, d["_id"]), d) for d in docs)
        return [found.get(key) for key in keys]

    async def _insert_new(self, collection: str, docs: list[Document]) -> list[str]:
        """Insert documents not found; returns the ids of those another writer inserted
        meanwhile (a concurrent batch of another topic or process), to be updated instead."""
        return [docs[k]["_id"] for k in await insert_new(self.db[collection], docs)]

    async def load_year(self, partnership: str, fy: str) -> dict[str, list[Document]]:
        """The year's facts (versions resolved), by kind: from this process's cache while no
        other process has written the partnership's facts since they were read."""
        year = (partnership, fy)
        cached = self.cache.get(year, await self._other_writers(partnership))
        if cached is None:
            # Under the write gate, so none of this process's writes falls between the
            # counts and the documents read.
            async with _writes():
                others = await self._other_writers(partnership)
                docs: dict[FactKey, Document] = {}
                for kind in KINDS:
                    cursor = self.db[FACT_PREFIX + kind].find(
                        {"partnership": partnership, "fy": fy}
                    )
                    docs.update([((kind, d["_id"]), d) async for d in cursor])
                self.cache.put(year, docs.items(), others)
            return await self._with_earlier_actions(partnership, fy, _by_kind(docs))
        return await self._with_earlier_actions(partnership, fy, _by_kind(cached.docs))

    async def _with_earlier_actions(
        self, partnership: str, fy: str, facts: dict[str, list[Document]]
    ) -> dict[str, list[Document]]:
        """The year's facts with the actions planned in earlier years: an action counts as
        overdue as at the end of every period until it is complete (`metrics`). Read afresh
        each time (a few hundred documents at most), so the cache keeps its one-year rule."""
        cursor = self.db[FACT_PREFIX + ACTIONS].find(
            {"partnership": partnership, "fy": {"$lt": fy}}
        )
        facts[ACTIONS] = [*facts[ACTIONS], *[resolve(d) async for d in cursor]]
        return facts

    async def facts_removed(self, partnership: str, years: Iterable[tuple[str, str]]) -> None:
        """Facts of `partnership` were deleted (an erasure): the years are owed a
        recomputation, and every process's cached facts of the partnership are void."""
        async with _writes():
            await self._mark_pending(years)
            await self._count_write(partnership)
            self.cache.forget(partnership)

    async def drop_read_models(self) -> None:
        for name in [*(FACT_PREFIX + kind for kind in KINDS), *READ_MODELS]:
            await self.db.drop_collection(name)
        # Every process's cached facts are void now.
        self.cache.forget()
        await self._count_write(ALL_PARTNERSHIPS)

    # -- what is pending ------------------------------------------------------------------

    async def _mark_pending(self, years: Iterable[tuple[str, str]]) -> None:
        ops = [
            UpdateOne(
                {"_id": doc_id(partnership, fy)},
                {"$inc": {"v": 1}, "$set": {"partnership": partnership, "fy": fy}},
                upsert=True,
            )
            for partnership, fy in sorted(years)
        ]
        for chunk in chunks(ops):
            await self.pending.bulk_write(list(chunk), ordered=False)

    async def pending_years(self) -> dict[tuple[str, str], int]:
        """The years whose figures are behind their facts, with their change versions."""
        return {(d["partnership"], d["fy"]): d["v"] async for d in self.pending.find({})}

    async def pending_version(self, partnership: str, fy: str) -> int | None:
        doc = await self.pending.find_one({"_id": doc_id(partnership, fy)})
        return doc["v"] if doc else None

    async def settle(self, partnership: str, fy: str, version: int) -> None:
        """The year's figures are computed from its facts as of `version`: unmark it, unless
        more facts changed since (their own recomputation settles it later)."""
        await self.pending.delete_one({"_id": doc_id(partnership, fy), "v": version})

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
        async with _writes():
            for chunk in chunks(ops):
                await self.figures.bulk_write(list(chunk), ordered=False)

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
        ops = [UpdateOne({"_id": d["_id"]}, {"$set": d}, upsert=True) for d in docs]
        async with _writes():
            for chunk in chunks(ops):
                await self.statuses.bulk_write(list(chunk), ordered=False)

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


def _today() -> date:
    return datetime.now(LONDON).date()


def _by_kind(docs: Mapping[FactKey, Document]) -> dict[str, list[Document]]:
    facts: dict[str, list[Document]] = {kind: [] for kind in KINDS}
    for (kind, _), doc in docs.items():
        facts[kind].append(resolve(doc))
    return facts
