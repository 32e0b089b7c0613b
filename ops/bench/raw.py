"""1. The raw ceiling: aiokafka producing and consuming the same payloads, doing nothing."""

from __future__ import annotations

import time
from collections.abc import Callable

from aiokafka import AIOKafkaConsumer, TopicPartition

from ops.bench.payloads import Payloads, produce
from ops.bench.results import BenchOptions, Rate
from ops.simulate import KafkaSender
from shared.kafka import ensure_topics


async def raw_ceiling(
    opts: BenchOptions, run: str, data: Payloads, tick: Callable[[str, int, int], None]
) -> list[Rate]:
    topic = f"bench{run}.raw"
    await ensure_topics(opts.bootstrap_servers, [topic])
    sender = KafkaSender(opts.bootstrap_servers)
    await sender.start()
    try:
        # A consumer's topics() does not fill the metadata partitions_for_topic reads; the
        # producer's partitions_for fetches it, and waits until the new topic is known: done
        # before the clock starts, so the ceiling does not include the topic's creation.
        partitions = [TopicPartition(topic, p) for p in await sender.producer.partitions_for(topic)]
        started = time.perf_counter()
        chunk = 10_000
        for first in range(0, opts.events, chunk):
            await produce(sender, topic, data, first, min(chunk, opts.events - first))
            tick("raw: producing", min(first + chunk, opts.events), opts.events)
        produced = time.perf_counter() - started
    finally:
        await sender.stop()

    # No consumer group: a group join waits out the broker's initial rebalance delay, which
    # is not consumption. Partitions are assigned by hand and read from the start.
    consumer = AIOKafkaConsumer(
        bootstrap_servers=opts.bootstrap_servers, enable_auto_commit=False, client_id="bench-raw"
    )
    await consumer.start()
    try:
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        seen = 0
        started = time.perf_counter()
        while seen < opts.events:
            batch = await consumer.getmany(timeout_ms=1000, max_records=500)
            seen += sum(len(records) for records in batch.values())
            tick("raw: consuming", seen, opts.events)
        consumed = time.perf_counter() - started
    finally:
        await consumer.stop()
    return [
        Rate("raw ceiling: produce (acks=all)", opts.events, produced),
        Rate("raw ceiling: consume", opts.events, consumed),
    ]
