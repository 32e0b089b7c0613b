"""Reporting's consumers of canonical events (skeleton: a count per event type)."""

from __future__ import annotations

from typing import Any

from aiokafka import ConsumerRecord

from shared.consumer import Delivery, Subscription, subscribe
from shared.events import Envelope, decode
from shared.service import Runtime


async def record(runtime: Runtime, events: list[Envelope]) -> None:
    # One document per event id: a redelivered event overwrites itself, never counts twice.
    coll = runtime.db["events"]
    for e in events:
        await coll.update_one(
            {"_id": e.id},
            {"$set": {"partnership": e.partnership, "type": e.type, "time": e.time}},
            upsert=True,
        )


def _decode(record: ConsumerRecord[Any, Any]) -> Envelope:
    return decode(record.value)


def setup(runtime: Runtime) -> None:
    async def handle(batch: list[Delivery[Envelope]]) -> None:
        await record(runtime, [d.item for d in batch])

    for topic in runtime.topics.canonical:
        subscribe(
            runtime.broker,
            Subscription(
                topic=topic,
                service=runtime.service,
                decode=_decode,
                handle=handle,
                dead_letters=runtime.dead_letters,
                metrics=runtime.metrics,
                retries=runtime.settings.handler_retries,
            ),
            group_id=runtime.settings.group_id(),
            batch_size=runtime.settings.consumer_batch_size,
        )
