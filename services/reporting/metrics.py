"""The partnership's metrics (PRODUCT.md, 'Metrics the partnership asks for'), computed from
the fact documents of one partnership and one financial year, for that year, its quarters
and its months. Pure: the store loads the facts, this turns them into figures.

A figure is a number or None (nothing to measure: a rate with no denominator). Breakdowns are
counts by a code (source, sector, outcome, theme, organisation...), nested for two-way tables.
Each entity counts in the period of its anchor date (a contact: its receipt; a VIST or an
Encompass notice: the incident; a review: its notification; an enrolment: its start).
Overdue actions and the tracker's RAG are the exception: they count in the period in which
they are, as at its end (as at today for the period under way), see `_tracker_as_at`.
"""

from __future__ import annotations

import calendar
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from services.reporting import assurance, casework
from services.reporting import facts as f
from services.reporting.periods import kind_of, periods_in_year
from shared.action_tracker import action_rag, is_complete, is_overdue
from shared.workdays import LONDON

Value = float | int | None
Doc = Mapping[str, Any]


@dataclass
class Figures:
    """The figures of one partnership and period."""

    values: dict[str, Value] = field(default_factory=dict)
    breakdowns: dict[str, dict[str, Any]] = field(default_factory=dict)

    def as_document(self) -> dict[str, Any]:
        return {"values": self.values, "breakdowns": self.breakdowns}


class _Period:
    """Accumulates one period's figures. `sign` -1 takes a document's contribution back out
    (`RunningYear`): counts, samples and breakdowns are sums over documents."""

    def __init__(self) -> None:
        self.sign = 1
        self.counts: Counter[str] = Counter()
        self.samples: dict[str, Counter[float]] = defaultdict(Counter)  # value -> how many
        self.by: dict[str, Counter[str]] = defaultdict(Counter)
        self.by2: dict[str, dict[str, Counter[str]]] = defaultdict(lambda: defaultdict(Counter))
        self.reached: dict[str, set[str]] = defaultdict(set)  # organisation -> learner ids

    def count(self, metric: str, yes: object = True) -> None:
        self.counts[metric] += self.sign if yes else 0

    def sample(self, metric: str, value: float | None) -> None:
        if value is not None:
            self.samples[metric][float(value)] += self.sign

    def breakdown(self, name: str, key: object) -> None:
        if key is not None:
            self.by[name][_key(key)] += self.sign

    def breakdown2(self, name: str, row: object, column: object) -> None:
        if row is not None and column is not None:
            self.by2[name][_key(row)][_key(column)] += self.sign

    def merge(self, other: _Period) -> None:
        """Add another accumulator's sums to these (and its learners reached: a union, which
        is why enrolments are not running sums)."""
        self.counts.update(other.counts)
        for org, learners in other.reached.items():
            self.reached[org] |= learners
        for name, values in other.samples.items():
            self.samples[name].update(values)
        for name, counts in other.by.items():
            self.by[name].update(counts)
        for name, rows in other.by2.items():
            mine = self.by2[name]
            for row, columns in rows.items():
                mine[row].update(columns)

    def prune(self) -> None:
        """Drop the values and breakdown keys whose sums were taken back to nothing."""
        for name, values in list(self.samples.items()):
            self.samples[name] = +values
            if not self.samples[name]:
                del self.samples[name]
        for name, counts in list(self.by.items()):
            self.by[name] = +counts
            if not self.by[name]:
                del self.by[name]
        for name, rows in list(self.by2.items()):
            for row, columns in list(rows.items()):
                rows[row] = +columns
                if not rows[row]:
                    del rows[row]
            if not rows:
                del self.by2[name]


def _key(value: object) -> str:
    """A breakdown key usable as a MongoDB field name (owner roles are free text)."""
    return str(value).replace(".", "\u2024").lstrip("$") or "-"


def _rate(numerator: int, denominator: int) -> float | None:
    return round(100.0 * numerator / denominator, 1) if denominator else None


