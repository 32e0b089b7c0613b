"""Hostile input at every inbound decoder: whatever arrives, the answer is a `Rejected` with
a reason (dead-letter or 4xx) or a valid event — never a crash that would stop a consumer."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.training import xapi
from shared.contracts import accepted_types, all_contracts, decode_inbound
from shared.rejections import Rejected
from tests.support.inbound_examples import EVENT_DATA, STATEMENT, dumps, envelope, mutated

SERVICES_WITH_INBOUND = sorted({c.service for c in all_contracts() if c.direction == "inbound"})

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=50),
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=20), inner, max_size=5)
    ),
    max_leaves=30,
)


def _envelope(event_type: str, data: Any, **attrs: Any) -> bytes:
    body = {
        "specversion": "1.0",
        "id": "e1",
        "source": "agency/police",
        "type": event_type,
        "time": "2026-11-23T10:00:00Z",
        "partnership": "p1",
        "data": data,
        **attrs,
    }
    return json.dumps(body, default=str).encode()


def _check(raw: bytes, service: str) -> None:
    try:
        decode_inbound(raw, accepted_types(service))
    except Rejected as exc:
        assert exc.reason
        assert exc.detail
        assert 400 <= exc.status < 500


@pytest.mark.parametrize("service", SERVICES_WITH_INBOUND)
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=st.binary(max_size=2000))
def test_arbitrary_bytes(service: str, raw: bytes) -> None:
    _check(raw, service)


@pytest.mark.parametrize("service", SERVICES_WITH_INBOUND)
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=json_values)
def test_arbitrary_json_documents(service: str, body: Any) -> None:
    _check(json.dumps(body).encode(), service)


@pytest.mark.parametrize("service", SERVICES_WITH_INBOUND)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_wrongly_typed_data_for_every_accepted_type(service: str, data: st.DataObject) -> None:
    event_type = data.draw(st.sampled_from(sorted(accepted_types(service))))
    payload = data.draw(json_values)
    attrs = data.draw(
        st.dictionaries(
            st.sampled_from(["id", "source", "time", "partnership", "subject", "specversion"]),
            json_values,
            max_size=2,
        )
    )
    _check(_envelope(event_type, payload, **attrs), service)


@pytest.mark.parametrize("service", SERVICES_WITH_INBOUND)
def test_oversized_and_deeply_nested_payloads(service: str) -> None:
    event_type = sorted(accepted_types(service))[0]
    _check(_envelope(event_type, {"x": "a" * 2_000_000}), service)
    deep = _envelope(event_type, {"x": "DEEP"}).replace(
        b'"DEEP"', b"[" * 5000 + b'"leaf"' + b"]" * 5000
    )
    _check(deep, service)
    _check(b"[" * 100_000 + b"]" * 100_000, service)


# -- from valid events: one hostile value at a time -------------------------------------------

ALL_ACCEPTED = {
    event_type: service
    for service in SERVICES_WITH_INBOUND
    for event_type in accepted_types(service)
}


def test_every_inbound_type_has_a_valid_example_that_is_accepted() -> None:
    assert set(EVENT_DATA) == set(ALL_ACCEPTED)
    for event_type, data in EVENT_DATA.items():
        decode_inbound(dumps(envelope(event_type, data)), accepted_types(ALL_ACCEPTED[event_type]))


@settings(max_examples=600, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_one_hostile_value_in_any_valid_event_is_a_clean_rejection(data: st.DataObject) -> None:
    event_type = data.draw(st.sampled_from(sorted(EVENT_DATA)))
    body = data.draw(mutated(EVENT_DATA[event_type]))
    _check(dumps(envelope(event_type, body)), ALL_ACCEPTED[event_type])


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_one_hostile_envelope_attribute_is_a_clean_rejection(data: st.DataObject) -> None:
    event_type = data.draw(st.sampled_from(sorted(EVENT_DATA)))
    env = data.draw(mutated(envelope(event_type, EVENT_DATA[event_type])))
    _check(dumps(env), ALL_ACCEPTED[event_type])


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_xapi_statements_with_hostile_values_are_clean_rejections(data: st.DataObject) -> None:
    statement = data.draw(mutated(STATEMENT))
    if data.draw(st.booleans()):
        statement["actor"] = data.draw(mutated(STATEMENT["actor"]))
    try:
        xapi.parse(statement, received_at=datetime.now(UTC))
    except Rejected as exc:
        assert 400 <= exc.status < 500
        assert exc.reason
        assert exc.detail
