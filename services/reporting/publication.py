"""Figures as published: scorecard values and the annual report's tables, with disclosure
control (`shared.disclosure`) applied unless the caller is internal. Pure.

Counts 1-5 are `c`; a rate or average is `c` when the count it is taken over is (so 2 of 3
cannot be read back from 66.7%). Tables with totals get secondary suppression.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from services.reporting.metrics import AVERAGES, RATES, Figures, Value
from shared import disclosure
from shared.codes import ActionStatus, AgeBand, ContactSource, Organisation, Theme, TrainingFormat

# What each derived figure is taken over: a rate's numerator and denominator, or the count
# of cases an average is taken over.
BASES: dict[str, tuple[str, ...]] = {
    **RATES,
    **{name: (cases,) for name, (_, _, cases) in AVERAGES.items()},
}


def disclose_value(name: str, value: Value, values: Mapping[str, Value]) -> disclosure.Rate:
    """One figure as published."""
    if value is None:
        return None
    base = BASES.get(name)
    if base is None:
        # a count: primary suppression
        return disclosure.count(int(value)) if isinstance(value, int) else value
    if any(disclosure.is_small(int(values.get(b) or 0)) for b in base):
        return disclosure.SUPPRESSED
    return value


def disclose_values(values: Mapping[str, Value]) -> dict[str, disclosure.Rate]:
    return {name: disclose_value(name, v, values) for name, v in values.items()}


# ---------------------------------------------------------------------------------------------
# Tables


def _order(codes: Sequence[str], present: Mapping[str, Any]) -> list[str]:
    """The code list's order, then any other key present (a code added later)."""
    return [*codes, *sorted(k for k in present if k not in codes)]


def one_way(counts: Mapping[str, int], keys: Sequence[str], controlled: bool) -> dict[str, Any]:
    ordered = _order(keys, counts)
    if not controlled:
        return {
            "rows": {k: int(counts.get(k, 0)) for k in ordered},
            "total": sum(int(v) for v in counts.values()),
        }
    table = disclosure.suppress_list(counts, ordered)
    return {"rows": {k: v["count"] for k, v in table.cells.items()}, "total": table.total}


def two_way(
    counts: Mapping[str, Mapping[str, int]],
    rows: Sequence[str],
    columns: Sequence[str],
    controlled: bool,
) -> dict[str, Any]:
    row_keys = _order(rows, counts)
    col_keys = _order(columns, {c: 1 for r in counts.values() for c in r})
    if controlled:
        table = disclosure.suppress_table(counts, row_keys, col_keys)
    else:
        cells: dict[str, dict[str, disclosure.Cell]] = {
            r: {c: int(counts.get(r, {}).get(c, 0)) for c in col_keys} for r in row_keys
        }
        table = disclosure.Table(
            cells=cells,
            row_totals={r: sum(int(v) for v in cells[r].values()) for r in row_keys},
            column_totals={c: sum(int(cells[r][c]) for r in row_keys) for c in col_keys},
            total=sum(int(v) for r in row_keys for v in cells[r].values()),
        )
    return {
        "rows": table.cells,
        "row_totals": table.row_totals,
        "column_totals": table.column_totals,
        "total": table.total,
    }


def contacts_by_source(fig: Figures, controlled: bool) -> dict[str, Any]:
    """Contacts, decisions and referrals by source, with the conversion rate (scrutineer and
    Ofsted: many contacts from health and police do not convert)."""
    codes = [s.value for s in ContactSource]
    b = fig.breakdowns
    contacts = one_way(b.get("contacts_by_source", {}), codes, controlled)
    decided = one_way(b.get("decisions_by_source", {}), codes, controlled)
    referrals = one_way(b.get("referrals_by_source", {}), codes, controlled)

    def conversion(n: disclosure.Cell, d: disclosure.Cell) -> disclosure.Rate:
        return disclosure.rate(n, d)

    rows = {
        code: {
            "contacts": contacts["rows"][code],
            "decided": decided["rows"][code],
            "referrals": referrals["rows"][code],
            "conversion_rate": conversion(referrals["rows"][code], decided["rows"][code]),
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
            "conversion_rate": conversion(referrals["total"], decided["total"]),
        },
    }


