"""The action tracker's RAG per action and its overdue rule (shared.action_tracker), and the
sweep's default interval."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic_settings import BaseSettings

from services.intake.settings import IntakeSettings
from services.reporting.settings import ReportingSettings
from services.reviews import domain, tracker
from services.reviews.settings import ReviewsSettings
from shared.action_tracker import DUE_SOON_DAYS, ActionRag, action_rag, is_overdue
from shared.codes import ActionStatus
from tests.unit.reviews.review_factories import plan, with_action

S = ActionStatus


@pytest.mark.parametrize(
    ("status", "target", "as_of", "overdue"),
    [
        (S.NOT_STARTED, date(2024, 3, 31), date(2024, 3, 31), False),  # due today: on time
        (S.NOT_STARTED, date(2024, 3, 31), date(2024, 4, 1), True),
        (S.PARTIALLY, date(2024, 3, 31), date(2026, 12, 2), True),
        (S.COMPLETE, date(2024, 3, 31), date(2026, 12, 2), False),
        (S.UNDERWAY, None, date(2026, 12, 2), False),
    ],
)
def test_an_action_is_overdue_past_its_target_date_until_complete(
    status: ActionStatus, target: date | None, as_of: date, overdue: bool
) -> None:
    """PRODUCT.md: reviews keeps "actions with owner, target date and status ... It raises
    `action overdue`": overdue once the target date has passed and the action is not
    complete."""
    assert is_overdue(status, target, as_of) is overdue
    assert is_overdue(str(status), target, as_of) is overdue  # as reporting holds it


@pytest.mark.parametrize(
    ("status", "target", "rag"),
    [
        (S.COMPLETE, date(2024, 1, 1), ActionRag.GREEN),
        (S.NOT_STARTED, date(2024, 5, 31), ActionRag.RED),
        (S.PARTIALLY, date(2024, 6, 1), ActionRag.AMBER),  # due today
        (S.UNDERWAY, date(2024, 6, 1 + DUE_SOON_DAYS - 1), ActionRag.AMBER),
        (S.UNDERWAY, date(2024, 7, 1), ActionRag.GREEN),
        (S.NOT_STARTED, None, ActionRag.AMBER),  # no timescale identified
    ],
)
def test_the_tracker_rag_of_one_action(
    status: ActionStatus, target: date | None, rag: ActionRag
) -> None:
    """The seeds' action plan (seeds/003): "Actions are clear, measurable, achievable, and
    relevant with the owner and timescale of each step clearly identified. Progress against
    the implementation and delivery of the action plans will be monitored by ... QiiP": red
    when overdue, amber when due within four weeks or without a timescale, green when complete
    or on track."""
    assert action_rag(status, target, date(2024, 6, 1)) is rag


def test_the_tracker_gives_each_action_its_rag_and_counts_them() -> None:
    """Scrutineer (seeds/000): "progress against the actions on this tracker had not
    progressed as quickly as intended": the tracker shows each action's RAG as at the day
    asked, per review and in all."""
    review = with_action()  # a1: due 30 June 2024, not started
    review = domain.plan_action(review, plan("a2", status=ActionStatus.COMPLETE)).review
    review = domain.plan_action(review, plan("a3", target_date=date(2024, 7, 20))).review
    review = domain.plan_action(review, plan("a4", target_date=date(2025, 3, 31))).review
    view = tracker.tracker([review], date(2024, 7, 1))
    assert {a["action_id"]: a["rag"] for a in view["action_rag"]} == {
        "a1": "red",
        "a2": "green",
        "a3": "amber",
        "a4": "green",
    }
    assert view["actions_by_rag"] == {"red": 1, "amber": 1, "green": 2}
    assert view["completion_by_review"][0]["rag"] == {"red": 1, "amber": 1, "green": 2}
    # the same rule as the overdue list
    assert [o["action_id"] for o in view["overdue_actions"]] == ["a1"]


def _default(settings: type[BaseSettings], name: str) -> float:
    value = settings.model_fields[name].default
    assert isinstance(value, float)
    return value


def test_breaches_and_overdue_actions_surface_within_a_minute_by_default() -> None:
    """Issue 15: "breaches and overdue actions visible within a minute" (reviews' sweep ran
    hourly by default). PRODUCT.md: the system shows "in near real time" how well agencies
    work together. A sweep's events reach reporting's figures after its debounce, or at the
    latest its longest delay."""
    reporting = _default(ReportingSettings, "recompute_debounce_s") + _default(
        ReportingSettings, "recompute_max_delay_s"
    )
    reviews = _default(ReviewsSettings, "sweep_interval_s")
    intake = _default(IntakeSettings, "overdue_sweep_interval_s")
    assert reviews > 0
    assert reviews + reporting < 60
    assert intake > 0
    assert intake + reporting < 60
