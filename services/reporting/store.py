"""The reporting database.

- `fact_log`: the facts, as a changelog. Each consumer batch of one canonical topic
  partition is **one insert**: the batch's fact updates together with the partition's next
  offset, so the facts and the position they were computed up to are written at once and
  can never disagree (Kafka's "storing offsets outside Kafka"; Kafka Streams' changelog
  topics). Every process folds the log into memory (`fact_state`), applies each new batch in
  memory, and reads only the entries written since it last looked (other instances' batches,
  a rebuild's). No fact is ever updated in place: FerretDB's updates are costly and, on a
  stock build, not atomic; inserts are cheap and atomic.
- `fact_meta`: the log's generation. A rebuild drops the log and starts a new generation,
  which tells every process that its folded facts are void.
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
Facts and figures are read models and a rebuild drops them; statuses, exceptions and
snapshot hashes record what was published, so they survive a rebuild and nothing is
announced twice.
"""

from __future__ import annotations

import asyncio
import uuid
import weakref
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo import UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from services.reporting import facts
from services.reporting.fact_state import FactState, Stored
from services.reporting.metrics import Figures
from services.reporting.periods import periods_in_year
from shared import collector
from shared.mongo import Document, chunks, find_by_ids, from_opaque, insert_new, opaque
from shared.workdays import LONDON

FACT_LOG = "fact_log"
FACT_META = "fact_meta"
FACT_HEADS = "fact_heads"
READ_MODELS = (FACT_LOG, FACT_META, FACT_HEADS, "figures")
HEAD_RECENT = 256  # entry ids a head keeps: how far behind a reader may be and still fetch by id
ERASURES = "erasures"  # tombstones (see `erasure`), honoured by every fold
# The fact kinds keyed by a contact id (what an erasure removes).
CONTACT_KINDS = (
    facts.CONTACTS,
    facts.VISTS,
    facts.ENCOMPASS,
    facts.STRATEGY_DISCUSSIONS,
    facts.CONFERENCES,
    facts.ASSESSMENTS,
)
# Fact updates per log entry: a consumer batch makes one entry; a rebuild, whose batches
# are large, splits its entries to stay far below the 16 MiB document limit.
MAX_ENTRY_UPDATES = 5000
_GENERATION = "generation"


def _holds(doc: Document | None, figures: Figures) -> bool:
    return doc is not None and all(doc.get(k) == v for k, v in figures.as_document().items())


def _figures(doc: Document) -> Figures:
    return Figures(doc.get("values", {}), doc.get("breakdowns", {}))


def doc_id(partnership: str, key: str) -> str:
    return f"{partnership}|{key}"


@dataclass(frozen=True)
class Batch:
    """The fact updates of consecutive records of one stream (a topic partition), and the
    offset after the last record (None for a source without offsets)."""

    stream: str
    first: int
    next: int
    updates: list[Stored]


def entry_id(stream: str, first: int, next_offset: int, part: int = 0) -> str:
    # The same records give the same id: a batch written twice (a redelivery after a crash
    # between the insert and the commit, or two instances during a rebalance) is refused as
    # a duplicate, and is the same facts anyway.
    return f"{stream}|{first:020d}|{next_offset:020d}|{part}"


# One writer at a time per event loop (a service's stores share it; tests run a loop each).
_WRITES: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
    weakref.WeakKeyDictionary()
)


def _writes() -> asyncio.Lock:
    return _WRITES.setdefault(asyncio.get_running_loop(), asyncio.Lock())


# Facts read at once above which they are moved out of the collector's way (`collector`).
SETTLE_ABOVE = 10_000


