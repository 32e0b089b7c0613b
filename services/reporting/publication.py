"""Figures as published: scorecard values and the annual report's tables, with disclosure
control (`shared.disclosure`) over the whole linked set of a partnership's year. Pure.

Every count published for a year (the scorecard's counts and every table's cells and totals,
for the year, its quarters and its months) is one cell of a linked set; every sum a reader
can write over them (a table's rows and columns, months to quarters to the year, a table's
total to the scorecard's count) is a line. Suppression is chosen over that set at once
(docs/disclosure.md#linked-set); a rate or average is published only where every count it is
taken over is.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from services.reporting import assurance, casework
from services.reporting.metrics import AVERAGES, COUNTS, RATES, Figures, Value
from services.reporting.periods import kind_of
from shared import disclosure
from shared.action_tracker import ActionRag
from shared.codes import ActionStatus, AgeBand, ContactSource, Organisation, Theme, TrainingFormat
from shared.contracts.assurance import ChildDeathCategory, Section11Rating, Section11Standard
from shared.disclosure import Key, Line
from shared.rejections import Rejected

TOTAL = "*total*"
SCORECARD = "values"

# What each derived figure is taken over: a rate's numerator and denominator, or the count
# of cases an average is taken over.
BASES: dict[str, tuple[str, ...]] = {
    **RATES,
    **{name: (cases,) for name, (_, _, cases) in AVERAGES.items()},
}

# A table's total that is, by definition, one of the scorecard's counts.
SAME_AS_SCORECARD: dict[Key, str] = {
    ("contacts_by_source", TOTAL): "contacts_received",
    ("decisions_by_source", TOTAL): "contacts_decided",
    ("referrals_by_source", TOTAL): "referrals",
    ("contacts_by_sector", TOTAL): "contacts_received",
    ("referrals_by_sector", TOTAL): "referrals",
    ("rapid_reviews_by_age_band", TOTAL): "rapid_reviews",
    ("enrolments_by_organisation_format", TOTAL, TOTAL): "enrolments",
    ("completions_by_organisation_format", TOTAL, TOTAL): "completions",
    ("learners_reached_by_organisation", TOTAL): "workforce_reached",
    ("actions_by_review_status", TOTAL, TOTAL): "actions",
    ("actions_by_owner_status", TOTAL, TOTAL): "actions",
    ("actions_by_review_status", TOTAL, "complete"): "actions_complete",
    ("overdue_actions_by_owner", TOTAL): "actions_overdue",
    ("actions_by_rag", TOTAL): "actions_on_tracker",
    ("actions_by_rag", "red"): "actions_overdue",  # red is overdue (shared.action_tracker)
    ("actions_by_review_rag", TOTAL, TOTAL): "actions_on_tracker",
    ("rapid_reviews_by_theme", "reviews"): "rapid_reviews",
}
# Sums among the scorecard's own counts.
SCORECARD_SUMS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("reviews_opened", ("sins", "rapid_reviews", "lcsprs")),
    ("workforce_reached", ("learners_reached",)),
)


class Cells(Protocol):
    """Where a table's cells come from: the raw counts, a recorder of the linked set, or the
    counts as published."""

    def cell(self, key: Key, value: int) -> disclosure.Cell: ...

    def line(self, total: Key, parts: Sequence[Key]) -> None: ...


class Raw:
    def cell(self, key: Key, value: int) -> disclosure.Cell:
        return value

    def line(self, total: Key, parts: Sequence[Key]) -> None:
        return None


@dataclass
class Recorder:
    """Collects the cells and lines of a linked set (keys are prefixed by the period)."""

    period: str = ""
    values: dict[Key, int] = field(default_factory=dict)
    lines: list[Line] = field(default_factory=list)

    def cell(self, key: Key, value: int) -> disclosure.Cell:
        self.values[(self.period, *key)] = value
        return value

    def line(self, total: Key, parts: Sequence[Key]) -> None:
        self.lines.append(Line((self.period, *total), tuple((self.period, *p) for p in parts)))


@dataclass
class Shown:
    """The counts of one period as published, given the linked set's hidden cells."""

    period: str
    hidden: frozenset[Key]

    def cell(self, key: Key, value: int) -> disclosure.Cell:
        return disclosure.SUPPRESSED if (self.period, *key) in self.hidden else value

    def line(self, total: Key, parts: Sequence[Key]) -> None:
        return None


