"""Intake's inbound path, shared by the Kafka subscriber and the HTTP endpoints.

`ingest` validates a batch against the stored contact files before writing anything (so a
rejected event leaves nothing half-stored), records each event at most once, then publishes
the canonical events the updated files give rise to. It re-reads the files after writing:
when a decision and its contact arrive at two instances at the same moment, at least one of
them sees both and announces the decision (the other, if it also sees both, announces the
same event id, which subscribers dedupe).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from aiokafka import ConsumerRecord

from services.intake import domain
from services.intake.metrics import metrics_of
from services.intake.settings import IntakeSettings
from services.intake.store import ContactStore, change_for
from shared.consumer import Delivery, Subscription, subscribe
from shared.contracts import Inbound, accepted_types, decode_inbound
from shared.contracts.intake import ACKNOWLEDGED, SOURCE
from shared.events import Envelope, derived_id, new_event
from shared.service import Runtime

ACCEPTED = accepted_types("intake")


@dataclass(frozen=True)
class Receipt:
    """What the sender of an inbound event is told."""

    contact_id: str
    event_id: str
    type: str
    status: str
    acknowledgement_id: str | None
    acknowledged_at: datetime | None


def settings_of(runtime: Runtime) -> IntakeSettings:
    settings = runtime.settings
    assert isinstance(settings, IntakeSettings)
    return settings


def now_ms() -> datetime:
    """Now, at the database's precision, so a file in memory equals the file stored."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def envelope(file: domain.ContactFile, out: domain.Outgoing) -> Envelope:
    assert file.partnership is not None
    return new_event(
        id=out.id,
        type=out.type,
        source=SOURCE,
        partnership=file.partnership,
        subject=file.contact_id,
        time=out.time,
        data=out.data.model_dump(mode="json"),
    )


def _lifecycle(item: Inbound) -> domain.Lifecycle:
    # decode_inbound validated `data` against the model registered for the type: one of ours.
    assert type(item.data) in domain.SLOTS
    return cast(domain.Lifecycle, item.data)


async def ingest(
    runtime: Runtime, items: list[Inbound], now: datetime | None = None
) -> list[Receipt]:
    """Record each inbound event and publish what follows from it; idempotent by event id.
    Raises `Rejected` (before storing anything) when any event of the batch is unusable."""
    settings = settings_of(runtime)
    now = now or now_ms()
    skew = timedelta(seconds=settings.clock_skew_s)
    store = ContactStore(runtime.db)
    events = [(item.envelope, _lifecycle(item)) for item in items]
    for env, data in events:
        domain.check_subject(env.subject, data.contact_id)

    files = await store.load(data.contact_id for _, data in events)
    changes = []
    for env, data in events:
        before = files[data.contact_id]
        after = domain.record(
            before, event_id=env.id, partnership=env.partnership, data=data, now=now, skew=skew
        )
        if after is not before:
            changes.append(change_for(after, env.id))
            files[data.contact_id] = after
    applied = await store.apply(changes)
    metrics = metrics_of(runtime)
    types = {env.id: env.type for env, _ in events}
    for change, now_applied in zip(changes, applied, strict=True):
        if now_applied:
            metrics.recorded.labels(types[change.event_id]).inc()

    # Published even for events found already applied: the first attempt may have crashed
    # between storing and publishing.
    files = await store.load(files)
    seen = {env.id for env, _ in events}
    outgoing = [
        envelope(file, out)
        for file in files.values()
        for out in domain.canonical_events(file)
        if out.causes & seen
    ]
    await runtime.publish(runtime.topics.intake_events, outgoing)
    for event in outgoing:
        metrics.published.labels(event.type).inc()
    return [_receipt(files[data.contact_id], env) for env, data in events]


def _receipt(file: domain.ContactFile, env: Envelope) -> Receipt:
    contact = file.contact
    return Receipt(
        contact_id=file.contact_id,
        event_id=env.id,
        type=env.type,
        status=file.status,
        acknowledgement_id=derived_id(contact.event_id, ACKNOWLEDGED) if contact else None,
        acknowledged_at=contact.recorded_at if contact else None,
    )


def _decode(record: ConsumerRecord[Any, Any]) -> Inbound:
    return decode_inbound(record.value, ACCEPTED)


def setup(runtime: Runtime) -> None:
    metrics_of(runtime)  # registered at build time, so /metrics lists them from the start

    async def handle(batch: list[Delivery[Inbound]]) -> None:
        await ingest(runtime, [d.item for d in batch])
        await runtime.audit_kafka(batch)

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
            agency_topics=True,
        ),
        group_id=runtime.settings.group_id(),
        batch_size=runtime.settings.consumer_batch_size,
        description="Contacts and lifecycle events (MASH decisions, early-help allocations, "
        "police VISTs, Operation Encompass notifications) submitted by agency systems.",
    )


async def create_indexes(runtime: Runtime) -> None:
    await ContactStore(runtime.db).ensure_indexes()
