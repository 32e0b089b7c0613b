"""The front door's year: contacts, MASH decisions, VISTs, police domestic-abuse incidents and
their Operation Encompass notifications, early-help allocations, and the casework clocks after
a referral (strategy discussion, ICPC, assessment), as intake's inbound events.

The shape follows the seeds: police and schools send the most contacts; many contacts from
health and the police do not convert to a referral (the scrutineer's thresholds finding); some
decisions miss the one-working-day target; some VISTs are submitted days or weeks after the
incident; police log each domestic-abuse incident with a child present, and the school is told
after police attended: most before the next school day, some late ("some report delays in
receiving timely notifications"), more often after a delayed VIST, a few never; a few
families wait up to ten weeks for early help; wishes and feelings are often not recorded.
After a referral the council front door records strategy discussions, initial child
protection conferences (mostly within 15 working days of the strategy discussion) and
assessments (mostly within 45 working days of referral).

The year is sent after the day ("as at" the simulated year), so each contact says when it was
acknowledged on its day (`acknowledged_at`, which intake takes only from a trusted system such
as the simulator): mostly within a minute or two, a share of portal acknowledgements late by
up to a few hours (the inspection found portal acknowledgements late).

Payloads are built only from intake's registered contract models, so the simulator cannot
drift from what intake accepts.
"""

from __future__ import annotations

import heapq
import math
import random
import statistics
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from ops.simulation.model import Outbound, PartnershipTotals, Plan, Totals
from shared.codes import (
    REFERRAL_OUTCOMES,
    AgeBand,
    ContactSource,
    Factor,
    MashOutcome,
    sector_of_source,
)
from shared.contracts import EventData
from shared.contracts.casework import (
    ASSESSMENT_RECORDED,
    ASSESSMENT_TARGET_WORKING_DAYS,
    CONFERENCE_RECORDED,
    ICPC_TARGET_WORKING_DAYS,
    STRATEGY_DISCUSSION_RECORDED,
    AssessmentRecorded,
    ConferenceRecorded,
    StrategyDiscussionRecorded,
)
from shared.contracts.intake import (
    DA_INCIDENT_ATTENDED,
    DECISION_RECORDED,
    EARLY_HELP_ALLOCATION_RECORDED,
    ENCOMPASS_NOTIFICATION_SENT,
    SUBMITTED,
    VIST_SUBMITTED,
    Channel,
    Consent,
    ConsentReason,
    ContactSubmitted,
    DecisionRecorded,
    DomesticAbuseIncidentAttended,
    EarlyHelpAllocationRecorded,
    EncompassNotificationSent,
    VistSubmitted,
)
from shared.events import new_event
from shared.school_calendar import encompass_deadline
from shared.workdays import (
    LONDON,
    add_working_days,
    is_working_day,
    local_date,
    working_day_deadline,
)

# One county's year (Gloucestershire-sized, tens of thousands of contacts) at --scale 1.
CONTACTS_PER_YEAR = 24_000
LATE_ACKNOWLEDGEMENT_SHARE = 0.1  # acknowledged hours, not seconds, after receipt

# Source of contact: share of contacts, chance of converting to a referral, agency code, and
# whether the agency publishes on Kafka (police and council systems) or posts over HTTP.
_S = ContactSource


@dataclass(frozen=True)
class SourceProfile:
    share: float
    conversion: float
    agency: str
    kafka: bool


