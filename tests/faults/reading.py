"""Reading what the services under test published, until it is all there."""

from __future__ import annotations

import time
from collections.abc import Callable

from aiokafka import AIOKafkaConsumer, ConsumerRecord


async def read_until(
    bootstrap: str,
    topics: list[str],
    done: Callable[[], bool],
    handle: Callable[[str, ConsumerRecord[bytes, bytes]], None],
    within: float = 600,
) -> None:
    """Hand every record of `topics` (from the beginning) to `handle` until `done()` and a
    second without anything new (late extras would show), or `within` seconds."""
    consumer: AIOKafkaConsumer = AIOKafkaConsumer(
        *topics,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        metadata_max_age_ms=1000,
    )
    await consumer.start()
    try:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            finished = done()
            batches = await consumer.getmany(timeout_ms=1000 if finished else 300)
            if finished and not batches:
                return
            for tp, messages in batches.items():
                for m in messages:
                    handle(tp.topic, m)
    finally:
        await consumer.stop()


def dead_letter(record: ConsumerRecord[bytes, bytes]) -> tuple[str, str]:
    """(where the record came from, why it was dead-lettered): a record dead-lettered twice
    (its batch redelivered) is one record."""
    h = {k: v.decode() for k, v in record.headers}
    return f"{h['dlq.partition']}:{h['dlq.offset']}", h["dlq.reason"]
