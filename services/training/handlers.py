"""Training's inbound path (skeleton: store and announce; the training issue fills it in)."""

from __future__ import annotations

from typing import Any

from aiokafka import ConsumerRecord

from shared.consumer import Delivery, Subscription, subscribe
from shared.contracts import Inbound, accepted_types, decode_inbound
from shared.contracts.training import REGISTERED
from shared.events import Envelope, derived_id, new_event
from shared.idempotency import Change, apply_many
from shared.service import Runtime

ACCEPTED = accepted_types("training")


async def ingest(runtime: Runtime, items: list[Inbound]) -> list[Envelope]:
    changes, outgoing = [], []
    for item in items:
        data = item.data.model_dump(mode="json")
        changes.append(Change(data["learner_id"], item.envelope.id, {"$set": data}))
        outgoing.append(
            new_event(
                id=derived_id(item.envelope.id, REGISTERED),
                type=REGISTERED,
                source="pulse/training",
                partnership=item.envelope.partnership,
                subject=data["learner_id"],
                data=data,
            )
        )
    await apply_many(runtime.db["learners"], changes)
    await runtime.publish(runtime.topics.training_events, outgoing)
    return outgoing


def _decode(record: ConsumerRecord[Any, Any]) -> Inbound:
    return decode_inbound(record.value, ACCEPTED)


def setup(runtime: Runtime) -> None:
    async def handle(batch: list[Delivery[Inbound]]) -> None:
        await ingest(runtime, [d.item for d in batch])

    subscribe(
        runtime.broker,
        Subscription(
            topic=runtime.topics.training_inbound,
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
