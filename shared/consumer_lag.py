"""Consumer lag as a Prometheus gauge: for each partition the service's consumer group has
committed on, the log-end offset minus the committed offset, refreshed every few seconds.

Read from the broker (the group's committed offsets and the partitions' end offsets), not
from the consumer in process, so it is what an operator would see with kafka-consumer-groups
and keeps counting while the consumer is stuck. Topics the service subscribes to but has not
committed on yet count from the partition's start.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from prometheus_client import CollectorRegistry, Gauge

log = logging.getLogger(__name__)


def lag_by_partition(
    committed: Mapping[TopicPartition, int],
    start: Mapping[TopicPartition, int],
    end: Mapping[TopicPartition, int],
) -> dict[TopicPartition, int]:
    """Records not yet committed on each partition (never negative: a commit can run ahead of
    a stale end offset)."""
    return {tp: max(0, end_ - committed.get(tp, start.get(tp, 0))) for tp, end_ in end.items()}


class ConsumerLag:
    def __init__(self, registry: CollectorRegistry, service: str) -> None:
        self.service = service
        self.gauge = Gauge(
            "pulse_consumer_lag",
            "Records on a partition not yet committed by the service's consumer group "
            "(log-end offset minus committed offset)",
            ["service", "topic", "partition"],
            registry=registry,
        )

    def show(self, lag: Mapping[TopicPartition, int]) -> None:
        for tp, n in lag.items():
            self.gauge.labels(self.service, tp.topic, str(tp.partition)).set(n)


async def measure(
    bootstrap: str, group: str, topics: Sequence[str], options: Mapping[str, Any]
) -> dict[TopicPartition, int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **options)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, **options)
    await admin.start()
    await consumer.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
        committed = {tp: meta.offset for tp, meta in offsets.items() if meta.offset >= 0}
        partitions = set(committed)
        for described in await admin.describe_topics(list(topics)) if topics else []:
            if described.get("error_code", 0) == 0:
                for p in described.get("partitions", []):
                    partitions.add(TopicPartition(described["topic"], p["partition"]))
        if not partitions:
            return {}
        start = await consumer.beginning_offsets(list(partitions))
        end = await consumer.end_offsets(list(partitions))
        return lag_by_partition(committed, start, end)
    finally:
        await consumer.stop()
        await admin.close()


async def watch(
    lag: ConsumerLag,
    bootstrap: str,
    group: str,
    topics: Sequence[str],
    options: Mapping[str, Any],
    interval_s: float,
) -> None:
    """Background job: measure and show the lag every `interval_s` seconds, logging (not
    failing) when the broker does not answer."""
    while True:
        try:
            lag.show(await measure(bootstrap, group, topics, options))
        except Exception as exc:
            log.warning("consumer lag of %s not measured: %r", group, exc)
        await asyncio.sleep(interval_s)