# ---------------------------------------------------------------------------------------------
# Tables


def _order(codes: Sequence[str], present: Mapping[str, Any]) -> list[str]:
    """The code list's order, then any other key present (a code added later)."""
    return [*codes, *sorted(k for k in present if k not in codes)]


def one_way(
    cells: Cells, name: Key, counts: Mapping[str, int], keys: Sequence[str]
) -> dict[str, Any]:
    ordered = _order(keys, counts)
    raw = {k: int(counts.get(k, 0)) for k in ordered}
    cells.line((*name, TOTAL), [(*name, k) for k in ordered])
    return {
        "rows": {k: cells.cell((*name, k), v) for k, v in raw.items()},
        "total": cells.cell((*name, TOTAL), sum(raw.values())),
    }


def two_way(
    cells: Cells,
    name: str,
    counts: Mapping[str, Mapping[str, int]],
    rows: Sequence[str],
    columns: Sequence[str],
) -> dict[str, Any]:
    row_keys = _order(rows, counts)
    col_keys = _order(columns, {c: 1 for r in counts.values() for c in r})
    raw = {r: {c: int(counts.get(r, {}).get(c, 0)) for c in col_keys} for r in row_keys}
    for r in row_keys:
        cells.line((name, r, TOTAL), [(name, r, c) for c in col_keys])
    for c in [*col_keys, TOTAL]:
        cells.line((name, TOTAL, c), [(name, r, c) for r in row_keys])
    cells.line((name, TOTAL, TOTAL), [(name, TOTAL, c) for c in col_keys])
    return {
        "rows": {r: {c: cells.cell((name, r, c), v) for c, v in raw[r].items()} for r in raw},
        "row_totals": {r: cells.cell((name, r, TOTAL), sum(raw[r].values())) for r in raw},
        "column_totals": {
            c: cells.cell((name, TOTAL, c), sum(raw[r][c] for r in raw)) for c in col_keys
        },
        "total": cells.cell((name, TOTAL, TOTAL), sum(sum(line.values()) for line in raw.values())),
    }


def contacts_by_source(fig: Figures, cells: Cells) -> dict[str, Any]:
    """Contacts, decisions and referrals by source, with the conversion rate: referrals out
    of all contacts received (scrutineer and Ofsted: many contacts from health and police
    do not convert; the same definition as the scorecard's `conversion_rate`)."""
    codes = [s.value for s in ContactSource]
    b = fig.breakdowns
    contacts = one_way(cells, ("contacts_by_source",), b.get("contacts_by_source", {}), codes)
    decided = one_way(cells, ("decisions_by_source",), b.get("decisions_by_source", {}), codes)
    referrals = one_way(cells, ("referrals_by_source",), b.get("referrals_by_source", {}), codes)
    rows = {
        code: {
            "contacts": contacts["rows"][code],
            "decided": decided["rows"].get(code, 0),
            "referrals": referrals["rows"].get(code, 0),
            "conversion_rate": disclosure.rate(
                referrals["rows"].get(code, 0), contacts["rows"][code]
            ),
        }
        for code in contacts["rows"]
    }
    return {
        "columns": ["contacts", "decided", "referrals", "conversion_rate"],
        "rows": rows,
        "total": {
            "contacts": contacts["total"],
            "decided": decided["total"],
            "referrals": referrals["total"],
            "conversion_rate": disclosure.rate(referrals["total"], contacts["total"]),
        },
    }


def contacts_by_sector(fig: Figures, cells: Cells) -> dict[str, Any]:
    b = fig.breakdowns
    return {
        "contacts": one_way(cells, ("contacts_by_sector",), b.get("contacts_by_sector", {}), []),
        "referrals": one_way(cells, ("referrals_by_sector",), b.get("referrals_by_sector", {}), []),
    }


