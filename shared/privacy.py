"""Children's personal data must never enter the system: a payload naming a child, giving a
date of birth, an address, a postcode or an NHS number is refused before anything is stored."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

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
# Ten digits in the NHS layout 3-3-4, with spaces, dashes or nothing between the groups.
_NHS_SHAPE = re.compile(r"(?<!\d)\d{3}[ -]?\d{3}[ -]?\d{4}(?!\d)")


def _norm(key: str) -> str:
    return re.sub(r"[^a-z0-9]", "", key.lower())


def _walk(value: Any, path: str) -> Iterator[tuple[str, Any, str | None]]:
    if isinstance(value, dict):
        for k, v in value.items():
            key = str(k)
            child = f"{path}.{key}" if path else key
            yield child, v, key
            yield from _walk(v, child)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            child = f"{path}[{i}]"
            yield child, v, None
            yield from _walk(v, child)


def personal_data_findings(payload: Any) -> list[str]:
    """Every place in `payload` that looks like personal data, as `path: why`."""
    findings = []
    for path, value, key in _walk(payload, ""):
        if key is not None and _norm(key) in _FORBIDDEN_FIELDS:
            findings.append(f"{path}: personal-data field not accepted")
        elif isinstance(value, str) and _NHS_SHAPE.search(value):
            findings.append(f"{path}: value shaped like an NHS number")
    return findings


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
