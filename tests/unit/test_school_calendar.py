"""School days for Operation Encompass: "police tell the child's school about a domestic abuse
incident before the next school day" and the target "before the start of the next school day
after the incident" (PRODUCT.md), on the partnership's own term dates when it has loaded them."""

from __future__ import annotations

import itertools
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from services.intake.settings import IntakeSettings
from shared.school_calendar import (
    DEFAULT,
    CalendarError,
    SchoolCalendar,
    Term,
    default_terms,
    encompass_deadline,
    load_calendar,
    load_calendars,
)
from shared.workdays import LONDON


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


def test_an_incident_at_2am_on_a_school_day_is_due_that_morning() -> None:
    """ "Before the start of the next school day": police attend at 02:00 on Tuesday, the
    next school day starts on Tuesday morning, not Wednesday."""
    assert encompass_deadline(at(2026, 11, 24, 2)) == at(2026, 11, 24, 8, 30)


def test_an_incident_during_the_school_day_is_due_the_next_morning() -> None:
    """Tuesday 15:00: that school day has started, so the next one is Wednesday's."""
    assert encompass_deadline(at(2026, 11, 24, 15)) == at(2026, 11, 25, 8, 30)


def test_a_friday_afternoon_incident_is_due_on_monday_morning() -> None:
    """Friday 16:00: the weekend is not a school day; due before Monday's start."""
    assert encompass_deadline(at(2026, 11, 27, 16)) == at(2026, 11, 30, 8, 30)


def test_a_half_term_week_does_not_count_as_school_days() -> None:
    """School holidays are not school days: Friday before October half term (26-30 October
    2026 in the default calendar) is due on the Monday after it."""
    assert encompass_deadline(at(2026, 10, 23, 18)) == at(2026, 11, 2, 8, 30)


def test_the_summer_holiday_bank_holiday_and_inset_day_are_skipped() -> None:
    """Monday 31 August 2026 is a bank holiday in the summer holiday; Tuesday 1 September is
    the default INSET day (pupils start the day after)."""
    assert encompass_deadline(at(2026, 8, 31, 12)) == at(2026, 9, 2, 8, 30)
    assert not DEFAULT.is_school_day(date(2026, 9, 1))
    assert DEFAULT.is_school_day(date(2026, 9, 2))


def test_christmas_and_easter_holidays_are_not_school_days() -> None:
    assert not DEFAULT.is_school_day(date(2026, 12, 22))
    assert not DEFAULT.is_school_day(date(2027, 1, 1))
    assert DEFAULT.is_school_day(date(2027, 1, 4))
    # Easter Sunday 2027 is 28 March: the holiday is 22 March to 2 April around it.
    assert DEFAULT.is_school_day(date(2027, 3, 19))
    assert not DEFAULT.is_school_day(date(2027, 3, 22))
    assert not DEFAULT.is_school_day(date(2027, 4, 2))
    assert DEFAULT.is_school_day(date(2027, 4, 5))


def test_the_default_terms_are_typical_english_terms_every_year() -> None:
    for year in range(2000, 2040):
        terms, inset = default_terms(year)
        days = sum((t.last - t.first).days + 1 for t in terms)
        assert all(t.first <= t.last for t in terms)
        assert all(a.last < b.first for a, b in itertools.pairwise(terms))
        school_days = sum(
            DEFAULT.is_school_day(date.fromordinal(d))
            for t in terms
            for d in range(t.first.toordinal(), t.last.toordinal() + 1)
        )
        # English schools open for 190 days to pupils (195 with INSET days).
        assert 185 <= school_days <= 200, (year, school_days, days)
        assert len(inset) == 1


LA_JSON = """{
  "name": "Gloucestershire term dates 2026-27",
  "session_start": "08:45",
  "terms": [
    {"first": "2026-09-03", "last": "2026-10-23"},
    {"first": "2026-11-03", "last": "2026-12-18"}
  ],
  "inset_days": ["2026-11-03"]
}"""

LA_CSV = """kind,first,last
term,2026-09-03,2026-10-23
term,2026-11-03,2026-12-18
inset,2026-11-03,
"""