def rapid_reviews_by_theme(fig: Figures, cells: Cells) -> dict[str, Any]:
    """Rapid reviews with each theme. A review may have several themes, so the rows add up
    to theme mentions (`theme_mentions`); `total` counts the reviews (issue 15: the total
    counted mentions, 10, rather than the 6 reviews)."""
    name = "rapid_reviews_by_theme"
    mentions = one_way(cells, (name,), fig.breakdowns.get(name, {}), [t.value for t in Theme])
    reviews = fig.values.get("rapid_reviews")
    count = int(reviews) if isinstance(reviews, int) else 0
    # reviews = mentions when every review has exactly one theme (a line only then: `_holds`)
    cells.line((name, "reviews"), [(name, TOTAL)])
    return {
        "rows": mentions["rows"],
        "total": cells.cell((name, "reviews"), count),
        "theme_mentions": mentions["total"],
    }


def rapid_reviews_by_age_band(fig: Figures, cells: Cells) -> dict[str, Any]:
    return one_way(
        cells,
        ("rapid_reviews_by_age_band",),
        fig.breakdowns.get("rapid_reviews_by_age_band", {}),
        [a.value for a in AgeBand],
    )


def training_by_organisation_and_format(fig: Figures, cells: Cells) -> dict[str, Any]:
    """Enrolments and completions by organisation (rows) and format (columns), and the
    completion rate per organisation and overall."""
    orgs = [o.value for o in Organisation]
    formats = [f.value for f in TrainingFormat]
    b = fig.breakdowns
    enrolments = two_way(
        cells,
        "enrolments_by_organisation_format",
        b.get("enrolments_by_organisation_format", {}),
        orgs,
        formats,
    )
    completions = two_way(
        cells,
        "completions_by_organisation_format",
        b.get("completions_by_organisation_format", {}),
        orgs,
        formats,
    )
    rates = {
        org: disclosure.rate(completions["row_totals"][org], enrolments["row_totals"][org])
        for org in enrolments["row_totals"]
        if org in completions["row_totals"]
    }
    by_format = {
        fmt: disclosure.rate(completions["column_totals"][fmt], enrolments["column_totals"][fmt])
        for fmt in enrolments["column_totals"]
        if fmt in completions["column_totals"]
    }
    return {
        "enrolments": enrolments,
        "completions": completions,
        "completion_rate_by_organisation": rates,
        "completion_rate_by_format": by_format,
        "completion_rate": disclosure.rate(completions["total"], enrolments["total"]),
    }


def training_by_course_and_organisation(fig: Figures, cells: Cells) -> dict[str, Any]:
    """Individuals enrolled on each course by organisation (the annual report's course tables)."""
    orgs = [o.value for o in Organisation]
    name = "enrolments_by_course_organisation"
    per_course = fig.breakdowns.get(name, {})
    courses = sorted(per_course)
    # the course tables add up to the organisations' enrolments in the table by format
    for org in _order(orgs, {o: 1 for c in per_course.values() for o in c}):
        cells.line(
            ("enrolments_by_organisation_format", org, TOTAL), [(name, c, org) for c in courses]
        )
    cells.line(
        ("enrolments_by_organisation_format", TOTAL, TOTAL), [(name, c, TOTAL) for c in courses]
    )
    return {course: one_way(cells, (name, course), per_course[course], orgs) for course in courses}


def training_representation(fig: Figures, cells: Cells) -> dict[str, Any]:
    """Learners who took a course, by organisation, against each organisation's workforce
    (annual report: poor representation from social care and the constabulary). Rows only
    for organisations with a reported headcount; headcounts are the organisations' own
    published staff numbers and are shown as they are."""
    workforce = {k: int(v) for k, v in fig.breakdowns.get("workforce_by_organisation", {}).items()}
    orgs = _order([o.value for o in Organisation if o.value in workforce], workforce)
    reached_counts = fig.breakdowns.get("learners_reached_by_organisation", {})
    reached = one_way(
        cells,
        ("learners_reached_by_organisation",),
        {o: int(reached_counts.get(o, 0)) for o in orgs},
        orgs,
    )
    rows = {
        org: {
            "workforce": workforce[org],
            "learners_reached": reached["rows"][org],
            "reached_rate": disclosure.rate(reached["rows"][org], workforce[org]),
        }
        for org in orgs
    }
    total_workforce = sum(workforce.values())
    return {
        "columns": ["workforce", "learners_reached", "reached_rate"],
        "rows": rows,
        "total": {
            "workforce": total_workforce,
            "learners_reached": reached["total"],
            "reached_rate": disclosure.rate(reached["total"], total_workforce),
        },
    }


