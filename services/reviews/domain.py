"""Review rules, free of Kafka and MongoDB: the lifecycle of each kind of review, the
statutory clocks, the action plan (recommendations, actions, dated updates) and escalations.

Every command is a function from the current state to an `Outcome` (the new state, the
canonical events to publish and a line for the plan's version history), or it raises
`Conflict` when it makes no sense in that state; nothing is changed then.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict

from shared import action_tracker
from shared.codes import ActionStatus, AgeBand, Agreement, NotAgreedReason, ReviewKind, Theme
from shared.contracts import EventData
from shared.contracts import reviews as c
from shared.contracts.reviews import Clock, ClockFacts, ReviewStage
from shared.rejections import Conflict, Rejected
from shared.workdays import LONDON, add_working_days, working_days_between

SIN_NOTIFICATION_WORKING_DAYS = 5
RAPID_REVIEW_WORKING_DAYS = 15
LCSPR_PUBLICATION_MONTHS = 6

PUBLISHED_KINDS = frozenset({ReviewKind.LCSPR, ReviewKind.SCR, ReviewKind.JOINT_DHR})
AUDIT_KINDS = frozenset({ReviewKind.MACA, ReviewKind.MATA, ReviewKind.SECTION_11_AUDIT})
# The stage a review of each kind reaches before it can be closed.
_END_STAGE = {
    ReviewKind.SIN: ReviewStage.NOTIFIED,
    ReviewKind.RAPID_REVIEW: ReviewStage.COMPLETED,
    **dict.fromkeys(PUBLISHED_KINDS, ReviewStage.PUBLISHED),
    **dict.fromkeys(AUDIT_KINDS, ReviewStage.COMPLETED),
}


# ---------------------------------------------------------------------------------------------
# Clocks


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or that month's last day when it is shorter (31 Aug + 6
    months = 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def sin_notification_clock(aware_on: date) -> ClockFacts:
    deadline = add_working_days(aware_on, SIN_NOTIFICATION_WORKING_DAYS)
    return ClockFacts(clock=Clock.SIN_NOTIFICATION, starts_on=aware_on, deadline=deadline)


def rapid_review_clock(notified_on: date) -> ClockFacts:
    deadline = add_working_days(notified_on, RAPID_REVIEW_WORKING_DAYS)
    return ClockFacts(clock=Clock.RAPID_REVIEW, starts_on=notified_on, deadline=deadline)


def lcspr_clock(decided_on: date) -> ClockFacts:
    deadline = add_months(decided_on, LCSPR_PUBLICATION_MONTHS)
    return ClockFacts(clock=Clock.LCSPR_PUBLICATION, starts_on=decided_on, deadline=deadline)


def days_taken(clock: ClockFacts, on: date) -> int:
    """Working days for the working-day clocks, calendar days for the LCSPR's months."""
    if clock.clock is Clock.LCSPR_PUBLICATION:
        return max((on - clock.starts_on).days, 0)
    return working_days_between(clock.starts_on, on)


# ---------------------------------------------------------------------------------------------
# State


