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


async def test_a_dead_letter_names_the_field_and_the_problem_never_the_value() -> None:
    from types import SimpleNamespace
    from typing import Any

    from prometheus_client import CollectorRegistry

    from shared.consumer import DeadLetters
    from shared.observability import PlumbingMetrics

    sent: list[dict[str, Any]] = []

    class Broker:
        async def publish(self, body: bytes, **kwargs: Any) -> None:
            sent.append(kwargs["headers"])

    record = SimpleNamespace(topic="t", partition=0, offset=7, key=b"k", value=b"{}", headers=[])
    error = (
        "schema: data.child_ref: String should match pattern, input 'Alice Smith'; "
        'data.note: value shaped like an NHS number (943 476 5919); source "Bob"'
    )
    metrics = PlumbingMetrics(CollectorRegistry())
    await DeadLetters(Broker(), "intake", metrics).send(record, "schema", error)  # type: ignore[arg-type]
    header = sent[0]["dlq.error"]
    assert "data.child_ref" in header
    assert "NHS number" in header
    for value in ("Alice", "Smith", "943", "5919", "Bob"):
        assert value not in header