def _mean(values: list[float]) -> float | None:
    return round(statistics.fmean(values), 2) if values else None


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 2) if values else None


# Per fact kind: how one document adds to its period.
Contribution = Callable[[_Period, Doc], None]


def _contact(p: _Period, c: Doc) -> None:
    p.count("contacts_received")
    p.breakdown("contacts_by_source", c.get("source"))
    p.breakdown("contacts_by_sector", c.get("sector"))
    p.breakdown("contacts_by_age_band", c.get("age_band"))
    wishes = c.get("wishes", c.get("wishes_at_decision"))
    if wishes is not None:
        p.count("contacts_with_wishes_known")
        p.count("contacts_with_wishes_recorded", wishes)
    if c.get("acknowledgement_seconds") is not None:
        p.count("contacts_acknowledged")
        p.sample("acknowledgement_seconds", c["acknowledgement_seconds"])
    if c.get("decided"):
        p.count("contacts_decided")
        p.count("decisions_within_target", c.get("within_target"))
        p.breakdown("decisions_by_source", c.get("source"))
        p.breakdown("decisions_by_outcome", c.get("outcome"))
        p.breakdown("decisions_by_level", c.get("level"))
        if c.get("converted"):
            p.count("referrals")
            p.breakdown("referrals_by_source", c.get("source"))
            p.breakdown("referrals_by_sector", c.get("sector"))
    elif c.get("overdue"):
        p.count("decisions_overdue_now")
    if c.get("early_help_allocated"):
        p.count("early_help_allocations")
        p.sample("early_help_wait_days", c.get("early_help_wait_days"))
        p.sample("early_help_wait_working_days", c.get("early_help_wait_working_days"))


def _vist(p: _Period, v: Doc) -> None:
    p.count("vists")
    p.count("vists_same_day", v.get("same_day"))
    p.sample("vist_delay_days", v.get("delay_days"))


def _encompass(p: _Period, n: Doc) -> None:
    """Notifications sent, and police incidents with a child present against them: "a few
    not submitted at all" (the inspection) shows as incidents not notified."""
    notified = n.get("on_time") is not None
    if notified:
        p.count("encompass_notifications")
        p.count("encompass_on_time", n.get("on_time"))
    if n.get("incident"):
        p.count("encompass_incidents")
        p.count("encompass_incidents_notified", notified)
        p.count("encompass_incidents_not_notified", not notified)
        p.count("encompass_incidents_notified_on_time", notified and n.get("on_time"))


def _clock(p: _Period, r: Doc, clock: str, metric: str) -> None:
    """A statutory clock is measured once it was met or missed (completed late, or breached
    before completion)."""
    met = r.get(f"clock_{clock}_met")
    breached = r.get(f"clock_{clock}_breached", False)
    if met is not None or breached:
        p.count(f"{metric}_measured")
        p.count(metric, bool(met) and not breached)


def _review(p: _Period, r: Doc) -> None:
    kind = r.get("kind")
    p.count("reviews_opened")
    p.breakdown("reviews_by_kind", kind)
    if kind == "sin":
        p.count("sins")
        _clock(p, r, "sin_notification", "sins_notified_within_5_working_days")
    elif kind == "rapid-review":
        p.count("rapid_reviews")
        for theme in r.get("themes") or ():
            p.breakdown("rapid_reviews_by_theme", theme)
        p.breakdown("rapid_reviews_by_age_band", r.get("age_band") or "not-recorded")
        p.count("rapid_reviews_lcspr_required", r.get("lcspr_required"))
        _clock(p, r, "rapid_review", "rapid_reviews_within_15_working_days")
    elif kind == "lcspr":
        p.count("lcsprs")
        _clock(p, r, "lcspr_publication", "lcsprs_within_6_months")


def _recommendation(p: _Period, r: Doc) -> None:
    p.count("recommendations")
    p.breakdown("recommendations_by_agreement", r.get("agreement") or "not-recorded")


