"""Working days in England: weekends and England and Wales bank holidays (from the
`holidays` package, which tracks announced changes such as extra coronation holidays)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

LONDON = ZoneInfo("Europe/London")


@lru_cache(maxsize=64)
def _bank_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year).keys())


def load_bank_holidays() -> None:
    """Load this year's and next year's bank holidays now: the first look-up imports the
    `holidays` package's country modules (about a quarter of a second), which a service does
    at start rather than in the middle of its first batch."""
    year = date.today().year
    _bank_holidays(year)
    _bank_holidays(year + 1)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def add_working_days(day: date, n: int) -> date:
    """The date `n` working days after `day` (n >= 0); `day` itself need not be a working day."""
    current = day
    remaining = n
    while remaining > 0:
        current += timedelta(days=1)
        if is_working_day(current):
            remaining -= 1
    return current


def working_days_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end` (0 when end <= start)."""
    count = 0
    current = start
    while current < end:
        current += timedelta(days=1)
        if is_working_day(current):
            count += 1
    return count


def local_date(moment: datetime) -> date:
    return moment.astimezone(LONDON).date()


def working_day_deadline(received: datetime, n: int) -> datetime:
    """End of the n-th working day after the day of `received` (London time), as an aware
    datetime: 'within one working day' of a Friday-evening contact means by Monday's end."""
    day = add_working_days(local_date(received), n)
    return datetime.combine(day + timedelta(days=1), time(0, 0), LONDON)


def next_school_day_start(moment: datetime, school_start: time = time(8, 30)) -> datetime:
    """Start of the first school day after `moment`'s date (a working day, London time).
    School holidays are not modelled: bank holidays and weekends only."""
    day = add_working_days(local_date(moment), 1)
    return datetime.combine(day, school_start, LONDON)
