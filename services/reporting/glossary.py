"""One definition per figure, stated once: what each scorecard figure and table means, its
unit, and the passage of the seeds or PRODUCT.md it comes from. `docs/metrics.md` is generated
from this registry (`pulse docs`), with each figure's target from `targets.DEFAULT_TARGETS`,
and a test fails when a figure of `metrics` has no definition, or the doc is stale.

Figures added beside their code register their definitions there with `define` (see
`reporting.casework`, `reporting.assurance`); the figures that predate the registry are
defined below.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Unit = Literal["count", "%", "seconds", "days", "working days", "table"]

# The seed documents (`../shared/seeds/`), as the glossary cites them.
SEEDS = {
    "annual-report": "annual report 2020/21 (seeds/000)",
    "inspection": "JTAI inspection letter (seeds/001)",
    "arrangements": "published safeguarding arrangements (seeds/002)",
    "lcspr-plan": "LCSPR action plan (seeds/003)",
    "business-plan": "business plan (seeds/004)",
    "product": "PRODUCT.md",
}
Seed = Literal[
    "annual-report", "inspection", "arrangements", "lcspr-plan", "business-plan", "product"
]


@dataclass(frozen=True)
class Definition:
    name: str  # the figure's name in the scorecard, or the table's name
    definition: str
    unit: Unit
    seed: Seed
    source: str  # the sentence of the seed it comes from, quoted
    group: str = "front door"

    @property
    def cited(self) -> str:
        return f'{SEEDS[self.seed]}: "{self.source}"'


DEFINITIONS: dict[str, Definition] = {}


def define(
    name: str,
    definition: str,
    unit: Unit,
    seed: Seed,
    source: str,
    group: str = "front door",
) -> str:
    """Register a figure's one definition; returns its name (so code can use it as a key)."""
    if name in DEFINITIONS:
        raise ValueError(f"figure {name} is defined twice")
    DEFINITIONS[name] = Definition(name, " ".join(definition.split()), unit, seed, source, group)
    return name


# ---------------------------------------------------------------------------------------------
# The figures that predate the registry (services/reporting/metrics.py)

_DECISION = "MASH decision on a contact | within 1 working day of receipt"
_CONVERT = (
    "performance data indicates that a significant number of contacts to the MASH do not "
    "result in conversion to social care referrals"
)
_WISHES = (
    "Children's voices, wishes and feelings are not always consistently considered when "
    "needs are identified."
)
_ACK = "acknowledgements of MARFs submitted are not timely"
_EH = (
    "Some children and families can wait for up to 10 weeks before allocation to a "
    "children's centre family support worker"
)
_VIST = "this may not occur until days or weeks after the related incident"
_ENC = "Operation Encompass notification | before the start of the next school day"
_RR = "During the period there have been 9 such reviews"
_ENC_OVERSIGHT = (
    "There has not been sufficient oversight from the partnership of the effectiveness of "
    "Operation Encompass notifications for schools when children have experienced domestic "
    "abuse in the home."
)
_TRACKER = "progress against the actions on this tracker had not progressed as quickly as intended"
_TRAIN = (
    "In total 9658 eLearning courses were started during the period with a completion rate of 80%."
)
_REPR = "there is still poor representation from GCC Children Social Care and Constabulary"

