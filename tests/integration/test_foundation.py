"""The plumbing every service stands on, against the real broker and the real database."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from shared.idempotency import Change, apply_many, apply_once
from shared.kafka import ensure_topics
from shared.ops.system import SERVICES, Infra
from shared.topics import dlq
from tests.support.kafka import eventually, produce, read
from tests.support.services import running

BAD_RECORDS = [
    (b"\xff\x00 not json at all", "undecodable"),
    (json.dumps({"specversion": "1.0", "id": "x", "type": "t"}).encode(), "invalid-envelope"),
]


async def test_kafka_round_trip_with_safe_producer(infra: Infra, run_id: str) -> None:
    topic = f"t{run_id}.roundtrip"
    await ensure_topics(infra.kafka_bootstrap_servers, [topic])
    await produce(infra.kafka_bootstrap_servers, topic, b"one", b"two")
    records = await read(infra.kafka_bootstrap_servers, topic, expect=2)
    assert sorted(r.value for r in records) == [b"one", b"two"]


async def test_apply_many_applies_each_event_once_on_the_real_database(
    infra: Infra, run_id: str
) -> None:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(infra.mongodb_url)
    try:
        coll = client[f"t{run_id}_idem"]["docs"]
        changes = [
            Change("a", "e1", {"$inc": {"n": 1}}),
            Change("a", "e2", {"$inc": {"n": 10}}),
            Change("b", "e3", {"$inc": {"n": 100}}),
            Change("a", "e1", {"$inc": {"n": 1}}),  # the same event twice in one batch
        ]
        assert await apply_many(coll, changes) == [True, True, True, False]
        assert await apply_many(coll, changes) == [False, False, False, False]
        assert await apply_once(coll, Change("b", "e3", {"$inc": {"n": 100}})) is False
        assert await apply_once(coll, Change("b", "e4", {"$inc": {"n": 1000}})) is True
        docs = {d["_id"]: d["n"] async for d in coll.find({})}
        assert docs == {"a": 11, "b": 1100}
    finally:
        await client.drop_database(f"t{run_id}_idem")
        await client.close()


@pytest.mark.parametrize("service", list(SERVICES))
async def test_malformed_messages_are_dead_lettered_and_consumption_goes_on(
    infra: Infra, run_id: str, service: str
) -> None:
    async with running(service, infra, run_id) as svc:
        topic = {
            "intake": svc.topics.intake_inbound,
            "reviews": svc.topics.reviews_inbound,
            "training": svc.topics.training_inbound,
            "reporting": svc.topics.intake_events,
        }[service]
        for raw, _ in BAD_RECORDS:
            await produce(infra.kafka_bootstrap_servers, topic, raw)
        dead = await read(infra.kafka_bootstrap_servers, dlq(topic), expect=len(BAD_RECORDS))
        assert [(r.value, r.headers["dlq.reason"]) for r in dead] == BAD_RECORDS
        for record in dead:
            assert record.headers["dlq.service"] == service
            assert record.headers["dlq.topic"] == topic
            assert record.headers["dlq.error"]
            assert {"dlq.partition", "dlq.offset"} <= record.headers.keys()

        async def metrics() -> str:
            text = (await svc.http.get("/metrics")).text
            return text if "pulse_dead_lettered_total" in text else ""

        text = await eventually(metrics)
        assert 'reason="undecodable"' in text
        health = await svc.http.get("/health")
        assert health.status_code == 200, health.text