@pytest.mark.parametrize(("name", "text"), [("glos.json", LA_JSON), ("glos.csv", LA_CSV)])
def test_a_local_authoritys_published_term_dates_replace_the_default(
    tmp_path: Path, name: str, text: str
) -> None:
    """A loaded calendar: this authority's half term runs to Monday 2 November and Tuesday
    3 November is an INSET day, so a Friday 23 October incident is due on Wednesday 4
    November (at 08:45 where the file gives the session start)."""
    path = tmp_path / name
    path.write_text(text)
    calendar = load_calendar(path)
    start = time(8, 45) if name.endswith(".json") else time(8, 30)
    due = encompass_deadline(at(2026, 10, 23, 18), calendar)
    assert due == datetime.combine(date(2026, 11, 4), start, LONDON)
    # The default would have said Monday 2 November.
    assert encompass_deadline(at(2026, 10, 23, 18)) == at(2026, 11, 2, 8, 30)
    # A year the file does not cover has the default terms.
    assert calendar.is_school_day(date(2028, 1, 4)) == DEFAULT.is_school_day(date(2028, 1, 4))


@pytest.mark.parametrize(
    ("name", "text", "says"),
    [
        ("a.json", "{", "not JSON"),
        ("a.json", '{"terms": []}', "no terms"),
        ("a.json", '{"terms": [{"first": "2026-13-01", "last": "2026-12-01"}]}', "not a date"),
        ("a.json", '{"terms": [{"first": "2026-12-01", "last": "2026-11-01"}]}', "ends before"),
        (
            "a.json",
            '{"terms": [{"first": "2026-09-01", "last": "2026-10-30"},'
            ' {"first": "2026-10-01", "last": "2026-12-01"}]}',
            "overlaps",
        ),
        (
            "a.json",
            '{"terms": [{"first": "2026-09-01", "last": "2026-10-30"}],'
            ' "inset_days": ["2026-11-02"]}',
            "outside every term",
        ),
        ("a.json", '{"terms": [], "holidays": []}', "unknown fields"),
        ("a.csv", "start,end\n2026-09-01,2026-10-30\n", "header"),
        ("a.csv", "kind,first,last\nholiday,2026-10-26,2026-10-30\n", "line 2"),
        ("a.txt", "", ".json or .csv"),
    ],
)
def test_a_bad_term_dates_file_is_refused_naming_the_file_and_the_problem(
    tmp_path: Path, name: str, text: str, says: str
) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(CalendarError) as caught:
        load_calendar(path)
    assert says in str(caught.value)
    assert str(path) in str(caught.value)


def test_the_setting_names_a_file_per_partnership_and_a_bad_one_stops_the_service(
    tmp_path: Path,
) -> None:
    good = tmp_path / "glos.json"
    good.write_text(LA_JSON)
    calendars = load_calendars(f"glos={good}")
    assert set(calendars) == {"glos"}
    assert calendars["glos"].closures == frozenset({date(2026, 11, 3)})
    base: dict[str, Any] = {"kafka_bootstrap_servers": "k:9092", "mongodb_url": "mongodb://m/"}
    settings = IntakeSettings(**base, auth_disabled=True, school_calendars=f"glos={good}")
    assert settings.school_calendars == f"glos={good}"
    for bad, says in [
        (f"glos={tmp_path / 'missing.json'}", "no such file"),
        ("glos", "expected partnership=path"),
        (f"glos={good},glos={good}", "named twice"),
    ]:
        with pytest.raises(ValidationError) as caught:
            IntakeSettings(**base, auth_disabled=True, school_calendars=bad)
        assert says in str(caught.value)


def test_a_calendar_is_data_terms_and_closures() -> None:
    calendar = SchoolCalendar(
        "one week", (Term(date(2026, 11, 23), date(2026, 11, 27)),), frozenset()
    )
    assert calendar.is_school_day(date(2026, 11, 27))
    assert not calendar.is_school_day(date(2026, 11, 30))  # after its only term