def _action(p: _Period, a: Doc) -> None:
    """Actions planned in the period, by their status now (overdue ones: `_tracker_as_at`)."""
    status = a.get("status")
    owner = a.get("owner_role")
    p.count("actions")
    p.count("actions_complete", status == "complete")
    p.breakdown("actions_by_status", status)
    p.breakdown2("actions_by_review_status", a.get("review_id"), status)
    p.breakdown2("actions_by_owner_status", owner, status)


def period_bounds(period: str) -> tuple[date, date]:
    """The first and last day of a financial year, quarter or month."""
    kind = kind_of(period)
    if kind == "month":
        first = date(int(period[:4]), int(period[5:7]), 1)
        months = 1
    else:
        start = int(period[:4])
        quarter = int(period[-1]) if kind == "quarter" else 1
        month = 4 + 3 * (quarter - 1)
        first = date(start + (month > 12), (month - 1) % 12 + 1, 1)
        months = 3 if kind == "quarter" else 12
    last_month = first.month + months - 1
    year, month = first.year + (last_month - 1) // 12, (last_month - 1) % 12 + 1
    return first, date(year, month, calendar.monthrange(year, month)[1])


def _day(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) and value else None


def action_state_as_at(a: Doc, day: date) -> Mapping[str, Any] | None:
    """The action's state (status, target date, owner) at the end of `day`: the newest state
    dated on or before it; None before the action was planned."""
    state = None
    for order, fields in a.get(f.STATE_HISTORY) or ():
        if order[:10] <= day.isoformat():
            state = fields
    return state


def _tracker_as_at(period: str, p: _Period, actions: Iterable[Doc], today: date) -> None:
    """The tracker as at the period's end (as at `today` for the period under way; nothing for
    a period not yet begun): every action planned by then and not complete before the period
    began, by its RAG then; overdue ones by owner and agency.

    Issue 15: overdue actions are "counted in the period in which they are overdue (as at
    each period's end ... and 'now' for the current period), not the period the action was
    planned". Scrutineer (seeds/000): the tracker "had not progressed as quickly as intended"."""
    first, last = period_bounds(period)
    if first > today:
        return
    as_at = min(last, today)
    for a in actions:
        state = action_state_as_at(a, as_at)
        if state is None:
            continue
        before = action_state_as_at(a, first - timedelta(days=1))
        if before is not None and is_complete(before.get("status", "")):
            continue  # done before the period: off its tracker
        status, target = state.get("status", ""), _day(state.get("target_date"))
        rag = action_rag(status, target, as_at).value
        p.count("actions_on_tracker")
        p.breakdown("actions_by_rag", rag)
        p.breakdown2("actions_by_review_rag", a.get("review_id"), rag)
        if is_overdue(status, target, as_at):
            p.count("actions_overdue")
            p.breakdown("overdue_actions_by_owner", state.get("owner_role"))
            p.breakdown("overdue_actions_by_agency", state.get("owner_agency"))


def _escalation(p: _Period, e: Doc) -> None:
    p.count("escalations_raised")
    p.breakdown("escalations_by_level", e.get("level"))
    if e.get("resolved"):
        p.count("escalations_resolved")
        p.sample("escalation_days_open", e.get("days_open"))


def _learner(p: _Period, learner: Doc) -> None:
    p.count("learners_registered")
    p.count("learners_implicit", learner.get("implicit"))
    p.breakdown("learners_by_organisation", learner.get("organisation"))
    p.breakdown("learners_by_sector", learner.get("sector"))


def _enrolment(p: _Period, e: Doc) -> None:
    org, fmt, course = e.get("organisation"), e.get("format"), e.get("course_id")
    p.count("enrolments")
    p.count("multi_agency_enrolments", e.get("multi_agency"))
    p.breakdown("enrolments_by_format", fmt)
    p.breakdown("enrolments_by_sector", e.get("sector"))
    p.breakdown2("enrolments_by_organisation_format", org, fmt)
    p.breakdown2("enrolments_by_course_organisation", course, org)
    if org is not None and e.get("learner_id") is not None:
        p.reached[_key(org)].add(e["learner_id"])
    if e.get("completed"):
        p.count("completions")
        p.breakdown2("completions_by_organisation_format", org, fmt)
        p.breakdown2("completions_by_course_organisation", course, org)
    elif e.get("withdrawn"):
        p.count("withdrawals")