def action_tracker(fig: Figures, cells: Cells) -> dict[str, Any]:
    """Actions by status, per review and per owner, and each review's tracker completion."""
    statuses = [s.value for s in ActionStatus]
    b = fig.breakdowns
    by_review = two_way(
        cells, "actions_by_review_status", b.get("actions_by_review_status", {}), [], statuses
    )
    by_owner = two_way(
        cells, "actions_by_owner_status", b.get("actions_by_owner_status", {}), [], statuses
    )
    # both tables count the same actions by status
    for status in [*by_review["column_totals"], TOTAL]:
        cells.line(
            ("actions_by_review_status", TOTAL, status),
            [("actions_by_owner_status", TOTAL, status)],
        )
    completion = {
        review: disclosure.rate(row.get("complete", 0), by_review["row_totals"][review])
        for review, row in by_review["rows"].items()
    }
    rags = [r.value for r in ActionRag]
    by_review_rag = two_way(
        cells, "actions_by_review_rag", b.get("actions_by_review_rag", {}), [], rags
    )
    for rag in [*by_review_rag["column_totals"], TOTAL]:  # the same actions by RAG
        cells.line(("actions_by_rag", rag), [("actions_by_review_rag", TOTAL, rag)])
    return {
        "by_review": by_review,
        "by_owner": by_owner,
        "completion_by_review": completion,
        # as at the period's end (today for the period under way), with every action on the
        # tracker then (see metrics._tracker_as_at)
        "overdue_by_owner": one_way(
            cells, ("overdue_actions_by_owner",), b.get("overdue_actions_by_owner", {}), []
        ),
        "by_rag": one_way(cells, ("actions_by_rag",), b.get("actions_by_rag", {}), rags),
        "by_review_rag": by_review_rag,
    }


Builder = Callable[[Figures, Cells], dict[str, Any]]
BUILDERS: dict[str, Builder] = {
    "contacts-by-source": contacts_by_source,
    "contacts-by-sector": contacts_by_sector,
    "rapid-reviews-by-theme": rapid_reviews_by_theme,
    "rapid-reviews-by-age-band": rapid_reviews_by_age_band,
    "training-by-organisation-and-format": training_by_organisation_and_format,
    "training-by-course": training_by_course_and_organisation,
    "training-representation": training_representation,
    "action-tracker": action_tracker,
}


# Tables of the figures kept beside their own code (`casework`, `assurance`).


def wishes_and_feelings_by_agency(fig: Figures, cells: Cells) -> dict[str, Any]:
    """Contacts by sending agency with the child's wishes and feelings recorded or not, and
    each agency's rate (inspection: "inconsistent across the partnership")."""
    columns = [casework.RECORDED, casework.NOT_RECORDED]
    table = two_way(
        cells,
        casework.WISHES_BY_AGENCY,
        fig.breakdowns.get(casework.WISHES_BY_AGENCY, {}),
        [],
        columns,
    )
    rates = {
        agency: disclosure.rate(row.get(casework.RECORDED, 0), table["row_totals"][agency])
        for agency, row in table["rows"].items()
    }
    rate = disclosure.rate(table["column_totals"].get(casework.RECORDED, 0), table["total"])
    return {**table, "rate_by_agency": rates, "rate": rate}


def section_11_returns(fig: Figures, cells: Cells) -> dict[str, Any]:
    """Section 11 ratings by standard and rating (counts of agencies, controlled), and each
    agency's own ratings (an agency's self-assessment, not a count of children: shown as is)."""
    standards = [s.value for s in Section11Standard]
    ratings = [r.value for r in Section11Rating]
    by_standard = two_way(
        cells,
        assurance.S11_BY_STANDARD,
        fig.breakdowns.get(assurance.S11_BY_STANDARD, {}),
        standards,
        ratings,
    )
    return {
        "by_standard": by_standard,
        "agency_ratings": fig.breakdowns.get(assurance.S11_BY_AGENCY, {}),
    }


