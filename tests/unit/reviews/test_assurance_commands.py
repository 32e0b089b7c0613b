"""Section 11 / 175 returns and child death / ALTE cases as reviews' commands: the inbound
policy (codes, closed identifiers, bounded dates, an agency submits only as itself) and the
canonical event each becomes."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from services.reviews import assurance
from shared.contracts import Inbound, accepted_types, decode_inbound
from shared.contracts import assurance as a
from shared.rejections import Rejected
from tests.support.inbound_examples import EVENT_DATA, dumps, envelope

ACCEPTED = accepted_types("reviews")


def _decode(event_type: str, data: dict[str, Any], **attrs: Any) -> Inbound:
    return decode_inbound(dumps(envelope(event_type, data, **attrs)), ACCEPTED)


def test_a_section_11_return_rates_each_of_the_four_standards_once() -> None:
    """Arrangements: "All agencies should address the four section 11 standards"."""
    data = dict(EVENT_DATA[a.SECTION_11_RETURN_SUBMITTED])
    three = [r for r in data["ratings"] if r["standard"] != "listening-to-children"]
    twice = [*three, three[0]]
    with pytest.raises(Rejected):
        _decode(a.SECTION_11_RETURN_SUBMITTED, {**data, "ratings": three})
    with pytest.raises(Rejected):
        _decode(a.SECTION_11_RETURN_SUBMITTED, {**data, "ratings": twice})
    bad = [{**data["ratings"][0], "rating": "mostly fine"}, *data["ratings"][1:]]
    with pytest.raises(Rejected):  # a rating is a code, never free text
        _decode(a.SECTION_11_RETURN_SUBMITTED, {**data, "ratings": bad})


def test_an_agency_makes_only_its_own_section_11_return() -> None:
    data = {**EVENT_DATA[a.SECTION_11_RETURN_SUBMITTED], "agency": "gcc"}
    with pytest.raises(Rejected) as refused:
        _decode(a.SECTION_11_RETURN_SUBMITTED, data, source="agency/police")
    assert refused.value.status == 403


def test_case_ids_and_dates_follow_the_inbound_policy() -> None:
    """A CDOP case is a closed-format reference: never a name or a date (of death or birth)."""
    base = EVENT_DATA[a.CHILD_DEATH_NOTIFIED]
    for case_id in ("Jane-Doe", "2020-05-04", "cdop 1"):
        with pytest.raises(Rejected):
            _decode(a.CHILD_DEATH_NOTIFIED, {**base, "case_id": case_id})
    with pytest.raises(Rejected):
        _decode(a.CHILD_DEATH_NOTIFIED, {**base, "notified_on": "1999-12-31"})
    with pytest.raises(Rejected):
        _decode(a.CHILD_DEATH_NOTIFIED, {**base, "category": "other"})
    with pytest.raises(Rejected):
        _decode(a.AUDIT_REQUESTED, {**EVENT_DATA[a.AUDIT_REQUESTED], "financial_year": "2020-22"})


def test_each_command_becomes_its_canonical_event_with_a_derived_id() -> None:
    for inbound_type in (
        a.AUDIT_REQUESTED,
        a.SECTION_11_RETURN_SUBMITTED,
        a.SECTION_175_RETURN_SUBMITTED,
        a.CHILD_DEATH_NOTIFIED,
        a.ALTE_REVIEW_SUBMITTED,
    ):
        item = _decode(inbound_type, EVENT_DATA[inbound_type])
        assert assurance.handles(item.data)
        first = assurance.canonical(item.envelope, item.data, date(2021, 1, 5))  # type: ignore[arg-type]
        again = assurance.canonical(item.envelope, item.data, date(2021, 1, 5))  # type: ignore[arg-type]
        assert first.id == again.id != item.envelope.id
        assert first.source == a.SOURCE
        assert first.data["recorded_on"] == "2021-01-05"
        canonical_type, model = a.INBOUND_TO_CANONICAL[type(item.data)]
        assert first.type == canonical_type
        model.model_validate(first.data)
