"""Intake's inbound path, shared by the Kafka subscriber and the HTTP endpoint."""

from __future__ import annotations

from typing import Any

from aiokafka import ConsumerRecord

from services.intake import domain
from services.intake.store import ContactStore
from shared.consumer import Delivery, Subscription, subscribe
from shared.contracts import Inbound, accepted_types, decode_inbound
from shared.contracts.intake import RECEIVED, ContactSubmitted
from shared.events import Envelope, derived_id, new_event
from shared.service import Runtime

ACCEPTED = accepted_types("intake")


async def ingest(runtime: Runtime, items: list[Inbound]) -> list[Envelope]:
    """Store each submission and publish its canonical event; idempotent by event id."""
    store = ContactStore(runtime.db)
    outgoing: list[Envelope] = []
    changes = []
    for item in items:
        assert isinstance(item.data, ContactSubmitted)
        received = domain.receive(item.data)
        changes.append((received.contact_id, item.envelope.id, received.model_dump(mode="json")))
        outgoing.append(
            new_event(
                id=derived_id(item.envelope.id, RECEIVED),
                type=RECEIVED,
                source="pulse/intake",
                partnership=item.envelope.partnership,
                subject=received.contact_id,
                data=received.model_dump(mode="json"),
            )
        )
    await store.record_received(changes)
    # Published even when the store said 'already applied': the first attempt may have
    # crashed between storing and publishing. Subscribers dedupe by the derived event id.
    await runtime.publish(runtime.topics.intake_events, outgoing)
    return outgoing


def _decode(record: ConsumerRecord[Any, Any]) -> Inbound:
    return decode_inbound(record.value, ACCEPTED)


def setup(runtime: Runtime) -> None:
    async def handle(batch: list[Delivery[Inbound]]) -> None:
        await ingest(runtime, [d.item for d in batch])

    subscribe(
        runtime.broker,
        Subscription(
            topic=runtime.topics.intake_inbound,
            service=runtime.service,
            decode=_decode,
            handle=handle,
            dead_letters=runtime.dead_letters,
            metrics=runtime.metrics,
            retries=runtime.settings.handler_retries,
        ),
        group_id=runtime.settings.group_id(),
        batch_size=runtime.settings.consumer_batch_size,
        description="Contacts and lifecycle events submitted by agency systems.",
    )
