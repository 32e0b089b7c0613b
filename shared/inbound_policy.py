"""The inbound policy: what any value arriving from outside (HTTP body, header, query, Kafka
record, xAPI statement, the CloudEvents envelope itself) may look like, in one place.

- Identifiers follow closed formats that cannot hold a name, a date of birth, an NHS number or
  an e-mail address (`identifier_problem`).
- Free text is screened for NHS numbers in any layout, UK postcodes, dates that could be a date
  of birth, e-mail addresses and phone numbers (`text_findings`); a hit is refused naming the
  field and the kind of data, never the value.
- Dates fall in a window the partnership can mean; numbers are finite and within BSON int64;
  JSON documents are capped in size and nesting before they are parsed.

Contracts use the annotated types below (`FreeText`, `Identifier`, `ChildRef`, `OccurredAt`,
...), so pydantic applies the policy wherever a contract is validated; `check_json_document`
runs on raw bytes before any parser sees them.
"""

from __future__ import annotations

import functools
import json
import math
import re
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from datetime import time as dt_time
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, Field, ValidationInfo
from pydantic_core import PydanticCustomError

from shared.rejections import Rejected

# -- limits ----------------------------------------------------------------------------------

MAX_BODY_BYTES = 1024 * 1024  # HTTP bodies and Kafka records
MAX_NESTING = 32  # JSON arrays/objects inside each other
MAX_STRING = 16_384  # characters in one JSON string (the longest field takes 4000)
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
EARLIEST = date(2000, 1, 1)  # nothing the partnership records happened before this
PLANNED_YEARS_AHEAD = 5  # target and planned dates may lie this far ahead
DOB_YEARS_BACK = 25  # a full date this recent in free text could be a child's date of birth
MAX_PAGE = 10_000
MAX_OFFSET = 1_000_000

PERSONAL_DATA = "personal_data"  # pydantic error type of a policy hit
OUT_OF_WINDOW = "out_of_window"
BAD_IDENTIFIER = "bad_identifier"

# -- closed identifier formats ---------------------------------------------------------------

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$"
PARTNERSHIP_PATTERN = r"^[a-z][a-z0-9-]{0,31}$"
CHILD_REF_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_:-]{0,47}$"
_ID = re.compile(ID_PATTERN)
_PARTNERSHIP = re.compile(PARTNERSHIP_PATTERN)
_CHILD_REF = re.compile(CHILD_REF_PATTERN)
# Two capitalised words ('JaneDoe', 'Jane-Doe', 'Jane.Doe') or a lower-case 'first.last'.
_NAME_LIKE = re.compile(r"[A-Z][a-z]{1,}[._ -]?[A-Z][a-z]{1,}|(?<![A-Za-z])[a-z]{2,}\.[a-z]{2,}")

# -- screens ---------------------------------------------------------------------------------

_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ]
    )
    for m in names
}
_MONTH = (
    r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_SEP = r"[\s\u00a0\u2007\u202f]*"
# Separators people put between digits: spaces of any width, dots, slashes, dashes, commas.
_DIGIT_SEP = r"[\s\u00a0\u2007\u202f.\-/\\_,\u00b7\u2013\u2014()]{0,3}"
_DIGIT_RUN = re.compile(rf"\d(?:{_DIGIT_SEP}\d)*")
_NUMERIC_DATES = (
    # day month year: 04/03/2015, 4.3.15, 04-03-2015, 4 3 2015
    (
        re.compile(r"(?<!\d)(\d{1,2})[\s/.\-\u00a0](\d{1,2})[\s/.\-\u00a0](\d{4}|\d{2})(?!\d)"),
        "dmy",
    ),
    # year month day: 2015-03-04, 2015/3/4
    (re.compile(r"(?<!\d)(\d{4})[\s/.\-\u00a0](\d{1,2})[\s/.\-\u00a0](\d{1,2})(?!\d)"), "ymd"),
    # compact: 20150304, 04032015
    (re.compile(r"(?<!\d)(\d{4})(\d{2})(\d{2})(?!\d)"), "ymd"),
    (re.compile(r"(?<!\d)(\d{2})(\d{2})(\d{4})(?!\d)"), "dmy"),
)
_WORD_DATES = (
    # 4 March 2015, 4th Mar 15
    (
        re.compile(
            rf"(?<!\d)(\d{{1,2}})(?:st|nd|rd|th)?{_SEP}(?:of{_SEP})?{_MONTH}\.?,?{_SEP}(\d{{4}}|\d{{2}})(?!\d)",
            re.I,
        ),
        "dMy",
    ),
    # March 4, 2015
    (
        re.compile(
            rf"\b{_MONTH}\.?{_SEP}(\d{{1,2}})(?!\d)(?:st|nd|rd|th)?(?:,{_SEP}|[\s\u00a0]+)(\d{{4}}|\d{{2}})(?!\d)",
            re.I,
        ),
        "Mdy",
    ),
)
_POSTCODE = re.compile(
    r"(?<![A-Za-z0-9])(?:GIR[\s\u00a0]*0AA|[A-PR-UWYZ](?:[0-9][0-9A-HJKPSTUW]?|[A-HK-Y][0-9][0-9ABEHMNPRVWXY]?)"
    r"[\s\u00a0\u2007\u202f]*[0-9][ABD-HJLNP-UW-Z]{2})(?![A-Za-z0-9])",
    re.I,
)
# The lookbehind lets a match start only where a run of address characters starts: without
# it a long run with no '@' is scanned again from each of its characters (quadratic).
_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]+[\s\u00a0]*(?:@|\(at\)|\[at\])[\s\u00a0]*"
    r"[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+"
)