SOURCES: dict[ContactSource, SourceProfile] = {
    _S.POLICE: SourceProfile(0.27, 0.10, "police", True),
    _S.SCHOOLS: SourceProfile(0.17, 0.30, "schools", False),
    _S.EDUCATION_SERVICES: SourceProfile(0.02, 0.25, "education-services", False),
    _S.GP: SourceProfile(0.03, 0.10, "gp-practices", False),
    _S.HEALTH_VISITOR: SourceProfile(0.04, 0.14, "health-visiting", False),
    _S.SCHOOL_NURSE: SourceProfile(0.01, 0.12, "school-nursing", False),
    _S.OTHER_PRIMARY_HEALTH: SourceProfile(0.02, 0.08, "primary-care", False),
    _S.A_AND_E: SourceProfile(0.06, 0.06, "acute-trust-ed", False),
    _S.OTHER_HEALTH: SourceProfile(0.05, 0.09, "health-trust", False),
    _S.INDIVIDUAL_FAMILY: SourceProfile(0.04, 0.20, "public", False),
    _S.INDIVIDUAL_ACQUAINTANCE: SourceProfile(0.01, 0.15, "public", False),
    _S.INDIVIDUAL_SELF: SourceProfile(0.01, 0.25, "public", False),
    _S.INDIVIDUAL_OTHER: SourceProfile(0.01, 0.15, "public", False),
    _S.HOUSING: SourceProfile(0.02, 0.15, "district-housing", False),
    _S.LA_SOCIAL_CARE: SourceProfile(0.05, 0.45, "county-social-care", True),
    _S.OTHER_INTERNAL_LA: SourceProfile(0.02, 0.25, "county-council", True),
    _S.ANOTHER_LA: SourceProfile(0.02, 0.40, "other-local-authority", False),
    _S.EARLY_HELP: SourceProfile(0.04, 0.35, "county-early-help", True),
    _S.OTHER_LEGAL_AGENCY: SourceProfile(0.03, 0.20, "probation", False),
    _S.OTHER: SourceProfile(0.04, 0.15, "voluntary-sector", False),
    _S.ANONYMOUS: SourceProfile(0.02, 0.05, "anonymous", False),
    _S.UNKNOWN: SourceProfile(0.02, 0.05, "unknown", False),
}
_SOURCE_LIST = list(SOURCES)
_SOURCE_WEIGHTS = [p.share for p in SOURCES.values()]

# Decisions: most within a working day, some late, a few still undecided at the end of the run.
LATE_DECISION = 0.07
NEVER_DECIDED = 0.003
WISHES_RECORDED = 0.62
VIST_SHARE_OF_POLICE = 0.8
DOMESTIC_ABUSE = (Factor.DOMESTIC_ABUSE_A, Factor.DOMESTIC_ABUSE_B, Factor.DOMESTIC_ABUSE_C)
# Operation Encompass: children of early-years or school age; of their incidents a few are
# never notified and some notifications are late (the inspection).
ENCOMPASS_MIN_AGE = 2
ENCOMPASS_NEVER_NOTIFIED = 0.06
ENCOMPASS_LATE = 0.12
ENCOMPASS_LATE_AFTER_DELAYED_VIST = 0.5
# Casework after a referral: most strategy-discussion referrals have one recorded, over half
# of those go to an ICPC; most referrals are assessed; a share of each clock is missed.
STRATEGY_DISCUSSION_HELD = 0.9
ICPC_HELD = 0.6
ICPC_LATE = 0.15
ASSESSED = 0.8
ASSESSMENT_LATE = 0.12
_COMMON_FACTORS = [
    Factor.DOMESTIC_ABUSE_B,
    Factor.MENTAL_HEALTH_B,
    Factor.NEGLECT,
    Factor.EMOTIONAL_ABUSE,
    Factor.ALCOHOL_B,
    Factor.DRUGS_B,
    Factor.PHYSICAL_ABUSE_B,
    Factor.SELF_HARM,
    Factor.MISSING,
    Factor.CHILD_CRIMINAL_EXPLOITATION,
    Factor.CHILD_SEXUAL_EXPLOITATION,
    Factor.MENTAL_HEALTH_A,
    Factor.LEARNING_DISABILITY_A,
    Factor.SOCIALLY_UNACCEPTABLE_BEHAVIOUR,
]
_FACTOR_WEIGHTS = [14, 10, 9, 7, 5, 5, 5, 4, 3, 3, 2, 4, 2, 3]


def _poisson(rng: random.Random, mean: float) -> int:
    if mean <= 0:
        return 0
    if mean > 30:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _at(day: date, minutes: float) -> datetime:
    """A moment on `day`, `minutes` after local midnight, in UTC."""
    local = datetime.combine(day, time(0, 0), LONDON) + timedelta(minutes=minutes)
    return local.astimezone(UTC)


def _office_moment(rng: random.Random, day: date, after: datetime | None = None) -> datetime:
    """A moment in office hours (09:00-17:30 London) on `day`, later than `after`."""
    low = 9 * 60.0
    if after is not None and local_date(after) == day:
        local = after.astimezone(LONDON)
        low = max(low, local.hour * 60 + local.minute + local.second / 60 + 10)
    high = max(low + 1, 17.5 * 60)
    return _at(day, rng.uniform(low, high))


