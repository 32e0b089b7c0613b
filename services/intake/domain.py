"""Front-door rules, free of Kafka and MongoDB: the contact file, which inbound events it
accepts, the clocks (decision, VIST, Operation Encompass, early-help wait), corrections, and
the canonical events a file gives rise to.

Corrections: a record of a kind the contact already has (a decision, allocation, VIST,
Encompass notification or police incident) is accepted only with a `correction` (reason code
and time). Every version is kept (the timeline shows them all); the current one is the
original until corrected, then the correction made latest. Each version is numbered in the
order it was recorded (`revision`); a version becomes current only when it is recorded, so
the canonical events of successive current versions carry rising `sequence` numbers, and a
subscriber that keeps the highest holds the current version whatever order it receives them.

Canonical events are derived from the whole file, not from the event that just arrived, so
arrival order does not matter: a decision stored before its contact yields `contact decided`
the moment the contact arrives, and re-deriving after a crash yields the same events with the
same ids.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, TypedDict, TypeVar

from services.intake import casework
from shared.codes import (
    REFERRAL_OUTCOMES,
    AgeBand,
    ContactSource,
    Sector,
    age_band,
    sector_of_source,
)
from shared.contracts import EventData
from shared.contracts.casework import (
    ASSESSMENT_RECORDED,
    CONFERENCE_RECORDED,
    STRATEGY_DISCUSSION_RECORDED,
    AssessmentRecorded,
    ConferenceRecorded,
    StrategyDiscussionRecorded,
)
from shared.contracts.intake import (
    ACKNOWLEDGED,
    DA_INCIDENT_ATTENDED,
    DECIDED,
    DECISION_OVERDUE,
    DECISION_RECORDED,
    EARLY_HELP_ALLOCATED,
    EARLY_HELP_ALLOCATION_RECORDED,
    ENCOMPASS_DUE,
    ENCOMPASS_NOTIFICATION_SENT,
    ENCOMPASS_NOTIFIED,
    RECEIVED,
    SUBMITTED,
    VIST_RECORDED,
    VIST_SUBMITTED,
    Channel,
    ContactAcknowledged,
    ContactDecided,
    ContactReceived,
    ContactSubmitted,
    Correction,
    CorrectionNote,
    DecisionOverdue,
    DecisionRecorded,
    DomesticAbuseIncidentAttended,
    EarlyHelpAllocated,
    EarlyHelpAllocationRecorded,
    EncompassDue,
    EncompassNotificationSent,
    EncompassNotified,
    VistRecorded,
    VistSubmitted,
)
from shared.events import derived_id
from shared.inbound_policy import identifier_problem
from shared.rejections import Conflict, Rejected
from shared.school_calendar import DEFAULT, SchoolCalendar, encompass_deadline
from shared.workdays import (
    LONDON,
    is_working_day,
    local_date,
    working_day_deadline,
    working_days_between,
)

DECISION_TARGET_WORKING_DAYS = 1

Lifecycle = (
    ContactSubmitted
    | DecisionRecorded
    | EarlyHelpAllocationRecorded
    | VistSubmitted
    | EncompassNotificationSent
    | DomesticAbuseIncidentAttended
    | StrategyDiscussionRecorded
    | ConferenceRecorded
    | AssessmentRecorded
)
D = TypeVar("D", bound=EventData)


# ---------------------------------------------------------------------------------------------
# Clocks


def decision_deadline(received_at: datetime) -> datetime:
    """End of the first working day after the day of receipt (London time)."""
    return working_day_deadline(received_at, DECISION_TARGET_WORKING_DAYS)


def working_hours_between(start: datetime, end: datetime) -> float:
    """Hours from `start` to `end` that fall on working days (London calendar days; weekends
    and bank holidays do not count). 0 when `end` is not after `start`."""
    if end <= start:
        return 0.0
    total = timedelta()
    day = local_date(start)
    last = local_date(end)
    while day <= last:
        if is_working_day(day):
            day_start = datetime.combine(day, datetime.min.time(), LONDON)
            next_start = datetime.combine(day + timedelta(days=1), datetime.min.time(), LONDON)
            lo, hi = max(start, day_start), min(end, next_start)
            if hi > lo:
                total += hi - lo
        day += timedelta(days=1)
    return total.total_seconds() / 3600


def _hours(start: datetime, end: datetime) -> float:
    return max(0.0, (end - start).total_seconds() / 3600)


@dataclass(frozen=True)
class DecisionClock:
    deadline: datetime
    within_target: bool
    working_days: int
    working_hours: float


def decision_clock(received_at: datetime, decided_at: datetime) -> DecisionClock:
    deadline = decision_deadline(received_at)
    return DecisionClock(
        deadline=deadline,
        within_target=decided_at < deadline,
        working_days=working_days_between(local_date(received_at), local_date(decided_at)),
        working_hours=working_hours_between(received_at, decided_at),
    )


@dataclass(frozen=True)
class VistDelay:
    same_day: bool
    days: int
    hours: float


def vist_delay(incident_at: datetime, submitted_at: datetime) -> VistDelay:
    """Target: the VIST is submitted on the day of the incident (London calendar day)."""
    days = max(0, (local_date(submitted_at) - local_date(incident_at)).days)
    return VistDelay(same_day=days == 0, days=days, hours=_hours(incident_at, submitted_at))


@dataclass(frozen=True)
class EncompassClock:
    deadline: datetime
    on_time: bool
    hours: float


def encompass_clock(
    attended_at: datetime,
    notified_at: datetime,
    calendar: SchoolCalendar = DEFAULT,
    *,
    incident_at: datetime | None = None,
) -> EncompassClock:
    """Target: the school knows "before the start of the next school day" after police
    attended (PRODUCT.md), on the partnership's school calendar; `hours` are counted from the
    incident (from attendance when the incident time is not given)."""
    deadline = encompass_deadline(attended_at, calendar)
    return EncompassClock(
        deadline=deadline,
        on_time=notified_at < deadline,
        hours=_hours(incident_at or attended_at, notified_at),
    )


@dataclass(frozen=True)
class EarlyHelpWait:
    days: int
    working_days: int


def early_help_wait(decided_at: datetime, allocated_at: datetime) -> EarlyHelpWait:
    start, end = local_date(decided_at), local_date(allocated_at)
    return EarlyHelpWait(
        days=max(0, (end - start).days), working_days=working_days_between(start, end)
    )


def acknowledgement_seconds(received_at: datetime, acknowledged_at: datetime) -> float:
    return max(0.0, (acknowledged_at - received_at).total_seconds())


def acknowledged_at(contact: Recorded[ContactSubmitted]) -> datetime:
    """When the contact was acknowledged: when intake stored it, unless one of the
    partnership's trusted systems loaded it after the day and said when it was acknowledged
    then (`check_acknowledgement_source` keeps agencies from saying so)."""
    return contact.data.acknowledged_at or contact.recorded_at


# ---------------------------------------------------------------------------------------------
# The contact file


@dataclass(frozen=True)
class Recorded(Generic[D]):
    """An inbound event as intake recorded it: the `revision`-th record of its kind for the
    contact, sent by `source` (the agency, `agency/<code>`) through `principal` (the API key
    over HTTP; none on Kafka, where the agency's topic identifies it)."""

    event_id: str
    data: D
    recorded_at: datetime  # intake's clock; for the contact, the acknowledgement time
    revision: int = 1
    source: str | None = None
    principal: str | None = None

    @property
    def correction(self) -> Correction | None:
        correction: Correction | None = getattr(self.data, "correction", None)
        return correction


@dataclass(frozen=True)
class ContactFile:
    """Everything known about one contact, whatever order it arrived in."""

    contact_id: str
    partnership: str | None = None
    contact: Recorded[ContactSubmitted] | None = None
    decision: Recorded[DecisionRecorded] | None = None
    early_help: Recorded[EarlyHelpAllocationRecorded] | None = None
    vist: Recorded[VistSubmitted] | None = None
    encompass: Recorded[EncompassNotificationSent] | None = None
    incident: Recorded[DomesticAbuseIncidentAttended] | None = None
    superseded: tuple[Recorded[Any], ...] = ()  # versions no longer (or never) current
    # After a referral (see `casework`): the ICPC and assessment clocks.
    strategy_discussion: Recorded[StrategyDiscussionRecorded] | None = None
    conference: Recorded[ConferenceRecorded] | None = None
    assessment: Recorded[AssessmentRecorded] | None = None
    overdue_emitted: bool = False
    applied: frozenset[str] = frozenset()

    def versions(self, slot: str) -> list[Recorded[Any]]:
        """Every version of a slot, in the order recorded."""
        current: Recorded[Any] | None = getattr(self, slot)
        found = [r for r in self.superseded if slot_of(r.data) == slot]
        found += [current] if current is not None else []
        return sorted(found, key=lambda r: r.revision)

    @property
    def status(self) -> str:
        """What an agency asking about its contact needs to know."""
        if self.contact is None:
            return "awaiting-contact"  # lifecycle events arrived before the contact itself
        if self.decision is None:
            return "decision-overdue" if self.overdue_emitted else "awaiting-decision"
        return "decided"


SLOTS: dict[type[EventData], str] = {
    ContactSubmitted: "contact",
    DecisionRecorded: "decision",
    EarlyHelpAllocationRecorded: "early_help",
    VistSubmitted: "vist",
    EncompassNotificationSent: "encompass",
    DomesticAbuseIncidentAttended: "incident",
    StrategyDiscussionRecorded: "strategy_discussion",
    ConferenceRecorded: "conference",
    AssessmentRecorded: "assessment",
}


SLOT_NAMES = {
    "early_help": "early-help allocation",
    "vist": "VIST",
    "encompass": "Encompass notification",
    "incident": "police incident record",
    "strategy_discussion": "strategy discussion",
    "conference": "initial child protection conference",
    "assessment": "assessment",
}


INBOUND_TYPES: dict[type[EventData], str] = {
    ContactSubmitted: SUBMITTED,
    DecisionRecorded: DECISION_RECORDED,
    EarlyHelpAllocationRecorded: EARLY_HELP_ALLOCATION_RECORDED,
    VistSubmitted: VIST_SUBMITTED,
    EncompassNotificationSent: ENCOMPASS_NOTIFICATION_SENT,
    DomesticAbuseIncidentAttended: DA_INCIDENT_ATTENDED,
    StrategyDiscussionRecorded: STRATEGY_DISCUSSION_RECORDED,
    ConferenceRecorded: CONFERENCE_RECORDED,
    AssessmentRecorded: ASSESSMENT_RECORDED,
}


def slot_of(data: EventData) -> str:
    return SLOTS[type(data)]


def _impossible(detail: str) -> Rejected:
    return Rejected("impossible-time", detail)


def _not_future(label: str, moment: datetime, now: datetime, skew: timedelta) -> None:
    if moment > now + skew:
        raise _impossible(f"{label}: {moment.isoformat()} is in the future")


def _not_before(
    later_label: str, later: datetime, earlier_label: str, earlier: datetime, skew: timedelta
) -> None:
    if later < earlier - skew:
        raise _impossible(
            f"{later_label}: {later.isoformat()} is before {earlier_label} {earlier.isoformat()}"
        )


def check_acknowledgement_source(data: object, *, trusted: bool) -> None:
    """Only the partnership's trusted systems (the bare inbound topic, a service-role key) may
    say when a contact was acknowledged: an agency's contact is acknowledged by intake, at
    once, so an agency can never back-date its acknowledgement."""
    if isinstance(data, ContactSubmitted) and data.acknowledged_at is not None and not trusted:
        raise Rejected(
            "untrusted-acknowledgement",
            "acknowledged_at is set by intake when it stores the contact; only the "
            "partnership's trusted systems may send it (for contacts loaded after the day)",
            status=403,
        )


def check_times(file: ContactFile, now: datetime, skew: timedelta) -> None:
    """Every time in the file is possible: nothing in the future, nothing before what it
    follows (allowing `skew` for clocks that disagree a little)."""
    contact = file.contact.data if file.contact else None
    decision = file.decision.data if file.decision else None
    allocation = file.early_help.data if file.early_help else None
    if contact:
        _not_future("received_at", contact.received_at, now, skew)
        if contact.acknowledged_at is not None:
            _not_future("acknowledged_at", contact.acknowledged_at, now, skew)
    if decision:
        _not_future("decided_at", decision.decided_at, now, skew)
        if contact:
            _not_before("decided_at", decision.decided_at, "received_at", contact.received_at, skew)
    if allocation:
        _not_future("allocated_at", allocation.allocated_at, now, skew)
        if decision:
            _not_before(
                "allocated_at", allocation.allocated_at, "decided_at", decision.decided_at, skew
            )
        if contact:
            _not_before(
                "allocated_at", allocation.allocated_at, "received_at", contact.received_at, skew
            )
    if file.vist:
        v = file.vist.data
        _notice_after_incident("submitted_at", v.submitted_at, v.incident_at, now, skew)
    if file.encompass:
        e = file.encompass.data
        _notice_after_incident("notified_at", e.notified_at, e.incident_at, now, skew)
        if e.attended_at is not None:
            _notice_after_incident("attended_at", e.attended_at, e.incident_at, now, skew)
            _not_before("notified_at", e.notified_at, "attended_at", e.attended_at, skew)
    if file.incident:
        i = file.incident.data
        _notice_after_incident("attended_at", i.attended_at, i.incident_at, now, skew)
    casework.check_times(file, now, skew)


def _notice_after_incident(
    label: str, sent: datetime, incident: datetime, now: datetime, skew: timedelta
) -> None:
    _not_future("incident_at", incident, now, skew)
    _not_future(label, sent, now, skew)
    _not_before(label, sent, "incident_at", incident, skew)


def record(
    file: ContactFile,
    *,
    event_id: str,
    partnership: str,
    data: Lifecycle,
    now: datetime,
    skew: timedelta,
    source: str | None = None,
    principal: str | None = None,
) -> ContactFile:
    """The file with `data` recorded, or `Rejected`/`Conflict` saying why it cannot be.
    An event already applied leaves the file as it is. A record of a kind the contact has
    already is accepted as a correction only (see the module's docstring)."""
    if event_id in file.applied:
        return file
    if file.partnership is not None and file.partnership != partnership:
        raise Conflict(f"contact {file.contact_id} belongs to another partnership")
    slot = slot_of(data)
    versions = file.versions(slot)
    new: Recorded[Any] = Recorded(event_id, data, now, len(versions) + 1, source, principal)
    originals = [v for v in versions if v.correction is None]
    if originals and new.correction is None:
        what = SLOT_NAMES.get(slot, slot)
        raise Conflict(
            f"contact {file.contact_id} already has its {what} (event {originals[0].event_id}); "
            f"to correct it, send the new {what} with a `correction` (reason code and time)"
        )
    if new.correction is not None:
        _not_future("correction.corrected_at", new.correction.corrected_at, now, skew)
    # Every version must be possible with the rest of the file, current or not.
    check_times(_in_slot(file, slot, new), now, skew)
    return place(
        dataclasses.replace(file, partnership=partnership, applied=file.applied | {event_id}),
        slot,
        new,
    )


def precedence(version: Recorded[Any]) -> tuple[int, float, str]:
    """Which of two versions is current: the original until corrected, then the correction
    made latest (the event id breaks a tie, so every replica picks the same one)."""
    correction = version.correction
    if correction is None:
        return (0, 0.0, version.event_id)
    return (1, correction.corrected_at.timestamp(), version.event_id)


def place(file: ContactFile, slot: str, new: Recorded[Any]) -> ContactFile:
    """`new` added to the slot's versions: current if it takes precedence over the current
    one (an original arriving after its correction, or a correction made before the current
    one, is kept in the history only). Also replays recorded versions (`store`)."""
    current: Recorded[Any] | None = getattr(file, slot)
    if current is None or precedence(new) > precedence(current):
        superseded = file.superseded + ((current,) if current is not None else ())
        return dataclasses.replace(_in_slot(file, slot, new), superseded=superseded)
    return dataclasses.replace(file, superseded=(*file.superseded, new))


def _in_slot(file: ContactFile, slot: str, version: Recorded[Any]) -> ContactFile:
    changed: dict[str, Any] = {slot: version}
    return dataclasses.replace(file, **changed)


def check_subject(subject: str | None, contact_id: str) -> None:
    if subject is not None and subject != contact_id:
        raise Rejected(
            "schema", f"subject: {subject!r} differs from data.contact_id {contact_id!r}"
        )


# ---------------------------------------------------------------------------------------------
# Canonical events


@dataclass(frozen=True)
class Outgoing:
    """A canonical event to publish: deterministic id and time, and the inbound events it
    follows from (it is re-published whenever one of them is seen again)."""

    type: str
    id: str
    time: datetime
    data: EventData
    causes: frozenset[str]


def child_age_band(contact: ContactSubmitted) -> AgeBand:
    if contact.unborn:
        return AgeBand.UNBORN
    if contact.age_years is not None:
        return age_band(contact.age_years)
    assert contact.age_band is not None  # the contract requires one of the two
    return contact.age_band


def agency_sector(contact: ContactSubmitted) -> Sector:
    return contact.sector or sector_of_source(contact.source)


class _Facts(TypedDict):
    contact_id: str
    agency: str
    sector: Sector
    source: ContactSource
    channel: Channel
    age_band: AgeBand
    received_at: datetime


def _facts(contact: ContactSubmitted) -> _Facts:
    return {
        "contact_id": contact.contact_id,
        "agency": contact.agency,
        "sector": agency_sector(contact),
        "source": contact.source,
        "channel": contact.channel,
        "age_band": child_age_band(contact),
        "received_at": contact.received_at,
    }


def correction_note(*versions: Recorded[Any] | None) -> CorrectionNote | None:
    """The correction behind an event derived from these versions (the first corrected one)."""
    for version in versions:
        if version is not None and version.correction is not None:
            source = version.source or ""
            agency = source.removeprefix("agency/") if source.startswith("agency/") else None
            if agency is not None and identifier_problem(agency) is not None:
                agency = None  # only a well-formed agency code goes on a canonical topic
            return CorrectionNote(
                reason=version.correction.reason,
                corrected_at=version.correction.corrected_at,
                corrected_by=agency,
            )
    return None


def _cause(primary: Recorded[Any], *others: Recorded[Any] | None) -> str:
    """What an event's id derives from: the primary record, and any other it depends on once
    that one is not the original (so a corrected input gives a new event, while events of
    uncorrected files keep the ids they always had)."""
    extra = [o.event_id for o in others if o is not None]
    return "/".join([primary.event_id, *extra])


def canonical_events(file: ContactFile, calendar: SchoolCalendar = DEFAULT) -> list[Outgoing]:
    """Every canonical event the file gives rise to so far, from the current version of each
    record (not the overdue one: that one is the sweep's, see `overdue_event`). `calendar`
    is the partnership's school calendar (Operation Encompass)."""
    out: list[Outgoing] = []
    contact = file.contact
    if contact is not None:
        c = contact.data
        out.append(
            Outgoing(
                RECEIVED,
                derived_id(contact.event_id, RECEIVED),
                c.received_at,
                ContactReceived(
                    **_facts(c),
                    child_ref=c.child_ref,
                    unborn=c.unborn,
                    factors=c.factors,
                    consent=c.consent,
                    consent_reason=c.consent_reason,
                    wishes_and_feelings_recorded=c.wishes_and_feelings_recorded,
                ),
                frozenset({contact.event_id}),
            )
        )
        out.append(
            Outgoing(
                ACKNOWLEDGED,
                derived_id(contact.event_id, ACKNOWLEDGED),
                acknowledged_at(contact),
                ContactAcknowledged(
                    contact_id=c.contact_id,
                    agency=c.agency,
                    sector=agency_sector(c),
                    source=c.source,
                    channel=c.channel,
                    received_at=c.received_at,
                    acknowledged_at=acknowledged_at(contact),
                    acknowledgement_seconds=acknowledgement_seconds(
                        c.received_at, acknowledged_at(contact)
                    ),
                ),
                frozenset({contact.event_id}),
            )
        )
        if file.decision is not None:
            out.append(_decided(contact, file.decision))
            if file.early_help is not None:
                out.append(_early_help(contact, file.decision, file.early_help))
    if file.vist is not None:
        v = file.vist.data
        delay = vist_delay(v.incident_at, v.submitted_at)
        out.append(
            Outgoing(
                VIST_RECORDED,
                derived_id(file.vist.event_id, VIST_RECORDED),
                v.submitted_at,
                VistRecorded(
                    contact_id=v.contact_id,
                    incident_at=v.incident_at,
                    submitted_at=v.submitted_at,
                    same_day=delay.same_day,
                    delay_days=delay.days,
                    delay_hours=delay.hours,
                    sequence=file.vist.revision,
                    correction=correction_note(file.vist),
                ),
                frozenset({file.vist.event_id}),
            )
        )
    if file.incident is not None:
        out.append(_encompass_due(file.incident, calendar))
    if file.encompass is not None:
        out.append(_encompass_notified(file.encompass, file.incident, calendar))
    out.extend(casework.canonical_events(file, Outgoing))
    return out


def _encompass_due(
    incident: Recorded[DomesticAbuseIncidentAttended], calendar: SchoolCalendar
) -> Outgoing:
    i = incident.data
    return Outgoing(
        ENCOMPASS_DUE,
        derived_id(incident.event_id, ENCOMPASS_DUE),
        i.attended_at,
        EncompassDue(
            contact_id=i.contact_id,
            incident_at=i.incident_at,
            attended_at=i.attended_at,
            deadline=encompass_deadline(i.attended_at, calendar),
            sequence=incident.revision,
            correction=correction_note(incident),
        ),
        frozenset({incident.event_id}),
    )


def _encompass_notified(
    notice: Recorded[EncompassNotificationSent],
    incident: Recorded[DomesticAbuseIncidentAttended] | None,
    calendar: SchoolCalendar,
) -> Outgoing:
    """The notification against the police incident record when there is one (its incident
    and attendance times are the police's own), else against the times the notice gives."""
    n = notice.data
    if incident is not None:
        incident_at, attended_at = incident.data.incident_at, incident.data.attended_at
    else:
        incident_at, attended_at = n.incident_at, n.attended_at or n.incident_at
    clock = encompass_clock(attended_at, n.notified_at, calendar, incident_at=incident_at)
    # The incident record arriving or being corrected changes this event: a new id, and a
    # higher sequence (the incident's revisions add to the notice's).
    return Outgoing(
        ENCOMPASS_NOTIFIED,
        derived_id(_cause(notice, incident), ENCOMPASS_NOTIFIED),
        n.notified_at,
        EncompassNotified(
            contact_id=n.contact_id,
            incident_at=incident_at,
            attended_at=attended_at,
            notified_at=n.notified_at,
            deadline=clock.deadline,
            on_time=clock.on_time,
            hours_after_incident=clock.hours,
            incident_recorded=incident is not None,
            sequence=notice.revision + (incident.revision if incident is not None else 0),
            correction=correction_note(notice, incident),
        ),
        frozenset({notice.event_id} | ({incident.event_id} if incident else set())),
    )


def _decided(contact: Recorded[ContactSubmitted], decision: Recorded[DecisionRecorded]) -> Outgoing:
    c, d = contact.data, decision.data
    clock = decision_clock(c.received_at, d.decided_at)
    return Outgoing(
        DECIDED,
        derived_id(decision.event_id, DECIDED),
        d.decided_at,
        ContactDecided(
            **_facts(c),
            outcome=d.outcome,
            level=d.level,
            converted_to_referral=d.outcome in REFERRAL_OUTCOMES,
            decided_at=d.decided_at,
            deadline=clock.deadline,
            within_target=clock.within_target,
            working_days_taken=clock.working_days,
            working_hours_taken=clock.working_hours,
            wishes_and_feelings_recorded=c.wishes_and_feelings_recorded,
            sequence=decision.revision,
            correction=correction_note(decision),
        ),
        frozenset({contact.event_id, decision.event_id}),
    )


def _early_help(
    contact: Recorded[ContactSubmitted],
    decision: Recorded[DecisionRecorded],
    allocation: Recorded[EarlyHelpAllocationRecorded],
) -> Outgoing:
    d, a = decision.data, allocation.data
    wait = early_help_wait(d.decided_at, a.allocated_at)
    # A corrected decision changes the wait: a new id then, and the decision's revisions add
    # to the allocation's in the sequence.
    corrected_decision = decision if decision.correction is not None else None
    return Outgoing(
        EARLY_HELP_ALLOCATED,
        derived_id(_cause(allocation, corrected_decision), EARLY_HELP_ALLOCATED),
        a.allocated_at,
        EarlyHelpAllocated(
            **_facts(contact.data),
            outcome=d.outcome,
            decided_at=d.decided_at,
            allocated_at=a.allocated_at,
            wait_days=wait.days,
            wait_working_days=wait.working_days,
            sequence=allocation.revision + decision.revision - 1,
            correction=correction_note(allocation, decision),
        ),
        frozenset({contact.event_id, decision.event_id, allocation.event_id}),
    )


def is_overdue(file: ContactFile, now: datetime) -> bool:
    """Received, undecided, past its deadline, and not yet announced."""
    return (
        file.contact is not None
        and file.decision is None
        and not file.overdue_emitted
        and now >= decision_deadline(file.contact.data.received_at)
    )


def overdue_event(file: ContactFile) -> Outgoing:
    """The overdue event of a received contact: id and content depend only on the contact, so
    every sweep, on every instance, publishes the very same event."""
    assert file.contact is not None
    c = file.contact.data
    deadline = decision_deadline(c.received_at)
    return Outgoing(
        DECISION_OVERDUE,
        derived_id(file.contact.event_id, DECISION_OVERDUE),
        deadline,
        DecisionOverdue(**_facts(c), deadline=deadline),
        frozenset({file.contact.event_id}),
    )