class ReportingStore:
    def __init__(self, db: AsyncDatabase[Document], state: FactState | None = None) -> None:
        self.db = db
        self.state = state if state is not None else FactState()
        self.log = db[FACT_LOG]
        self.meta = db[FACT_META]
        self.heads = db[FACT_HEADS]
        self.figures = db["figures"]
        self.pending = db["pending"]
        self.statuses = db["statuses"]
        self.exceptions = db["exceptions"]
        self.snapshots = db["snapshots"]

    async def create_indexes(self) -> None:
        await self.log.create_index([("stream", 1), ("next", 1)])
        await self.figures.create_index([("partnership", 1), ("fy", 1)])
        await self.exceptions.create_index([("partnership", 1), ("time", 1)])

    # -- facts ----------------------------------------------------------------------------

    async def _generation(self) -> str:
        doc = await self.meta.find_one({"_id": _GENERATION})
        if doc is None:
            # First use: whoever inserts first names the generation.
            await insert_new(self.meta, [{"_id": _GENERATION, "g": uuid.uuid4().hex}])
            doc = await self.meta.find_one({"_id": _GENERATION})
        return str(doc["g"]) if doc else ""

    async def refresh(self) -> None:
        """Bring the folded facts up to the log, then honour the erasures.

        The first time (or after a rebuild started a new generation) the whole log is read.
        After that only other writers' new entries are: each writer keeps a small head
        document (`fact_heads`: how many entries it wrote, and the ids of its latest), so a
        process that is the only writer reads three tiny documents, and one that is not
        fetches the new entries by id. FerretDB filters a collection by scanning it, and the
        log's entries are large; ids are the one lookup it answers from an index."""
        async with _writes():
            generation = await self._generation()
            state = self.state
            if generation != state.generation:
                state.reset(generation)
            heads = {h["_id"]: h async for h in self.heads.find({})}
            whole = not state.loaded
            query = self._catch_up(heads) if state.loaded else {}
            if query is not None:
                await self._fold(self.log.find(query))
            if whole and len(state) > SETTLE_ABOVE:
                collector.settle()  # the facts just read stay: full collections skip them
            for writer, head in heads.items():
                if writer != state.writer:
                    state.seen[writer] = int(head["n"])
            await self._honour_erasures()
            state.loaded = True

    def _catch_up(self, heads: Mapping[str, Document]) -> dict[str, Any] | None:
        """The query for the entries other writers added since this process last looked:
        by id from their heads, or, for a writer further ahead than its head remembers, every
        entry past this process's positions; None when there is nothing new."""
        wanted: list[str] = []
        for writer, head in heads.items():
            new = int(head["n"]) - self.state.seen.get(writer, 0)
            if writer == self.state.writer or new <= 0:
                continue
            recent = list(head.get("recent", []))
            if new > len(recent):
                return self._past_positions()
            wanted += recent[-new:]
        return {"_id": {"$in": wanted}} if wanted else None

    def _past_positions(self) -> dict[str, Any]:
        known = dict(self.state.positions)
        if not known:
            return {}
        return {
            "$or": [
                *({"stream": s, "next": {"$gt": n}} for s, n in known.items()),
                {"stream": {"$nin": list(known)}},
            ]
        }

    async def _fold(self, cursor: Any) -> None:
        entries = [e async for e in cursor]
        entries.sort(key=lambda e: (e["stream"], e["first"], e["next"]))
        for e in entries:
            self.state.apply(self.updates_of(e))
            self.state.advance(e["stream"], e["next"])

    async def _honour_erasures(self) -> None:
        async for d in self.db[ERASURES].find({}):
            self.state.forbid(d["partnership"], CONTACT_KINDS, [d["contact_id"]])

    def position(self, stream: str) -> int | None:
        return self.state.position(stream)

    async def apply(self, batches: Sequence[Batch]) -> set[tuple[str, str]]:
        """Write each batch as one log entry (its updates and its next offset together),
        then fold it in; returns the (partnership, financial year) pairs whose figures may
        have changed, marked pending before returning."""
        if not self.state.loaded:
            await self.refresh()
        years: set[tuple[str, str]] = set()
        entries = [self._entry(b) for b in batches if b.updates]
        async with _writes():
            if entries:
                # Duplicates (the same records written before) are skipped: same facts.
                await insert_new(self.log, entries)
                await self._advance_head([e["_id"] for e in entries])
            today = datetime.now(LONDON).date()
            for entry in entries:
                years |= self.state.apply(self.updates_of(entry), today)
            for b in batches:
                self.state.advance(b.stream, b.next)
            await self._mark_pending(years)
        return years

    async def _advance_head(self, ids: list[str]) -> None:
        """This process wrote these entries: its head says so (after the entries are in, so a
        reader that sees the count finds them). Only this process writes its head."""
        state = self.state
        state.written += len(ids)
        state.recent = (state.recent + ids)[-HEAD_RECENT:]
        await self.heads.update_one(
            {"_id": state.writer},
            {"$set": {"n": state.written, "recent": state.recent}},
            upsert=True,
        )

    def _entry(self, b: Batch, part: int = 0) -> Document:
        """The log entry of a batch; nothing queries inside its updates (`opaque`)."""
        return {
            "_id": entry_id(b.stream, b.first, b.next, part),
            "stream": b.stream,
            "first": b.first,
            "next": b.next,
            "u": opaque(b.updates),
        }

    def updates_of(self, entry: Document) -> list[Stored]:
        """An entry's updates as every process folds them (dates to the millisecond,
        tz-aware, as they read back from the log)."""
        if "u" not in entry:
            return list(entry["updates"])  # written before updates were one value
        return from_opaque(entry["u"])

    async def adopt(self, state: FactState, positions: Mapping[str, int]) -> None:
        """Take over facts folded elsewhere (a rebuild's, from exactly what it wrote to the
        log) as this store's state at the log's current generation."""
        state.generation = await self._generation()
        for stream, next_offset in positions.items():
            state.advance(stream, next_offset)
        state.advance("rebuild", 0)
        state.loaded = True
        self.state = state

    async def write_log(self, batches: Sequence[Batch]) -> None:
        """A rebuild's entries, large batches split into parts (no fold: the rebuild holds
        its own state)."""
        for b in batches:
            parts = [
                b.updates[i : i + MAX_ENTRY_UPDATES]
                for i in range(0, len(b.updates), MAX_ENTRY_UPDATES)
            ] or [[]]
            docs = [
                self._entry(Batch(b.stream, b.first, b.next, part), k)
                for k, part in enumerate(parts)
            ]
            await insert_new(self.log, docs, size=1)

    async def load_year(self, partnership: str, fy: str) -> dict[str, list[Document]]:
        """The year's facts (versions resolved), by kind, as of the log now."""
        await self.refresh()
        return self.state.year(partnership, fy)

    async def current_figures(self, partnership: str, fy: str) -> dict[str, Figures]:
        """The year's figures from its facts as of the log now (see `FactState.figures`)."""
        await self.refresh()
        return self.state.figures(partnership, fy)

    async def facts_removed(self, partnership: str, years: Iterable[tuple[str, str]]) -> None:
        """Facts of `partnership` were erased: the years are owed a recomputation (every
        process honours the tombstones at its next refresh)."""
        async with _writes():
            await self._mark_pending(years)

    async def scrub_log(self, partnership: str, kinds: Sequence[str], keys: Sequence[str]) -> int:
        """Remove these facts from every log entry that holds them (an erasure: the log
        must not keep what was erased). Returns the entries rewritten. A scan of the log:
        erasures are rare, and the log's entries are few and large."""
        wanted = {(kind, key) for kind in kinds for key in keys}
        rewritten = 0
        async for entry in self.log.find({}):
            updates = self.updates_of(entry)
            kept = [
                u for u in updates if not (u["p"] == partnership and (u["k"], u["i"]) in wanted)
            ]
            if len(kept) != len(updates):
                await self.log.update_one(
                    {"_id": entry["_id"]},
                    {"$set": {"u": opaque(kept)}, "$unset": {"updates": ""}},
                )
                rewritten += 1
        return rewritten

    async def drop_read_models(self) -> None:
        for name in READ_MODELS:
            await self.db.drop_collection(name)
        # A new generation: every process's folded facts are void now.
        await self.meta.insert_one({"_id": _GENERATION, "g": uuid.uuid4().hex})
        self.state.reset(None)

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
        """Store the periods' figures that differ from those stored: under steady load a
        year's month, quarter and year, not all seventeen. One read by id is far cheaper on
        FerretDB than an update, and comparing with what is stored (not with what this
        process last wrote) holds with any number of writers."""
        ids = {period: doc_id(partnership, period) for period in figures}
        stored = {d["_id"]: d for d in await find_by_ids(self.figures, list(ids.values()))}
        ops = [
            UpdateOne(
                {"_id": ids[period]},
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
            if not _holds(stored.get(ids[period]), fig)
        ]
        async with _writes():
            for chunk in chunks(ops):
                await self.figures.bulk_write(list(chunk), ordered=False)

    async def year(self, partnership: str, fy: str) -> dict[str, Figures]:
        """The year's stored figures by period, read by id (a filter on other fields makes
        FerretDB read every figures document, and they are large)."""
        ids = [doc_id(partnership, period) for period in periods_in_year(fy)]
        return {d["period"]: _figures(d) for d in await find_by_ids(self.figures, ids)}

    async def period(self, partnership: str, period: str) -> Figures | None:
        """One period's stored figures, or None (one document by id: dashboards poll this)."""
        doc = await self.figures.find_one({"_id": doc_id(partnership, period)})
        return _figures(doc) if doc is not None else None

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
