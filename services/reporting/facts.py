"""Canonical events to entity facts: what each event type says about one contact, review,
action, learner or enrolment, as fields to `$set` on that entity's fact document.

Fields are chosen so that the order events arrive in does not matter: each event type sets
its own fields (a `decided` event the decision, a `received` event the receipt), and every
event repeats the few fields that place its entity in a period. Fields that a later event of
the same type may change (an action's status) are *versioned*: they are set only when the
event is newer than the one that set them last (event time, then id), so a late, older
event cannot overwrite a newer state. Intake's events carry a correction `sequence` that
rises with each correction of what they derive from; their versions are ordered by it first,
so the current version wins even when a correction keeps (or moves back) the event's time.
Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from pydantic import BaseModel

from services.reporting.periods import periods_of
from shared.contracts import intake, reviews, training
from shared.events import Envelope

CONTACTS = "contacts"
VISTS = "vists"
ENCOMPASS = "encompass"
REVIEWS = "reviews"
RECOMMENDATIONS = "recommendations"
ACTIONS = "actions"
ESCALATIONS = "escalations"
LEARNERS = "learners"
ENROLMENTS = "enrolments"
WORKFORCE = "workforce"
# Facts of the casework clocks and the assurance returns (mapped in `reporting.casework` and
# `reporting.assurance`).
STRATEGY_DISCUSSIONS = "strategy_discussions"
CONFERENCES = "conferences"
ASSESSMENTS = "assessments"
AUDITS = "audits"
AUDIT_RETURNS = "audit_returns"
CDOP_CASES = "cdop_cases"
KINDS = (
    CONTACTS,
    VISTS,
    ENCOMPASS,
    REVIEWS,
    RECOMMENDATIONS,
    ACTIONS,
    ESCALATIONS,
    LEARNERS,
    ENROLMENTS,
    WORKFORCE,
    STRATEGY_DISCUSSIONS,
    CONFERENCES,
    ASSESSMENTS,
    AUDITS,
    AUDIT_RETURNS,
    CDOP_CASES,
)


@dataclass(frozen=True)
class Versioned:
    """Fields applied only when `order` is greater than the last one applied in `group`."""

    group: str
    order: str
    fields: dict[str, Any]


@dataclass(frozen=True)
class FactUpdate:
    kind: str  # the fact collection
    key: str  # natural id, unique within the partnership
    fields: dict[str, Any] = field(default_factory=dict)
    versioned: Versioned | None = None


def order_key(moment: datetime, event_id: str) -> str:
    """Sortable as text: UTC time to the microsecond, then the event id as a tie-break."""
    return f"{moment.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%S.%f')}|{event_id}"


def corrected_order(sequence: int, moment: datetime, event_id: str) -> str:
    """Intake's versions: correction sequence first (the current version has the highest),
    then time and id for events sent before sequences existed (all 1). The leading `s` sorts
    after the time-only keys facts stored before (they start with a digit), so a correction
    wins over them without a rebuild."""
    return f"s{sequence:06d}|{order_key(moment, event_id)}"


def placed(moment: datetime | date) -> dict[str, Any]:
    """The period fields of an entity anchored at `moment`."""
    p = periods_of(moment)
    return {"fy": p.financial_year, "quarter": p.quarter, "month": p.month}


Mapper = Callable[[Envelope, Any], list[FactUpdate]]
_MAPPERS: dict[str, tuple[type[BaseModel], Mapper]] = {}


def maps(event_type: str, model: type[BaseModel]) -> Callable[[Mapper], Mapper]:
    def register(fn: Mapper) -> Mapper:
        _MAPPERS[event_type] = (model, fn)
        return fn

    return register


def known_types() -> frozenset[str]:
    return frozenset(_MAPPERS)


def model_for(event_type: str) -> type[BaseModel] | None:
    entry = _MAPPERS.get(event_type)
    return entry[0] if entry else None


def facts_of(envelope: Envelope, data: BaseModel) -> list[FactUpdate]:
    """What one (validated) canonical event says; nothing for a type reporting does not use."""
    entry = _MAPPERS.get(envelope.type)
    return entry[1](envelope, data) if entry else []


# ---------------------------------------------------------------------------------------------
# Intake (the front door)


def _contact_base(d: Any) -> dict[str, Any]:
    fields = {
        "contact_id": d.contact_id,
        "agency": d.agency,
        "sector": str(d.sector),
        "source": str(d.source),
        "channel": str(d.channel),
        "received_at": d.received_at,
        **placed(d.received_at),
    }
    if "age_band" in type(d).model_fields:  # (hasattr raises inside pydantic: slow)
        fields["age_band"] = str(d.age_band)
    return fields


@maps(intake.RECEIVED, intake.ContactReceived)
def _received(e: Envelope, d: intake.ContactReceived) -> list[FactUpdate]:
    return [
        FactUpdate(
            CONTACTS,
            d.contact_id,
            {**_contact_base(d), "received": True, "wishes": d.wishes_and_feelings_recorded},
            # (the contact's own record is authoritative; see `wishes_at_decision`)
        )
    ]


@maps(intake.ACKNOWLEDGED, intake.ContactAcknowledged)
def _acknowledged(e: Envelope, d: intake.ContactAcknowledged) -> list[FactUpdate]:
    return [
        FactUpdate(
            CONTACTS,
            d.contact_id,
            {**_contact_base(d), "acknowledgement_seconds": d.acknowledgement_seconds},
        )
    ]


@maps(intake.DECIDED, intake.ContactDecided)
def _decided(e: Envelope, d: intake.ContactDecided) -> list[FactUpdate]:
    decision = {
        "decided": True,
        "outcome": str(d.outcome),
        "level": d.level,
        "converted": d.converted_to_referral,
        "decided_at": d.decided_at,
        "within_target": d.within_target,
        "working_days_taken": d.working_days_taken,
    }
    return [
        FactUpdate(
            CONTACTS,
            d.contact_id,
            {
                **_contact_base(d),
                "wishes_at_decision": d.wishes_and_feelings_recorded,
                "decided": True,
            },
            Versioned("decision", corrected_order(d.sequence, d.decided_at, e.id), decision),
        )
    ]


@maps(intake.DECISION_OVERDUE, intake.DecisionOverdue)
def _overdue(e: Envelope, d: intake.DecisionOverdue) -> list[FactUpdate]:
    return [FactUpdate(CONTACTS, d.contact_id, {**_contact_base(d), "overdue": True})]


@maps(intake.EARLY_HELP_ALLOCATED, intake.EarlyHelpAllocated)
def _early_help(e: Envelope, d: intake.EarlyHelpAllocated) -> list[FactUpdate]:
    allocation = {
        "early_help_allocated": True,
        "early_help_wait_days": d.wait_days,
        "early_help_wait_working_days": d.wait_working_days,
        "early_help_allocated_at": d.allocated_at,
    }
    return [
        FactUpdate(
            CONTACTS,
            d.contact_id,
            {**_contact_base(d), "early_help_allocated": True},
            Versioned("early_help", corrected_order(d.sequence, d.allocated_at, e.id), allocation),
        )
    ]


@maps(intake.VIST_RECORDED, intake.VistRecorded)
def _vist(e: Envelope, d: intake.VistRecorded) -> list[FactUpdate]:
    latest = {"same_day": d.same_day, "delay_days": d.delay_days}
    return [
        FactUpdate(
            VISTS,
            d.contact_id,
            placed(d.incident_at),
            Versioned("vist", corrected_order(d.sequence, d.submitted_at, e.id), latest),
        )
    ]


# One Operation Encompass fact per child: the police incident (`encompass due`) and the
# notification, in either order, so an incident never notified shows.


@maps(intake.ENCOMPASS_DUE, intake.EncompassDue)
def _encompass_due(e: Envelope, d: intake.EncompassDue) -> list[FactUpdate]:
    return [FactUpdate(ENCOMPASS, d.contact_id, {"incident": True, **placed(d.incident_at)})]


@maps(intake.ENCOMPASS_NOTIFIED, intake.EncompassNotified)
def _encompass(e: Envelope, d: intake.EncompassNotified) -> list[FactUpdate]:
    latest = {"on_time": d.on_time, "hours_after_incident": d.hours_after_incident}
    return [
        FactUpdate(
            ENCOMPASS,
            d.contact_id,
            {"notified": True, **placed(d.incident_at)},
            Versioned("notice", corrected_order(d.sequence, d.notified_at, e.id), latest),
        )
    ]


# ---------------------------------------------------------------------------------------------
# Reviews. Dates are stored as ISO text (MongoDB has no date-only type).


def _day(d: date | None) -> str | None:
    return d.isoformat() if d is not None else None


def _day_order(d: date, rank: int, event_id: str) -> str:
    """Events dated by day: the day, then the kind of event (planned < updated < completed),
    then the id."""
    return f"{d.isoformat()}|{rank}|{event_id}"


def _review_base(d: Any) -> dict[str, Any]:
    return {
        "review_id": d.review_id,
        "kind": str(d.kind),
        "themes": [str(t) for t in d.themes],
        "age_band": str(d.age_band) if d.age_band is not None else None,
        "opened_on": _day(d.opened_on),
        **placed(d.opened_on),
    }


def _clock_result(clock: Any, within: bool | None, days: int | None) -> dict[str, Any]:
    if clock is None or within is None:
        return {}
    name = str(clock.clock.value).replace("-", "_")
    return {f"clock_{name}_met": within, f"clock_{name}_days": days}


@maps(reviews.OPENED, reviews.ReviewOpened)
def _review_opened(e: Envelope, d: reviews.ReviewOpened) -> list[FactUpdate]:
    return [FactUpdate(REVIEWS, d.review_id, _review_base(d))]


@maps(reviews.STAGE_CHANGED, reviews.ReviewStageChanged)
def _review_stage(e: Envelope, d: reviews.ReviewStageChanged) -> list[FactUpdate]:
    fields = {**_review_base(d), **_clock_result(d.clock, d.within_target, d.days_taken)}
    if d.lcspr_required is not None:
        fields["lcspr_required"] = d.lcspr_required
    stage = str(d.stage)
    fields[f"{stage}_on"] = _day(d.changed_on)
    return [
        FactUpdate(
            REVIEWS,
            d.review_id,
            fields,
            Versioned("stage", _day_order(d.changed_on, 1, e.id), {"stage": stage}),
        )
    ]


@maps(reviews.CLOCK_BREACHED, reviews.ReviewClockBreached)
def _review_breach(e: Envelope, d: reviews.ReviewClockBreached) -> list[FactUpdate]:
    name = str(d.clock.clock.value).replace("-", "_")
    return [FactUpdate(REVIEWS, d.review_id, {**_review_base(d), f"clock_{name}_breached": True})]


@maps(reviews.RECOMMENDATION_RECORDED, reviews.RecommendationRecorded)
def _recommendation(e: Envelope, d: reviews.RecommendationRecorded) -> list[FactUpdate]:
    latest = {
        "agreement": str(d.agreement) if d.agreement is not None else None,
        "not_agreed_reason": str(d.not_agreed_reason) if d.not_agreed_reason else None,
    }
    # Placed by the revision's date: revisions of one recommendation share a partition
    # (subject = review id), so the latest revision's date is the one left.
    fields = {
        "review_id": d.review_id,
        "kind": str(d.kind),
        "sub": d.is_sub_recommendation,
        **placed(d.recorded_on),
    }
    return [
        FactUpdate(
            RECOMMENDATIONS,
            f"{d.review_id}|{d.number}",
            fields,
            Versioned("revision", f"{d.revision:06d}|{e.id}", latest),
        )
    ]


def _action_state(d: Any) -> dict[str, Any]:
    return {
        "status": str(d.status),
        "target_date": _day(d.target_date),
        "owner_role": d.owner_role,
        "owner_agency": d.owner_agency,
    }


def action_years(fy: str | None, today: date) -> list[str]:
    """The financial years whose figures a change to an action placed in `fy` may change: its
    own and every later one up to today's. An action counts as overdue in the periods in
    which it is overdue (as at each one's end), not only the one it was planned in, so a late
    completion or a new target date changes every year since (issue 15: "the Child X plan's
    six overdue actions sit in an old year while the current year's scorecard stays green")."""
    if not fy:
        return []
    first, last = int(fy[:4]), int(periods_of(today).financial_year[:4])
    return [fy, *(f"{y}-{(y + 1) % 100:02d}" for y in range(first + 1, last + 1))]


def _action(d: Any, fields: dict[str, Any], order: str) -> FactUpdate:
    base = {"review_id": d.review_id, "kind": str(d.kind), "action_id": d.action_id}
    return FactUpdate(
        ACTIONS, d.action_id, {**base, **fields}, Versioned("state", order, _action_state(d))
    )


@maps(reviews.ACTION_PLANNED, reviews.ActionPlanned)
def _action_planned(e: Envelope, d: reviews.ActionPlanned) -> list[FactUpdate]:
    # An action is placed in the year it was planned in; it also counts, as overdue or by
    # RAG, as at the end of every later period until it is complete (see `action_years`).
    fields = {"planned_on": _day(d.planned_on), **placed(d.planned_on)}
    return [_action(d, fields, _day_order(d.planned_on, 0, e.id))]


@maps(reviews.ACTION_UPDATED, reviews.ActionUpdated)
def _action_updated(e: Envelope, d: reviews.ActionUpdated) -> list[FactUpdate]:
    return [_action(d, {}, _day_order(d.updated_on, 1, e.id))]


@maps(reviews.ACTION_COMPLETED, reviews.ActionCompleted)
def _action_completed(e: Envelope, d: reviews.ActionCompleted) -> list[FactUpdate]:
    fields = {"completed_on": _day(d.completed_on), "completed_on_time": d.on_time}
    return [_action(d, fields, _day_order(d.completed_on, 2, e.id))]


@maps(reviews.ACTION_OVERDUE, reviews.ActionOverdue)
def _action_overdue(e: Envelope, d: reviews.ActionOverdue) -> list[FactUpdate]:
    # Overdue for this target date; a later target date (or completion) clears it.
    return [
        FactUpdate(
            ACTIONS,
            d.action_id,
            {
                "review_id": d.review_id,
                "kind": str(d.kind),
                "action_id": d.action_id,
                "overdue_for_target": _day(d.target_date),
            },
        )
    ]


@maps(reviews.ESCALATION_RAISED, reviews.EscalationRaised)
def _escalation_raised(e: Envelope, d: reviews.EscalationRaised) -> list[FactUpdate]:
    return [FactUpdate(ESCALATIONS, d.escalation_id, _escalation_base(d))]


@maps(reviews.ESCALATION_RESOLVED, reviews.EscalationResolved)
def _escalation_resolved(e: Envelope, d: reviews.EscalationResolved) -> list[FactUpdate]:
    fields = {**_escalation_base(d), "resolved": True, "days_open": d.days_open}
    return [FactUpdate(ESCALATIONS, d.escalation_id, fields)]


def _escalation_base(d: Any) -> dict[str, Any]:
    return {
        "raised_by_agency": d.raised_by_agency,
        "raised_about_agency": d.raised_about_agency,
        "level": d.level,
        **placed(d.raised_at),
    }


# ---------------------------------------------------------------------------------------------
# Training


@maps(training.REGISTERED, training.LearnerRegistered)
def _learner(e: Envelope, d: training.LearnerRegistered) -> list[FactUpdate]:
    # Re-published when the organisation changes: the newest registration wins. The platform's
    # own registration wins over an implicit one (the learner first seen in a completion)
    # whenever either arrives: a completion posted over xAPI often lands before the
    # registration sent on Kafka, dated days earlier. Its order starts with 'r', after the
    # digit-led keys of implicit registrations (and of any stored before this rule).
    latest = {"organisation": str(d.organisation), "sector": str(d.sector), "implicit": d.implicit}
    order = order_key(e.time, e.id) if d.implicit else f"r{order_key(e.time, e.id)}"
    return [
        FactUpdate(
            LEARNERS,
            d.learner_id,
            placed(d.registered_at),
            Versioned("registration", order, latest),
        )
    ]


def enrolment_key(learner_id: str, course_id: str, occurrence: int = 1) -> str:
    """An enrolment fact per (learner, course, occurrence): a refresher is a new enrolment.
    The first occurrence keeps the key it had before occurrences existed."""
    key = f"{learner_id}|{course_id}"
    return key if occurrence == 1 else f"{key}|{occurrence}"


def _enrolment(d: Any, **extra: Any) -> FactUpdate:
    fields = {
        "learner_id": d.learner_id,
        "occurrence": d.occurrence,
        "organisation": str(d.organisation),
        "sector": str(d.sector),
        "course_id": d.course_id,
        "format": str(d.course_format),
        "theme": str(d.theme),
        "multi_agency": d.multi_agency,
        # The one definition training's /totals shares: the period of the enrolment's start.
        **placed(training.counted_at(d.enrolled_at)),
        **extra,
    }
    return FactUpdate(ENROLMENTS, enrolment_key(d.learner_id, d.course_id, d.occurrence), fields)


@maps(training.ENROLLED, training.CourseEnrolled)
def _enrolled(e: Envelope, d: training.CourseEnrolled) -> list[FactUpdate]:
    return [_enrolment(d)]


@maps(training.COMPLETED, training.CourseCompleted)
def _completed(e: Envelope, d: training.CourseCompleted) -> list[FactUpdate]:
    return [_enrolment(d, completed=True, inferred_enrolment=d.inferred_enrolment)]


@maps(training.WITHDRAWN, training.EnrolmentWithdrawn)
def _withdrawn(e: Envelope, d: training.EnrolmentWithdrawn) -> list[FactUpdate]:
    return [_enrolment(d, withdrawn=True)]


@maps(training.WORKFORCE_REPORTED, training.WorkforceReported)
def _workforce(e: Envelope, d: training.WorkforceReported) -> list[FactUpdate]:
    # Placed in its financial year only: the headcount stands for each quarter and month of it.
    fields = {"organisation": str(d.organisation), "sector": str(d.sector), "fy": d.financial_year}
    latest = {"headcount": d.headcount}
    return [
        FactUpdate(
            WORKFORCE,
            f"{d.organisation}|{d.financial_year}",
            fields,
            Versioned("headcount", order_key(e.time, e.id), latest),
        )
    ]


VERSIONS = "_versions"
# An action's states, oldest first, as (order, fields): `resolve` keeps them so figures can
# take the state as at each period's end (the order starts with the state's day).
STATE_HISTORY = "_state_history"


def version_field(v: Versioned) -> str:
    """Where a version's fields live: `_versions.<group>.<order>` (order made safe as a field
    name). Every version is kept; `resolve` picks the newest when figures are computed."""
    safe = v.order.replace(".", "_").replace("$", "_")
    return f"{VERSIONS}.{v.group}.{safe}"


def resolve(doc: dict[str, Any]) -> dict[str, Any]:
    """A fact document with each versioned group's newest fields merged in."""
    versions = doc.get(VERSIONS)
    if not versions:
        return doc
    out = {k: v for k, v in doc.items() if k != VERSIONS}
    for group in versions.values():
        if group:
            out.update(group[max(group)])
    if versions.get("state"):
        out[STATE_HISTORY] = sorted(versions["state"].items())
    return out


def merge(docs: dict[tuple[str, str], dict[str, Any]], updates: list[FactUpdate]) -> None:
    """Apply updates to in-memory fact documents exactly as the store applies them to MongoDB
    (unit tests use it to check order independence)."""
    for u in updates:
        doc = docs.setdefault((u.kind, u.key), {})
        doc.update(u.fields)
        if u.versioned is not None:
            _, group, order = version_field(u.versioned).split(".", 2)
            doc.setdefault(VERSIONS, {}).setdefault(group, {})[order] = u.versioned.fields
