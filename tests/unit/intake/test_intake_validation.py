"""Each rule an inbound intake event must pass, on the path both Kafka and HTTP share."""

from __future__ import annotations

import json
from typing import Any

import pytest

from services.intake.handlers import ACCEPTED
from shared.contracts import decode_inbound
from shared.contracts.intake import ContactSubmitted
from shared.events import encode
from shared.rejections import Rejected
from tests.unit.intake.factories import contact, decision, encompass, inbound, vist


def _decode(kind: str, data: dict[str, Any]) -> Any:
    return decode_inbound(encode(inbound(kind, data)), ACCEPTED)


def _rejected(kind: str, data: dict[str, Any]) -> Rejected:
    with pytest.raises(Rejected) as caught:
        _decode(kind, data)
    return caught.value


def test_a_complete_contact_is_accepted() -> None:
    item = _decode("contact", contact())
    assert isinstance(item.data, ContactSubmitted)
    assert item.data.factors == ["3A", "3B"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"source": "11"}, "source"),
        ({"channel": "fax"}, "channel"),
        ({"factors": ["99Z"]}, "factors.0"),
        ({"age_years": 19}, "age_years"),
        ({"received_at": "2026-11-23T10:00:00"}, "received_at"),  # no timezone
        ({"contact_id": "has space"}, "contact_id"),
        ({"consent": "maybe"}, "consent"),
        ({"unexpected": 1}, "unexpected"),
    ],
)
def test_a_bad_field_is_refused_naming_the_field(overrides: dict[str, Any], field: str) -> None:
    error = _rejected("contact", contact(**overrides))
    assert error.reason == "schema"
    assert error.detail.startswith(f"{field}:") or f"; {field}:" in error.detail


def test_a_missing_field_is_named() -> None:
    data = contact()
    del data["wishes_and_feelings_recorded"]
    error = _rejected("contact", data)
    assert error.reason == "schema"
    assert "wishes_and_feelings_recorded" in error.detail


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"age_years": None}, "age_years or age_band"),
        ({"unborn": True}, "age_years: must be absent"),
        ({"unborn": True, "age_years": None, "age_band": "1-4"}, "age_band: must be 'unborn'"),
        ({"age_years": None, "age_band": "unborn"}, "needs unborn=true"),
        ({"consent": "obtained"}, "consent_reason: only given"),
        ({"consent": "not-obtained", "consent_reason": None}, "consent_reason: required"),
    ],
)
def test_age_and_consent_must_be_consistent(overrides: dict[str, Any], message: str) -> None:
    error = _rejected("contact", contact(**overrides))
    assert error.reason == "schema"
    assert message in error.detail


def test_an_unborn_child_and_an_age_band_alone_are_accepted() -> None:
    _decode("contact", contact(unborn=True, age_years=None))
    _decode("contact", contact(age_years=None, age_band="16-17"))


@pytest.mark.parametrize("level", [0, 5])
def test_the_level_of_intervention_is_1_to_4(level: int) -> None:
    assert _rejected("decision", decision(level=level)).detail.startswith("level:")


def test_an_unknown_outcome_is_refused() -> None:
    assert _rejected("decision", decision(outcome="panel")).detail.startswith("outcome:")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "Jane"),
        ("date_of_birth", "2019-01-01"),
        ("address", "1 High St"),
        ("postcode", "GL1 1AA"),
        ("nhs_number", "x"),
    ],
)
def test_personal_data_fields_are_refused(field: str, value: str) -> None:
    error = _rejected("contact", contact(**{field: value}))
    assert error.reason == "personal-data"
    assert field in error.detail


def test_an_nhs_number_shaped_value_is_refused_wherever_it_is() -> None:
    error = _rejected("contact", contact(child_ref="943 476 5919"))
    assert error.reason == "personal-data"
    assert "child_ref" in error.detail


def test_an_event_type_intake_does_not_accept_is_refused() -> None:
    raw = json.loads(encode(inbound("contact", contact())))
    raw["type"] = "pulse.intake.contact.received.v1"  # canonical, not inbound
    with pytest.raises(Rejected) as caught:
        decode_inbound(json.dumps(raw).encode(), ACCEPTED)
    assert caught.value.reason == "unknown-type"


def test_vist_and_encompass_need_both_times() -> None:
    data = vist()
    del data["incident_at"]
    assert "incident_at" in _rejected("vist", data).detail
    data = encompass()
    del data["notified_at"]
    assert "notified_at" in _rejected("encompass", data).detail
