"""Every rule of the inbound policy: what free text may not hold, which identifiers are closed
formats, which dates and numbers are in bounds, and that a refusal never repeats the value."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from services.intake.handlers import ACCEPTED as INTAKE
from services.reviews.handlers import ACCEPTED as REVIEWS
from services.training.handlers import ACCEPTED as TRAINING
from shared import inbound_policy
from shared.contracts import decode_inbound
from shared.contracts import reviews as r
from shared.contracts import training as t
from shared.contracts.intake import SUBMITTED
from shared.inbound_policy import (
    MAX_BODY_BYTES,
    MAX_NESTING,
    check_json_document,
    identifier_problem,
    nhs_check_digit_ok,
    text_findings,
)
from shared.rejections import Rejected

# 943 476 5919 passes the mod-11 check; 943 476 5910 does not.
NHS_LAYOUTS = [
    "9434765919",
    "943 476 5919",
    "943-476-5919",
    "943.476.5919",
    "943/476/5919",
    "9434 765 919",
    "94 34 76 59 19",
    "943\u00a0476\u00a05919",
    "943\u202f476\u202f5919",
    "9 4 3 4 7 6 5 9 1 9",
    "NHS no.943 476 5919.",
]
POSTCODES = [
    "GL1 2AB",
    "gl1 2ab",
    "SW1A 1AA",
    "SW1A1AA",
    "M1 1AE",
    "B33 8TH",
    "CR2 6XH",
    "GL1\u00a02AB",
]
BIRTH_DATES = [
    "04/03/2015",
    "4/3/2015",
    "04.03.2015",
    "04-03-2015",
    "2015-03-04",
    "2015/03/04",
    "4 March 2015",
    "4th Mar 2015",
    "March 4, 2015",
    "04/03/15",
    "20150304",
    "04032015",
]
EMAILS = ["jane.doe@example.org", "j@x.co.uk", "jane (at) example.org"]
PHONES = ["01452 123456", "07700 900123", "+44 7700 900123", "0044 1452 123456", "(01452) 123 456"]
CLEAN_TEXT = [
    "Child X Local Child Safeguarding Practice Review",
    "Review of 2021-22 by March 2024",
    "Agreed; target March 2024, revised to 2025",
    "Level 3 of 4; 12 actions, 3 overdue",
    "S11 audit of 933 settings",
    "Born in the 1950s",  # no full date
]


@pytest.mark.parametrize("value", NHS_LAYOUTS)
def test_nhs_numbers_are_found_in_any_layout(value: str) -> None:
    assert "nhs-number" in text_findings(value)


def test_ten_digits_failing_the_check_digit_are_not_nhs_numbers() -> None:
    assert nhs_check_digit_ok("9434765919")
    assert not nhs_check_digit_ok("9434765910")
    assert "nhs-number" not in text_findings("ref 943 476 5910")


@pytest.mark.parametrize("value", POSTCODES)
def test_postcodes_are_found(value: str) -> None:
    assert "postcode" in text_findings(f"lives near {value} with mother")


@pytest.mark.parametrize("value", BIRTH_DATES)
def test_dates_that_could_be_a_date_of_birth_are_found(value: str) -> None:
    assert "date" in text_findings(f"born {value}", today=date(2026, 12, 1))


def test_old_dates_could_not_be_a_childs_date_of_birth() -> None:
    assert text_findings("the 1989 Act, section 47, 01/01/1989", today=date(2026, 12, 1)) == []


@pytest.mark.parametrize("value", EMAILS)
def test_email_addresses_are_found(value: str) -> None:
    assert "email" in text_findings(f"contact {value}")


@pytest.mark.parametrize("value", PHONES)
def test_phone_numbers_are_found(value: str) -> None:
    assert "phone" in text_findings(f"call {value}")


@pytest.mark.parametrize("value", CLEAN_TEXT)
def test_ordinary_text_passes(value: str) -> None:
    assert text_findings(value, today=date(2026, 12, 1)) == []


GOOD_IDS = [
    "c-1",
    "p01-21-0000001",
    "p01-l000123",
    "childx-lcspr-2023",
    "childx-1.1",
    "rr1",
    "CON-0001",
    "6f1c9a52-5b7e-4d36-9a4e-2f52b0c7e1a1",
]
BAD_IDS = [
    ("jane.doe.2015-03-04", "date"),
    ("jane.doe", "name"),
    ("Jane-Doe-1", "name"),
    ("JaneDoe", "name"),
    ("c-2015-03-04", "date"),
    ("c-20150304", "date"),
    ("c-04.03.2015", "date"),
    ("9434765919", "NHS"),
    ("943-476-5919", "NHS"),
    ("has space", "up to 64"),
    ("jane@example.org", "e-mail"),
    ("c-GL12AB", "postcode"),
    ("x" * 65, "up to 64"),
]


@pytest.mark.parametrize("value", GOOD_IDS)
def test_closed_format_identifiers_pass(value: str) -> None:
    assert identifier_problem(value) is None


@pytest.mark.parametrize(("value", "why"), BAD_IDS)
def test_identifiers_that_could_hold_personal_data_are_refused(value: str, why: str) -> None:
    problem = identifier_problem(value)
    assert problem is not None
    assert why.lower() in problem.lower()
    assert value not in problem


@pytest.mark.parametrize("value", ["child-00001", "r1", "P-000123", "glos-police-004512"])
def test_opaque_child_references_pass(value: str) -> None:
    assert identifier_problem(value, "child_ref") is None


@pytest.mark.parametrize(
    "value", ["jane.doe.2015-03-04", "jane-doe", "JaneDoe-1", "AB/123", "9434765919", "c-20150304"]
)
def test_child_references_must_look_pseudonymous(value: str) -> None:
    assert identifier_problem(value, "child_ref") is not None


@pytest.mark.parametrize("value", ["p", "p1", "gscp", "glos-2"])
def test_partnership_ids_pass(value: str) -> None:
    assert identifier_problem(value, "partnership") is None


@pytest.mark.parametrize("value", ["P1", "p_1", "p 1; drop", "1p", "", "p" * 33, "jane.doe"])
def test_partnership_ids_are_lower_case_codes(value: str) -> None:
    assert identifier_problem(value, "partnership") is not None


@pytest.mark.parametrize("kind", ["id", "child_ref", "partnership"])
@pytest.mark.parametrize("value", ["Jane Doe", "jane.doe", "2015-03-04", "943 476 5919"])
def test_personal_data_in_any_identifier_is_refused_as_such(kind: str, value: str) -> None:
    problem = identifier_problem(value, kind)
    assert problem is not None
    assert "must not" in problem


# -- documents ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b'{"a": NaN}', "bad-number"),
        (b'{"a": Infinity}', "bad-number"),
        (b'{"a": -Infinity}', "bad-number"),
        (b'{"a": 1e999}', "bad-number"),
        (b'{"a": 9223372036854775808}', "bad-number"),
        (b'{"a": "\\ud800"}', "bad-text"),
        (b'{"\\udfff": 1}', "bad-text"),
        (b"\xff\xfe{}", "undecodable"),
        (b"[" * (MAX_NESTING + 1) + b"]" * (MAX_NESTING + 1), "too-deep"),
        (b"[" * 100_000, "too-deep"),
        (b'{"a": "' + b"x" * MAX_BODY_BYTES + b'"}', "too-large"),
        (b"{", "undecodable"),
        (b'{"a": ' + b"9" * 5000 + b"}", "undecodable"),
    ],
)
def test_documents_out_of_bounds_are_refused_before_parsing(raw: bytes, reason: str) -> None:
    with pytest.raises(Rejected) as caught:
        check_json_document(raw)
    assert caught.value.reason == reason
    assert 400 <= caught.value.status < 500


def test_documents_within_bounds_pass() -> None:
    nested: Any = 1
    for _ in range(MAX_NESTING - 1):
        nested = [nested]
    doc = {"a": nested, "b": -(2**63), "c": 2**63 - 1, "d": 1.5, "e": "\u00e9\U0001f600"}
    assert check_json_document(json.dumps(doc).encode()) == doc


# -- contracts: every free-text field of every inbound command --------------------------------

TODAY = datetime.now(UTC).date()
D = (TODAY - timedelta(days=30)).isoformat()
TS = (datetime.now(UTC) - timedelta(days=30)).isoformat()
FREE_TEXT: list[tuple[str, str, dict[str, Any]]] = [
    (r.OPEN_REQUESTED, "title", {"review_id": "r1", "kind": "maca", "opened_on": D}),
    (
        r.RAPID_REVIEW_COMPLETION_REPORTED,
        "rationale",
        {"review_id": "r1", "completed_on": D, "lcspr_required": False},
    ),
    (r.RECOMMENDATION_SUBMITTED, "text", {"review_id": "r1", "number": "1", "recorded_on": D}),
    (
        r.ACTION_PLAN_SUBMITTED,
        "description",
        {
            "review_id": "r1",
            "action_id": "a1",
            "recommendation_numbers": ["1"],
            "owner_role": "head-of-service",
            "owner_agency": "gcc",
            "planned_on": D,
        },
    ),
    (r.ACTION_UPDATE_SUBMITTED, "note", {"review_id": "r1", "action_id": "a1", "updated_on": D}),
    (
        r.ESCALATION_SUBMITTED,
        "subject",
        {
            "escalation_id": "e1",
            "raised_by_agency": "gcc",
            "raised_about_agency": "icb",
            "level": 2,
            "raised_at": TS,
        },
    ),
    (r.ESCALATION_RESOLUTION_SUBMITTED, "outcome", {"escalation_id": "e1", "resolved_at": TS}),
    (
        t.COURSE_UPSERTED,
        "title",
        {"course_id": "k1", "theme": "neglect", "format": "webinar", "multi_agency": True},
    ),
]
PLANTED = ["943.476.5919", "GL1 2AB", "born 04/03/2015", "jane.doe@example.org", "07700 900123"]


def _raw(event_type: str, data: dict[str, Any], **envelope: Any) -> bytes:
    body = {
        "specversion": "1.0",
        "id": "e-1",
        "source": "agency/gcc",
        "type": event_type,
        "time": TS,
        "partnership": "p1",
        "data": data,
    } | envelope
    return json.dumps(body).encode()


def _accepted(event_type: str) -> frozenset[str]:
    return next(a for a in (INTAKE, REVIEWS, TRAINING) if event_type in a)


@pytest.mark.parametrize(("event_type", "field", "data"), FREE_TEXT)
def test_clean_free_text_is_accepted(event_type: str, field: str, data: dict[str, Any]) -> None:
    decode_inbound(
        _raw(event_type, data | {field: "Agreed by the Executive"}), _accepted(event_type)
    )


@pytest.mark.parametrize("planted", PLANTED)
@pytest.mark.parametrize(("event_type", "field", "data"), FREE_TEXT)
def test_personal_data_in_free_text_is_refused_naming_field_and_kind_not_value(
    event_type: str, field: str, data: dict[str, Any], planted: str
) -> None:
    with pytest.raises(Rejected) as caught:
        decode_inbound(
            _raw(event_type, data | {field: f"Child X, {planted}"}), _accepted(event_type)
        )
    assert caught.value.reason == "personal-data"
    assert field in caught.value.detail
    assert "looks like it holds" in caught.value.detail
    assert planted not in str(caught.value)


def _contact(**overrides: Any) -> dict[str, Any]:
    return {
        "contact_id": "c-1",
        "agency": "gcc",
        "source": "6",
        "channel": "marf",
        "received_at": TS,
        "child_ref": "gcc-004512",
        "age_years": 7,
        "consent": "obtained",
        "wishes_and_feelings_recorded": True,
    } | overrides


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("child_ref", "jane.doe.2015-03-04"),
        ("child_ref", "9434765919"),
        ("contact_id", "c-2015-03-04"),
        ("contact_id", "Jane-Doe-7"),
        ("agency", "943-476-5919"),
    ],
)
def test_identifiers_holding_personal_data_are_refused(field: str, value: str) -> None:
    with pytest.raises(Rejected) as caught:
        decode_inbound(_raw(SUBMITTED, _contact(**{field: value})), INTAKE)
    assert caught.value.reason in ("personal-data", "schema")
    assert field in caught.value.detail
    assert value not in str(caught.value)


@pytest.mark.parametrize(
    ("attribute", "value"),
    [
        ("id", "jane.doe.2015-03-04"),
        ("id", "9434765919"),
        ("partnership", "Jane Doe"),
        ("partnership", "p1; drop"),
        ("subject", "Jane-Doe"),
        ("time", "0001-01-01T00:00:00+14:00"),
        ("time", "9999-12-31T23:59:59-14:00"),
        ("time", "1999-12-31T23:59:59Z"),
    ],
)
def test_the_envelope_itself_follows_the_policy(attribute: str, value: str) -> None:
    with pytest.raises(Rejected) as caught:
        decode_inbound(_raw(SUBMITTED, _contact(), **{attribute: value}), INTAKE)
    assert attribute in caught.value.detail
    assert value not in str(caught.value)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("received_at", "1999-12-31T23:00:00Z"),
        ("received_at", "0999-03-01T00:00:00Z"),
        ("received_at", "9999-12-31T23:59:59-14:00"),
        ("received_at", (datetime.now(UTC) + timedelta(days=3)).isoformat()),
    ],
)
def test_inbound_times_fall_between_2000_and_tomorrow(field: str, value: str) -> None:
    with pytest.raises(Rejected) as caught:
        decode_inbound(_raw(SUBMITTED, _contact(**{field: value})), INTAKE)
    assert caught.value.reason == "schema"
    assert "between 2000-01-01" in caught.value.detail


def test_today_moves_on_at_utc_midnight_though_the_date_is_worked_out_once_a_day() -> None:
    midnight = datetime(2026, 3, 29, tzinfo=UTC).timestamp()
    clock = [midnight - 1.0]
    today = inbound_policy._Today(lambda: clock[0])
    assert today() == date(2026, 3, 28)
    clock[0] = midnight - 0.000001
    assert today() == date(2026, 3, 28)
    clock[0] = midnight
    assert today() == date(2026, 3, 29)
    clock[0] = midnight + 3 * 86_400 + 0.5
    assert today() == date(2026, 4, 1)


def test_planned_dates_may_lie_a_few_years_ahead_but_not_more() -> None:
    plan = dict(FREE_TEXT[3][2]) | {"description": "Audit the panel"}
    soon = (TODAY + timedelta(days=3 * 365)).isoformat()
    decode_inbound(_raw(r.ACTION_PLAN_SUBMITTED, plan | {"target_date": soon}), REVIEWS)
    with pytest.raises(Rejected) as caught:
        decode_inbound(_raw(r.ACTION_PLAN_SUBMITTED, plan | {"target_date": "9999-12-31"}), REVIEWS)
    assert "target_date" in caught.value.detail


def test_owner_role_is_a_code_of_the_role_list() -> None:
    plan = dict(FREE_TEXT[3][2]) | {"description": "Audit the panel", "owner_role": "Jane Doe"}
    with pytest.raises(Rejected) as caught:
        decode_inbound(_raw(r.ACTION_PLAN_SUBMITTED, plan), REVIEWS)
    assert "owner_role" in caught.value.detail
    assert "Jane Doe" not in caught.value.detail


@pytest.mark.parametrize("headcount", ["NaN", "Infinity", "1e999", "9223372036854775808"])
def test_numbers_are_finite_and_within_int64(headcount: str) -> None:
    raw = _raw(t.WORKFORCE_RECORDED, {"organisation": "education", "financial_year": "2020-21"})
    raw = raw.replace(
        b'"financial_year"', b'"headcount": ' + headcount.encode() + b', "financial_year"'
    )
    with pytest.raises(Rejected) as caught:
        decode_inbound(raw, TRAINING)
    assert caught.value.reason == "bad-number"


def test_an_unknown_key_that_is_not_a_plain_name_is_not_repeated() -> None:
    with pytest.raises(Rejected) as caught:
        decode_inbound(_raw(SUBMITTED, _contact(**{"Jane Doe 04/03/2015": 1})), INTAKE)
    assert "Jane Doe" not in str(caught.value)


def test_an_agency_submits_a_contact_only_as_itself() -> None:
    decode_inbound(_raw(SUBMITTED, _contact(), source="agency/gcc"), INTAKE)
    with pytest.raises(Rejected) as caught:
        decode_inbound(_raw(SUBMITTED, _contact(agency="schools"), source="agency/gcc"), INTAKE)
    assert caught.value.reason == "forbidden-source"
    assert caught.value.status == 403
    # The partnership's own systems (a source that is not an agency) are not held to it.
    decode_inbound(_raw(SUBMITTED, _contact(agency="schools"), source="pulse/front-door"), INTAKE)
