"""An attack on the published views of a year, as a reader outside could mount it: every sum
the reader can write over the published tables, scorecards and periods, and for each `c` the
range of values a linear-programming solver (HiGHS) still allows it. Written from the
published documents' shape only, not from the publication's own list of lines."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from services.reporting.metrics import COUNTS, Figures
from services.reporting.periods import periods_in_year
from services.reporting.publication import BUILDERS, Publication, Raw, tables_published
from shared.protection_ranges import feasible_ranges

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
    v = (p, "rapid-reviews-by-theme")
    yield (*v, "theme_mentions"), tuple((*v, "rows", k) for k in t["rows"])
    yield _same(_sc(p, "rapid_reviews"), (*v, "total"))
    yield _same((*v, "total"), (*v, "theme_mentions"))  # when each review has one theme


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
    yield from _one_way((*v, "by_rag"), t["by_rag"])
    yield from _two_way((*v, "by_review_rag"), t["by_review_rag"])
    yield _same(_sc(p, "actions_on_tracker"), (*v, "by_rag", "total"))
    yield _same(_sc(p, "actions_overdue"), (*v, "by_rag", "rows", "red"))
    for rag in t["by_review_rag"]["column_totals"]:
        yield _same((*v, "by_rag", "rows", rag), (*v, "by_review_rag", "column_totals", rag))


def _wishes(p: str, t: Mapping[str, Any]) -> Iterator[Sum]:
    v = (p, "wishes-and-feelings-by-agency")
    yield from _two_way(v, t)
    yield _same(_sc(p, "contacts_with_wishes_known"), (*v, "total"))
    yield _same(_sc(p, "contacts_with_wishes_recorded"), (*v, "column_totals", "recorded"))


def _section_11(p: str, t: Mapping[str, Any]) -> Iterator[Sum]:
    v = (p, "section-11-returns", "by_standard")
    yield from _two_way(v, t["by_standard"])
    yield _same(_sc(p, "section_11_standards_rated"), (*v, "total"))
    yield _same(_sc(p, "section_11_standards_met"), (*v, "column_totals", "met"))


def _child_deaths(p: str, t: Mapping[str, Any]) -> Iterator[Sum]:
    yield from _one_way((p, "child-deaths-by-category"), t)
    yield _same(_sc(p, "child_deaths"), (p, "child-deaths-by-category", "total"))


SUMS: dict[str, Callable[[str, Mapping[str, Any]], Iterator[Sum]]] = {
    "wishes-and-feelings-by-agency": _wishes,
    "section-11-returns": _section_11,
    "child-deaths-by-category": _child_deaths,
    "contacts-by-source": _contacts_by_source,
    "contacts-by-sector": _contacts_by_sector,
    "rapid-reviews-by-theme": _themes,
    "rapid-reviews-by-age-band": _age_bands,
    "training-by-organisation-and-format": _training,
    "training-by-course": _courses,
    "training-representation": _representation,
    "action-tracker": _actions,
}
RATE_FIELDS = ("rate", "workforce", "columns", "completion_by", "agency_ratings")


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
            if not tables_published(p):
                continue
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
            if rest[0] != "scorecard" and not tables_published(months[3 * i]):
                continue  # months without tables: their cells are unknown, not zero
            sums.append(((q, *rest), tuple((m, *rest) for m in months[3 * i : 3 * i + 3])))
        sums.append(((fy, *rest), tuple((q, *rest) for q in quarters)))
        if _as_at(rest):  # taken as at the period's end: the year's is its last quarter's
            ends = [(fy, quarters[-1])] if quarters else []
            ends += [
                (q, months[3 * i + 2]) for i, q in enumerate(quarters) if 3 * i + 2 < len(months)
            ]
            sums.extend(((whole, *rest), ((end, *rest),)) for whole, end in ends)
    return Views(shown, true, sums)


def _as_at(rest: tuple[str, ...]) -> bool:
    words = ("actions_overdue", "actions_on_tracker", "overdue_by_owner", "_rag")
    return any(w in part for part in rest for w in words)


def attack(v: Views) -> list[Range]:
    """The feasible range of every suppressed count, given every sum that holds."""
    hidden = [c for c, s in v.shown.items() if s == SUPPRESSED]
    ranges = feasible_ranges(v.true, v.sums, hidden)
    return [Range(c, v.true[c], low, high) for c, (low, high) in sorted(ranges.items())]