def child_deaths_by_category(fig: Figures, cells: Cells) -> dict[str, Any]:
    return one_way(
        cells,
        (assurance.DEATHS_BY_CATEGORY,),
        fig.breakdowns.get(assurance.DEATHS_BY_CATEGORY, {}),
        [c.value for c in ChildDeathCategory],
    )


BUILDERS.update(
    {
        casework.WISHES_TABLE: wishes_and_feelings_by_agency,
        assurance.S11_TABLE: section_11_returns,
        assurance.DEATHS_TABLE: child_deaths_by_category,
    }
)
SAME_AS_SCORECARD.update(
    {
        (casework.WISHES_BY_AGENCY, TOTAL, TOTAL): "contacts_with_wishes_known",
        (casework.WISHES_BY_AGENCY, TOTAL, casework.RECORDED): "contacts_with_wishes_recorded",
        (assurance.S11_BY_STANDARD, TOTAL, TOTAL): assurance.S11_STANDARDS_RATED,
        (assurance.S11_BY_STANDARD, TOTAL, "met"): assurance.S11_STANDARDS_MET,
        (assurance.DEATHS_BY_CATEGORY, TOTAL): assurance.DEATHS,
    }
)


# ---------------------------------------------------------------------------------------------
# The linked set of a year


def scorecard_counts(fig: Figures) -> dict[str, int]:
    return {
        name: int(v)
        for name in COUNTS
        if isinstance(v := fig.values.get(name), int) and not isinstance(v, bool)
    }


def _record(figures: Mapping[str, Figures]) -> Recorder:
    rec = Recorder()
    for period, fig in figures.items():
        rec.period = period
        for name, value in scorecard_counts(fig).items():
            rec.cell((SCORECARD, name), value)
        for total, parts in SCORECARD_SUMS:
            rec.line((SCORECARD, total), [(SCORECARD, p) for p in parts])
        if not tables_published(period):
            continue
        for build in BUILDERS.values():
            build(fig, rec)
        for key, metric in SAME_AS_SCORECARD.items():
            rec.line((SCORECARD, metric), [key])
    rec.lines.extend(_period_lines(figures, rec.values))
    return rec


def tables_published(period: str) -> bool:
    """Tables are published for quarters and years, not months (docs/disclosure.md#granularity):
    a month's breakdowns are mostly counts of 1-5, and each one published is another sum that
    can pin a hidden cell."""
    try:
        return kind_of(period) != "month"
    except Rejected:
        return True  # a period published alone


def _period_lines(figures: Mapping[str, Figures], values: Mapping[Key, int]) -> Iterable[Line]:
    """Months to their quarter, quarters to their year, for every cell published in both."""
    by_kind: dict[str, list[str]] = defaultdict(list)
    for period in figures:
        with contextlib.suppress(Rejected):  # a period published alone has no lines
            by_kind[kind_of(period)].append(period)
    quarters = sorted(by_kind["quarter"])
    cells_of: dict[str, set[Key]] = defaultdict(set)
    for key in values:
        cells_of[key[0]].add(key[1:])
    rests = sorted({rest for keys in cells_of.values() for rest in keys})
    for fy in by_kind["year"]:
        yield from _as_at_lines(fy, quarters, figures, rests)
        for q in quarters:
            first = int(fy[:4]) * 12 + 3 + (int(q[-1]) - 1) * 3  # April = month 4
            in_quarter = [
                f"{(m - 1) // 12:04d}-{(m - 1) % 12 + 1:02d}" for m in range(first + 1, first + 4)
            ]
            for rest in rests:
                yield Line((q, *rest), tuple((m, *rest) for m in in_quarter if m in figures))
        for rest in rests:
            yield Line((fy, *rest), tuple((q, *rest) for q in quarters))


# Counts taken as at a period's end (metrics._tracker_as_at): a year's is not the sum of its
# quarters' but, for overdue actions, equal to its last quarter's and that to its last
# month's, and a reader who knows the definition knows it.
AS_AT = frozenset(
    {
        "actions_overdue",
        "actions_on_tracker",
        "overdue_actions_by_owner",
        "actions_by_rag",
        "actions_by_review_rag",
    }
)


