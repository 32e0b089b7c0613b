"""Reporting's facts in memory: every entity's fact document, grouped by (partnership,
financial year), and how far each input stream has been applied. Pure bookkeeping, no I/O.

The facts are a fold of changelog entries (see `store`): each entry lists the fact updates
of one batch of one topic partition and the partition's next offset after it. Applying an
update sets fields (and records a version of a versioned group), so applying an entry twice,
or an older entry after a newer one of another writer, leaves the same facts: the state is
a function of the set of events, whatever the order or the number of deliveries.

A *stream* is where entries come from: a canonical topic partition (`<topic>|<partition>`)
whose offsets order the records, or a source with no offsets (an erasure).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from services.reporting.facts import ACTIONS, KINDS, VERSIONS, FactUpdate, action_years, resolve
from services.reporting.metrics import ADDITIVE_KINDS, Figures, RunningYear, finish_year
from shared.mongo import Document

FactKey = tuple[str, str]  # (kind, natural id), within one partnership
YearKey = tuple[str, str]  # (partnership, financial year)
# One stored fact update: {"k": kind, "p": partnership, "i": key, "f": {fields}} and, for a
# versioned group, "g": group, "o": order, "x": {its fields}. Documents, not arrays:
# FerretDB 1.x refuses arrays nested in arrays.
Stored = dict[str, Any]
_BOOKKEEPING = frozenset({"_id", "partnership", VERSIONS})


def stream_of(topic: str, partition: int) -> str:
    return f"{topic}|{partition}"


def stored(partnership: str, u: FactUpdate) -> Stored:
    out: Stored = {"k": u.kind, "p": partnership, "i": u.key, "f": dict(u.fields)}
    if u.versioned is not None:
        out["g"] = u.versioned.group
        out["o"] = u.versioned.order.replace(".", "_").replace("$", "_")
        out["x"] = dict(u.versioned.fields)
    return out


@dataclass
class FactState:
    """All facts this process knows, and the next offset applied per stream."""

    _docs: dict[str, dict[FactKey, Document]] = field(default_factory=lambda: defaultdict(dict))
    # Each year's facts by kind (kind -> keys): a year's figures read only the kinds that are
    # not running sums, so the contacts that make most of a year are never walked again.
    _years: dict[YearKey, dict[str, set[str]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(set))
    )
    positions: dict[str, int] = field(default_factory=dict)
    _forbidden: set[tuple[str, str, str]] = field(default_factory=set)
    generation: str | None = None
    loaded: bool = False
    # This process as a writer of the log, and what it knows of the others (see `store`).
    writer: str = field(default_factory=lambda: uuid.uuid4().hex)
    written: int = 0
    recent: list[str] = field(default_factory=list)
    seen: dict[str, int] = field(default_factory=dict)
    # The running sums of the years whose figures were asked for, kept from then on.
    _running: dict[YearKey, RunningYear] = field(default_factory=dict)

    def reset(self, generation: str | None) -> None:
        """Forget everything (the stored facts were dropped, or not read yet)."""
        self._docs.clear()
        self._years.clear()
        self.positions.clear()
        self._forbidden.clear()
        self._running.clear()
        self.written, self.recent = 0, []
        self.seen.clear()
        self.generation = generation
        self.loaded = False

    def apply(self, updates: Iterable[Stored], today: date | None = None) -> set[YearKey]:
        """Fold stored updates in; returns the (partnership, year) pairs whose figures the
        change may move: both years when a fact moves from one to another, and for an action
        every year from its own to `today`'s (it counts as overdue as at each later period's
        end, see `facts.action_years`)."""
        touched: set[YearKey] = set()
        for u in updates:
            kind, partnership, key = u["k"], u["p"], u["i"]
            if self._forbidden and (partnership, kind, key) in self._forbidden:
                continue
            docs = self._docs[partnership]
            fact = (kind, key)
            doc = docs.get(fact)
            before = doc.get("fy") if doc is not None else None
            if doc is None:
                doc = docs[fact] = {"_id": f"{partnership}|{key}", "partnership": partnership}
            else:
                self._count(partnership, kind, doc, -1)
            doc.update(u["f"])
            if "g" in u:
                doc.setdefault(VERSIONS, {}).setdefault(u["g"], {})[u["o"]] = u["x"]
            self._count(partnership, kind, doc, 1)
            after = doc.get("fy")
            if before != after and before is not None:
                self._years[(partnership, str(before))][kind].discard(key)
            if after is not None:
                self._years[(partnership, str(after))][kind].add(key)
            for fy in {before, after} - {None}:
                touched.add((partnership, str(fy)))
                if kind == ACTIONS and today is not None:
                    touched.update((partnership, y) for y in action_years(str(fy), today))
        return touched

    def remove(self, partnership: str, facts: Iterable[FactKey]) -> set[YearKey]:
        """Forget these facts (an erasure); returns the years they were in."""
        touched: set[YearKey] = set()
        docs = self._docs.get(partnership, {})
        for fact in facts:
            doc = docs.pop(fact, None)
            if doc is not None:
                self._count(partnership, fact[0], doc, -1)
            if doc is not None and doc.get("fy") is not None:
                year = (partnership, str(doc["fy"]))
                self._years[year][fact[0]].discard(fact[1])
                touched.add(year)
        return touched

    def _count(self, partnership: str, kind: str, doc: Document, sign: int) -> None:
        """Add a fact document to (or take it out of) its year's running sums, if kept."""
        if kind in ADDITIVE_KINDS and (fy := doc.get("fy")) is not None:
            running = self._running.get((partnership, str(fy)))
            if running is not None:
                running.add(kind, resolve(doc), sign)

    def figures(
        self, partnership: str, fy: str, *, as_at: datetime | None = None
    ) -> dict[str, Figures]:
        """The year's figures as `metrics.compute_year` gives them from `year()`, from the
        year's running sums (made from its facts the first time, kept after that) and its
        facts of the kinds that are not sums."""
        running = self.running(partnership, fy)
        others = self.year(partnership, fy, skip=ADDITIVE_KINDS)
        return finish_year(running, others, as_at=as_at)

    def running(self, partnership: str, fy: str) -> RunningYear:
        """The year's running sums, made from its facts the first time they are asked for."""
        running = self._running.get((partnership, fy))
        if running is None:
            running = RunningYear(fy)
            docs = self._docs.get(partnership, {})
            for kind, keys in self._years.get((partnership, fy), {}).items():
                if kind in ADDITIVE_KINDS:
                    for key in keys:
                        running.add(kind, resolve(docs[(kind, key)]))
            self._running[(partnership, fy)] = running
        return running

    def advance(self, stream: str, next_offset: int) -> None:
        if next_offset > self.positions.get(stream, -1):
            self.positions[stream] = next_offset

    def position(self, stream: str) -> int | None:
        """The next offset of `stream` not yet applied (None: nothing of it applied)."""
        return self.positions.get(stream)

    def year(
        self, partnership: str, fy: str, *, skip: frozenset[str] = frozenset()
    ) -> dict[str, list[Document]]:
        """The year's facts by kind (less the kinds in `skip`), each with its versioned
        groups resolved, with the actions planned in earlier years too: an action counts as
        overdue as at the end of every period until it is complete (`metrics`)."""
        out: dict[str, list[Document]] = {kind: [] for kind in KINDS if kind not in skip}
        docs = self._docs.get(partnership, {})
        for kind, keys in self._years.get((partnership, fy), {}).items():
            if kind not in skip:
                out[kind].extend(resolve(docs[(kind, key)]) for key in keys)
        earlier = (
            key
            for (p, year), kinds in self._years.items()
            if p == partnership and year < fy
            for key in kinds.get(ACTIONS, ())
        )
        out[ACTIONS].extend(resolve(docs[(ACTIONS, key)]) for key in earlier)
        return out

    def forbid(self, partnership: str, kinds: Sequence[str], keys: Iterable[str]) -> set[YearKey]:
        """Remove the facts of these kinds and keys, and refuse any later update of them (an
        erasure: a batch written before it may still arrive); returns the years they were in."""
        facts = [(kind, key) for key in keys for kind in kinds]
        self._forbidden.update((partnership, kind, key) for kind, key in facts)
        return self.remove(partnership, facts)

    def compacted(self) -> Iterator[Stored]:
        """The facts as the fewest stored updates that fold back into them: one per fact
        document, and one per version of each versioned group."""
        for partnership, docs in self._docs.items():
            for (kind, key), doc in docs.items():
                fields = {k: v for k, v in doc.items() if k not in _BOOKKEEPING}
                yield {"k": kind, "p": partnership, "i": key, "f": fields}
                for group, versions in (doc.get(VERSIONS) or {}).items():
                    for order, values in versions.items():
                        yield {
                            "k": kind,
                            "p": partnership,
                            "i": key,
                            "f": {},
                            "g": group,
                            "o": order,
                            "x": values,
                        }

    def __len__(self) -> int:
        return sum(len(d) for d in self._docs.values())
