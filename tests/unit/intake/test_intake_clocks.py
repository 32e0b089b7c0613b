"""The front-door clocks: decision within one working day, VIST the same day, Operation
Encompass before the next school day, the early-help wait (England: weekends and bank
holidays do not count)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.intake.domain import (
    acknowledgement_seconds,
    decision_clock,
    decision_deadline,
    early_help_wait,
    encompass_clock,
    vist_delay,
    working_hours_between,
)
from tests.unit.intake.factories import at


def test_a_monday_contact_is_due_by_the_end_of_tuesday() -> None:
    assert decision_deadline(at(2026, 11, 23, 10)) == at(2026, 11, 25)


def test_a_friday_evening_contact_is_due_by_the_end_of_monday() -> None:
    assert decision_deadline(at(2026, 11, 27, 18)) == at(2026, 12, 1)


def test_a_contact_received_on_a_saturday_is_due_by_the_end_of_monday() -> None:
    assert decision_deadline(at(2026, 11, 28, 11)) == at(2026, 12, 1)


def test_christmas_and_boxing_day_substitute_do_not_count() -> None:
    # Thursday 24 Dec 2026: Fri 25th Christmas, Mon 28th Boxing Day (observed).
    assert decision_deadline(at(2026, 12, 24, 16)) == at(2026, 12, 30)


def test_easter_bank_holidays_do_not_count() -> None:
    # Thursday 2 April 2026: Good Friday 3rd, Easter Monday 6th.
    assert decision_deadline(at(2026, 4, 2, 12)) == at(2026, 4, 8)


def test_the_deadline_is_local_midnight_across_the_clock_change() -> None:
    # Friday 23 Oct 2026 BST; the clocks go back on Sunday 25th; due end of Monday 26th (GMT).
    deadline = decision_deadline(at(2026, 10, 23, 9))
    assert deadline.astimezone(UTC) == datetime(2026, 10, 27, 0, 0, tzinfo=UTC)


def test_decided_the_same_day_is_within_target_with_zero_working_days() -> None:
    clock = decision_clock(at(2026, 11, 23, 10), at(2026, 11, 23, 15, 30))
    assert clock.within_target
    assert clock.working_days == 0
    assert clock.working_hours == pytest.approx(5.5)


def test_decided_over_a_weekend_counts_only_working_time() -> None:
    # Friday 18:00 -> Monday 10:00: 6 hours of Friday + 10 of Monday.
    clock = decision_clock(at(2026, 11, 27, 18), at(2026, 11, 30, 10))
    assert clock.within_target
    assert clock.working_days == 1
    assert clock.working_hours == pytest.approx(16.0)


def test_decided_two_working_days_later_misses_the_target() -> None:
    clock = decision_clock(at(2026, 11, 23, 10), at(2026, 11, 25, 9))
    assert not clock.within_target
    assert clock.working_days == 2


def test_a_decision_at_the_deadline_itself_is_late() -> None:
    assert not decision_clock(at(2026, 11, 23, 10), at(2026, 11, 25)).within_target


def test_working_hours_skip_a_bank_holiday_and_are_never_negative() -> None:
    # Thu 24 Dec 12:00 -> Tue 29 Dec 12:00: 12h on the 24th + 12h on the 29th.
    assert working_hours_between(at(2026, 12, 24, 12), at(2026, 12, 29, 12)) == pytest.approx(24)
    assert working_hours_between(at(2026, 12, 29), at(2026, 12, 24)) == 0


def test_a_vist_submitted_the_same_day_is_on_target() -> None:
    delay = vist_delay(at(2026, 11, 23, 1), at(2026, 11, 23, 22))
    assert delay.same_day
    assert delay.days == 0
    assert delay.hours == pytest.approx(21)


def test_a_vist_after_midnight_is_a_day_late_and_weeks_late_is_counted() -> None:
    assert vist_delay(at(2026, 11, 22, 23), at(2026, 11, 23, 9)).days == 1
    late = vist_delay(at(2026, 11, 2, 20), at(2026, 11, 23, 9))
    assert not late.same_day
    assert late.days == 21


def test_encompass_after_a_weekday_incident_is_due_before_school_next_morning() -> None:
    clock = encompass_clock(at(2026, 11, 23, 21), at(2026, 11, 24, 8, 15))
    assert clock.deadline == at(2026, 11, 24, 8, 30)
    assert clock.on_time
    assert not encompass_clock(at(2026, 11, 23, 21), at(2026, 11, 24, 9)).on_time


def test_encompass_after_a_friday_incident_is_due_before_monday_school() -> None:
    clock = encompass_clock(at(2026, 11, 27, 22), at(2026, 11, 30, 7))
    assert clock.deadline == at(2026, 11, 30, 8, 30)
    assert clock.on_time


def test_encompass_skips_a_bank_holiday_monday() -> None:
    # Friday 1 May 2026 (in term), Monday 4 May is the early May bank holiday: school is Tuesday.
    assert encompass_clock(at(2026, 5, 1, 20), at(2026, 5, 5, 8)).deadline == at(2026, 5, 5, 8, 30)


def test_early_help_wait_counts_calendar_and_working_days() -> None:
    wait = early_help_wait(at(2026, 11, 23, 15), at(2026, 12, 7, 9))
    assert wait.days == 14
    assert wait.working_days == 10


def test_acknowledgement_time_is_never_negative() -> None:
    assert acknowledgement_seconds(at(2026, 11, 23, 10), at(2026, 11, 23, 10, 1)) == 60
    assert acknowledgement_seconds(at(2026, 11, 23, 10, 1), at(2026, 11, 23, 10)) == 0
