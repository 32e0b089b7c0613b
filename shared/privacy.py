"""Children's personal data must never enter the system: a payload naming a child, giving a
date of birth, an address, a postcode or an NHS number is refused before anything is stored.

This is the check over a whole payload (field names, and every string for NHS numbers in any
layout, postcodes, e-mail addresses and phone numbers); the per-field rules (identifier
formats, free-text screening, date windows) are in `shared.inbound_policy`."""

from __future__ import annotations

import functools
import re
from typing import Any

from shared.inbound_policy import (
    ID_PATTERN,
    KIND_WORDS,
    id_holds_nhs_number,
    safe_field_name,
    text_findings,
)
from shared.rejections import Rejected

# Field names are compared after lower-casing and dropping separators, so `firstName`,
# `first_name` and `First-Name` are one name.
_FORBIDDEN_FIELDS = frozenset(
    {
        "name",
        "firstname",
        "forename",
        "forenames",
        "givenname",
        "surname",
        "lastname",
        "familyname",
        "fullname",
        "middlename",
        "childname",
        "preferredname",
        "dob",
        "dateofbirth",
        "birthdate",
        "birthday",
        "address",
        "addressline1",
        "addressline2",
        "homeaddress",
        "street",
        "streetaddress",
        "postcode",
        "postalcode",
        "zipcode",
        "zip",
        "nhsnumber",
        "nhsno",
        "nhs",
        "email",
        "emailaddress",
        "mbox",
        "phone",
        "telephone",
    }
)
# A date or a date-time on its own is a value of a date field (bounded by its field's window),
# not free text that might hide a date of birth.
_ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}([T ][0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?$")
_ID_SHAPE = re.compile(ID_PATTERN)
# Dates are left to the fields' own rules (a date field holds a date by design).
_SCREENED = ("nhs-number", "postcode", "email", "phone")


@functools.lru_cache(maxsize=4096)  # pure, and every event of a type has the same keys
def _forbidden_field(key: str) -> bool:
    return re.sub(r"[^a-z0-9]", "", key.lower()) in _FORBIDDEN_FIELDS


def _value_finding(value: str) -> str | None:
    """What a string value looks like it holds, as the end of a finding, or None."""
    # Short values (codes, times, ids) recur from event to event; long text rarely does, and
    # would make the cache large.
    return _short_value_finding(value) if len(value) <= 64 else _string_finding(value)


@functools.lru_cache(maxsize=65536)
def _short_value_finding(value: str) -> str | None:
    return _string_finding(value)


def _string_finding(value: str) -> str | None:
    if _ID_SHAPE.match(value):
        # Identifier-shaped values are held to their field's closed format; here only an
        # NHS number on its own or in the 3-3-4 layout is looked for (an agency's counter
        # must not pass for a phone number).
        return "looks like it holds an NHS number" if id_holds_nhs_number(value) else None
    if _ISO_MOMENT.match(value):
        return None
    kinds = [k for k in text_findings(value) if k in _SCREENED]
    if kinds:
        return "looks like it holds " + " and ".join(KIND_WORDS[k] for k in kinds)
    return None


def personal_data_findings(payload: Any) -> list[str]:
    """Every place in `payload` that looks like personal data, as `path: why`."""
    findings: list[str] = []
    _scan(payload, "", findings)
    return findings


def _scan(value: Any, path: str, findings: list[str]) -> None:
    # A path is spelt out only for a finding or a container to descend into: most values are
    # short strings that find nothing.
    if isinstance(value, dict):
        for k, v in value.items():
            key = str(k)
            if _forbidden_field(key):
                findings.append(f"{_child(path, key)}: personal-data field not accepted")
            elif isinstance(v, str) and (why := _value_finding(v)) is not None:
                findings.append(f"{_child(path, key)}: {why}")
            if isinstance(v, dict | list):
                _scan(v, _child(path, key), findings)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            if isinstance(v, str):
                if (why := _value_finding(v)) is not None:
                    findings.append(f"{path}[{i}]: {why}")
            elif isinstance(v, dict | list):
                _scan(v, f"{path}[{i}]", findings)


def _child(path: str, key: str) -> str:
    shown = safe_field_name(key)
    return f"{path}.{shown}" if path else shown


def refuse_personal_data(payload: Any) -> None:
    findings = personal_data_findings(payload)
    if findings:
        raise Rejected("personal-data", "; ".join(findings))


# A value as Python or JSON quotes it ('Alice', "Alice"), or a run of digits: what an error
# message copies from the input it refuses.
_QUOTED = re.compile(r"""'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*\"""")
_DIGITS = re.compile(r"\d[\d \-]{5,}\d")


def without_values(message: str) -> str:
    """An error message fit for logs and dead-letter headers: field names and the kind of
    problem stay, quoted values and long numbers (an NHS number, a date of birth) do not."""
    return _DIGITS.sub("[number]", _QUOTED.sub("[value]", message))
