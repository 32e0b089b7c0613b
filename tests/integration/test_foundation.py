"""The plumbing every service stands on, against the real broker and the real database."""

from __future__ import annotations

import json

import pytest

from ops.system import SERVICES, Infra
from shared.kafka import ensure_topics
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
