"""What a simulation is asked for (`Plan`), what it yields (`Outbound`) and what it knows it
sent (`Totals`)."""

from __future__ import annotations

import random
import re
import uuid
from collections import Counter
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime
from typing import Any, Literal

from shared.events import Envelope

Service = Literal["intake", "reviews", "training"]
_NAMESPACE = uuid.UUID("0b6f7a56-3f1e-4a43-8d0c-5a1d2b3c4e5f")
_YEAR = re.compile(r"^(\d{4})-(\d{2})$")


def financial_year(label: str) -> tuple[date, date]:
    """'2020-21' -> (1 April 2020, 1 April 2021): the year's first day and the day after it."""
    match = _YEAR.match(label)
    if match is None:
        raise ValueError(f"year {label!r}: expected the financial year as YYYY-YY, e.g. 2020-21")
    start = int(match.group(1))
    if int(match.group(2)) != (start + 1) % 100:
        raise ValueError(f"year {label!r}: the second part must be the year after the first")
    return date(start, 4, 1), date(start + 1, 4, 1)


@dataclass(frozen=True)
class Plan:
    """A simulated year: the same plan gives the same events, byte for byte."""

    seed: int = 1
    partnerships: int = 1
    scale: float = 1.0
    year: str = "2020-21"

    def __post_init__(self) -> None:
        financial_year(self.year)  # validates
        if not 1 <= self.partnerships <= 999:
            raise ValueError("partnerships: between 1 and 999")
        if not 0 < self.scale <= 1000:
            raise ValueError("scale: greater than 0 (1 = one county's year)")

    @property
    def partnership_ids(self) -> list[str]:
        width = max(2, len(str(self.partnerships)))
        return [f"p{i:0{width}d}" for i in range(1, self.partnerships + 1)]

    @property
    def start(self) -> date:
        return financial_year(self.year)[0]

    @property
    def end(self) -> date:
        return financial_year(self.year)[1]

    def ids(self, partnership: str) -> str:
        """The prefix of the ids a partnership's year creates (contacts, reviews, actions,
        escalations), e.g. 'p01-20' for 2020-21: ids are unique per partnership and year, so
        the next year's reviews are new reviews, not conflicting commands to this year's."""
        return f"{partnership}-{self.start.year % 100:02d}"

    def rng(self, *parts: str) -> random.Random:
        """An independent random stream per partnership and per part of the year, so adding
        a part (or a partnership) never changes what the others generate."""
        # Reproducible simulation, not secrecy: a seeded PRNG is what is wanted here.
        return random.Random(f"{self.seed}/{self.year}/" + "/".join(parts))  # noqa: S311

    def event_id(self, *parts: str) -> str:
        """Deterministic event ids: running the same plan twice publishes the same events,
        which the services recognise as already seen (so a re-run does not double counts)."""
        return str(uuid.uuid5(_NAMESPACE, f"{self.seed}/{self.year}/" + "/".join(parts)))


@dataclass(frozen=True)
class Outbound:
    """One inbound event for a service, and whether its sender is one that uses Kafka
    (agencies without a Kafka producer use HTTP when publishing `--via both`)."""

    service: Service
    envelope: Envelope
    key: str
    kafka_sender: bool = True

    @property
    def at(self) -> datetime:
        return self.envelope.time.astimezone(UTC)