def contacts_by_sector(fig: Figures, controlled: bool) -> dict[str, Any]:
    b = fig.breakdowns
    return {
        "contacts": one_way(b.get("contacts_by_sector", {}), [], controlled),
        "referrals": one_way(b.get("referrals_by_sector", {}), [], controlled),
    }


def rapid_reviews_by_theme(fig: Figures, controlled: bool) -> dict[str, Any]:
    return one_way(
        fig.breakdowns.get("rapid_reviews_by_theme", {}), [t.value for t in Theme], controlled
    )


def rapid_reviews_by_age_band(fig: Figures, controlled: bool) -> dict[str, Any]:
    return one_way(
        fig.breakdowns.get("rapid_reviews_by_age_band", {}),
        [a.value for a in AgeBand],
        controlled,
    )


def training_by_organisation_and_format(fig: Figures, controlled: bool) -> dict[str, Any]:
    """Enrolments and completions by organisation (rows) and format (columns), and the
    completion rate per organisation and overall."""
    orgs = [o.value for o in Organisation]
    formats = [f.value for f in TrainingFormat]
    b = fig.breakdowns
    enrolments = two_way(b.get("enrolments_by_organisation_format", {}), orgs, formats, controlled)
    completions = two_way(
        b.get("completions_by_organisation_format", {}), orgs, formats, controlled
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


def training_by_course_and_organisation(fig: Figures, controlled: bool) -> dict[str, Any]:
    """Individuals enrolled on each course by organisation (the annual report's course tables)."""
    orgs = [o.value for o in Organisation]
    per_course = fig.breakdowns.get("enrolments_by_course_organisation", {})
    return {
        course: one_way(counts, orgs, controlled) for course, counts in sorted(per_course.items())
    }


def training_representation(fig: Figures, controlled: bool) -> dict[str, Any]:
    """Learners who took a course, by organisation, against each organisation's workforce
    (annual report: poor representation from social care and the constabulary). Rows only
    for organisations with a reported headcount; headcounts are the organisations' own
    published staff numbers and are shown as they are."""
    workforce = {k: int(v) for k, v in fig.breakdowns.get("workforce_by_organisation", {}).items()}
    orgs = _order([o.value for o in Organisation if o.value in workforce], workforce)
    reached_counts = fig.breakdowns.get("learners_reached_by_organisation", {})
    reached = one_way({o: int(reached_counts.get(o, 0)) for o in orgs}, orgs, controlled)
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


def action_tracker(fig: Figures, controlled: bool) -> dict[str, Any]:
    """Actions by status, per review and per owner, and each review's tracker completion."""
    statuses = [s.value for s in ActionStatus]
    b = fig.breakdowns
    by_review = two_way(b.get("actions_by_review_status", {}), [], statuses, controlled)
    by_owner = two_way(b.get("actions_by_owner_status", {}), [], statuses, controlled)
    completion = {
        review: disclosure.rate(row.get("complete", 0), by_review["row_totals"][review])
        for review, row in by_review["rows"].items()
    }
    return {
        "by_review": by_review,
        "by_owner": by_owner,
        "completion_by_review": completion,
        "overdue_by_owner": one_way(b.get("overdue_actions_by_owner", {}), [], controlled),
    }


TABLES: dict[str, Callable[[Figures, bool], dict[str, Any]]] = {
    "contacts-by-source": contacts_by_source,
    "contacts-by-sector": contacts_by_sector,
    "rapid-reviews-by-theme": rapid_reviews_by_theme,
    "rapid-reviews-by-age-band": rapid_reviews_by_age_band,
    "training-by-organisation-and-format": training_by_organisation_and_format,
    "training-by-course": training_by_course_and_organisation,
    "training-representation": training_representation,
    "action-tracker": action_tracker,
}