CONTRIBUTIONS: dict[str, Contribution] = {
    f.CONTACTS: _contact,
    f.VISTS: _vist,
    f.ENCOMPASS: _encompass,
    f.REVIEWS: _review,
    f.RECOMMENDATIONS: _recommendation,
    f.ACTIONS: _action,
    f.ESCALATIONS: _escalation,
    f.LEARNERS: _learner,
    f.ENROLMENTS: _enrolment,
}

COUNTS: tuple[str, ...] = (
    "contacts_received",
    "contacts_acknowledged",
    "contacts_with_wishes_known",
    "contacts_with_wishes_recorded",
    "contacts_decided",
    "referrals",
    "decisions_within_target",
    "decisions_overdue_now",
    "early_help_allocations",
    "vists",
    "vists_same_day",
    "encompass_notifications",
    "encompass_on_time",
    "encompass_incidents",
    "encompass_incidents_notified",
    "encompass_incidents_not_notified",
    "encompass_incidents_notified_on_time",
    "reviews_opened",
    "sins",
    "sins_notified_within_5_working_days",
    "sins_notified_within_5_working_days_measured",
    "rapid_reviews",
    "rapid_reviews_lcspr_required",
    "rapid_reviews_within_15_working_days",
    "rapid_reviews_within_15_working_days_measured",
    "lcsprs",
    "lcsprs_within_6_months",
    "lcsprs_within_6_months_measured",
    "recommendations",
    "actions",
    "actions_complete",
    "actions_overdue",
    "actions_on_tracker",
    "escalations_raised",
    "escalations_resolved",
    "learners_registered",
    "learners_implicit",
    "enrolments",
    "multi_agency_enrolments",
    "completions",
    "withdrawals",
    "learners_reached",
    "workforce_reported",
    "workforce_reached",
)

# rate -> (numerator, denominator); also what disclosure control checks for small counts
RATES: dict[str, tuple[str, str]] = {
    # Scrutineer (seeds/000): "a significant number of contacts to the MASH do not result in
    # conversion to social care referrals": contacts that became referrals out of all
    # contacts received, decided or not.
    "conversion_rate": ("referrals", "contacts_received"),
    "decisions_within_target_rate": ("decisions_within_target", "contacts_decided"),
    "wishes_and_feelings_rate": ("contacts_with_wishes_recorded", "contacts_with_wishes_known"),
    "vist_same_day_rate": ("vists_same_day", "vists"),
    "encompass_on_time_rate": ("encompass_on_time", "encompass_notifications"),
    # Of police incidents with a child present: notified at all, and notified on time.
    "encompass_coverage_rate": ("encompass_incidents_notified", "encompass_incidents"),
    "encompass_incidents_on_time_rate": (
        "encompass_incidents_notified_on_time",
        "encompass_incidents",
    ),
    "sins_notified_within_5_working_days_rate": (
        "sins_notified_within_5_working_days",
        "sins_notified_within_5_working_days_measured",
    ),
    "rapid_reviews_within_15_working_days_rate": (
        "rapid_reviews_within_15_working_days",
        "rapid_reviews_within_15_working_days_measured",
    ),
    "lcsprs_within_6_months_rate": ("lcsprs_within_6_months", "lcsprs_within_6_months_measured"),
    "actions_completion_rate": ("actions_complete", "actions"),
    "escalations_resolved_rate": ("escalations_resolved", "escalations_raised"),
    "completion_rate": ("completions", "enrolments"),
    "workforce_reached_rate": ("workforce_reached", "workforce_reported"),
}

