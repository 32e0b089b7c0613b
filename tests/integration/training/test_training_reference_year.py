"""The annual report's 2020/21 training tables, fed in as the learning platform's events on
the real broker, come back exactly from training's queries."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from ops.system import Infra
from shared.events import Envelope, encode
from tests.fixtures import training_reference as ref
from tests.support.kafka import eventually
from tests.support.services import RunningService, running

P = ref.PARTNERSHIP
PERIOD = {"partnership": P, "from": ref.PERIOD_START.isoformat(), "to": ref.PERIOD_END.isoformat()}


async def _send(bootstrap: str, topic: str, events: list[Envelope]) -> None:
    """Send in bulk, keyed by learner so each learner's events stay in order."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=20
    )
    await producer.start()
    try:
        pending = [
            await producer.send(topic, encode(e), key=(e.subject or e.data["course_id"]).encode())
            for e in events
        ]
        await asyncio.gather(*pending)
    finally:
        await producer.stop()


async def _consumed_all(bootstrap: str, svc: RunningService, topic: str) -> bool:
    """True when the service's consumer group has committed every record of `topic`: a cheap
    question, unlike counting in the database."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, enable_auto_commit=False)
    await admin.start()
    await consumer.start()
    try:
        committed = await admin.list_consumer_group_offsets(svc.settings.group_id())
        await consumer.topics()  # fetch metadata
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        assert partitions, f"no partitions for {topic}"
        ends = await consumer.end_offsets(partitions)
        return all(tp in committed and committed[tp].offset >= end for tp, end in ends.items())
    finally:
        await consumer.stop()
        await admin.close()


async def _get(svc: RunningService, path: str, **params: Any) -> Any:
    response = await svc.http.get(path, params={**PERIOD, **params})
    assert response.status_code == 200, response.text
    return response.json()


def _enrolments(by_organisation: dict[str, dict[str, Any]]) -> dict[str, int]:
    return {org: cells["enrolments"] for org, cells in by_organisation.items()}


async def test_the_2020_21_tables_come_back_from_the_queries(infra: Infra, run_id: str) -> None:
    # Without the 7,200 registrations: each learner is registered implicitly by the first
    # enrolment, which names the organisation. Keeps the run to the tables' own volume.
    events = ref.reference_events(P, registrations=False)
    catalogue = [e for e in events if "course_id" in e.data and e.subject is None]
    rest = events[len(catalogue) :]
    started = time.monotonic()
    # Large batches: the database reads once per batch (FerretDB scans a collection to answer).
    async with running("training", infra, run_id, consumer_batch_size=5000) as svc:
        bootstrap, topic = infra.kafka_bootstrap_servers, svc.topics.training_inbound
        # The catalogue first: enrolments on other partitions must not overtake it.
        await _send(bootstrap, topic, catalogue)

        async def catalogued() -> bool:
            return len(await _get(svc, "/courses")) == len(ref.COURSES)

        await eventually(catalogued)
        await _send(bootstrap, topic, rest)

        async def consumed() -> bool:
            return await _consumed_all(bootstrap, svc, topic)

        await eventually(consumed, timeout=120, interval=0.5)
        consumed_after = time.monotonic() - started
        print(f"\n[training] {len(events)} events consumed in {consumed_after:.1f}s")
        totals = await _get(svc, "/totals")
        assert totals["total"]["enrolments"] == 9658 + 909 + 56
        assert totals["total"]["completions"] == ref.ELEARNING_COMPLETIONS_TOTAL

        elearning = _enrolments(totals["by_format"])
        assert elearning == {
            "elearning": ref.ELEARNING_TOTAL,
            "virtual-classroom": ref.CP_VIRTUAL_TOTAL + ref.NEGLECT_VIRTUAL_TOTAL,
        }
        by_org = await _get(svc, "/totals", format="elearning")
        assert _enrolments(by_org["by_organisation"]) == ref.nonzero(ref.ELEARNING_ENROLMENTS)
        assert by_org["total"]["enrolments"] == 9658
        assert round(by_org["total"]["completion_rate"], 2) == ref.ELEARNING_COMPLETION_RATE

        cp = await _get(svc, f"/courses/{ref.CP_VIRTUAL.course_id}")
        assert _enrolments(cp["by_organisation"]) == ref.nonzero(ref.CP_VIRTUAL_INDIVIDUALS)
        assert cp["total"]["enrolments"] == 909

        neglect = await _get(svc, f"/courses/{ref.NEGLECT_VIRTUAL.course_id}")
        assert _enrolments(neglect["by_organisation"]) == ref.nonzero(
            ref.NEGLECT_VIRTUAL_INDIVIDUALS
        )
        assert neglect["total"]["enrolments"] == 56

        learners = {e.subject for e in events if e.subject}
        assert totals["registered_learners"]["total"] == len(learners)
        assert "constabulary" not in totals["by_organisation"]
        assert totals["total"]["inferred_enrolments"] == 0
        elapsed = time.monotonic() - started
    print(f"[training] tables checked at {elapsed:.1f}s")