def _plain(value: Any) -> Any:
    if isinstance(value, Counter | dict):
        return {str(k): _plain(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    return value


@dataclass
class PartnershipTotals:
    """What the simulator sent for one partnership: the figures reporting should show.

    Counts of contacts are by receipt; decision, VIST, Encompass, early-help and casework
    counts are of the events sent (a March contact may be decided or assessed in April, an
    April VIST's incident may be in March: the run's totals include them, wherever reporting
    places them); assurance counts are the year's own (returns for the financial year, child
    deaths and ALTE reviews dated in it)."""

    # Front door
    contacts: int = 0
    contacts_by_source: Counter[str] = field(default_factory=Counter)
    contacts_by_sector: Counter[str] = field(default_factory=Counter)
    contacts_by_month: Counter[str] = field(default_factory=Counter)
    wishes_and_feelings_recorded: int = 0
    acknowledgement_seconds_median: float | None = None  # as acknowledged on the day
    decisions: int = 0
    decisions_within_target: int = 0
    undecided: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    levels: Counter[str] = field(default_factory=Counter)
    referrals: int = 0
    referrals_by_source: Counter[str] = field(default_factory=Counter)
    vists: int = 0
    vists_same_day: int = 0
    encompass_notifications: int = 0
    encompass_on_time: int = 0
    # Police domestic-abuse incidents with a child present, and the notifications against them
    # (placed by the incident: a late VIST's incident may fall in the year before).
    encompass_incidents: int = 0
    encompass_incidents_notified: int = 0
    encompass_incidents_not_notified: int = 0
    encompass_incidents_notified_on_time: int = 0
    early_help_allocations: int = 0
    early_help_waits_over_10_weeks: int = 0
    # Casework clocks after a referral (placed by when held or completed)
    strategy_discussions: int = 0
    icpcs: int = 0
    icpcs_within_15_working_days: int = 0
    assessments_completed: int = 0
    assessments_within_45_working_days: int = 0
    # Reviews
    serious_incidents: int = 0
    rapid_reviews: int = 0
    rapid_reviews_within_15_working_days: int = 0
    rapid_reviews_by_theme: Counter[str] = field(default_factory=Counter)
    rapid_reviews_by_age_band: Counter[str] = field(default_factory=Counter)
    lcsprs: int = 0
    recommendations: int = 0
    recommendations_by_agreement: Counter[str] = field(default_factory=Counter)
    actions: int = 0
    actions_by_status: Counter[str] = field(default_factory=Counter)
    escalations_raised: int = 0
    escalations_resolved: int = 0
    # Assurance: section 11 and 175 returns for the year, child deaths and ALTE reviews
    section_11_agencies_asked: int = 0
    section_11_returns: int = 0
    section_11_standards_rated: int = 0
    section_11_standards_met: int = 0
    section_175_settings_asked: int = 0
    section_175_returns: int = 0
    child_deaths: int = 0
    child_deaths_by_category: Counter[str] = field(default_factory=Counter)
    alte_reviews: int = 0
    alte_reviews_to_rapid_review: int = 0
    # Training
    learners_registered: int = 0
    learners_by_organisation: Counter[str] = field(default_factory=Counter)
    enrolments: int = 0
    refresher_enrolments: int = 0  # of `enrolments`: courses taken again after a completion
    enrolments_by_course_and_organisation: Counter[str] = field(default_factory=Counter)
    enrolments_by_format: Counter[str] = field(default_factory=Counter)
    completions: int = 0
    refresher_completions: int = 0
    completions_by_organisation: Counter[str] = field(default_factory=Counter)
    completions_by_format: Counter[str] = field(default_factory=Counter)
    # Everything sent, by event type
    events_by_type: Counter[str] = field(default_factory=Counter)

    @property
    def events(self) -> int:
        return sum(self.events_by_type.values())

    def as_dict(self) -> dict[str, Any]:
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self)}


@dataclass
class Totals:
    """The simulator's own known totals, per partnership, complete once every event of the
    simulation has been generated."""

    plan: Plan
    partnerships: dict[str, PartnershipTotals] = field(default_factory=dict)

    def of(self, partnership: str) -> PartnershipTotals:
        return self.partnerships.setdefault(partnership, PartnershipTotals())

    @property
    def events(self) -> int:
        return sum(p.events for p in self.partnerships.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "seed": self.plan.seed,
            "year": self.plan.year,
            "scale": self.plan.scale,
            "events": self.events,
            "partnerships": {k: v.as_dict() for k, v in sorted(self.partnerships.items())},
        }
