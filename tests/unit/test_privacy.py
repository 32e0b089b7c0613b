"""Children's personal data is refused wherever it appears in a payload."""

from __future__ import annotations

import pytest

from shared.privacy import personal_data_findings, refuse_personal_data
from shared.rejections import Rejected


@pytest.mark.parametrize(
    "field",
    [
        "name",
        "firstName",
        "first_name",
        "Surname",
        "dob",
        "date_of_birth",
        "DateOfBirth",
        "address",
        "postcode",
        "post_code",
        "nhs_number",
        "NHSNumber",
        "email",
    ],
)
def test_personal_data_fields_are_refused_at_any_depth(field: str) -> None:
    payload = {"child": {"details": [{field: "x"}]}}
    with pytest.raises(Rejected) as caught:
        refuse_personal_data(payload)
    assert caught.value.reason == "personal-data"
    assert field in caught.value.detail


@pytest.mark.parametrize(
    "value",
    [
        "9434765919",
        "943 476 5919",
        "note: 943-476-5919 seen",
        "943.476.5919",
        "943/476/5919",
        "9434 765 919",
        "943\u00a0476\u00a05919",
        "9 4 3 4 7 6 5 9 1 9",
    ],
)
def test_nhs_numbers_in_any_layout_are_refused_in_any_string(value: str) -> None:
    findings = personal_data_findings({"notes": [value]})
    assert findings == ["notes[0]: looks like it holds an NHS number"]
    assert value not in findings[0]


@pytest.mark.parametrize("value", ["C-12345", "94347659190123", "2026-11-23T10:00:00Z", "12345"])
def test_ordinary_values_pass(value: str) -> None:
    assert personal_data_findings({"ref": value, "child_ref": "AB/123", "age_band": "5-9"}) == []