KINDS = ("nhs-number", "postcode", "date", "email", "phone")
KIND_WORDS = {
    "nhs-number": "an NHS number",
    "postcode": "a postcode",
    "date": "a date that could be a date of birth",
    "email": "an e-mail address",
    "phone": "a phone number",
    "name": "a name",
}


def nhs_check_digit_ok(digits: str) -> bool:
    """The NHS number mod-11 check on ten digits."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def _digit_groups(run: str) -> list[str]:
    return re.findall(r"\d+", run)


def _has_nhs_number(text: str) -> bool:
    """Ten digits in any layout (any separators, any grouping) that pass the mod-11 check: any
    consecutive groups of a run of digits that add up to ten digits."""
    for match in _DIGIT_RUN.finditer(text):
        groups = _digit_groups(match.group())
        lengths = [len(g) for g in groups]
        for i in range(len(groups)):
            total, j = 0, i
            while j < len(groups) and total < 10:
                total += lengths[j]
                j += 1
            if total == 10 and nhs_check_digit_ok("".join(groups[i:j])):
                return True
    return False


def _year(text: str) -> int:
    year = int(text)
    if len(text) == 2:
        year += 2000 if year <= (date.today().year % 100) + 1 else 1900
    return year


def _real_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _dates(text: str) -> Iterator[date]:
    for pattern, order in _NUMERIC_DATES:
        for m in pattern.finditer(text):
            a, b, c = m.groups()
            if order == "dmy":
                found = _real_date(_year(c), int(b), int(a))
            else:
                found = _real_date(_year(a), int(b), int(c))
            if found:
                yield found
    for pattern, order in _WORD_DATES:
        for m in pattern.finditer(text):
            if order == "dMy":
                day, month, year = m.group(1), m.group(2), m.group(3)
            else:
                month, day, year = m.group(1), m.group(2), m.group(3)
            found = _real_date(_year(year), _MONTHS[month.lower().rstrip(".")], int(day))
            if found:
                yield found


def _could_be_birth_date(found: date, today: date) -> bool:
    return today.year - DOB_YEARS_BACK <= found.year <= today.year + 1


def _has_phone(text: str) -> bool:
    """A UK number (0 and 9-10 more digits, or 44 and 10 more) or an international one
    (`+` or `00` and 8-15 digits), in any grouping, anywhere in a run of digits."""
    for match in _DIGIT_RUN.finditer(text):
        groups = _digit_groups(match.group())
        plus = text[max(match.start() - 1, 0) : match.start()] == "+"
        for i, first in enumerate(groups):
            international = (plus and i == 0) or first.startswith("00")
            if not (international or first.startswith(("0", "4"))):
                continue  # cheap: most groups cannot start a phone number
            joined = ""
            for j in range(i, min(len(groups), i + 17)):
                joined += groups[j]
                if international:
                    digits = len(joined) - (0 if plus and i == 0 else 2)
                    if 9 <= digits <= 15 and len(joined) >= 11:
                        return True
                elif (len(joined) in (10, 11) and joined.startswith("0")) or (
                    len(joined) == 12 and joined.startswith("44")
                ):
                    return True
                if len(joined) > 17:
                    break
    return False


def text_findings(text: str, *, today: date | None = None) -> list[str]:
    """The kinds of personal data `text` appears to hold (see `KINDS`); empty when none."""
    today = today or date.today()
    found = []
    if _has_nhs_number(text):
        found.append("nhs-number")
    if _POSTCODE.search(text):
        found.append("postcode")
    if any(_could_be_birth_date(d, today) for d in _dates(text)):
        found.append("date")
    if _EMAIL.search(text):
        found.append("email")
    if _has_phone(text):
        found.append("phone")
    return found


def describe_findings(kinds: list[str]) -> str:
    return "looks like it holds " + " and ".join(KIND_WORDS[k] for k in kinds)


def screen_text(value: str) -> str:
    """Pydantic validator of free text: refused when it holds personal data (the value is
    never repeated in the error)."""
    kinds = text_findings(value)
    if kinds:
        raise PydanticCustomError(PERSONAL_DATA, describe_findings(kinds))
    return value


# -- identifiers -----------------------------------------------------------------------------


# A UUID in its canonical text form (any case), as `str(uuid.UUID(value))` writes it.
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)


def _is_uuid(value: str) -> bool:
    return _UUID.fullmatch(value) is not None


def identifier_problem(value: str, kind: str = "id") -> str | None:
    """Why `value` is not an acceptable identifier of `kind` ('id', 'child_ref',
    'partnership'), or None. What could be personal data is looked for first, so such a value
    is refused as personal data whatever else is wrong with it. The answer never repeats the
    value."""
    if kind == "id" and _is_uuid(value):
        # Every event's id: acceptable, and never seen twice, so kept out of the cache.
        return None
    return _identifier_problem(value, kind)


@functools.lru_cache(maxsize=65536)  # pure, and ids recur (a contact's every event)
def _identifier_problem(value: str, kind: str) -> str | None:
    if len(value) > 256:
        return "an identifier is at most 64 characters"
    if not _is_uuid(value):
        personal = _personal_in_identifier(value)
        if personal:
            return f"an identifier must not {personal}"
    return shape_problem(value, kind)


def shape_problem(value: str, kind: str = "id") -> str | None:
    """Why `value` does not have the form of an identifier of `kind`, or None; the form only,
    without the personal-data heuristics of `identifier_problem`."""
    if len(value) > 256:
        return "an identifier is at most 64 characters"
    if kind == "partnership":
        if not _PARTNERSHIP.match(value):
            return "a partnership id is 1-32 lower-case letters, digits and '-' from a letter"
    elif kind == "child_ref":
        if not _CHILD_REF.match(value):
            return (
                "a child reference is the sending agency's opaque reference: up to 48 letters, "
                "digits, '_', ':' and '-'"
            )
        if not re.search(r"\d", re.split(r"[-_:]", value)[-1]):
            return "a child reference must end in a segment with digits (an opaque reference)"
    elif not _ID.match(value):
        return "an identifier is up to 64 letters, digits, '_', '.', ':' and '-'"
    return None


def _personal_in_identifier(value: str) -> str | None:
    if _EMAIL.search(value):
        return "hold an e-mail address"
    if id_holds_nhs_number(value):
        return "be an NHS number"
    if any(1900 <= d.year <= 2100 for d in _dates(value.replace("_", "-").replace(":", "-"))):
        return "contain a date"
    if _NAME_LIKE.search(value):
        return "look like a person's name"
    if any(_POSTCODE.fullmatch(part) for part in re.split(r"[-_.:/]", value) if part):
        return "hold a postcode"
    return None


def id_holds_nhs_number(value: str) -> bool:
    # In an identifier only ten digits on their own or in the 3-3-4 layout count: agency
    # counters ('p01-21-0000123') must not be mistaken for NHS numbers by chance.
    for m in re.finditer(r"(?<!\d)(\d{3})[-.: ]?(\d{3})[-.: ]?(\d{4})(?!\d)", value):
        if nhs_check_digit_ok("".join(m.groups())):
            return True
    return False


# The validation context of events this system wrote itself (the canonical topics): their
# identifiers were screened for personal data at the boundary they came in by, so a consumer
# checks only their form again. The heuristics are most of a canonical event's validation.
SCREENED: dict[str, bool] = {"screened": True}


def _identifier_validator(kind: str) -> AfterValidator:
    def check(value: str, info: ValidationInfo) -> str:
        if info.context is not None and info.context.get("screened"):
            problem = shape_problem(value, kind)
        else:
            problem = identifier_problem(value, kind)
        if problem:
            error = PERSONAL_DATA if "must not" in problem else BAD_IDENTIFIER
            raise PydanticCustomError(error, problem)
        return value

    return AfterValidator(check)


# `x-pulse-policy` marks the rule in the JSON schemas, so the generated docs can say it.
POLICY_KEY = "x-pulse-policy"
Identifier = Annotated[
    str,
    Field(max_length=64, json_schema_extra={POLICY_KEY: "identifier"}),
    _identifier_validator("id"),
]
ChildRef = Annotated[
    str,
    Field(max_length=48, json_schema_extra={POLICY_KEY: "child-ref"}),
    _identifier_validator("child_ref"),
]
PartnershipId = Annotated[
    str,
    Field(max_length=32, json_schema_extra={POLICY_KEY: "partnership"}),
    _identifier_validator("partnership"),
]
FreeText = Annotated[
    str, Field(json_schema_extra={POLICY_KEY: "free-text"}), AfterValidator(screen_text)
]

# -- dates -----------------------------------------------------------------------------------


class _Today:
    """Today's UTC date, worked out once a day rather than for each date and time of each
    event checked against it. `clock` gives POSIX seconds; the next UTC midnight says when
    to work it out again."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.day = date.min
        self.until = -math.inf

    def __call__(self) -> date:
        now = self.clock()
        if now >= self.until:
            self.day = datetime.fromtimestamp(now, UTC).date()
            self.until = datetime.combine(self.day + timedelta(days=1), dt_time(), UTC).timestamp()
        return self.day