# average -> (the samples it is taken over, the count of cases)
AVERAGES: dict[str, tuple[str, str, str]] = {
    "acknowledgement_seconds_median": (
        "acknowledgement_seconds",
        "median",
        "contacts_acknowledged",
    ),
    "acknowledgement_seconds_max": ("acknowledgement_seconds", "max", "contacts_acknowledged"),
    "early_help_wait_days_mean": ("early_help_wait_days", "mean", "early_help_allocations"),
    "early_help_wait_days_max": ("early_help_wait_days", "max", "early_help_allocations"),
    "early_help_wait_working_days_mean": (
        "early_help_wait_working_days",
        "mean",
        "early_help_allocations",
    ),
    "vist_delay_days_mean": ("vist_delay_days", "mean", "vists"),
    "escalation_days_open_mean": ("escalation_days_open", "mean", "escalations_resolved"),
}
_SUMMARY: dict[str, Callable[[list[float]], float | None]] = {
    "mean": lambda v: _mean(v),
    "median": lambda v: _median(v),
    "max": lambda v: max(v, default=None),
}


def _representation(p: _Period, workforce: Mapping[str, int]) -> None:
    """Learners who took a course in the period (distinct, by organisation) against the
    workforce headcounts reported for the year: the annual report's representation."""
    reached = {org: len(ids) for org, ids in p.reached.items()}
    p.by["learners_reached_by_organisation"] = Counter(reached)
    p.by["workforce_by_organisation"] = Counter(workforce)
    p.counts["learners_reached"] = sum(reached.values())
    p.counts["workforce_reported"] = sum(workforce.values())
    p.counts["workforce_reached"] = sum(n for org, n in reached.items() if org in workforce)


def _workforce(docs: Iterable[Doc], fy: str) -> dict[str, int]:
    return {
        _key(d["organisation"]): int(d["headcount"])
        for d in docs
        if d.get("fy") == fy and d.get("organisation") and d.get("headcount")
    }


def _finish(p: _Period) -> Figures:
    values: dict[str, Value] = {name: p.counts[name] for name in COUNTS}
    for name, (numerator, denominator) in RATES.items():
        values[name] = _rate(p.counts[numerator], p.counts[denominator])
    for name, (samples, summary, _) in AVERAGES.items():
        values[name] = _SUMMARY[summary](list(p.samples[samples].elements()))
    breakdowns: dict[str, dict[str, Any]] = {k: dict(v) for k, v in p.by.items()}
    breakdowns.update({k: {r: dict(c) for r, c in v.items()} for k, v in p.by2.items()})
    return Figures(values, breakdowns)


def compute_year(
    fy: str,
    facts: Mapping[str, Iterable[Doc]],
    *,
    today: date | None = None,
    as_at: datetime | None = None,
) -> dict[str, Figures]:
    """Figures for the financial year `fy`, its quarters and months, from its fact documents
    (by kind; actions of earlier years too, for the tracker as at each period's end).
    Every period of the year is present, with zero counts where nothing happened. What is
    still open (early-help waits, the tracker) is taken as at each period's end, or as at
    `as_at` (default: now) for the period under way; `today` is that day in London."""
    running = RunningYear(fy)
    for kind in ADDITIVE_KINDS:
        for doc in facts.get(kind, ()):
            running.add(kind, doc)
    return finish_year(running, facts, today=today, as_at=as_at)