def _next_working_day(day: date) -> date:
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def _daily_weight(day: date) -> float:
    if day.weekday() >= 5:
        return 0.3
    return 1.0 if is_working_day(day) else 0.4


@dataclass
class _Contact:
    """Facts the generator keeps while a contact's lifecycle events are pending."""

    contact_id: str
    source: ContactSource
    received_at: datetime


class FrontDoor:
    """One partnership's front-door year, as intake inbound events in time order."""

    def __init__(self, plan: Plan, partnership: str, volume: float, totals: Totals) -> None:
        self.plan = plan
        self.pid = partnership
        self.rng = plan.rng(partnership, "frontdoor")
        # Its own stream, so the acknowledgement delays change nothing else of the year.
        self.ack_rng = plan.rng(partnership, "acknowledgement")
        # Likewise Operation Encompass and the casework clocks.
        self.encompass_rng = plan.rng(partnership, "encompass")
        self.case_rng = plan.rng(partnership, "casework")
        self._ack_seconds: list[float] = []
        self.totals: PartnershipTotals = totals.of(partnership)
        self.per_year = CONTACTS_PER_YEAR * plan.scale * volume
        self._seq = 0
        self._count = 0
        self._pending: list[tuple[datetime, int, Outbound]] = []

    # -- the stream -------------------------------------------------------------------------

    def __iter__(self) -> Iterator[Outbound]:
        start, end = self.plan.start, self.plan.end
        days = [start + timedelta(days=i) for i in range((end - start).days)]
        weight_sum = sum(_daily_weight(d) for d in days)
        for day in days:
            mean = self.per_year * _daily_weight(day) / weight_sum
            for minutes in sorted(self._arrival_minutes(day, _poisson(self.rng, mean))):
                self._contact(_at(day, minutes))
            # Everything before the next day's first contact can go out now.
            yield from self._flush(_at(day + timedelta(days=1), 0))
        yield from self._flush(None)
        if self._ack_seconds:
            self.totals.acknowledgement_seconds_median = statistics.median(self._ack_seconds)

    def _flush(self, before: datetime | None) -> Iterator[Outbound]:
        while self._pending and (before is None or self._pending[0][0] < before):
            yield heapq.heappop(self._pending)[2]

    def _arrival_minutes(self, day: date, n: int) -> list[float]:
        # Office hours mostly, with a round-the-clock share (police, emergency departments).
        busy = is_working_day(day)
        out = []
        for _ in range(n):
            if busy and self.rng.random() < 0.8:
                out.append(self.rng.uniform(8 * 60, 18 * 60))
            else:
                out.append(self.rng.uniform(0, 24 * 60 - 1))
        return out

    def _emit(self, kind: str, type_: str, data: EventData, at: datetime, c: _Contact) -> None:
        profile = SOURCES[c.source]
        from_agency = kind in ("submitted", "vist", "incident", "encompass")
        envelope = new_event(
            id=self.plan.event_id(self.pid, c.contact_id, kind),
            type=type_,
            # Agencies submit as themselves (`agency/<code>`); decisions, allocations and
            # casework records come from the MASH's (the council front door's) system.
            source=f"agency/{self.pid}-{profile.agency if from_agency else 'mash'}",
            partnership=self.pid,
            subject=c.contact_id,
            time=at,
            data=data.model_dump(mode="json", exclude_defaults=False),
        )
        kafka = profile.kafka if from_agency else True
        self._seq += 1
        heapq.heappush(
            self._pending,
            (at, self._seq, Outbound("intake", envelope, c.contact_id, kafka_sender=kafka)),
        )
        self.totals.events_by_type[type_] += 1

    # -- one contact ------------------------------------------------------------------------

    def _contact(self, received_at: datetime) -> None:
        rng, t = self.rng, self.totals
        self._count += 1
        source = rng.choices(_SOURCE_LIST, _SOURCE_WEIGHTS)[0]
        profile = SOURCES[source]
        contact_id = f"{self.plan.ids(self.pid)}-{self._count:07d}"
        c = _Contact(contact_id, source, received_at)
        sector = sector_of_source(source)
        police = source is ContactSource.POLICE
        channel = self._channel(police)

        unborn = source in (ContactSource.HEALTH_VISITOR, ContactSource.OTHER_HEALTH) and (
            rng.random() < 0.15
        )
        age = None if unborn else self._age(source)
        factors = self._factors(police)
        consent, reason = self._consent()
        wishes = rng.random() < WISHES_RECORDED
        submitted = ContactSubmitted(
            contact_id=contact_id,
            agency=f"{self.pid}-{profile.agency}",
            sector=sector,
            source=source,
            channel=channel,
            received_at=received_at,
            child_ref=f"{self.pid}-{profile.agency}-{rng.randrange(10**6):06d}",
            age_years=age,
            age_band=AgeBand.UNBORN if unborn else None,
            unborn=unborn,
            factors=factors,
            consent=consent,
            consent_reason=reason,
            wishes_and_feelings_recorded=wishes,
            acknowledged_at=received_at + timedelta(seconds=self._acknowledgement_delay()),
        )
        self._emit("submitted", SUBMITTED, submitted, received_at, c)
        t.contacts += 1
        t.contacts_by_source[source.value] += 1
        t.contacts_by_sector[sector.value] += 1
        t.contacts_by_month[received_at.astimezone(LONDON).strftime("%Y-%m")] += 1
        t.wishes_and_feelings_recorded += wishes

        if channel is Channel.VIST:
            self._vist(c, factors, age)
        self._decide(c, profile)

    def _acknowledgement_delay(self) -> float:
        """Seconds from receipt to acknowledgement on the day."""
        rng = self.ack_rng
        if rng.random() < LATE_ACKNOWLEDGEMENT_SHARE:
            seconds = float(rng.randint(15 * 60, 4 * 3600))
        else:
            seconds = float(rng.randint(1, 120))
        self._ack_seconds.append(seconds)
        return seconds

    def _channel(self, police: bool) -> Channel:
        if police:
            return Channel.VIST if self.rng.random() < VIST_SHARE_OF_POLICE else Channel.PHONE
        return self.rng.choices(
            [Channel.MARF, Channel.PHONE, Channel.EMAIL, Channel.OTHER], [70, 15, 10, 5]
        )[0]

    def _age(self, source: ContactSource) -> int:
        if source in (ContactSource.SCHOOLS, ContactSource.SCHOOL_NURSE):
            return self.rng.randint(4, 17)
        if source is ContactSource.HEALTH_VISITOR:
            return self.rng.randint(0, 4)
        return self.rng.choices(range(18), [6, 5, 5, 5, 5, 5, 5, 5, 5, 5, 6, 6, 7, 7, 7, 7, 5, 4])[
            0
        ]

    def _factors(self, police: bool) -> list[Factor]:
        rng = self.rng
        chosen = set(rng.choices(_COMMON_FACTORS, _FACTOR_WEIGHTS, k=rng.choice([0, 1, 1, 2, 3])))
        if police and rng.random() < 0.45:
            chosen.add(Factor.DOMESTIC_ABUSE_B)
        return sorted(chosen, key=lambda f: f.value) or [Factor.NONE]

    def _consent(self) -> tuple[Consent, ConsentReason | None]:
        roll = self.rng.random()
        if roll < 0.75:
            return Consent.OBTAINED, None
        if roll < 0.9:
            reason = self.rng.choice(
                [ConsentReason.FAMILY_NOT_CONTACTABLE, ConsentReason.FAMILY_REFUSED]
            )
            return Consent.NOT_OBTAINED, reason
        reason = self.rng.choice(
            [ConsentReason.RISK_OF_SIGNIFICANT_HARM, ConsentReason.WOULD_PREJUDICE_ENQUIRY]
        )
        return Consent.DISPENSED_WITH, reason

    def _decide(self, c: _Contact, profile: SourceProfile) -> None:
        rng, t = self.rng, self.totals
        if rng.random() < NEVER_DECIDED:
            t.undecided += 1
            return
        deadline = working_day_deadline(c.received_at, 1)
        first = local_date(c.received_at)
        deadline_day = add_working_days(first, 1)
        if rng.random() < LATE_DECISION:
            day = add_working_days(deadline_day, rng.choice([1, 1, 1, 2, 2, 3, 5]))
        elif is_working_day(first) and c.received_at.astimezone(LONDON).hour < 16:
            day = first if rng.random() < 0.6 else deadline_day
        else:
            day = deadline_day
        decided_at = _office_moment(rng, day, after=c.received_at)
        converts = rng.random() < profile.conversion
        if converts:
            outcome = rng.choices(
                [MashOutcome.SOCIAL_CARE_ASSESSMENT, MashOutcome.STRATEGY_DISCUSSION_S47], [7, 3]
            )[0]
            level = 4 if outcome is MashOutcome.STRATEGY_DISCUSSION_S47 else rng.choice([3, 3, 4])
        else:
            outcome = rng.choices(
                [
                    MashOutcome.NO_FURTHER_ACTION,
                    MashOutcome.ADVICE_OR_SIGNPOSTING,
                    MashOutcome.EARLY_HELP,
                ],
                [35, 35, 30],
            )[0]
            level = {
                MashOutcome.NO_FURTHER_ACTION: 1,
                MashOutcome.ADVICE_OR_SIGNPOSTING: rng.choice([1, 2]),
                MashOutcome.EARLY_HELP: rng.choice([2, 2, 3]),
            }[outcome]
        decision = DecisionRecorded(
            contact_id=c.contact_id, outcome=outcome, level=level, decided_at=decided_at
        )
        self._emit("decision", DECISION_RECORDED, decision, decided_at, c)
        t.decisions += 1
        t.decisions_within_target += decided_at < deadline
        t.outcomes[outcome.value] += 1
        t.levels[str(level)] += 1
        if outcome in REFERRAL_OUTCOMES:
            t.referrals += 1
            t.referrals_by_source[c.source.value] += 1
        if outcome is MashOutcome.EARLY_HELP:
            self._early_help(c, decided_at)
        if outcome in REFERRAL_OUTCOMES:
            self._casework(c, outcome, decided_at)

    def _casework(self, c: _Contact, outcome: MashOutcome, decided_at: datetime) -> None:
        """The clocks after a referral, recorded by the council front door (a front-door
        type: the bare inbound topic or HTTP with a decide key, never an agency's topic)."""
        rng, t = self.case_rng, self.totals
        if outcome is MashOutcome.STRATEGY_DISCUSSION_S47 and rng.random() < (
            STRATEGY_DISCUSSION_HELD
        ):
            day = add_working_days(local_date(decided_at), rng.choice([0, 0, 1, 1, 2]))
            held_at = _office_moment(rng, day, after=decided_at)
            held_at = max(held_at, decided_at + timedelta(minutes=10))
            strategy = StrategyDiscussionRecorded(contact_id=c.contact_id, held_at=held_at)
            self._emit("strategy", STRATEGY_DISCUSSION_RECORDED, strategy, held_at, c)
            t.strategy_discussions += 1
            if rng.random() < ICPC_HELD:
                late = rng.random() < ICPC_LATE
                days = rng.randint(16, 25) if late else rng.randint(5, ICPC_TARGET_WORKING_DAYS)
                icpc_at = _office_moment(rng, add_working_days(local_date(held_at), days))
                icpc = ConferenceRecorded(contact_id=c.contact_id, held_at=icpc_at)
                self._emit("icpc", CONFERENCE_RECORDED, icpc, icpc_at, c)
                t.icpcs += 1
                t.icpcs_within_15_working_days += icpc_at < working_day_deadline(
                    held_at, ICPC_TARGET_WORKING_DAYS
                )
        if rng.random() < ASSESSED:
            late = rng.random() < ASSESSMENT_LATE
            days = rng.randint(46, 70) if late else rng.randint(8, ASSESSMENT_TARGET_WORKING_DAYS)
            done_at = _office_moment(rng, add_working_days(local_date(c.received_at), days))
            assessment = AssessmentRecorded(
                contact_id=c.contact_id, started_at=decided_at, completed_at=done_at
            )
            self._emit("assessment", ASSESSMENT_RECORDED, assessment, done_at, c)
            t.assessments_completed += 1
            t.assessments_within_45_working_days += done_at < working_day_deadline(
                c.received_at, ASSESSMENT_TARGET_WORKING_DAYS
            )

    def _early_help(self, c: _Contact, decided_at: datetime) -> None:
        rng, t = self.rng, self.totals
        roll = rng.random()
        if roll < 0.75:
            wait = rng.randint(2, 20)
        elif roll < 0.95:
            wait = rng.randint(21, 49)
        else:
            wait = rng.randint(50, 72)  # the inspection: families waiting up to 10 weeks
        day = _next_working_day(local_date(decided_at) + timedelta(days=wait))
        allocated_at = _office_moment(rng, day, after=decided_at)
        allocation = EarlyHelpAllocationRecorded(contact_id=c.contact_id, allocated_at=allocated_at)
        self._emit("early-help", EARLY_HELP_ALLOCATION_RECORDED, allocation, allocated_at, c)
        t.early_help_allocations += 1
        t.early_help_waits_over_10_weeks += (allocated_at - decided_at).days > 70

    def _vist(self, c: _Contact, factors: list[Factor], age: int | None) -> None:
        """A VIST is the police contact itself: submitted when the front door received it,
        after an incident the same day, or (inspection) days or weeks before."""
        rng, t = self.rng, self.totals
        submitted_at = c.received_at
        local = submitted_at.astimezone(LONDON)
        since_midnight = local.hour * 60 + local.minute
        roll = rng.random()
        if roll < 0.72 and since_midnight > 5:
            incident_at = submitted_at - timedelta(minutes=rng.uniform(1, since_midnight - 1))
        else:
            back = rng.randint(1, 3) if roll < 0.92 else rng.randint(4, 28)
            day = local_date(submitted_at) - timedelta(days=back)
            incident_at = _at(day, rng.uniform(0, 24 * 60 - 1))
        vist = VistSubmitted(
            contact_id=c.contact_id, incident_at=incident_at, submitted_at=submitted_at
        )
        self._emit("vist", VIST_SUBMITTED, vist, submitted_at, c)
        t.vists += 1
        t.vists_same_day += local_date(incident_at) == local_date(submitted_at)
        if (
            age is not None
            and age >= ENCOMPASS_MIN_AGE
            and any(f in DOMESTIC_ABUSE for f in factors)
        ):
            self._encompass(c, incident_at, submitted_at)

    def _encompass(self, c: _Contact, incident_at: datetime, vist_at: datetime) -> None:
        """Police log the domestic-abuse incident (one record per child present: one contact
        each) with when they attended, and send the record with the VIST. The school is to be
        told before the next school day after the attendance (`shared.school_calendar`): most
        are, some late ("some report delays in receiving timely notifications"), more of them
        when the VIST was delayed, and a few never. The notification follows the attendance;
        the police system sends its record no earlier than the VIST."""
        rng, t = self.encompass_rng, self.totals
        attended_at = min(incident_at + timedelta(minutes=rng.uniform(5, 90)), vist_at)
        incident = DomesticAbuseIncidentAttended(
            contact_id=c.contact_id, incident_at=incident_at, attended_at=attended_at
        )
        self._emit("incident", DA_INCIDENT_ATTENDED, incident, vist_at + timedelta(seconds=1), c)
        t.encompass_incidents += 1
        if rng.random() < ENCOMPASS_NEVER_NOTIFIED:
            t.encompass_incidents_not_notified += 1
            return
        deadline = encompass_deadline(attended_at)
        delayed_vist = local_date(vist_at) != local_date(incident_at)
        late = rng.random() < (
            ENCOMPASS_LATE_AFTER_DELAYED_VIST if delayed_vist else ENCOMPASS_LATE
        )
        earliest = attended_at + timedelta(minutes=rng.uniform(20, 60))
        latest = min(deadline - timedelta(minutes=10), attended_at + timedelta(hours=16))
        if not late and earliest < latest:
            notified_at = earliest + (latest - earliest) * rng.random()
        else:
            notified_at = max(earliest, deadline + timedelta(hours=rng.uniform(1, 72)))
        notice = EncompassNotificationSent(
            contact_id=c.contact_id,
            incident_at=incident_at,
            attended_at=attended_at,
            notified_at=notified_at,
        )
        sent_at = max(notified_at, vist_at + timedelta(seconds=2))
        self._emit("encompass", ENCOMPASS_NOTIFICATION_SENT, notice, sent_at, c)
        on_time = notified_at < deadline
        t.encompass_notifications += 1
        t.encompass_on_time += on_time
        t.encompass_incidents_notified += 1
        t.encompass_incidents_notified_on_time += on_time
