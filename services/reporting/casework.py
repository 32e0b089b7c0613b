"""Front-door figures beyond the contact: the ICPC and assessment clocks, early-help waits
still open, and wishes and feelings by agency. Facts (from intake's canonical events), what
each adds to a period, and each figure's one definition (`glossary.define`) beside its code.
Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from services.reporting import facts as f
from services.reporting.facts import FactUpdate, maps, placed
from services.reporting.glossary import define
from services.reporting.periods import kind_of
from shared.codes import MashOutcome
from shared.contracts import casework as cw
from shared.events import Envelope
from shared.workdays import LONDON, local_date

Doc = Mapping[str, Any]

# ---------------------------------------------------------------------------------------------
# Definitions

_ICPC = "initial child protection conference | within 15 working days of the strategy discussion"
_ASSESS = "assessment | within 45 working days of referral"
_EH = (
    "Some children and families can wait for up to 10 weeks before allocation to a "
    "children's centre family support worker"
)
_WISHES = (
    "While there are strong examples of this in health services and schools and in early "
    "help records, this is inconsistent across the partnership."
)

STRATEGY_DISCUSSIONS = define(
    "strategy_discussions",
    "Strategy discussions (S47) held about contacts, by date held.",
    "count",
    "product",
    _ICPC,
)
ICPCS = define(
    "icpcs",
    "Initial child protection conferences held after a recorded strategy discussion, by date held.",
    "count",
    "product",
    _ICPC,
)
ICPCS_ON_TIME = define(
    "icpcs_within_15_working_days",
    "ICPCs held by the end of the 15th working day after the day of the strategy discussion "
    "(weekends and England and Wales bank holidays excluded).",
    "count",
    "product",
    _ICPC,
)
ICPC_RATE = define(
    "icpcs_within_15_working_days_rate",
    "Share of ICPCs held within 15 working days of the strategy discussion.",
    "%",
    "product",
    _ICPC,
)
ICPC_DAYS = define(
    "icpc_working_days_mean",
    "Mean working days from the strategy discussion to the ICPC.",
    "working days",
    "product",
    _ICPC,
)
ASSESSMENTS = define(
    "assessments_completed",
    "Social care assessments completed, by completion date.",
    "count",
    "product",
    _ASSESS,
)
ASSESSMENTS_ON_TIME = define(
    "assessments_within_45_working_days",
    "Assessments completed by the end of the 45th working day after the day of referral (the "
    "contact's receipt).",
    "count",
    "product",
    _ASSESS,
)
ASSESSMENT_RATE = define(
    "assessments_within_45_working_days_rate",
    "Share of completed assessments completed within 45 working days of referral.",
    "%",
    "product",
    _ASSESS,
)
ASSESSMENT_DAYS = define(
    "assessment_working_days_mean",
    "Mean working days from referral to the assessment's completion.",
    "working days",
    "product",
    _ASSESS,
)
EH_WAITING = define(
    "early_help_waiting",
    "Contacts decided for early help and not yet allocated a family support worker, as at the "
    "end of the period (as at now for the period under way); contacts received in the "
    "financial year.",
    "count",
    "inspection",
    _EH,
)
EH_WAITING_LONG = define(
    "early_help_waiting_over_10_weeks",
    "Of the open early-help waits, those waiting more than 10 weeks (70 days) since the decision.",
    "count",
    "inspection",
    _EH,
)
EH_WAITING_MAX = define(
    "early_help_waiting_days_max",
    "The longest open early-help wait, in calendar days since the decision, as at the end of "
    "the period (or now).",
    "days",
    "inspection",
    _EH,
)
WISHES_BY_AGENCY = define(
    "wishes_by_agency",
    "Contacts by sending agency (rows) with the child's wishes and feelings recorded or not "
    "(columns).",
    "table",
    "inspection",
    _WISHES,
    "breakdowns",
)
WISHES_TABLE = define(
    "wishes-and-feelings-by-agency",
    "Contacts by sending agency with and without the child's wishes and feelings recorded, "
    "and each agency's rate (disclosure-controlled).",
    "table",
    "inspection",
    _WISHES,
    "tables",
)

COUNTS = (
    STRATEGY_DISCUSSIONS,
    ICPCS,
    ICPCS_ON_TIME,
    ASSESSMENTS,
    ASSESSMENTS_ON_TIME,
    EH_WAITING,
    EH_WAITING_LONG,
)
RATES = {ICPC_RATE: (ICPCS_ON_TIME, ICPCS), ASSESSMENT_RATE: (ASSESSMENTS_ON_TIME, ASSESSMENTS)}
AVERAGES = {
    ICPC_DAYS: ("icpc_working_days", "mean", ICPCS),
    ASSESSMENT_DAYS: ("assessment_working_days", "mean", ASSESSMENTS),
    EH_WAITING_MAX: ("early_help_waiting_days", "max", EH_WAITING),
}
TEN_WEEKS_DAYS = 70
RECORDED, NOT_RECORDED = "recorded", "not-recorded"


# ---------------------------------------------------------------------------------------------
# Facts


@maps(cw.STRATEGY_DISCUSSION_HELD, cw.StrategyDiscussionHeld)
def _strategy(e: Envelope, d: cw.StrategyDiscussionHeld) -> list[FactUpdate]:
    fields = {"held_at": d.held_at, **placed(d.held_at)}
    return [FactUpdate(f.STRATEGY_DISCUSSIONS, d.contact_id, fields)]


@maps(cw.CONFERENCE_HELD, cw.ConferenceHeld)
def _conference(e: Envelope, d: cw.ConferenceHeld) -> list[FactUpdate]:
    fields = {
        "agency": d.agency,
        "held_at": d.held_at,
        "within_target": d.within_target,
        "working_days": d.working_days_taken,
        **placed(d.held_at),
    }
    return [FactUpdate(f.CONFERENCES, d.contact_id, fields)]


@maps(cw.ASSESSMENT_COMPLETED, cw.AssessmentCompleted)
def _assessment(e: Envelope, d: cw.AssessmentCompleted) -> list[FactUpdate]:
    fields = {
        "agency": d.agency,
        "completed_at": d.completed_at,
        "within_target": d.within_target,
        "working_days": d.working_days_taken,
        **placed(d.completed_at),
    }
    return [FactUpdate(f.ASSESSMENTS, d.contact_id, fields)]


# ---------------------------------------------------------------------------------------------
# Contributions (`p` is a period accumulator of `metrics`)


def strategy_discussion(p: Any, d: Doc) -> None:
    p.count(STRATEGY_DISCUSSIONS)


def conference(p: Any, d: Doc) -> None:
    p.count(ICPCS)
    p.count(ICPCS_ON_TIME, d.get("within_target"))
    p.sample("icpc_working_days", d.get("working_days"))


def assessment(p: Any, d: Doc) -> None:
    p.count(ASSESSMENTS)
    p.count(ASSESSMENTS_ON_TIME, d.get("within_target"))
    p.sample("assessment_working_days", d.get("working_days"))


def contact_wishes(p: Any, c: Doc) -> None:
    """Wishes and feelings by sending agency (the inspection: "inconsistent across the
    partnership")."""
    wishes = c.get("wishes", c.get("wishes_at_decision"))
    if wishes is not None:
        p.breakdown2(WISHES_BY_AGENCY, c.get("agency"), RECORDED if wishes else NOT_RECORDED)


CONTRIBUTIONS = {
    f.STRATEGY_DISCUSSIONS: strategy_discussion,
    f.CONFERENCES: conference,
    f.ASSESSMENTS: assessment,
}


# ---------------------------------------------------------------------------------------------
# Open early-help waits, as at a moment


_EARLY_HELP = MashOutcome.EARLY_HELP.value


def _aware(value: Any) -> datetime | None:
    """A stored time (MongoDB gives naive UTC) as an aware datetime."""
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def period_end(period: str) -> datetime:
    """The first moment after the period (London midnight)."""
    kind = kind_of(period)
    if kind == "year":
        last = date(int(period[:4]) + 1, 4, 1)
    elif kind == "quarter":
        after = 4 + 3 * int(period[-1])  # the month after the quarter: 7, 10, 13, 16
        last = date(int(period[:4]) + (after - 1) // 12, (after - 1) % 12 + 1, 1)
    else:
        year, month = int(period[:4]), int(period[5:7])
        last = date(year + month // 12, month % 12 + 1, 1)
    return datetime.combine(last, time(0, 0), LONDON)


@dataclass(frozen=True)
class Wait:
    """A contact decided for early help: when, and when allocated (None: not yet)."""

    decided: datetime
    allocated: datetime | None
    decided_on: date  # the London day of the decision


def waits(contacts: Iterable[Doc]) -> list[Wait]:
    """The contacts decided for early help, their times read once (a year's figures ask
    about them as at each of its 17 periods' ends)."""
    out = []
    for c in contacts:
        if c.get("outcome") != _EARLY_HELP:
            continue
        decided = _aware(c.get("decided_at"))
        if decided is None:
            continue
        allocated = None
        if c.get("early_help_allocated"):
            allocated = _aware(c.get("early_help_allocated_at"))
            if allocated is None:
                continue  # allocated at a time not known: never counted as waiting
        out.append(Wait(decided, allocated, local_date(decided)))
    return out


def waiting_days(w: Wait, as_at: datetime, day: date | None = None) -> int | None:
    """Calendar days a contact decided for early help has been waiting at `as_at` (whose
    London day, `day`, the caller may have worked out already), or None when it was not
    waiting then (not decided for early help by then, or already allocated)."""
    if w.decided >= as_at or (w.allocated is not None and w.allocated < as_at):
        return None
    day = day or local_date(as_at - timedelta(microseconds=1))
    return max(0, (day - w.decided_on).days)


def open_waits(p: Any, candidates: Iterable[Wait], as_at: datetime) -> None:
    day = local_date(as_at - timedelta(microseconds=1))
    for w in candidates:
        days = waiting_days(w, as_at, day)
        if days is None:
            continue
        p.count(EH_WAITING)
        p.count(EH_WAITING_LONG, days > TEN_WEEKS_DAYS)
        p.sample("early_help_waiting_days", days)
