"""This process's copy of the fact documents of the years it recomputes, so a recomputation
does not read a whole year back from the database each time (about 270 us per document on
FerretDB: seconds per recomputation at tens of thousands of facts).

The copy is kept current by this process's own writes (the store hands over each document
as written). Writes by any other process (a second reporting instance, a rebuild) are
noticed through the `writers` collection: every process counts the batches it has written
per partnership in a document of its own, which only it updates (so FerretDB's non-atomic
updates cannot lose a count). A cached year is used only while the other writers' counts are
what they were when it was loaded; otherwise it is read again. Pure bookkeeping, no I/O.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from shared.mongo import Document

FactKey = tuple[str, str]  # (kind, _id)
YearKey = tuple[str, str]  # (partnership, financial year)
Counts = dict[str, int]  # writer id -> batches written, for one partnership

DEFAULT_YEARS = 8


@dataclass
class CachedYear:
    docs: dict[FactKey, Document]
    others: Counts  # the other writers' counts when loaded


@dataclass
class FactCache:
    max_years: int = DEFAULT_YEARS
    writer: str = field(default_factory=lambda: uuid.uuid4().hex)
    _years: OrderedDict[YearKey, CachedYear] = field(default_factory=OrderedDict)

    def get(self, year: YearKey, others_now: Counts) -> CachedYear | None:
        """The cached year, if nobody else wrote the partnership's facts since it was read."""
        cached = self._years.get(year)
        if cached is None:
            return None
        if cached.others != others_now:
            del self._years[year]
            return None
        self._years.move_to_end(year)
        return cached

    def put(self, year: YearKey, docs: Iterable[tuple[FactKey, Document]], others: Counts) -> None:
        self._years[year] = CachedYear(dict(docs), dict(others))
        self._years.move_to_end(year)
        while len(self._years) > self.max_years:
            self._years.popitem(last=False)

    def written(self, partnership: str, docs: Mapping[FactKey, Document]) -> None:
        """This process wrote these documents (whole, as stored) for `partnership`: each
        goes into the cached year it now belongs to and out of any other."""
        for (p, fy), cached in self._years.items():
            if p != partnership:
                continue
            for key, doc in docs.items():
                if doc.get("fy") == fy:
                    cached.docs[key] = doc
                else:
                    cached.docs.pop(key, None)

    def forget(self, partnership: str | None = None) -> None:
        """Drop cached years (of one partnership, or all): their documents are unknown now."""
        for year in [y for y in self._years if partnership is None or y[0] == partnership]:
            del self._years[year]

    def __len__(self) -> int:
        return len(self._years)