def _as_at_lines(
    fy: str, quarters: Sequence[str], figures: Mapping[str, Figures], rests: Sequence[Key]
) -> Iterable[Line]:
    last_quarter = f"{fy}-Q4"
    chain = [(fy, last_quarter)] if last_quarter in quarters else []
    for q in quarters:
        last = period_last_month(q)
        if last in figures:
            chain.append((q, last))
    for rest in rests:
        if rest[0] in AS_AT or (rest[0] == SCORECARD and rest[1] in AS_AT):
            for whole, end in chain:
                yield Line((whole, *rest), ((end, *rest),))


def period_last_month(quarter: str) -> str:
    """The last month of a quarter (`2020-21-Q4` -> `2021-03`)."""
    start, q = int(quarter[:4]), int(quarter[-1])
    month = 3 + 3 * q  # 6, 9, 12, 15
    return f"{start + (month > 12):04d}-{(month - 1) % 12 + 1:02d}"


def _holds(values: Mapping[Key, int], line: Line) -> bool:
    """A line is part of the set when its total is published and the sum is right (a missing
    part is a published 0: the table does not list it)."""
    return line.total in values and values[line.total] == sum(values.get(p, 0) for p in line.parts)


@dataclass(frozen=True)
class Publication:
    """A partnership's year as published: every period's scorecard values and tables."""

    figures: Mapping[str, Figures]
    hidden: frozenset[Key]

    def shown(self, period: str, name: str) -> bool:
        """Whether a scorecard figure is published as it is (not `c`, not missing)."""
        value = self.values(period).get(name)
        return value is not None and value != disclosure.SUPPRESSED

    def values(self, period: str) -> dict[str, disclosure.Rate]:
        values = self.figures[period].values
        out: dict[str, disclosure.Rate] = {}
        for name, value in values.items():
            if value is None:
                out[name] = None
            elif name in BASES:
                hidden = any((period, SCORECARD, b) in self.hidden for b in BASES[name])
                out[name] = disclosure.SUPPRESSED if hidden else value
            elif (period, SCORECARD, name) in self.hidden:
                out[name] = disclosure.SUPPRESSED
            else:
                out[name] = value
        return out

    def table(self, name: str, period: str) -> dict[str, Any]:
        if not tables_published(period):
            raise Rejected(
                "no-monthly-tables",
                f"tables are published for quarters and financial years, not months ({period}): "
                "see docs/disclosure.md#granularity",
                status=404,
            )
        return BUILDERS[name](self.figures[period], Shown(period, self.hidden))


def publish(figures: Mapping[str, Figures], *, secondary: bool = True) -> Publication:
    """Disclosure control over the linked set of the periods given (a year's, ideally all of
    them: a period published alone is controlled only against itself). `secondary=False`
    hides the counts 1-5 only: for the audit that shows what complementary cells protect."""
    rec = _record(figures)
    if not secondary:
        return Publication(figures, disclosure.protect(rec.values, [], audited=False))
    lines = [
        Line(line.total, tuple(p for p in line.parts if p in rec.values))
        for line in rec.lines
        if _holds(rec.values, line)
    ]
    return Publication(figures, disclosure.protect(rec.values, [ln for ln in lines if ln.parts]))


def content_digest(figures: Mapping[str, Figures]) -> str:
    """Identifies a year's figures: equal figures publish equal cells."""
    doc = {period: fig.as_document() for period, fig in sorted(figures.items())}
    return hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()


def table_of(name: str, fig: Figures, controlled: bool) -> dict[str, Any]:
    """One period's table on its own: unsuppressed, or controlled against itself only."""
    if not controlled:
        return BUILDERS[name](fig, Raw())
    return publish({"-": fig}).table(name, "-")


def disclose_values(values: Mapping[str, Value]) -> dict[str, disclosure.Rate]:
    """One period's scorecard on its own, controlled against itself only."""
    return publish({"-": Figures(dict(values), {})}).values("-")


def disclose_value(name: str, value: Value, values: Mapping[str, Value]) -> disclosure.Rate:
    return disclose_values({**values, name: value}).get(name)


def _table(name: str) -> Callable[[Figures, bool], dict[str, Any]]:
    def build(fig: Figures, controlled: bool) -> dict[str, Any]:
        return table_of(name, fig, controlled)

    return build


TABLES: dict[str, Callable[[Figures, bool], dict[str, Any]]] = {n: _table(n) for n in BUILDERS}
