"""An attack on the published views of a year, as a reader outside could mount it: every sum
the reader can write over the published tables, scorecards and periods, and for each `c` the
range of values a linear-programming solver (HiGHS) still allows it. Written from the
published documents' shape only, not from the publication's own list of lines."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import linprog

from services.reporting.metrics import COUNTS, Figures
from services.reporting.periods import periods_in_year
from services.reporting.publication import BUILDERS, Publication, Raw

Cell = tuple[str, ...]  # (period, view, *path in the published document)
Sum = tuple[Cell, tuple[Cell, ...]]  # total, parts
SUPPRESSED = "c"


@dataclass(frozen=True)
class Range:
    cell: Cell
    true: int
    low: int
    high: float  # inf when nothing bounds it from above

    @property
    def values(self) -> float:
        """How many whole values the reader is left with."""
        return self.high - self.low + 1


def _one_way(at: Cell, doc: Mapping[str, Any]) -> Iterator[Sum]:
    yield (*at, "total"), tuple((*at, "rows", k) for k in doc["rows"])


def _two_way(at: Cell, doc: Mapping[str, Any]) -> Iterator[Sum]:
    rows, cols = list(doc["rows"]), list(doc["column_totals"])
    for r in rows:
        yield (*at, "row_totals", r), tuple((*at, "rows", r, c) for c in cols)
    for c in cols:
        yield (*at, "column_totals", c), tuple((*at, "rows", r, c) for r in rows)
    yield (*at, "total"), tuple((*at, "column_totals", c) for c in cols)
    yield (*at, "total"), tuple((*at, "row_totals", r) for r in rows)


def _sc(period: str, metric: str) -> Cell:
    return (period, "scorecard", metric)


def _same(a: Cell, b: Cell) -> Sum:
    return a, (b,)


def _contacts_by_source(p: str, t: Mapping[str, Any]) -> Iterator[Sum]:
    v = (p, "contacts-by-source")
    for col in ("contacts", "decided", "referrals"):
        yield (*v, "total", col), tuple((*v, "rows", k, col) for k in t["rows"])
    yield _same(_sc(p, "contacts_received"), (*v, "total", "contacts"))
    yield _same(_sc(p, "contacts_decided"), (*v, "total", "decided"))
    yield _same(_sc(p, "referrals"), (*v, "total", "referrals"))


def _contacts_by_sector(p: str, t: Mapping[str, Any]) -> Iterator[Sum]:
    v = (p, "contacts-by-sector")
    yield from _one_way((*v, "contacts"), t["contacts"])
    yield from _one_way((*v, "referrals"), t["referrals"])
    yield _same(_sc(p, "contacts_received"), (*v, "contacts", "total"))
    yield _same(_sc(p, "referrals"), (*v, "referrals", "total"))


def _themes(p: str, t: Mapping[str, Any]) -> Iterator[Sum]:
    yield from _one_way((p, "rapid-reviews-by-theme"), t)


def _age_bands(p: str, t: Mapping[str, Any]) -> Iterator[Sum]:
    yield from _one_way((p, "rapid-reviews-by-age-band"), t)
    yield _same(_sc(p, "rapid_reviews"), (p, "rapid-reviews-by-age-band", "total"))


def _training(p: str, t: Mapping[str, Any]) -> Iterator[Sum]:
    v = (p, "training-by-organisation-and-format")
    yield from _two_way((*v, "enrolments"), t["enrolments"])
    yield from _two_way((*v, "completions"), t["completions"])
    yield _same(_sc(p, "enrolments"), (*v, "enrolments", "total"))
    yield _same(_sc(p, "completions"), (*v, "completions", "total"))


def _courses(p: str, t: Mapping[str, Any]) -> Iterator[Sum]:
    v = (p, "training-by-course")
    by_format = (p, "training-by-organisation-and-format", "enrolments")
    orgs: set[str] = set()
    for course, doc in t.items():
        yield from _one_way((*v, course), doc)
        orgs |= set(doc["rows"])
    for org in sorted(orgs):
        parts = tuple((*v, c, "rows", org) for c, doc in t.items() if org in doc["rows"])
        yield (*by_format, "row_totals", org), parts
    yield (*by_format, "total"), tuple((*v, c, "total") for c in t)


def _representation(p: str, t: Mapping[str, Any]) -> Iterator[Sum]:
    v = (p, "training-representation")
    yield (
        (*v, "total", "learners_reached"),
        tuple((*v, "rows", k, "learners_reached") for k in t["rows"]),
    )
    yield _same(_sc(p, "workforce_reached"), (*v, "total", "learners_reached"))


def _actions(p: str, t: Mapping[str, Any]) -> Iterator[Sum]:
    v = (p, "action-tracker")
    yield from _two_way((*v, "by_review"), t["by_review"])
    yield from _two_way((*v, "by_owner"), t["by_owner"])
    yield from _one_way((*v, "overdue_by_owner"), t["overdue_by_owner"])
    for status in t["by_review"]["column_totals"]:
        yield _same(
            (*v, "by_review", "column_totals", status), (*v, "by_owner", "column_totals", status)
        )
    yield _same(_sc(p, "actions"), (*v, "by_review", "total"))
    yield _same(_sc(p, "actions"), (*v, "by_owner", "total"))
    yield _same(_sc(p, "actions_complete"), (*v, "by_review", "column_totals", "complete"))
    yield _same(_sc(p, "actions_overdue"), (*v, "overdue_by_owner", "total"))


SUMS: dict[str, Callable[[str, Mapping[str, Any]], Iterator[Sum]]] = {
    "contacts-by-source": _contacts_by_source,
    "contacts-by-sector": _contacts_by_sector,
    "rapid-reviews-by-theme": _themes,
    "rapid-reviews-by-age-band": _age_bands,
    "training-by-organisation-and-format": _training,
    "training-by-course": _courses,
    "training-representation": _representation,
    "action-tracker": _actions,
}
RATE_FIELDS = ("rate", "workforce", "columns", "completion_by")


def _leaves(at: Cell, doc: Any) -> Iterator[tuple[Cell, Any]]:
    if isinstance(doc, Mapping):
        for k, v in doc.items():
            if not any(word in k for word in RATE_FIELDS):
                yield from _leaves((*at, k), v)
    elif isinstance(doc, int | str) and not isinstance(doc, bool):
        yield at, doc


@dataclass
class Views:
    """Every count of a year as published (an int or `c`) and as it really is."""

    shown: dict[Cell, int | str]
    true: dict[Cell, int]
    sums: list[Sum]


def views(fy: str, figures: Mapping[str, Figures], publication: Publication) -> Views:
    shown: dict[Cell, int | str] = {}
    true: dict[Cell, int] = {}
    sums: list[Sum] = []
    periods = [p for p in periods_in_year(fy) if p in figures]
    for p in periods:
        published = publication.values(p)
        for metric in COUNTS:
            value = figures[p].values.get(metric)
            if isinstance(value, int):
                shown[_sc(p, metric)] = published[metric]  # type: ignore[assignment]
                true[_sc(p, metric)] = value
        sums.append(
            (
                _sc(p, "reviews_opened"),
                tuple(_sc(p, m) for m in ("sins", "rapid_reviews", "lcsprs")),
            )
        )
        for name, build in BUILDERS.items():
            raw = build(figures[p], Raw())
            pub = publication.table(name, p)
            true.update(_leaves((p, name), raw))  # type: ignore[arg-type]
            shown.update(_leaves((p, name), pub))
            sums.extend(SUMS[name](p, raw))
    # months to quarters to the year, for every cell (a cell a period does not list is 0)
    rests = {cell[1:] for cell in true}
    quarters = [p for p in periods if p.startswith(fy + "-Q")]
    months = [p for p in periods if p not in quarters and p != fy]
    for rest in rests:
        for i, q in enumerate(quarters):
            sums.append(((q, *rest), tuple((m, *rest) for m in months[3 * i : 3 * i + 3])))
        sums.append(((fy, *rest), tuple((q, *rest) for q in quarters)))
    return Views(shown, true, sums)


def attack(v: Views) -> list[Range]:
    """The feasible range of every suppressed count, given every sum that holds."""
    hidden = sorted(c for c, s in v.shown.items() if s == SUPPRESSED)
    index = {c: i for i, c in enumerate(hidden)}
    rows: list[tuple[dict[int, float], float]] = []
    for total, parts in v.sums:
        cells = [c for c in (total, *parts) if c in v.true]
        if total not in v.true or v.true[total] != sum(v.true.get(p, 0) for p in parts):
            continue  # not a sum that holds here: a reader assuming it would be misled
        coef: dict[int, float] = defaultdict(float)
        known = 0.0
        for c in cells:
            sign = 1.0 if c == total else -1.0
            if c in index:
                coef[index[c]] += sign
            else:
                known -= sign * int(v.shown[c])
        coef = {i: a for i, a in coef.items() if a}
        if coef:
            rows.append((coef, known))
    # connected groups of hidden cells: each is solved on its own
    parent = list(range(len(hidden)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for coef, _ in rows:
        first, *rest = coef
        for j in rest:
            parent[find(j)] = find(first)
    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(len(hidden)):
        groups[find(i)].append(i)
    rows_of: dict[int, list[tuple[dict[int, float], float]]] = defaultdict(list)
    for row in rows:
        rows_of[find(next(iter(row[0])))].append(row)
    ranges = []
    for root, members in groups.items():
        local = {g: k for k, g in enumerate(members)}
        a = np.zeros((len(rows_of[root]), len(members)))
        b = np.zeros(len(rows_of[root]))
        for r, (coef, known) in enumerate(rows_of[root]):
            for i, x in coef.items():
                a[r, local[i]] = x
            b[r] = known
        true = np.array([v.true[hidden[g]] for g in members], dtype=float)
        ranges += [
            Range(hidden[g], int(true[k]), low, high)
            for k, (g, (low, high)) in enumerate(zip(members, _ranges(a, b, true), strict=True))
        ]
    return ranges


def _ranges(a: Any, b: Any, true: Any) -> list[tuple[int, float]]:
    """Each cell's range, or (for speed) a range of three values already reached when the
    feasible points found so far span it: the LP's feasible set is convex, so every value
    between two feasible points is feasible too. A few LPs pushing many cells at once away
    from their true value settle most cells; the rest get their exact minimum and maximum."""
    n = len(true)
    if not len(b):
        return [(0, math.inf)] * n
    cap = float(true.max()) * 10 + 100  # bounds a push upwards; any point found stays feasible
    lo, hi = true.copy(), true.copy()
    rng = np.random.default_rng(0)
    for round_ in range(6):
        signs = rng.choice([-1.0, 1.0], n) if round_ else np.ones(n)
        signs[true < 2] = -1.0  # too small to go down by two: push up
        if round_ == 1:
            signs = -np.ones(n)
        point = _solve(a, b, signs, cap)
        lo, hi = np.minimum(lo, point), np.maximum(hi, point)
    out: list[tuple[int, float]] = []
    for i in range(n):
        low, high = math.ceil(lo[i] - 1e-6), math.floor(hi[i] + 1e-6)
        if high - low >= 2:
            out.append((low, high))
            continue
        low = _bound(a, b, i, n, 1.0)
        high = -_bound(a, b, i, n, -1.0)
        out.append(
            (math.ceil(low - 1e-6), math.floor(high + 1e-6) if math.isfinite(high) else math.inf)
        )
    return out


def _solve(a: Any, b: Any, c: Any, cap: float) -> Any:
    res = linprog(c, A_eq=a, b_eq=b, bounds=(0, cap), method="highs")
    assert res.status == 0, res.message
    return res.x


def _bound(a: Any, b: Any, i: int, n: int, sign: float) -> float:
    c = np.zeros(n)
    c[i] = sign
    res = linprog(c, A_eq=a, b_eq=b, bounds=(0, None), method="highs")
    if res.status == 3:  # unbounded
        return -math.inf
    assert res.status == 0, res.message
    return float(res.fun)