for _n, _d, _u, _s, _q, _g in (
    (
        "contacts_received",
        "Contacts received by the front door, by date of receipt.",
        "count",
        "product",
        "contacts by source and sector per month",
        "front door",
    ),
    (
        "contacts_acknowledged",
        "Contacts acknowledged to their sender (all stored contacts).",
        "count",
        "inspection",
        _ACK,
        "front door",
    ),
    (
        "contacts_with_wishes_known",
        "Contacts where it is known whether the child's wishes and feelings are recorded.",
        "count",
        "inspection",
        _WISHES,
        "front door",
    ),
    (
        "contacts_with_wishes_recorded",
        "Contacts with the child's wishes and feelings recorded.",
        "count",
        "inspection",
        _WISHES,
        "front door",
    ),
    (
        "contacts_decided",
        "Contacts received in the period with a MASH decision.",
        "count",
        "product",
        _DECISION,
        "front door",
    ),
    (
        "referrals",
        "Decided contacts accepted for social care (assessment or strategy discussion / S47).",
        "count",
        "annual-report",
        _CONVERT,
        "front door",
    ),
    (
        "decisions_within_target",
        "Decided contacts decided by the end of the first working day after receipt.",
        "count",
        "product",
        _DECISION,
        "front door",
    ),
    (
        "decisions_overdue_now",
        "Contacts still undecided past the end of the first working day after receipt.",
        "count",
        "product",
        "decisions overdue now",
        "front door",
    ),
    (
        "early_help_allocations",
        "Contacts decided for early help and allocated a family support worker.",
        "count",
        "inspection",
        _EH,
        "front door",
    ),
    (
        "vists",
        "Police VISTs recorded, by date of the incident.",
        "count",
        "inspection",
        _VIST,
        "front door",
    ),
    (
        "vists_same_day",
        "VISTs submitted on the day of the incident (London date).",
        "count",
        "inspection",
        _VIST,
        "front door",
    ),
    (
        "encompass_notifications",
        "Operation Encompass notifications to schools, by date of the incident.",
        "count",
        "product",
        _ENC,
        "front door",
    ),
    (
        "encompass_on_time",
        "Encompass notifications sent before the start of the next school day.",
        "count",
        "product",
        _ENC,
        "front door",
    ),
    (
        "reviews_opened",
        "Reviews opened (SINs, rapid reviews, LCSPRs and audits), by notification or opening date.",
        "count",
        "product",
        "SINs, rapid reviews, LCSPRs per year",
        "reviews",
    ),
    (
        "sins",
        "Serious incident notifications.",
        "count",
        "product",
        "SINs, rapid reviews, LCSPRs per year",
        "reviews",
    ),
    (
        "sins_notified_within_5_working_days",
        "SINs notified within 5 working days of the council becoming aware.",
        "count",
        "product",
        "serious incident notification | within 5 working days of the council becoming aware",
        "reviews",
    ),
    (
        "sins_notified_within_5_working_days_measured",
        "SINs whose notification clock was met or missed.",
        "count",
        "product",
        "serious incident notification | within 5 working days of the council becoming aware",
        "reviews",
    ),
    ("rapid_reviews", "Rapid reviews.", "count", "annual-report", _RR, "reviews"),
    (
        "rapid_reviews_lcspr_required",
        "Rapid reviews that decided an LCSPR is required.",
        "count",
        "annual-report",
        "During the period there have been 9 such reviews with two leading to the next level of "
        "review",
        "reviews",
    ),
    (
        "rapid_reviews_within_15_working_days",
        "Rapid reviews completed within 15 working days of the notification.",
        "count",
        "product",
        "rapid review | within 15 working days of the notification",
        "reviews",
    ),
    (
        "rapid_reviews_within_15_working_days_measured",
        "Rapid reviews whose clock was met or missed.",
        "count",
        "product",
        "rapid review | within 15 working days of the notification",
        "reviews",
    ),
    (
        "lcsprs",
        "Local child safeguarding practice reviews.",
        "count",
        "product",
        "SINs, rapid reviews, LCSPRs per year",
        "reviews",
    ),
    (
        "lcsprs_within_6_months",
        "LCSPRs published within 6 months of the decision to hold it.",
        "count",
        "product",
        "LCSPR | published within 6 months of the decision to hold it",
        "reviews",
    ),
    (
        "lcsprs_within_6_months_measured",
        "LCSPRs whose publication clock was met or missed.",
        "count",
        "product",
        "LCSPR | published within 6 months of the decision to hold it",
        "reviews",
    ),
    (
        "recommendations",
        "Review recommendations recorded (sub-recommendations included).",
        "count",
        "product",
        "recommendations by agreement",
        "reviews",
    ),
    ("actions", "Tracker actions.", "count", "annual-report", _TRACKER, "reviews"),
    (
        "actions_complete",
        "Tracker actions complete.",
        "count",
        "annual-report",
        _TRACKER,
        "reviews",
    ),
    (
        "actions_overdue",
        "Tracker actions not complete past their target date as at the period's end (now, for "
        "the period under way), whichever year they were planned in.",
        "count",
        "annual-report",
        _TRACKER,
        "reviews",
    ),
    (
        "escalations_raised",
        "Escalations raised.",
        "count",
        "product",
        "escalations raised and resolved",
        "reviews",
    ),
    (
        "escalations_resolved",
        "Escalations resolved.",
        "count",
        "product",
        "escalations raised and resolved",
        "reviews",
    ),
    (
        "learners_registered",
        "Learners registered on the training platform.",
        "count",
        "annual-report",
        "7,200 registered users",
        "training",
    ),
    (
        "learners_implicit",
        "Learners known only from a completion (registered implicitly).",
        "count",
        "product",
        "registered learners",
        "training",
    ),
    (
        "enrolments",
        "Course enrolments, by enrolment date.",
        "count",
        "annual-report",
        "In total 9658 eLearning courses were started during the period",
        "training",
    ),
    (
        "multi_agency_enrolments",
        "Enrolments on multi-agency courses.",
        "count",
        "business-plan",
        "Monitor and measure improved cross agency practitioner access to multi agency training",
        "training",
    ),
    ("completions", "Enrolments completed.", "count", "annual-report", _TRAIN, "training"),
    ("withdrawals", "Enrolments withdrawn.", "count", "product", "completions", "training"),
    (
        "learners_reached",
        "Distinct learners with an enrolment in the period.",
        "count",
        "annual-report",
        _REPR,
        "training",
    ),
    (
        "workforce_reported",
        "Workforce headcount reported by organisations for the year.",
        "count",
        "annual-report",
        _REPR,
        "training",
    ),
    (
        "workforce_reached",
        "Learners reached in organisations with a reported workforce.",
        "count",
        "annual-report",
        _REPR,
        "training",
    ),
    (
        "conversion_rate",
        "Referrals to social care as a share of all contacts received (a contact not yet "
        "decided has not converted).",
        "%",
        "annual-report",
        _CONVERT,
        "front door",
    ),
    (
        "decisions_within_target_rate",
        "Share of decided contacts decided within 1 working day.",
        "%",
        "product",
        _DECISION,
        "front door",
    ),
    (
        "wishes_and_feelings_rate",
        "Share of contacts with the child's wishes and feelings recorded.",
        "%",
        "inspection",
        _WISHES,
        "front door",
    ),
    (
        "vist_same_day_rate",
        "Share of VISTs submitted on the day of the incident.",
        "%",
        "inspection",
        _VIST,
        "front door",
    ),
    (
        "encompass_on_time_rate",
        "Share of Encompass notifications sent before the next school day.",
        "%",
        "product",
        _ENC,
        "front door",
    ),
    (
        "sins_notified_within_5_working_days_rate",
        "Share of measured SINs notified within 5 working days.",
        "%",
        "product",
        "serious incident notification | within 5 working days of the council becoming aware",
        "reviews",
    ),
    (
        "rapid_reviews_within_15_working_days_rate",
        "Share of measured rapid reviews completed within 15 working days.",
        "%",
        "product",
        "rapid review | within 15 working days of the notification",
        "reviews",
    ),
    (
        "lcsprs_within_6_months_rate",
        "Share of measured LCSPRs published within 6 months.",
        "%",
        "product",
        "LCSPR | published within 6 months of the decision to hold it",
        "reviews",
    ),
    (
        "actions_completion_rate",
        "Share of tracker actions complete.",
        "%",
        "annual-report",
        _TRACKER,
        "reviews",
    ),
    (
        "escalations_resolved_rate",
        "Share of escalations raised that are resolved.",
        "%",
        "product",
        "escalations raised and resolved",
        "reviews",
    ),
    (
        "completion_rate",
        "Completions as a share of enrolments.",
        "%",
        "annual-report",
        _TRAIN,
        "training",
    ),
    (
        "workforce_reached_rate",
        "Learners reached as a share of the reported workforce.",
        "%",
        "annual-report",
        _REPR,
        "training",
    ),
    (
        "acknowledgement_seconds_median",
        "Median seconds from receipt to acknowledgement.",
        "seconds",
        "inspection",
        _ACK,
        "front door",
    ),
    (
        "acknowledgement_seconds_max",
        "Longest time from receipt to acknowledgement.",
        "seconds",
        "inspection",
        _ACK,
        "front door",
    ),
    (
        "early_help_wait_days_mean",
        "Mean calendar days from the MASH decision to early-help allocation, over allocations.",
        "days",
        "inspection",
        _EH,
        "front door",
    ),
    (
        "early_help_wait_days_max",
        "Longest calendar days from the MASH decision to early-help allocation, over allocations.",
        "days",
        "inspection",
        _EH,
        "front door",
    ),
    (
        "early_help_wait_working_days_mean",
        "Mean working days from decision to early-help allocation.",
        "working days",
        "inspection",
        _EH,
        "front door",
    ),
    (
        "vist_delay_days_mean",
        "Mean calendar days from the incident's date to the VIST's.",
        "days",
        "inspection",
        _VIST,
        "front door",
    ),
    (
        "escalation_days_open_mean",
        "Mean days an escalation stayed open, over resolved ones.",
        "days",
        "product",
        "escalations raised and resolved",
        "reviews",
    ),
    # tables
    (
        "contacts-by-source",
        "Contacts, decisions, referrals and conversion rate by DfE source.",
        "table",
        "annual-report",
        _CONVERT,
        "tables",
    ),
    (
        "contacts-by-sector",
        "Contacts and referrals by sector of the sending agency.",
        "table",
        "product",
        "contacts by source and sector per month",
        "tables",
    ),
    (
        "rapid-reviews-by-theme",
        "Rapid reviews by theme; a review with two themes counts under both, so the total "
        "counts reviews and `theme_mentions` the sum of the rows.",
        "table",
        "annual-report",
        _RR,
        "tables",
    ),
    (
        "rapid-reviews-by-age-band",
        "Rapid reviews by the child's age band.",
        "table",
        "product",
        "rapid reviews by theme and by age band (annual report charts)",
        "tables",
    ),
    (
        "training-by-organisation-and-format",
        "Enrolments and completions by organisation and format, with completion rates.",
        "table",
        "annual-report",
        _TRAIN,
        "tables",
    ),
    (
        "training-by-course",
        "Enrolments on each course by organisation.",
        "table",
        "annual-report",
        "909 practitioners attended the GSCP Virtual multi-agency safeguarding course",
        "tables",
    ),
    (
        "training-representation",
        "Learners reached against each organisation's workforce.",
        "table",
        "annual-report",
        _REPR,
        "tables",
    ),
    (
        "action-tracker",
        "Actions by status per review and owner, completion per review, overdue by owner.",
        "table",
        "annual-report",
        _TRACKER,
        "tables",
    ),
):
    define(_n, _d, _u, _s, _q, _g)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# Operation Encompass coverage (issue 15, item 1) and the tracker as at each period's end
# (item 3).

for _name, _text, _unit in (
    (
        "encompass_incidents",
        "Domestic abuse incidents with a child present that police attended (one per child), "
        "by date of the incident.",
        "count",
    ),
    (
        "encompass_incidents_notified",
        "Of those incidents, the ones whose school was sent an Encompass notification.",
        "count",
    ),
    (
        "encompass_incidents_not_notified",
        "Of those incidents, the ones with no Encompass notification yet: missing notifications.",
        "count",
    ),
    (
        "encompass_incidents_notified_on_time",
        "Of those incidents, the ones notified before the start of the next school session "
        "after police attended.",
        "count",
    ),
    (
        "encompass_coverage_rate",
        "Share of attended incidents with a child present whose school was notified.",
        "%",
    ),
    (
        "encompass_incidents_on_time_rate",
        "Share of attended incidents with a child present notified before the next school session.",
        "%",
    ),
):
    define(_name, _text, _unit, "inspection", _ENC_OVERSIGHT)  # type: ignore[arg-type]

define(
    "actions_on_tracker",
    "Actions on the tracker as at the period's end: planned by then and not completed before "
    "the period began.",
    "count",
    "annual-report",
    _TRACKER,
    "reviews",
)
