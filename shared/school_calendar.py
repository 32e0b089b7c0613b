"""School days in England, for the Operation Encompass clock: the school is told "before the
start of the next school day" after police attend a domestic abuse incident (PRODUCT.md).

A school day is a weekday that is not a bank holiday (`shared.workdays`), falls inside a term
and is not an INSET (training) day or other closure. Term dates differ by local authority, so
a partnership may load its authority's published dates (`load_calendar`, JSON or CSV); for any
academic year its file does not cover, the default calendar of typical English terms applies
(`default_terms`). Pure apart from `load_calendar`, which reads one file when asked.

Academic years run 1 September to 31 August and are named by their first calendar year.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from shared.workdays import LONDON, is_working_day, local_date

SESSION_START = time(8, 30)  # the usual start of the school day in England
MAX_DAYS_AHEAD = 400  # no calendar has a gap longer than a summer holiday; a bound on the search


class CalendarError(ValueError):
    """A term-dates file that cannot be used; the message names the file and the entry."""


@dataclass(frozen=True)
class Term:
    """Days the school is open to pupils, first and last inclusive (a half-term holiday splits
    a term in two, or is listed as a break)."""

    first: date
    last: date


def academic_year(day: date) -> int:
    """The academic year `day` falls in, named by its first calendar year (1 Sep - 31 Aug)."""
    return day.year if day.month >= 9 else day.year - 1


# ---------------------------------------------------------------------------------------------
# The default: typical English term dates


def _easter(year: int) -> date:
    """Easter Sunday (Gregorian; the anonymous algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month, day = divmod(h + ell - 7 * m + 114, 31)
    return date(year, month, day + 1)


def _on_or_after(day: date, weekday: int) -> date:
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def _on_or_before(day: date, weekday: int) -> date:
    return day - timedelta(days=(day.weekday() - weekday) % 7)


def _first_working_day_from(day: date) -> date:
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


MON, WED, FRI = 0, 2, 4


@lru_cache(maxsize=64)
def default_terms(year: int) -> tuple[tuple[Term, ...], frozenset[date]]:
    """Typical English term dates for academic year `year` (Sept `year` to July `year`+1), and
    its INSET days. A partnership's own dates (`load_calendar`) replace these.

    - Autumn: from the first weekday on or after 1 September (an INSET day; pupils start the
      next day) to the last Friday on or before 20 December; half term is the week of the
      last Friday of October.
    - Spring: from the first working day on or after 4 January; half term is the week
      starting the Monday on or after 12 February; it ends before the Easter holiday, the two
      weeks from the Monday before Good Friday to the Friday after Easter Monday.
    - Summer: to the last Friday on or before 23 July; half term is the week of the late May
      (spring) bank holiday, the last Monday of May.
    Other INSET days vary by school and are not guessed.
    """
    autumn_first = _first_working_day_from(date(year, 9, 1))
    october = _on_or_before(date(year, 10, 31), FRI)
    autumn_last = _on_or_before(date(year, 12, 20), FRI)
    spring_first = _first_working_day_from(date(year + 1, 1, 4))
    february = _on_or_after(date(year + 1, 2, 12), MON)
    easter = _easter(year + 1)
    easter_from = easter - timedelta(days=6)  # Monday of Holy Week
    easter_to = easter + timedelta(days=5)  # Friday after Easter Monday
    may = _on_or_before(date(year + 1, 5, 31), MON)
    summer_last = _on_or_before(date(year + 1, 7, 23), FRI)
    terms = (
        Term(autumn_first, october - timedelta(days=5)),
        Term(october + timedelta(days=3), autumn_last),
        Term(spring_first, february - timedelta(days=1)),
        Term(february + timedelta(days=7), easter_from - timedelta(days=1)),
        Term(easter_to + timedelta(days=1), may - timedelta(days=1)),
        Term(may + timedelta(days=7), summer_last),
    )
    return terms, frozenset({autumn_first})


# ---------------------------------------------------------------------------------------------
# A calendar


@dataclass(frozen=True)
class SchoolCalendar:
    """A partnership's school calendar: its own terms and INSET days for the academic years
    they cover, the default English terms for any other year."""

    name: str = "default English terms"
    terms: tuple[Term, ...] = ()
    closures: frozenset[date] = frozenset()  # INSET days and other whole-day closures
    session_start: time = SESSION_START
    years: frozenset[int] = field(init=False)

    def __post_init__(self) -> None:
        covered = {academic_year(t.first) for t in self.terms}
        covered |= {academic_year(t.last) for t in self.terms}
        object.__setattr__(self, "years", frozenset(covered))

    def _year(self, year: int) -> tuple[Iterable[Term], frozenset[date]]:
        if year in self.years:
            return self.terms, self.closures
        return default_terms(year)

    def is_school_day(self, day: date) -> bool:
        """Pupils are in school: a working day, in term, not an INSET day or closure."""
        if not is_working_day(day):
            return False
        terms, closures = self._year(academic_year(day))
        return day not in closures and any(t.first <= day <= t.last for t in terms)

    def next_session_start(self, moment: datetime) -> datetime:
        """The start of the first school session after `moment` (London time): 02:00 on a
        school day gives that morning's start; 15:00 gives the next school day's."""
        day = local_date(moment)
        for _ in range(MAX_DAYS_AHEAD):
            if self.is_school_day(day):
                start = datetime.combine(day, self.session_start, LONDON)
                if start > moment:
                    return start
            day += timedelta(days=1)
        raise CalendarError(f"{self.name}: no school day within {MAX_DAYS_AHEAD} days of {day}")


DEFAULT = SchoolCalendar()


def encompass_deadline(attended_at: datetime, calendar: SchoolCalendar = DEFAULT) -> datetime:
    """Operation Encompass: the school is told before the start of the next school session
    after police attended the incident."""
    return calendar.next_session_start(attended_at)


# ---------------------------------------------------------------------------------------------
# Loading a local authority's published term dates

FORMAT = """\
JSON: {"name": "...", "session_start": "08:45",
       "terms": [{"first": "2024-09-04", "last": "2024-10-25"}, ...],
       "inset_days": ["2024-09-02", ...]}
CSV (header kind,first,last): rows `term,2024-09-04,2024-10-25` and `inset,2024-09-02,`
Terms are the days pupils attend (split a term at half term); INSET days fall inside terms."""


def _day(text: Any, where: str) -> date:
    try:
        return date.fromisoformat(str(text).strip())
    except ValueError:
        raise CalendarError(f"{where}: {text!r} is not a date (YYYY-MM-DD)") from None


def _build(
    name: str,
    terms: list[Term],
    inset: list[date],
    session_start: time,
    where: str,
) -> SchoolCalendar:
    if not terms:
        raise CalendarError(f"{where}: no terms")
    terms = sorted(terms, key=lambda t: t.first)
    for n, term in enumerate(terms):
        if term.last < term.first:
            raise CalendarError(f"{where}: term {term.first} to {term.last} ends before it starts")
        if n and term.first <= terms[n - 1].last:
            raise CalendarError(
                f"{where}: term from {term.first} overlaps the term ending {terms[n - 1].last}"
            )
    for day in inset:
        if not any(t.first <= day <= t.last for t in terms):
            raise CalendarError(f"{where}: INSET day {day} is outside every term")
    return SchoolCalendar(name, tuple(terms), frozenset(inset), session_start)


def parse_json(text: str, where: str) -> SchoolCalendar:
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CalendarError(f"{where}: not JSON ({exc})") from None
    if not isinstance(raw, Mapping) or not isinstance(raw.get("terms"), list):
        raise CalendarError(f"{where}: expected an object with a list of terms\n{FORMAT}")
    unknown = set(raw) - {"name", "session_start", "terms", "inset_days"}
    if unknown:
        raise CalendarError(f"{where}: unknown fields {sorted(unknown)}\n{FORMAT}")
    terms = []
    for n, entry in enumerate(raw["terms"], 1):
        if not isinstance(entry, Mapping) or set(entry) != {"first", "last"}:
            raise CalendarError(f"{where}: term {n} needs exactly `first` and `last`")
        at = f"{where} term {n}"
        terms.append(Term(_day(entry["first"], at), _day(entry["last"], at)))
    inset = [_day(d, f"{where} inset_days") for d in raw.get("inset_days", [])]
    start = raw.get("session_start", SESSION_START.strftime("%H:%M"))
    try:
        session_start = time.fromisoformat(str(start))
    except ValueError:
        raise CalendarError(f"{where}: session_start {start!r} is not a time (HH:MM)") from None
    return _build(str(raw.get("name", where)), terms, inset, session_start, where)


def parse_csv(text: str, where: str) -> SchoolCalendar:
    rows = csv.DictReader(io.StringIO(text))
    if rows.fieldnames is None or [f.strip() for f in rows.fieldnames][:3] != [
        "kind",
        "first",
        "last",
    ]:
        raise CalendarError(f"{where}: the header must be kind,first,last\n{FORMAT}")
    terms: list[Term] = []
    inset: list[date] = []
    for n, row in enumerate(rows, 2):
        line = f"{where} line {n}"
        kind = (row.get("kind") or "").strip().lower()
        if kind == "term":
            terms.append(Term(_day(row.get("first"), line), _day(row.get("last"), line)))
        elif kind == "inset":
            inset.append(_day(row.get("first"), line))
        else:
            raise CalendarError(f"{line}: kind {kind!r} is not `term` or `inset`")
    return _build(where, terms, inset, SESSION_START, where)


def load_calendar(path: Path) -> SchoolCalendar:
    """A local authority's published term dates from a JSON or CSV file (see `FORMAT`)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CalendarError(f"{path}: no such file") from None
    except OSError as exc:
        raise CalendarError(f"{path}: cannot be read ({exc.strerror})") from None
    if path.suffix.lower() == ".json":
        return parse_json(text, str(path))
    if path.suffix.lower() == ".csv":
        return parse_csv(text, str(path))
    raise CalendarError(f"{path}: term dates must be a .json or .csv file\n{FORMAT}")


def parse_calendar_setting(value: str) -> dict[str, Path]:
    """`partnership=path[,partnership=path...]` to a mapping; errors name the bad entry."""
    found: dict[str, Path] = {}
    for entry in filter(None, (e.strip() for e in value.split(","))):
        partnership, sep, path = entry.partition("=")
        if not sep or not partnership.strip() or not path.strip():
            raise CalendarError(f"{entry!r}: expected partnership=path/to/term-dates.json")
        if partnership.strip() in found:
            raise CalendarError(f"{partnership.strip()!r} is named twice")
        found[partnership.strip()] = Path(path.strip())
    return found


def load_calendars(value: str) -> dict[str, SchoolCalendar]:
    """The calendars a `partnership=path,...` setting names, each loaded and checked."""
    return {p: load_calendar(path) for p, path in parse_calendar_setting(value).items()}
