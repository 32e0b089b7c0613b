"""Working days in England: weekends and England and Wales bank holidays."""

from __future__ import annotations

from datetime import UTC, date, datetime

from shared.workdays import (
    LONDON,
    add_working_days,
    is_working_day,
    next_school_day_start,
    working_day_deadline,
    working_days_between,
)


def test_weekends_and_bank_holidays_are_not_working_days() -> None:
    assert not is_working_day(date(2026, 11, 28))  # Saturday
    assert not is_working_day(date(2026, 12, 25))  # Christmas Day
    assert not is_working_day(date(2026, 12, 28))  # Boxing Day substitute (26th is a Saturday)
    assert not is_working_day(date(2026, 8, 31))  # summer bank holiday (England, not Scotland)
    assert is_working_day(date(2026, 8, 3))  # Scotland's summer holiday is not England's


def test_adding_working_days_skips_christmas() -> None:
    assert add_working_days(date(2026, 12, 24), 1) == date(2026, 12, 29)
    assert add_working_days(date(2026, 12, 24), 0) == date(2026, 12, 24)


def test_working_days_between_counts_after_start_up_to_end() -> None:
    assert working_days_between(date(2026, 11, 27), date(2026, 11, 30)) == 1  # Fri -> Mon
    assert working_days_between(date(2026, 11, 30), date(2026, 11, 30)) == 0


def test_friday_evening_contact_is_due_by_end_of_monday() -> None:
    received = datetime(2026, 11, 27, 18, 0, tzinfo=UTC)
    assert working_day_deadline(received, 1) == datetime(2026, 12, 1, 0, 0, tzinfo=LONDON)


def test_next_school_day_after_easter() -> None:
    # Thursday 2 April 2026 evening; Good Friday and Easter Monday are bank holidays.
    incident = datetime(2026, 4, 2, 20, 0, tzinfo=UTC)
    assert next_school_day_start(incident) == datetime(2026, 4, 7, 8, 30, tzinfo=LONDON)
