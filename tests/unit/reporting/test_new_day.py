"""A new day recomputes each partnership's current year: the period under way is taken as at
today (overdue actions, the tracker's RAG), and a new financial year gets its figures."""

from __future__ import annotations

from datetime import date
from typing import Any

from services.reporting.recompute import Reporter


def _reporter() -> Reporter:
    none: Any = None
    return Reporter(
        none,
        {},
        none,
        none,
        snapshot_topic="s",
        exception_topic="e",
        debounce_s=1.0,
        max_delay_s=1.0,
    )


def test_a_new_day_touches_each_partnerships_current_year() -> None:
    """Issue 15: overdue actions counted "as at each period's end ... and now for the current
    period": on 1 April 2027 the Child X plan's open actions are overdue in 2027-28 too,
    without waiting for an event."""
    reporter = _reporter()
    known = [("gscp", "2023-24"), ("gscp", "2026-27"), ("p2", "2020-21")]
    reporter.new_day(date(2027, 3, 31), known)
    assert reporter._dirty == set()  # the first run only notes the day
    reporter.new_day(date(2027, 3, 31), known)
    assert reporter._dirty == set()  # same day: nothing to do
    reporter.new_day(date(2027, 4, 1), known)
    assert reporter._dirty == {("gscp", "2027-28"), ("p2", "2027-28")}