_today = _Today()


def latest_occurrence() -> date:
    """The last day anything can have happened on: tomorrow (clocks and zones differ)."""
    return _today() + timedelta(days=1)


def latest_planned() -> date:
    return _today() + timedelta(days=366 * PLANNED_YEARS_AHEAD)


def _window_error(what: str, last: date) -> PydanticCustomError:
    return PydanticCustomError(
        OUT_OF_WINDOW, f"{what} must be between {EARLIEST.isoformat()} and {last.isoformat()}"
    )


def check_occurred_on(value: date) -> date:
    if not EARLIEST <= value <= latest_occurrence():
        raise _window_error("a date something happened on", latest_occurrence())
    return value


def check_planned_on(value: date) -> date:
    if not EARLIEST <= value <= latest_planned():
        raise _window_error("a planned date", latest_planned())
    return value


def check_occurred_at(value: datetime) -> datetime:
    # The year is checked first: converting year 1 or 9999 with an odd offset to UTC overflows.
    last = latest_occurrence()
    if not EARLIEST.year - 1 <= value.year <= last.year + 1:
        raise _window_error("a time something happened at", last)
    utc = value.astimezone(UTC)
    if not EARLIEST <= utc.date() <= last:
        raise _window_error("a time something happened at", last)
    return value


def check_moment(value: datetime) -> datetime:
    """A query bound: any time the partnership can mean (up to the planning horizon)."""
    last = latest_planned()
    if not EARLIEST.year - 1 <= value.year <= last.year:
        raise Rejected("bad-query", f"dates must be between {EARLIEST.year} and {last.year}")
    return value


