"""The at-least-once consumer's decisions: what is dead-lettered, retried or given back."""

from __future__ import annotations

from typing import Any

import pytest
from aiokafka import ConsumerRecord
from prometheus_client import CollectorRegistry
from pymongo.errors import AutoReconnect

from shared.consumer import Delivery, Subscription
from shared.observability import PlumbingMetrics
from shared.rejections import Rejected


class RecordingDeadLetters:
    def __init__(self) -> None:
        self.sent: list[tuple[bytes, str, str]] = []

    async def send(
        self, record: ConsumerRecord[Any, Any], reason: str, error: str, *, topic: str
    ) -> None:
        assert topic == "t.dlq"  # agency topics share the inbound topic's dead-letter topic
        self.sent.append((record.value, reason, error))


def _record(value: bytes, offset: int = 0) -> ConsumerRecord[Any, Any]:
    return ConsumerRecord(
        topic="t",
        partition=0,
        offset=offset,
        timestamp=0,
        timestamp_type=0,
        key=b"k",
        value=value,
        checksum=None,
        serialized_key_size=1,
        serialized_value_size=len(value),
        headers=[],
    )


def _decode(record: ConsumerRecord[Any, Any]) -> str:
    if record.value.startswith(b"bad"):
        raise Rejected("schema", "bad value")
    return str(record.value.decode())


def _subscription(handle: Any, dead: RecordingDeadLetters) -> Subscription[str]:
    return Subscription(
        topic="t",
        service="svc",
        decode=_decode,
        handle=handle,
        dead_letters=dead,  # type: ignore[arg-type]
        metrics=PlumbingMetrics(CollectorRegistry()),
        retries=2,
        backoff_s=0,
        transient_pause_s=0,
    )


async def test_undecodable_records_are_dead_lettered_and_the_rest_handled() -> None:
    handled: list[str] = []
    dead = RecordingDeadLetters()

    async def handle(batch: list[Delivery[str]]) -> None:
        handled.extend(d.item for d in batch)

    await _subscription(handle, dead).run([_record(b"a"), _record(b"bad-1", 1), _record(b"c", 2)])
    assert handled == ["a", "c"]
    assert dead.sent == [(b"bad-1", "schema", "bad value")]


async def test_a_poison_record_is_isolated_retried_then_dead_lettered() -> None:
    attempts: dict[str, int] = {}
    applied: list[str] = []
    dead = RecordingDeadLetters()

    async def handle(batch: list[Delivery[str]]) -> None:
        for d in batch:
            attempts[d.item] = attempts.get(d.item, 0) + 1
            if d.item == "poison":
                raise ValueError("boom")
        applied.extend(d.item for d in batch)

    await _subscription(handle, dead).run([_record(b"a"), _record(b"poison", 1), _record(b"b", 2)])
    assert applied == ["a", "b"]
    assert attempts["poison"] == 1 + 1 + 2  # in the batch, alone, then two retries
    assert dead.sent == [(b"poison", "handler-failed", "ValueError: boom")]


async def test_a_rejection_from_the_handler_is_dead_lettered_without_retries() -> None:
    dead = RecordingDeadLetters()
    calls = 0

    async def handle(batch: list[Delivery[str]]) -> None:
        nonlocal calls
        calls += 1
        raise Rejected("impossible-time", "decided before received")

    await _subscription(handle, dead).run([_record(b"a")])
    assert calls == 1
    assert dead.sent == [(b"a", "impossible-time", "decided before received")]


async def test_a_database_outage_gives_the_batch_back_instead_of_dead_lettering() -> None:
    dead = RecordingDeadLetters()

    async def handle(batch: list[Delivery[str]]) -> None:
        raise AutoReconnect("connection refused")

    with pytest.raises(AutoReconnect):
        await _subscription(handle, dead).run([_record(b"a"), _record(b"b", 1)])
    assert dead.sent == []


class _Item:
    def __init__(self, source: str) -> None:
        self.envelope = type("E", (), {"source": source})()


async def test_a_record_on_an_agency_topic_must_come_from_that_agency() -> None:
    dead = RecordingDeadLetters()
    handled: list[str] = []

    async def handle(batch: list[Delivery[_Item]]) -> None:
        handled.extend(d.item.envelope.source for d in batch)

    def record(topic: str, source: str, offset: int) -> ConsumerRecord[Any, Any]:
        r = _record(source.encode(), offset)
        r.topic = topic
        return r

    sub = Subscription(
        topic="t",
        service="svc",
        decode=lambda r: _Item(r.value.decode()),
        handle=handle,
        dead_letters=dead,
        metrics=PlumbingMetrics(CollectorRegistry()),  # type: ignore[arg-type]
        agency_topics=True,
    )
    await sub.run(
        [
            record("t.police", "agency/police", 0),
            record("t.police", "agency/health", 1),  # claims to be another agency
            record("t", "agency/anyone", 2),  # the trusted bare topic is not bound
        ]
    )
    assert handled == ["agency/police", "agency/anyone"]
    assert [(v, reason) for v, reason, _ in dead.sent] == [(b"agency/health", "forbidden-source")]
