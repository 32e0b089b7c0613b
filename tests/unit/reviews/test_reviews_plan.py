"""Recommendations, actions, dated updates, the overdue rule, escalations and the contracts'
own checks."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from services.reviews import domain, tracker
from shared.codes import ActionStatus, Agreement, NotAgreedReason, ReviewKind
from shared.contracts import reviews as c
from shared.rejections import Conflict
from tests.unit.reviews.review_factories import (
    in_stage,
    opened,
    plan,
    recommendation,
    update,
    with_action,
)

# -- recommendations ---------------------------------------------------------------------------


def test_recording_a_recommendation_again_revises_it() -> None:
    review = opened(ReviewKind.LCSPR)
    first = domain.record_recommendation(review, recommendation("3.1"))
    second = domain.record_recommendation(
        first.review,
        recommendation(
            "3.1",
            Agreement.PARTLY_AGREED,
            not_agreed_reason=NotAgreedReason.COMMISSIONING,
            recorded_on=date(2024, 4, 1),
        ),
    )
    [rec] = second.review.recommendations
    assert (rec.agreement, rec.revision) == (Agreement.PARTLY_AGREED, 2)
    [(_, event)] = second.events
    assert isinstance(event, c.RecommendationRecorded)
    assert (event.revision, event.is_sub_recommendation, event.not_agreed_reason) == (
        2,
        True,
        NotAgreedReason.COMMISSIONING,
    )
    assert second.summary == "recommendation 3.1 revised (revision 2)"


def test_recommendations_are_kept_in_plan_order() -> None:
    review = opened(ReviewKind.LCSPR)
    for number in ("10.1", "2", "1.2", "1", "1.10"):
        review = domain.record_recommendation(review, recommendation(number)).review
    assert [r.number for r in review.recommendations] == ["1", "1.2", "1.10", "2", "10.1"]


def test_a_not_agreed_recommendation_needs_its_reason() -> None:
    with pytest.raises(ValidationError, match="not_agreed_reason"):
        recommendation("1.1", Agreement.NOT_AGREED)
    with pytest.raises(ValidationError, match="only when partly or not agreed"):
        recommendation("1.1", Agreement.AGREED, not_agreed_reason=NotAgreedReason.POLICY)


def test_a_sin_has_no_action_plan() -> None:
    with pytest.raises(Conflict, match="SIN"):
        domain.record_recommendation(opened(ReviewKind.SIN), recommendation())


# -- actions -----------------------------------------------------------------------------------


def test_planning_an_action_needs_its_recommendations_and_agreement() -> None:
    review = opened(ReviewKind.LCSPR)
    with pytest.raises(Conflict, match=r"no recommendation 1\.1"):
        domain.plan_action(review, plan())
    review = domain.record_recommendation(
        review,
        recommendation(
            "1.1", Agreement.NOT_AGREED, not_agreed_reason=NotAgreedReason.AFFORDABILITY
        ),
    ).review
    with pytest.raises(Conflict, match="not agreed"):
        domain.plan_action(review, plan())


def test_planned_action_event_carries_owner_target_and_status() -> None:
    review = domain.record_recommendation(opened(ReviewKind.MATA), recommendation()).review
    outcome = domain.plan_action(review, plan(supporting_agencies=["icb"]))
    [(type_, event)] = outcome.events
    assert type_ == c.ACTION_PLANNED
    assert isinstance(event, c.ActionPlanned)
    assert event.model_dump(
        include={
            "kind",
            "owner_role",
            "owner_agency",
            "target_date",
            "status",
            "supporting_agencies",
        }
    ) == {
        "kind": ReviewKind.MATA,
        "owner_role": "head-of-quality",
        "owner_agency": "gcc",
        "target_date": date(2024, 6, 30),
        "status": ActionStatus.NOT_STARTED,
        "supporting_agencies": ["icb"],
    }
    with pytest.raises(Conflict, match="already exists"):
        domain.plan_action(outcome.review, plan())


def test_an_action_planned_complete_is_also_completed() -> None:
    review = domain.record_recommendation(opened(ReviewKind.LCSPR), recommendation()).review
    outcome = domain.plan_action(review, plan(status=ActionStatus.COMPLETE))
    assert [t for t, _ in outcome.events] == [c.ACTION_PLANNED, c.ACTION_COMPLETED]


def test_updates_are_dated_kept_and_announced() -> None:
    review = with_action()
    first = domain.update_action(
        review,
        update(status=ActionStatus.UNDERWAY, note="meeting set", updated_on=date(2024, 4, 1)),
    )
    second = domain.update_action(
        first.review, update(target_date=date(2024, 9, 30), updated_on=date(2024, 7, 2))
    )
    [action] = second.review.actions
    assert [(u.on, u.status, u.note) for u in action.updates] == [
        (date(2024, 4, 1), ActionStatus.UNDERWAY, "meeting set"),
        (date(2024, 7, 2), ActionStatus.UNDERWAY, None),
    ]
    [(type_, event)] = second.events
    assert type_ == c.ACTION_UPDATED
    assert isinstance(event, c.ActionUpdated)
    assert (event.previous_target_date, event.target_date, event.status) == (
        date(2024, 6, 30),
        date(2024, 9, 30),
        ActionStatus.UNDERWAY,
    )
    assert second.summary == "action a1 updated: target date 2024-09-30"


@pytest.mark.parametrize(("on", "on_time"), [(date(2024, 6, 30), True), (date(2024, 7, 1), False)])
def test_completing_an_action_says_whether_it_was_on_time(on: date, on_time: bool) -> None:
    outcome = domain.update_action(
        with_action(), update(status=ActionStatus.COMPLETE, updated_on=on)
    )
    assert [t for t, _ in outcome.events] == [c.ACTION_UPDATED, c.ACTION_COMPLETED]
    completed = outcome.events[1][1]
    assert isinstance(completed, c.ActionCompleted)
    assert (completed.completed_on, completed.on_time) == (on, on_time)


def test_a_complete_action_takes_no_further_updates() -> None:
    with pytest.raises(Conflict, match="complete"):
        domain.update_action(with_action(ActionStatus.COMPLETE), update(note="more"))


def test_unknown_action_and_closed_review_are_refused() -> None:
    with pytest.raises(Conflict, match="no action zz"):
        domain.update_action(with_action(), update("zz", note="x"))
    closed = in_stage(ReviewKind.MACA, c.ReviewStage.CLOSED)
    for attempt in (
        lambda: domain.record_recommendation(closed, recommendation()),
        lambda: domain.plan_action(closed, plan()),
        lambda: domain.update_action(closed, update(note="x")),
    ):
        with pytest.raises(Conflict, match="closed"):
            attempt()


def test_an_update_must_change_something() -> None:
    with pytest.raises(ValidationError, match="an update needs"):
        update()


# -- overdue -----------------------------------------------------------------------------------


def test_overdue_means_past_the_target_date_and_not_complete() -> None:
    review = with_action()  # target 30 June 2024
    assert domain.overdue_actions(review, date(2024, 6, 30)) == []
    [late] = domain.overdue_actions(review, date(2024, 7, 3))
    assert (late.action_id, late.days_overdue, late.owner_agency) == ("a1", 3, "gcc")
    done = domain.update_action(review, update(status=ActionStatus.COMPLETE)).review
    assert domain.overdue_actions(done, date(2024, 7, 3)) == []
    no_target = domain.plan_action(review, plan("a2", target_date=None)).review
    assert [o.action_id for o in domain.overdue_actions(no_target, date(2030, 1, 1))] == ["a1"]


def test_tracker_counts_status_overdue_owners_and_completion() -> None:
    review = with_action()
    review = domain.plan_action(review, plan("a2", status=ActionStatus.COMPLETE)).review
    review = domain.plan_action(
        review,
        plan("a3", owner_agency="icb", owner_role="deputy-director", target_date=date(2024, 5, 1)),
    ).review
    review = domain.record_recommendation(review, recommendation("1.2")).review
    view = tracker.tracker([review], date(2024, 7, 1))
    assert view["actions_by_status"] == {
        "not-started": 2,
        "underway": 0,
        "partially": 0,
        "complete": 1,
    }
    assert [(o["action_id"], o["days_overdue"]) for o in view["overdue_actions"]] == [
        ("a1", 1),
        ("a3", 61),
    ]
    assert view["overdue_by_agency"] == {"gcc": 1, "icb": 1}
    assert (
        view["completion_by_review"][0]["percent_complete"],
        view["completion_by_review"][0]["overdue"],
    ) == (33.3, 2)
    assert view["recommendations_without_actions"] == [{"review_id": "r1", "number": "1.2"}]


# -- escalations -------------------------------------------------------------------------------


def _raise(**fields: Any) -> c.RaiseEscalation:
    base: dict[str, Any] = {
        "escalation_id": "e1",
        "raised_by_agency": "glos-police",
        "raised_about_agency": "gcc",
        "level": 2,
        "subject": "strategy discussion not convened",
        "raised_at": datetime(2024, 6, 7, 9, 0, tzinfo=UTC),
    }
    return c.RaiseEscalation(**(base | fields))


def test_escalation_is_raised_and_resolved_once() -> None:
    escalation, raised = domain.raise_escalation(_raise(), "glos")
    assert (raised.raised_by_agency, raised.raised_about_agency, raised.level) == (
        "glos-police",
        "gcc",
        2,
    )
    resolve = c.ResolveEscalation(
        escalation_id="e1", resolved_at=datetime(2024, 6, 11, 9, 0, tzinfo=UTC)
    )
    resolved, event = domain.resolve_escalation(escalation, resolve)
    assert (event.days_open, event.working_days_open) == (4.0, 2)
    with pytest.raises(Conflict, match="already resolved"):
        domain.resolve_escalation(resolved, resolve)


def test_an_agency_does_not_escalate_about_itself() -> None:
    with pytest.raises(ValidationError, match="itself"):
        _raise(raised_about_agency="glos-police")


# -- contract checks ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "fields", "problem"),
    [
        (ReviewKind.SIN, {}, "aware_on: required"),
        (ReviewKind.MACA, {"aware_on": "2024-01-01"}, "only for a SIN"),
        (ReviewKind.RAPID_REVIEW, {}, "exactly one is required"),
        (
            ReviewKind.RAPID_REVIEW,
            {"notified_on": "2024-01-01", "origin_review_ids": ["s1"]},
            "exactly one",
        ),
        (ReviewKind.LCSPR, {}, "one is required"),
        (ReviewKind.MATA, {"origin_review_ids": ["s1"]}, "only a rapid review or an LCSPR"),
        (ReviewKind.MATA, {"themes": ["neglect", "neglect"]}, "each theme at most once"),
    ],
)
def test_open_review_checks_what_each_kind_needs(
    kind: ReviewKind, fields: dict[str, Any], problem: str
) -> None:
    with pytest.raises(ValidationError, match=problem):
        c.OpenReview(review_id="r1", kind=kind, title="t", opened_on=date(2024, 1, 1), **fields)