def _bounded_moment(value: datetime) -> datetime:
    last = latest_planned()
    if not EARLIEST.year - 1 <= value.year <= last.year:
        raise PydanticCustomError(
            OUT_OF_WINDOW, f"dates must be between {EARLIEST.year} and {last.year}"
        )
    return value


OccurredOn = Annotated[
    date, Field(json_schema_extra={POLICY_KEY: "occurred"}), AfterValidator(check_occurred_on)
]
QueryMoment = Annotated[AwareDatetime, AfterValidator(_bounded_moment)]
PlannedOn = Annotated[
    date, Field(json_schema_extra={POLICY_KEY: "planned"}), AfterValidator(check_planned_on)
]
OccurredAt = Annotated[
    AwareDatetime,
    Field(json_schema_extra={POLICY_KEY: "occurred"}),
    AfterValidator(check_occurred_at),
]


def check_financial_year_window(value: str) -> str:
    start = int(value[:4])
    if not EARLIEST.year <= start <= latest_planned().year:
        raise _window_error("a financial year", latest_planned())
    return value


# -- raw documents ---------------------------------------------------------------------------


def _refuse_constant(name: str) -> Any:
    raise Rejected("bad-number", f"{name} is not a number this service accepts")


def _walk_values(value: Any, path: str) -> None:
    if isinstance(value, bool) or value is None:
        return
    if isinstance(value, int):
        if not INT64_MIN <= value <= INT64_MAX:
            raise Rejected("bad-number", f"{path or '(root)'}: integer out of range")
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise Rejected("bad-number", f"{path or '(root)'}: numbers must be finite")
    elif isinstance(value, str):
        _check_string(value, path)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_string(key, f"{path or '(root)'} (a key)")
            shown = safe_field_name(key)
            _walk_values(item, f"{path}.{shown}" if path else shown)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _walk_values(item, f"{path}[{i}]")