class _State(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Recommendation(_State):
    number: str
    text: str
    agreement: Agreement | None = None
    not_agreed_reason: NotAgreedReason | None = None
    recorded_on: date
    revision: int = 1


class ActionNote(_State):
    """A dated update, as the plan's 'Action Update' column."""

    on: date
    note: str | None = None
    status: ActionStatus
    target_date: date | None = None


class Action(_State):
    action_id: str
    recommendation_numbers: list[str]
    description: str
    owner_role: str
    owner_agency: str
    supporting_agencies: list[str] = []
    target_date: date | None = None
    status: ActionStatus = ActionStatus.NOT_STARTED
    planned_on: date
    completed_on: date | None = None
    updates: list[ActionNote] = []


class Review(_State):
    review_id: str
    partnership: str
    kind: ReviewKind
    title: str
    themes: list[Theme] = []
    age_band: AgeBand | None = None
    independent_chair: bool = False
    stage: ReviewStage = ReviewStage.OPEN
    opened_on: date
    aware_agency: str | None = None
    aware_on: date | None = None
    notified_on: date | None = None
    completed_on: date | None = None
    lcspr_required: bool | None = None
    rationale: str | None = None
    decided_on: date | None = None
    published_on: date | None = None
    closed_on: date | None = None
    origin_review_ids: list[str] = []
    follow_up_review_ids: list[str] = []
    recommendations: list[Recommendation] = []
    actions: list[Action] = []

    def recommendation(self, number: str) -> Recommendation | None:
        return next((r for r in self.recommendations if r.number == number), None)

    def action(self, action_id: str) -> Action | None:
        return next((a for a in self.actions if a.action_id == action_id), None)


class Escalation(_State):
    escalation_id: str
    partnership: str
    review_id: str | None = None
    raised_by_agency: str
    raised_about_agency: str
    level: int
    subject: str
    raised_at: datetime
    resolved_at: datetime | None = None
    outcome: str | None = None


@dataclass(frozen=True)
class Outcome:
    """What a command did: the new state, canonical events (type, data) and, for the plan's
    history, a summary and the recommendation or action as it now stands."""

    review: Review
    events: list[tuple[str, EventData]]
    summary: str
    item: Recommendation | Action | None = None
    linked: list[Review] = field(default_factory=list)  # origins that now link to `review`


def running_clock(review: Review) -> ClockFacts | None:
    """The statutory clock still running for `review`, if any."""
    if review.stage is not ReviewStage.OPEN:
        return None
    if review.kind is ReviewKind.SIN and review.aware_on is not None:
        return sin_notification_clock(review.aware_on)
    if review.kind is ReviewKind.RAPID_REVIEW and review.notified_on is not None:
        return rapid_review_clock(review.notified_on)
    if review.kind is ReviewKind.LCSPR and review.decided_on is not None:
        return lcspr_clock(review.decided_on)
    return None


# ---------------------------------------------------------------------------------------------
# Events


def _review_facts(review: Review) -> dict[str, object]:
    return {
        "review_id": review.review_id,
        "kind": review.kind,
        "themes": review.themes,
        "age_band": review.age_band,
        "stage": review.stage,
        "opened_on": review.opened_on,
    }


def _action_facts(review: Review, action: Action) -> dict[str, object]:
    return {
        "review_id": review.review_id,
        "kind": review.kind,
        "action_id": action.action_id,
        "recommendation_numbers": action.recommendation_numbers,
        "owner_role": action.owner_role,
        "owner_agency": action.owner_agency,
        "supporting_agencies": action.supporting_agencies,
        "target_date": action.target_date,
        "status": action.status,
    }


def _escalation_facts(escalation: Escalation) -> dict[str, object]:
    return {
        "escalation_id": escalation.escalation_id,
        "review_id": escalation.review_id,
        "raised_by_agency": escalation.raised_by_agency,
        "raised_about_agency": escalation.raised_about_agency,
        "level": escalation.level,
        "raised_at": escalation.raised_at,
    }


# ---------------------------------------------------------------------------------------------
# Opening and linking


def open_review(
    cmd: c.OpenReview, partnership: str, origins: Mapping[str, Review | None]
) -> Outcome:
    """A new review; `origins` holds the current state of each of `cmd.origin_review_ids`."""
    linked: list[Review] = []
    notified_on, decided_on = cmd.notified_on, cmd.decided_on
    for origin_id in cmd.origin_review_ids:
        origin = origins.get(origin_id)
        if origin is None:
            raise Conflict(f"review {origin_id} does not exist")
        if origin.partnership != partnership:
            raise Conflict(f"review {origin_id} belongs to another partnership")
        others = [f for f in origin.follow_up_review_ids if f != cmd.review_id]
        if cmd.kind is ReviewKind.RAPID_REVIEW:
            if origin.kind is not ReviewKind.SIN:
                raise Conflict(f"a rapid review follows a SIN; {origin_id} is a {origin.kind}")
            if origin.notified_on is None:
                raise Conflict(f"SIN {origin_id} has not been notified yet")
            if others:
                raise Conflict(f"SIN {origin_id} already has rapid review {others[0]}")
            notified_on = origin.notified_on
        else:  # an LCSPR
            if origin.kind is not ReviewKind.RAPID_REVIEW:
                raise Conflict(f"an LCSPR follows rapid reviews; {origin_id} is a {origin.kind}")
            if origin.lcspr_required is not True or origin.completed_on is None:
                raise Conflict(f"rapid review {origin_id} has not decided to hold an LCSPR")
            if others:
                raise Conflict(f"rapid review {origin_id} already led to LCSPR {others[0]}")
            if cmd.decided_on is None:
                decided_on = max(decided_on or origin.completed_on, origin.completed_on)
        linked.append(link_follow_up(origin, cmd.review_id))
    review = Review(
        review_id=cmd.review_id,
        partnership=partnership,
        kind=cmd.kind,
        title=cmd.title,
        themes=list(cmd.themes),
        age_band=cmd.age_band,
        independent_chair=cmd.independent_chair,
        opened_on=cmd.opened_on,
        aware_agency=cmd.aware_agency,
        aware_on=cmd.aware_on,
        notified_on=notified_on,
        decided_on=decided_on,
        origin_review_ids=list(cmd.origin_review_ids),
    )
    opened = c.ReviewOpened(
        **_review_facts(review),
        independent_chair=review.independent_chair,
        aware_agency=review.aware_agency,
        aware_on=review.aware_on,
        notified_on=review.notified_on,
        decided_on=review.decided_on,
        origin_review_ids=review.origin_review_ids,
        clock=running_clock(review),
    )
    return Outcome(review, [(c.OPENED, opened)], f"{review.kind} opened", linked=linked)


def link_follow_up(origin: Review, follow_up_id: str) -> Review:
    """`origin` pointing at the review that followed from it (the link back)."""
    if follow_up_id in origin.follow_up_review_ids:
        return origin
    return origin.model_copy(
        update={"follow_up_review_ids": [*origin.follow_up_review_ids, follow_up_id]}
    )


# ---------------------------------------------------------------------------------------------
# Lifecycle


def _require_open(review: Review, doing: str) -> None:
    if review.stage is ReviewStage.CLOSED:
        raise Conflict(f"review {review.review_id} is closed: cannot {doing}")
    if review.stage is not ReviewStage.OPEN:
        raise Conflict(f"review {review.review_id} is already {review.stage}: cannot {doing}")


def _require_kind(review: Review, kinds: Iterable[ReviewKind], doing: str) -> None:
    if review.kind not in set(kinds):
        raise Conflict(f"review {review.review_id} is a {review.kind}: cannot {doing}")


def _not_before(later: date, earlier: date | None, what: str) -> None:
    if earlier is not None and later < earlier:
        raise Rejected("invalid-date", f"{what} ({later}) is before {earlier}")


def _stage_changed(
    review: Review,
    new: Review,
    on: date,
    clock: ClockFacts | None,
    *,
    lcspr_required: bool | None = None,
) -> c.ReviewStageChanged:
    return c.ReviewStageChanged(
        **_review_facts(new),
        previous_stage=review.stage,
        changed_on=on,
        clock=clock,
        within_target=None if clock is None else on <= clock.deadline,
        days_taken=None if clock is None else days_taken(clock, on),
        lcspr_required=lcspr_required,
        follow_up_review_ids=new.follow_up_review_ids,
    )


def record_notification(review: Review, cmd: c.RecordNotification) -> Outcome:
    _require_kind(review, [ReviewKind.SIN], "record a notification")
    _require_open(review, "record a notification")
    _not_before(cmd.notified_on, review.aware_on, "notified_on")
    clock = running_clock(review)
    new = review.model_copy(update={"stage": ReviewStage.NOTIFIED, "notified_on": cmd.notified_on})
    event = _stage_changed(review, new, cmd.notified_on, clock)
    return Outcome(new, [(c.STAGE_CHANGED, event)], "SIN notified to the national panel")


def complete_rapid_review(review: Review, cmd: c.CompleteRapidReview) -> Outcome:
    _require_kind(review, [ReviewKind.RAPID_REVIEW], "complete a rapid review")
    _require_open(review, "complete the rapid review")
    _not_before(cmd.completed_on, review.notified_on, "completed_on")
    clock = running_clock(review)
    new = review.model_copy(
        update={
            "stage": ReviewStage.COMPLETED,
            "completed_on": cmd.completed_on,
            "lcspr_required": cmd.lcspr_required,
            "rationale": cmd.rationale,
        }
    )
    event = _stage_changed(review, new, cmd.completed_on, clock, lcspr_required=cmd.lcspr_required)
    decision = "an LCSPR" if cmd.lcspr_required else "no LCSPR"
    return Outcome(new, [(c.STAGE_CHANGED, event)], f"rapid review completed: {decision}")


def publish_report(review: Review, cmd: c.PublishReport) -> Outcome:
    _require_kind(review, PUBLISHED_KINDS, "publish a report")
    _require_open(review, "publish the report")
    _not_before(cmd.published_on, review.opened_on, "published_on")
    clock = running_clock(review)
    new = review.model_copy(
        update={"stage": ReviewStage.PUBLISHED, "published_on": cmd.published_on}
    )
    event = _stage_changed(review, new, cmd.published_on, clock)
    return Outcome(new, [(c.STAGE_CHANGED, event)], "report published")


def complete_audit(review: Review, cmd: c.CompleteAudit) -> Outcome:
    _require_kind(review, AUDIT_KINDS, "complete an audit")
    _require_open(review, "complete the audit")
    _not_before(cmd.completed_on, review.opened_on, "completed_on")
    new = review.model_copy(
        update={"stage": ReviewStage.COMPLETED, "completed_on": cmd.completed_on}
    )
    event = _stage_changed(review, new, cmd.completed_on, None)
    return Outcome(new, [(c.STAGE_CHANGED, event)], "audit completed")


def close_review(review: Review, cmd: c.CloseReview) -> Outcome:
    if review.stage is ReviewStage.CLOSED:
        raise Conflict(f"review {review.review_id} is already closed")
    needed = _END_STAGE[review.kind]
    if review.stage is not needed:
        raise Conflict(f"review {review.review_id} ({review.kind}) must be {needed} to close")
    new = review.model_copy(update={"stage": ReviewStage.CLOSED, "closed_on": cmd.closed_on})
    event = _stage_changed(review, new, cmd.closed_on, None)
    return Outcome(new, [(c.STAGE_CHANGED, event)], "review closed")


# ---------------------------------------------------------------------------------------------
# Action plan


def _require_plan(review: Review, doing: str) -> None:
    if review.kind is ReviewKind.SIN:
        raise Conflict(f"review {review.review_id} is a SIN, which has no action plan")
    if review.stage is ReviewStage.CLOSED:
        raise Conflict(f"review {review.review_id} is closed: cannot {doing}")


def record_recommendation(review: Review, cmd: c.RecordRecommendation) -> Outcome:
    _require_plan(review, "record a recommendation")
    before = review.recommendation(cmd.number)
    rec = Recommendation(
        number=cmd.number,
        text=cmd.text,
        agreement=cmd.agreement,
        not_agreed_reason=cmd.not_agreed_reason,
        recorded_on=cmd.recorded_on,
        revision=1 if before is None else before.revision + 1,
    )
    recs = [r for r in review.recommendations if r.number != cmd.number] + [rec]
    new = review.model_copy(update={"recommendations": sorted(recs, key=_number_key)})
    event = c.RecommendationRecorded(
        review_id=review.review_id,
        kind=review.kind,
        number=rec.number,
        is_sub_recommendation="." in rec.number,
        agreement=rec.agreement,
        not_agreed_reason=rec.not_agreed_reason,
        revision=rec.revision,
        recorded_on=rec.recorded_on,
    )
    verb = "recorded" if before is None else f"revised (revision {rec.revision})"
    return Outcome(
        new, [(c.RECOMMENDATION_RECORDED, event)], f"recommendation {rec.number} {verb}", rec
    )


def _number_key(rec: Recommendation) -> tuple[int, ...]:
    return tuple(int(p) for p in rec.number.split("."))


def plan_action(review: Review, cmd: c.PlanAction) -> Outcome:
    _require_plan(review, "plan an action")
    if review.action(cmd.action_id) is not None:
        raise Conflict(f"action {cmd.action_id} already exists: send an update instead")
    for number in cmd.recommendation_numbers:
        rec = review.recommendation(number)
        if rec is None:
            raise Conflict(f"review {review.review_id} has no recommendation {number}")
        if rec.agreement is Agreement.NOT_AGREED:
            raise Conflict(f"recommendation {number} is not agreed: it has no actions")
    complete = cmd.status is ActionStatus.COMPLETE
    action = Action(
        action_id=cmd.action_id,
        recommendation_numbers=list(cmd.recommendation_numbers),
        description=cmd.description,
        owner_role=cmd.owner_role,
        owner_agency=cmd.owner_agency,
        supporting_agencies=list(cmd.supporting_agencies),
        target_date=cmd.target_date,
        status=cmd.status,
        planned_on=cmd.planned_on,
        completed_on=cmd.planned_on if complete else None,
    )
    new = review.model_copy(update={"actions": [*review.actions, action]})
    events: list[tuple[str, EventData]] = [
        (c.ACTION_PLANNED, c.ActionPlanned(**_action_facts(new, action), planned_on=cmd.planned_on))
    ]
    if complete:
        events.append((c.ACTION_COMPLETED, _completed(new, action)))
    return Outcome(new, events, f"action {action.action_id} planned", action)


def _completed(review: Review, action: Action) -> c.ActionCompleted:
    assert action.completed_on is not None
    on_time = None if action.target_date is None else action.completed_on <= action.target_date
    return c.ActionCompleted(
        **_action_facts(review, action),
        completed_on=action.completed_on,
        on_time=on_time,
    )


def update_action(review: Review, cmd: c.UpdateAction) -> Outcome:
    _require_plan(review, "update an action")
    before = review.action(cmd.action_id)
    if before is None:
        raise Conflict(f"review {review.review_id} has no action {cmd.action_id}")
    if before.status is ActionStatus.COMPLETE:
        raise Conflict(f"action {cmd.action_id} is complete: it takes no further updates")
    _not_before(cmd.updated_on, before.planned_on, "updated_on")
    status = cmd.status or before.status
    target = cmd.target_date or before.target_date
    completes = status is ActionStatus.COMPLETE
    action = before.model_copy(
        update={
            "status": status,
            "target_date": target,
            "owner_role": cmd.owner_role or before.owner_role,
            "owner_agency": cmd.owner_agency or before.owner_agency,
            "completed_on": cmd.updated_on if completes else None,
            "updates": [
                *before.updates,
                ActionNote(on=cmd.updated_on, note=cmd.note, status=status, target_date=target),
            ],
        }
    )
    actions = [action if a.action_id == action.action_id else a for a in review.actions]
    new = review.model_copy(update={"actions": actions})
    updated = c.ActionUpdated(
        **_action_facts(new, action),
        updated_on=cmd.updated_on,
        previous_status=before.status,
        previous_target_date=before.target_date,
    )
    events: list[tuple[str, EventData]] = [(c.ACTION_UPDATED, updated)]
    if completes:
        events.append((c.ACTION_COMPLETED, _completed(new, action)))
    changes = [f"status {status}"] if status is not before.status else []
    if target != before.target_date:
        changes.append(f"target date {target}")
    if cmd.note:
        changes.append("progress note")
    summary = f"action {action.action_id} updated: {', '.join(changes) or 'owner'}"
    return Outcome(new, events, summary, action)


# ---------------------------------------------------------------------------------------------
# Overdue sweep


def is_overdue(action: Action, today: date) -> bool:
    """Past its target date and not complete (the rule reporting applies as at each period's
    end: `shared.action_tracker`)."""
    return action_tracker.is_overdue(action.status, action.target_date, today)


def overdue_actions(review: Review, today: date) -> list[c.ActionOverdue]:
    """Actions of an open (not closed) review past their target date and not complete."""
    if review.stage is ReviewStage.CLOSED:
        return []
    return [
        c.ActionOverdue(
            **_action_facts(review, action),
            as_of=today,
            days_overdue=(today - action.target_date).days,
        )
        for action in review.actions
        if action.target_date is not None and is_overdue(action, today)
    ]


def clock_breach(review: Review, today: date) -> c.ReviewClockBreached | None:
    """The review's running statutory clock, when its deadline has passed."""
    clock = running_clock(review)
    if clock is None or today <= clock.deadline:
        return None
    return c.ReviewClockBreached(**_review_facts(review), clock=clock, as_of=today)


# ---------------------------------------------------------------------------------------------
# Escalations


def raise_escalation(
    cmd: c.RaiseEscalation, partnership: str
) -> tuple[Escalation, c.EscalationRaised]:
    escalation = Escalation(partnership=partnership, **cmd.model_dump())
    # The subject is free text: kept in the escalation log, never on the canonical topic.
    return escalation, c.EscalationRaised(**_escalation_facts(escalation))


def resolve_escalation(
    escalation: Escalation, cmd: c.ResolveEscalation
) -> tuple[Escalation, c.EscalationResolved]:
    if escalation.resolved_at is not None:
        raise Conflict(f"escalation {escalation.escalation_id} is already resolved")
    if cmd.resolved_at < escalation.raised_at:
        raise Rejected("invalid-date", "resolved_at is before raised_at")
    new = escalation.model_copy(update={"resolved_at": cmd.resolved_at, "outcome": cmd.outcome})
    raised_day = escalation.raised_at.astimezone(LONDON).date()
    resolved_day = cmd.resolved_at.astimezone(LONDON).date()
    event = c.EscalationResolved(
        **_escalation_facts(new),
        resolved_at=cmd.resolved_at,
        days_open=round((cmd.resolved_at - escalation.raised_at).total_seconds() / 86400, 2),
        working_days_open=working_days_between(raised_day, resolved_day),
    )
    return new, event
