"""Reading and writing the real broker from tests: poll with a deadline, never sleep and hope."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from shared.events import Envelope, encode


@dataclass(frozen=True)
class Record:
    topic: str
    key: bytes | None
    value: bytes
    headers: dict[str, str]


async def produce(bootstrap: str, topic: str, *values: bytes | Envelope, key: bytes = b"k") -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        for value in values:
            raw = encode(value) if isinstance(value, Envelope) else value
            await producer.send_and_wait(topic, raw, key=key)
    finally:
        await producer.stop()


async def read(
    bootstrap: str, topic: str, *, expect: int, timeout: float = 30.0, settle: float = 0.0
) -> list[Record]:
    """Read `topic` from the beginning until `expect` records arrived (or the deadline). With
    `settle`, keep reading that long after reaching `expect`, to catch unwanted extras."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        metadata_max_age_ms=1000,
    )
    await consumer.start()
    records: list[Record] = []
    try:
        deadline = time.monotonic() + timeout
        reached: float | None = None
        while time.monotonic() < deadline:
            if len(records) >= expect:
                reached = reached or time.monotonic()
                if time.monotonic() - reached >= settle:
                    break
            batch = await consumer.getmany(timeout_ms=200)
            for messages in batch.values():
                records.extend(
                    Record(
                        m.topic,
                        m.key,
                        m.value or b"",
                        {k: v.decode("utf-8", "replace") for k, v in m.headers},
                    )
                    for m in messages
                )
    finally:
        await consumer.stop()
    return records


async def eventually(check, *, timeout: float = 30.0, interval: float = 0.2):  # type: ignore[no-untyped-def]
    """Await `check()` until it returns something truthy; return that, or fail at the deadline."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s; last value: {last!r}")