def _plain(key: str) -> bool:
    return bool(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,39}", key))


def _check_string(value: str, path: str) -> None:
    if len(value) > MAX_STRING:
        raise Rejected("bad-text", f"{path or '(root)'}: text longer than {MAX_STRING} characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise Rejected("bad-text", f"{path or '(root)'}: text holds a lone surrogate") from None


# A JSON string, or what is left of an unterminated one: with the closing quote optional
# every attempt matches, so the scan is linear whatever the input (no retry from each quote).
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"?', re.S)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


def _nesting(text: str) -> int:
    """How deep arrays and objects nest, counted without parsing (strings skipped)."""
    brackets = _NOT_BRACKET.sub("", _JSON_STRING.sub("", text))
    depth = deepest = 0
    for char in brackets:
        if char in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > MAX_NESTING:
                    break
        else:
            depth -= 1
    return deepest


def check_json_document(raw: bytes, *, max_bytes: int = MAX_BODY_BYTES) -> Any:
    """A JSON document from outside, parsed only once it is known to be within bounds: at most
    `max_bytes`, UTF-8, nested at most `MAX_NESTING` deep, finite numbers within int64, no
    lone surrogates. Raises `Rejected` (4xx) otherwise."""
    if len(raw) > max_bytes:
        raise Rejected("too-large", f"at most {max_bytes} bytes are accepted", status=413)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Rejected("undecodable", "not UTF-8 text") from None
    # Counting brackets is cheap; only a text with more of them than the limit can nest
    # deeper, and only then is the nesting measured.
    brackets = text.count("[") + text.count("{")
    if brackets > MAX_NESTING and _nesting(text) > MAX_NESTING:
        raise Rejected("too-deep", f"JSON nested more than {MAX_NESTING} deep")
    try:
        document = json.loads(text, parse_constant=_refuse_constant)
    except Rejected:
        raise
    except (ValueError, RecursionError):
        raise Rejected("undecodable", "not a JSON document") from None
    # Most documents are within bounds: a walk that only looks comes first, and the walk
    # that names the offending field runs only when it found something.
    strings_possible = len(text) > MAX_STRING or "\\u" in text
    if not _within_bounds(document, strings_possible):
        _walk_values(document, "")
    return document


def _within_bounds(value: Any, strings: bool) -> bool:
    """Whether every number (and, when `strings`, every string and key) of a parsed document
    is within bounds. A string decoded from UTF-8 text can hold a lone surrogate only through
    a `\\u` escape, and be longer than `MAX_STRING` only in a longer text."""
    if isinstance(value, str):
        return not strings or _string_ok(value)
    if isinstance(value, bool) or value is None:
        return True
    if isinstance(value, int):
        return INT64_MIN <= value <= INT64_MAX
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        if strings and not all(_string_ok(k) for k in value):
            return False
        return all(_within_bounds(v, strings) for v in value.values())
    if isinstance(value, list):
        return all(_within_bounds(v, strings) for v in value)
    return True


def _string_ok(value: str) -> bool:
    if len(value) > MAX_STRING:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# -- unknown keys ----------------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)  # pure, and every event of a type has the same keys
def safe_field_name(name: object) -> str:
    """A field name fit to repeat in an error: unknown keys that are not plain identifiers (a
    name typed as a key, say) are not repeated."""
    text = str(name)
    if isinstance(name, int) or (_plain(text) and not text_findings(text)):
        return text
    return "(an unknown field)"