class RunningYear:
    """The sums of one year's figures over its documents of the additive kinds (all but the
    few whose figures are not sums: actions, enrolments, audits), kept as documents come and
    go: a changed document's old contribution is taken out and its new one added, so a
    year's figures cost the work of its changes, not of its size. Medians are kept as counts
    of each value, so they come out exact.

    A document is added once, to the sums of its own (quarter, month) cell; the year's and
    each quarter's sums are the cells' added up when figures are asked for (`periods`), so a
    change costs one contribution, not three."""

    def __init__(self, fy: str) -> None:
        self.fy = fy
        self._in_year = frozenset(periods_in_year(fy))
        self._cells: dict[tuple[str | None, str | None], _Period] = {}
        self.waits: Counter[casework.Wait] = Counter()  # early-help waits, for "as at" figures

    def add(self, kind: str, doc: Doc, sign: int = 1) -> None:
        """Add a document's contribution (sign -1: take it back out); documents of other
        years and kinds that are not sums are left to `finish_year`."""
        if kind not in ADDITIVE_KINDS or doc.get("fy") != self.fy:
            return
        quarter, month = doc.get("quarter"), doc.get("month")
        cell = (
            quarter if quarter in self._in_year else None,
            month if month in self._in_year else None,
        )
        acc = self._cells.get(cell)
        if acc is None:
            acc = self._cells[cell] = _Period()
        acc.sign = sign
        try:
            CONTRIBUTIONS[kind](acc, doc)
        finally:
            acc.sign = 1
        if kind == f.CONTACTS:
            for wait in casework.waits([doc]):
                self.waits[wait] += sign

    def periods(self) -> dict[str, _Period]:
        """Every period of the year (the year, its quarters, its months) with its sums, new
        accumulators the caller may add to."""
        out = {period: _Period() for period in periods_in_year(self.fy)}
        for (quarter, month), acc in self._cells.items():
            for period in (self.fy, quarter, month):
                if period is not None:
                    out[period].merge(acc)
        for acc in out.values():
            acc.prune()
        return out


def finish_year(
    running: RunningYear,
    facts: Mapping[str, Iterable[Doc]],
    *,
    today: date | None = None,
    as_at: datetime | None = None,
) -> dict[str, Figures]:
    """The year's figures: the running sums, plus the kinds that are not sums (from `facts`;
    any additive kind there is ignored), plus what is taken "as at" a moment."""
    fy = running.fy
    now = as_at or datetime.now(UTC)
    today = today or now.astimezone(LONDON).date()
    periods = running.periods()
    workforce = _workforce(facts.get(f.WORKFORCE, ()), fy)
    for kind, docs in facts.items():
        contribute = CONTRIBUTIONS.get(kind)
        if contribute is None or kind in ADDITIVE_KINDS:
            continue
        for doc in docs:
            if doc.get("fy") != fy:
                continue
            for period in (doc["fy"], doc.get("quarter"), doc.get("month")):
                if period in periods:
                    contribute(periods[period], doc)
    actions = [a for a in facts.get(f.ACTIONS, ()) if str(a.get("fy") or "") <= fy]
    for period, acc in periods.items():
        _tracker_as_at(period, acc, actions, today)
    for acc in periods.values():
        _representation(acc, workforce)
    waits = list(running.waits.elements())
    for period, acc in periods.items():
        casework.open_waits(acc, waits, min(casework.period_end(period), now))
    return {period: _finish(acc) for period, acc in periods.items()}


# ---------------------------------------------------------------------------------------------
# Figures kept beside their own code, each with its definition (`glossary`): the ICPC and
# assessment clocks, open early-help waits and wishes and feelings by agency (`casework`);
# section 11 and 175 returns and the child death and ALTE counts (`assurance`).

_contact_figures = CONTRIBUTIONS[f.CONTACTS]


def _contact_with_wishes_by_agency(p: _Period, c: Doc) -> None:
    _contact_figures(p, c)
    casework.contact_wishes(p, c)


CONTRIBUTIONS[f.CONTACTS] = _contact_with_wishes_by_agency
CONTRIBUTIONS.update({**casework.CONTRIBUTIONS, **assurance.CONTRIBUTIONS})
COUNTS = (*COUNTS, *casework.COUNTS, *assurance.COUNTS)
RATES.update({**casework.RATES, **assurance.RATES})
AVERAGES.update(casework.AVERAGES)

# The kinds whose contribution is a sum over documents, which `RunningYear` keeps. Not these:
# actions (the tracker is taken as at each period's end), enrolments (distinct learners
# reached) and audits (a rating per agency replaces the one before).
ADDITIVE_KINDS = frozenset(CONTRIBUTIONS) - {f.ACTIONS, f.ENROLMENTS, f.AUDITS, f.AUDIT_RETURNS}
