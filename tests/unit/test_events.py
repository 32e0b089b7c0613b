"""The CloudEvents envelope: what is accepted, what is refused and why."""

from __future__ import annotations

import json

import pytest

from shared.events import decode, derived_id, encode, new_event
from shared.rejections import Rejected


def _event_json(**overrides: object) -> bytes:
    body: dict[str, object] = {
        "specversion": "1.0",
        "id": "e-1",
        "source": "agency/police",
        "type": "pulse.intake.contact.submitted.v1",
        "time": "2026-11-23T10:00:00Z",
        "partnership": "p1",
        "data": {"a": 1},
    }
    body.update(overrides)
    return json.dumps({k: v for k, v in body.items() if v is not None}).encode()


def test_round_trip_keeps_every_attribute() -> None:
    event = new_event(type="t.v1", source="s", partnership="p1", subject="c-1", data={"x": [1]})
    decoded = decode(encode(event))
    assert decoded == event


def test_encoded_event_is_structured_cloudevents_json() -> None:
    body = json.loads(encode(new_event(type="t.v1", source="s", partnership="p1", data={})))
    assert body["specversion"] == "1.0"
    assert {"id", "source", "type", "time", "partnership", "data"} <= body.keys()


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "undecodable"),
        (b"\xff\xfe not utf-8", "undecodable"),
        (b"{not json", "undecodable"),
        (_event_json(source=None), "invalid-envelope"),
        (_event_json(time=None), "invalid-envelope"),
        (_event_json(partnership=None), "invalid-envelope"),
        (_event_json(partnership="p 1; drop"), "invalid-envelope"),
        (_event_json(data=[1, 2]), "invalid-envelope"),
        (_event_json(specversion="0.3"), "invalid-envelope"),
    ],
)
def test_bad_envelopes_are_refused_with_a_reason(raw: bytes, reason: str) -> None:
    with pytest.raises(Rejected) as caught:
        decode(raw)
    assert caught.value.reason == reason
    assert caught.value.detail


def test_derived_ids_are_stable_and_distinct_per_type() -> None:
    assert derived_id("e-1", "a.v1") == derived_id("e-1", "a.v1")
    assert derived_id("e-1", "a.v1") != derived_id("e-1", "b.v1")
    assert derived_id("e-1", "a.v1") != derived_id("e-2", "a.v1")


@pytest.mark.parametrize("missing", ["id", "time"])
def test_sender_must_give_id_and_time(missing: str) -> None:
    # An id made up on receipt would turn every redelivery into a new event.
    with pytest.raises(Rejected) as caught:
        decode(_event_json(**{missing: None}))
    assert missing in caught.value.detail


@pytest.mark.parametrize("microsecond", [0, 642510])
def test_encoding_writes_what_the_cloudevents_sdk_writes(microsecond: int) -> None:
    from datetime import UTC, datetime, timedelta, timezone

    from cloudevents.core.formats.json import JSONFormat
    from cloudevents.core.v1.event import CloudEvent

    event = new_event(
        type="t.v1",
        source="service/intake",
        partnership="p1",
        subject="c-1",
        time=datetime(2021, 3, 31, 23, 30, 5, microsecond, tzinfo=UTC),
        data={
            "at": datetime(2021, 4, 1, 0, 30, tzinfo=timezone(timedelta(hours=1))),
            "text": "Caf\u00e9 \u2014 \u00bd",
            "nested": {"n": None, "l": [1, 2.5, True]},
        },
    )
    sdk = JSONFormat().write(
        CloudEvent(
            attributes=event.model_dump(mode="python", exclude={"data"}, exclude_none=True),
            data=event.data,
        )
    )
    assert json.loads(encode(event)) == json.loads(sdk)
