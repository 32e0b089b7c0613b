"""The statutory clocks: SIN notification within 5 working days of awareness, rapid review
within 15 working days of notification, LCSPR published within 6 months of the decision."""

from __future__ import annotations

from datetime import date

import pytest

from services.reviews import domain
from shared.codes import ReviewKind
from shared.contracts import reviews as c
from shared.contracts.reviews import Clock
from tests.unit.reviews.review_factories import open_cmd, opened, rr_completion


@pytest.mark.parametrize(
    ("aware_on", "deadline"),
    [
        (date(2024, 6, 3), date(2024, 6, 10)),  # Monday: the next Monday
        (date(2024, 6, 7), date(2024, 6, 14)),  # Friday: the weekend does not count
        (date(2024, 3, 22), date(2024, 4, 2)),  # Good Friday and Easter Monday skipped
        (date(2024, 12, 23), date(2025, 1, 2)),  # Christmas, Boxing Day, New Year skipped
        (date(2024, 6, 8), date(2024, 6, 14)),  # aware on a Saturday
    ],
)
def test_sin_must_be_notified_within_5_working_days_of_awareness(
    aware_on: date, deadline: date
) -> None:
    clock = domain.sin_notification_clock(aware_on)
    assert (clock.clock, clock.starts_on, clock.deadline) == (
        Clock.SIN_NOTIFICATION,
        aware_on,
        deadline,
    )


@pytest.mark.parametrize(
    ("notified_on", "deadline"),
    [
        (date(2024, 6, 3), date(2024, 6, 24)),  # three full weeks
        (date(2024, 4, 2), date(2024, 4, 23)),
        (date(2024, 5, 1), date(2024, 5, 23)),  # the early May bank holiday skipped
        (date(2024, 12, 16), date(2025, 1, 9)),  # over Christmas and New Year
    ],
)
def test_rapid_review_is_due_15_working_days_after_notification(
    notified_on: date, deadline: date
) -> None:
    assert domain.rapid_review_clock(notified_on).deadline == deadline


@pytest.mark.parametrize(
    ("decided_on", "deadline"),
    [
        (date(2023, 8, 23), date(2024, 2, 23)),
        (date(2023, 8, 31), date(2024, 2, 29)),  # to a leap February's last day
        (date(2024, 8, 31), date(2025, 2, 28)),
        (date(2024, 7, 15), date(2025, 1, 15)),  # across the year end
    ],
)
def test_lcspr_is_due_6_months_after_the_decision(decided_on: date, deadline: date) -> None:
    assert domain.lcspr_clock(decided_on).deadline == deadline


def test_a_notification_on_the_deadline_is_on_time_and_a_day_later_is_not() -> None:
    sin = opened(ReviewKind.SIN, aware_on=date(2024, 6, 7))  # deadline Fri 14 June
    on_time = domain.record_notification(
        sin, c.RecordNotification(review_id="r1", notified_on=date(2024, 6, 14))
    )
    late = domain.record_notification(
        sin, c.RecordNotification(review_id="r1", notified_on=date(2024, 6, 17))
    )
    [(_, first)], [(_, second)] = on_time.events, late.events
    assert isinstance(first, c.ReviewStageChanged)
    assert isinstance(second, c.ReviewStageChanged)
    assert (first.within_target, first.days_taken) == (True, 5)
    assert (second.within_target, second.days_taken) == (False, 6)
    assert first.clock is not None
    assert first.clock.deadline == date(2024, 6, 14)


def test_rapid_review_completion_reports_working_days_taken_against_15() -> None:
    rr = opened(ReviewKind.RAPID_REVIEW, notified_on=date(2024, 6, 3))
    [(_, event)] = domain.complete_rapid_review(rr, rr_completion(on=date(2024, 6, 25))).events
    assert isinstance(event, c.ReviewStageChanged)
    assert (event.within_target, event.days_taken, event.lcspr_required) == (False, 16, True)


def test_lcspr_publication_reports_calendar_days_against_6_months() -> None:
    lcspr = opened(ReviewKind.LCSPR, decided_on=date(2023, 8, 23), opened_on=date(2023, 8, 23))
    published = domain.publish_report(
        lcspr, c.PublishReport(review_id="r1", published_on=date(2024, 2, 23))
    )
    [(_, event)] = published.events
    assert isinstance(event, c.ReviewStageChanged)
    assert (event.within_target, event.days_taken) == (True, 184)


def test_opening_starts_the_kinds_clock_and_audits_have_none() -> None:
    expected = {
        ReviewKind.SIN: (Clock.SIN_NOTIFICATION, date(2024, 3, 8)),
        ReviewKind.RAPID_REVIEW: (Clock.RAPID_REVIEW, date(2024, 3, 26)),
        ReviewKind.LCSPR: (Clock.LCSPR_PUBLICATION, date(2024, 9, 1)),
    }
    for kind in ReviewKind:
        [(type_, event)] = domain.open_review(open_cmd(kind), "glos", {}).events
        assert type_ == c.OPENED
        assert isinstance(event, c.ReviewOpened)
        got = None if event.clock is None else (event.clock.clock, event.clock.deadline)
        assert got == expected.get(kind), kind


def test_a_breach_is_found_only_after_the_deadline_and_only_while_the_stage_is_not_reached() -> (
    None
):
    sin = opened(ReviewKind.SIN, aware_on=date(2024, 6, 7))  # deadline 14 June
    assert domain.clock_breach(sin, date(2024, 6, 14)) is None
    breach = domain.clock_breach(sin, date(2024, 6, 15))
    assert breach is not None
    assert (breach.clock.clock, breach.clock.deadline, breach.as_of) == (
        Clock.SIN_NOTIFICATION,
        date(2024, 6, 14),
        date(2024, 6, 15),
    )
    notified = domain.record_notification(
        sin, c.RecordNotification(review_id="r1", notified_on=date(2024, 6, 20))
    ).review
    assert domain.clock_breach(notified, date(2024, 7, 1)) is None
    audit = opened(ReviewKind.MATA)
    assert domain.clock_breach(audit, date(2030, 1, 1)) is None
