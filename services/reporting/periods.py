"""Reporting periods: the partnership's financial year (April to March, e.g. `2020-21`), its
quarters (`2020-21-Q1` = April to June) and calendar months (`2020-04`). Dates are taken in
London time, so an event at 23:30 UTC on 31 March 2021 (00:30 BST on 1 April) counts in 2021-22.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import date, datetime

from shared.rejections import Rejected
from shared.workdays import LONDON

_FY = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-(\d{2})-Q([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class Periods:
    """The three periods one moment falls in."""

    financial_year: str
    quarter: str
    month: str

    def all(self) -> tuple[str, str, str]:
        return (self.financial_year, self.quarter, self.month)


def financial_year_of(day: date) -> str:
    start = day.year if day.month >= 4 else day.year - 1
    return f"{start}-{(start + 1) % 100:02d}"


# The years reporting can place an event in: a four-digit financial year from 2000, up to the
# inbound policy's planning horizon. An event outside cannot be placed and is dead-lettered
# rather than stored (a year such as '999-00' would break every later recomputation).
FIRST_YEAR = 2000
LAST_YEAR = 2100


def periods_of(moment: datetime | date) -> Periods:
    """The periods `moment` falls in; `Rejected` (`unplaceable-period`) outside the years
    reporting can place."""
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:  # before converting: year 1 may overflow
        raise Rejected(
            "unplaceable-period",
            f"a date outside {FIRST_YEAR}-{LAST_YEAR} cannot be placed in a financial year",
        )
    return _periods_of_day(
        moment.astimezone(LONDON).date() if isinstance(moment, datetime) else moment
    )


@functools.lru_cache(maxsize=8192)  # pure; every event is placed, on a few thousand days
def _periods_of_day(day: date) -> Periods:
    fy = financial_year_of(day)
    quarter = (day.month - 4) % 12 // 3 + 1
    return Periods(fy, f"{fy}-Q{quarter}", f"{day.year:04d}-{day.month:02d}")


def financial_year_of_period(period: str) -> str:
    """The financial year a period belongs to; `Rejected` (HTTP 422) for a malformed period."""
    if m := _QUARTER.match(period):
        return _checked_fy(m.group(1), m.group(2), period)
    m = _FY.match(period)
    if m and int(m.group(2)) == (int(m.group(1)) + 1) % 100:
        return period
    if m and 1 <= int(m.group(2)) <= 12:
        return financial_year_of(date(int(m.group(1)), int(m.group(2)), 1))
    raise Rejected(
        "bad-period",
        f"{period!r} is not a period: use a financial year (2020-21), a quarter (2020-21-Q1) "
        "or a month (2020-04)",
    )


def _checked_fy(start: str, end: str, period: str) -> str:
    if int(end) != (int(start) + 1) % 100:
        raise Rejected("bad-period", f"{period!r}: a financial year runs from one year to the next")
    return f"{start}-{end}"


def periods_in_year(fy: str) -> list[str]:
    """The year itself, its quarters and its months, in that order."""
    start = int(fy[:4])
    months = [f"{start + (m < 4)}-{m:02d}" for m in (*range(4, 13), 1, 2, 3)]
    return [fy, *(f"{fy}-Q{q}" for q in range(1, 5)), *months]


def kind_of(period: str) -> str:
    """'year', 'quarter' or 'month' (the period must be valid)."""
    if _QUARTER.match(period):
        return "quarter"
    return "year" if financial_year_of_period(period) == period else "month"
