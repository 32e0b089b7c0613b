"""Consumer lag read from the broker: what a group has not committed yet, per partition, and
the gauge each consuming service exposes on /metrics."""

from __future__ import annotations

import re

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import OffsetAndMetadata

from ops.system import Infra
from shared.consumer_lag import measure
from shared.kafka import ensure_topics
from tests.integration.reporting.reporting_events import front_door_set
from tests.support.kafka import eventually, produce
from tests.support.services import running


async def test_lag_is_what_the_group_has_not_committed(infra: Infra, run_id: str) -> None:
    bootstrap = infra.kafka_bootstrap_servers
    topic, group = f"t{run_id}.lag", f"t{run_id}-lag"
    await ensure_topics(bootstrap, [topic], partitions=1)
    await produce(bootstrap, topic, *[b"x"] * 5)
    tp = TopicPartition(topic, 0)

    # Nothing committed: all five records count.
    assert await measure(bootstrap, group, [topic], {}) == {tp: 5}

    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False
    )
    await consumer.start()
    consumer.assign([tp])
    try:
        await consumer.commit({tp: OffsetAndMetadata(2, "")})
    finally:
        await consumer.stop()
    assert await measure(bootstrap, group, [topic], {}) == {tp: 3}

    await produce(bootstrap, topic, *[b"y"] * 4)
    assert await measure(bootstrap, group, [topic], {}) == {tp: 7}


async def test_a_service_shows_its_lag_falling_to_zero(infra: Infra, run_id: str) -> None:
    async with running(
        "reporting", infra, run_id, consumer_lag_interval_s=0.5, recompute_debounce_s=0.3
    ) as svc:
        topic = svc.topics.intake_events
        await produce(infra.kafka_bootstrap_servers, topic, *front_door_set("p1"))

        async def caught_up() -> list[float]:
            text = (await svc.http.get("/metrics")).text
            labels = rf'partition="(\d)",service="reporting",topic="{re.escape(topic)}"'
            found = re.findall(rf"pulse_consumer_lag\{{{labels}\}} (\S+)", text)
            values = [float(v) for _, v in found]
            return values if len(values) == 3 and sum(values) == 0 else []

        assert await eventually(caught_up, timeout=60) == [0.0, 0.0, 0.0]
