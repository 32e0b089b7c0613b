"""Intake's inbound path, shared by the Kafka subscriber and the HTTP endpoints.

`ingest` is one unit of work over the contacts a batch names: load their files, let the domain
record each event (a rejected event aborts the batch before anything is written), append one
record per changed contact, bring the read model up to date, then publish the canonical events
the files give rise to. Two writers of one contact (the Kafka consumer, HTTP requests, the
sweep, another instance) cannot both append its next version: the second one's conflict makes
it reload and decide again, so nothing either of them recorded is lost.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from aiokafka import ConsumerRecord

from services.intake import domain
from services.intake.deadlines import OpenDeadlines
from services.intake.erasure import refuse_erased
from services.intake.metrics import metrics_of
from services.intake.settings import IntakeSettings
from services.intake.store import ContactStore, contact_key, recorded_change
from shared.auth import current_principal
from shared.consumer import Delivery, Subscription, subscribe
from shared.contracts import Inbound, accepted_types, decode_inbound
from shared.contracts.casework import (
    ASSESSMENT_RECORDED,
    CONFERENCE_RECORDED,
    STRATEGY_DISCUSSION_RECORDED,
)
from shared.contracts.intake import (
    ACKNOWLEDGED,
    DECISION_RECORDED,
    EARLY_HELP_ALLOCATION_RECORDED,
    SOURCE,
    VIST_SUBMITTED,
)
from shared.events import Envelope, derived_id, new_event
from shared.records import Entity, EntityCache, Key, Record, Repository, UnitOfWork, retrying
from shared.rejections import Rejected
from shared.school_calendar import DEFAULT, SchoolCalendar, load_calendars
from shared.service import Runtime
from shared.topics import agency_of

ACCEPTED = accepted_types("intake")
# What only the front door records: over HTTP with a key of the `decide` role, over Kafka on
# the bare inbound topic (the partnership's trusted systems'), never on an agency's own topic.
# The casework clocks (strategy discussion, ICPC, assessment) are the council's social care
# records, so they are the front door's too.
FRONT_DOOR_TYPES = frozenset(
    {
        DECISION_RECORDED,
        EARLY_HELP_ALLOCATION_RECORDED,
        VIST_SUBMITTED,
        STRATEGY_DISCUSSION_RECORDED,
        CONFERENCE_RECORDED,
        ASSESSMENT_RECORDED,
    }
)


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


_CACHES: weakref.WeakKeyDictionary[Runtime, EntityCache[domain.ContactFile]] = (
    weakref.WeakKeyDictionary()
)


_DEADLINES: weakref.WeakKeyDictionary[Runtime, OpenDeadlines] = weakref.WeakKeyDictionary()


def store_of(runtime: Runtime) -> ContactStore:
    """The contact store of this service process, with the process's cache of contact files
    and the deadlines of the open contacts it wrote."""
    cache = _CACHES.setdefault(runtime, EntityCache())
    return ContactStore(runtime.db, cache, _DEADLINES.setdefault(runtime, OpenDeadlines()))


_CALENDARS: weakref.WeakKeyDictionary[Runtime, dict[str, SchoolCalendar]] = (
    weakref.WeakKeyDictionary()
)


def calendars_of(runtime: Runtime) -> dict[str, SchoolCalendar]:
    """The partnerships' school calendars named by SCHOOL_CALENDARS, loaded once per process
    (the settings checked the files at start-up); any other partnership has the default."""
    if runtime not in _CALENDARS:
        _CALENDARS[runtime] = load_calendars(settings_of(runtime).school_calendars)
    return _CALENDARS[runtime]


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


@dataclass(frozen=True)
class BatchOutcome:
    """What one batch did: the contacts as they now stand, the records appended (none for an
    event recorded before), the canonical events to publish and the senders' receipts."""

    entities: dict[Key, Entity[domain.ContactFile]]
    written: list[Record]
    outgoing: list[Envelope]
    receipts: list[Receipt]


async def record_batch(
    repository: Repository[domain.ContactFile],
    events: list[tuple[Envelope, domain.Lifecycle]],
    *,
    now: datetime,
    skew: timedelta,
    principal: str | None = None,
    calendars: Mapping[str, SchoolCalendar] | None = None,
) -> BatchOutcome:
    """Record the events in their contacts' histories; idempotent by event id. Raises
    `Rejected` or `Conflict`, with nothing written, when any event of the batch is unusable.
    `principal` is who sent them over HTTP (the API key's id); `calendars` the partnerships'
    school calendars (the default for any partnership not named)."""
    for env, data in events:
        domain.check_subject(env.subject, data.contact_id)
    keys = [contact_key(env.partnership, data.contact_id) for env, data in events]

    async def attempt(uow: UnitOfWork[domain.ContactFile]) -> dict[Key, Entity[domain.ContactFile]]:
        await uow.load(keys)
        for key, (env, data) in zip(keys, events, strict=True):
            before = uow.current(key).state
            after = domain.record(
                before,
                event_id=env.id,
                partnership=env.partnership,
                data=data,
                now=now,
                skew=skew,
                source=env.source,
                principal=principal,
            )
            if after is not before:
                uow.stage(key, [recorded_change(after, env.id)], [env.id], now)
        return {key: uow.current(key) for key in keys}

    written: list[Record] = []
    entities = await retrying(repository, attempt, written=written)
    # Published again for events found already recorded: the first attempt may have crashed
    # after appending and before publishing.
    seen = {env.id for env, _ in events}
    calendars = calendars or {}
    outgoing = [
        envelope(entity.state, out)
        for entity in entities.values()
        for out in domain.canonical_events(entity.state, calendars.get(entity.key[0], DEFAULT))
        if out.causes & seen
    ]
    receipts = [
        _receipt(entities[key].state, env) for key, (env, _) in zip(keys, events, strict=True)
    ]
    return BatchOutcome(entities, written, outgoing, receipts)


async def ingest(
    runtime: Runtime, items: list[Inbound], now: datetime | None = None
) -> list[Receipt]:
    """Record each inbound event, bring the read model up to date and publish what follows;
    idempotent by event id. Raises `Rejected` (before storing anything) when any event of the
    batch is unusable."""
    settings = settings_of(runtime)
    store = store_of(runtime)
    events = [(item.envelope, _lifecycle(item)) for item in items]
    await refuse_erased(runtime.db, [contact_key(e.partnership, d.contact_id) for e, d in events])
    principal = current_principal()  # None on Kafka: the agency's topic says who sent it
    done = await record_batch(
        store.repository,
        events,
        now=now or now_ms(),
        skew=timedelta(seconds=settings.clock_skew_s),
        principal=principal.id if principal is not None else None,
        calendars=calendars_of(runtime),
    )
    metrics = metrics_of(runtime)
    types = {item.envelope.id: item.envelope.type for item in items}
    for written in done.written:
        for event_id in written.events:
            metrics.recorded.labels(types[event_id]).inc()
    # Also for events recorded before: the read model may be behind after a crash. Both
    # follow from the records alone, so they run side by side.
    await asyncio.gather(
        store.project((e.version, e.state) for e in done.entities.values()),
        runtime.publish(runtime.topics.intake_events, done.outgoing),
    )
    for event in done.outgoing:
        metrics.published.labels(event.type).inc()
    return done.receipts


def _receipt(file: domain.ContactFile, env: Envelope) -> Receipt:
    contact = file.contact
    return Receipt(
        contact_id=file.contact_id,
        event_id=env.id,
        type=env.type,
        status=file.status,
        acknowledgement_id=derived_id(contact.event_id, ACKNOWLEDGED) if contact else None,
        acknowledged_at=domain.acknowledged_at(contact) if contact else None,
    )


def setup(runtime: Runtime) -> None:
    metrics_of(runtime)  # registered at build time, so /metrics lists them from the start
    calendars_of(runtime)  # term-dates files read at start-up, not on the first event

    def _decode(record: ConsumerRecord[Any, Any]) -> Inbound:
        item = decode_inbound(record.value, ACCEPTED)
        agency = agency_of(runtime.topics.intake_inbound, record.topic)
        if agency is not None and item.envelope.type in FRONT_DOOR_TYPES:
            raise Rejected(
                "forbidden-role",
                "MASH decisions, early-help allocations, VIST receipts and casework records "
                "come from the front door (the inbound topic or HTTP with a decide key), not "
                "an agency's topic",
                status=403,
            )
        return item

    def decode(record: ConsumerRecord[Any, Any]) -> Inbound:
        item = _decode(record)
        # The bare inbound topic is the partnership's trusted systems'; agencies have their own.
        trusted = record.topic == runtime.topics.intake_inbound
        domain.check_acknowledgement_source(item.data, trusted=trusted)
        return item

    async def handle(batch: list[Delivery[Inbound]]) -> None:
        await ingest(runtime, [d.item for d in batch])
        await runtime.audit_kafka(batch)

    subscribe(
        runtime.broker,
        Subscription(
            topic=runtime.topics.intake_inbound,
            service=runtime.service,
            decode=decode,
            handle=handle,
            dead_letters=runtime.dead_letters,
            metrics=runtime.metrics,
            retries=runtime.settings.handler_retries,
            agency_topics=True,
        ),
        group_id=runtime.settings.group_id(),
        batch_size=runtime.settings.consumer_batch_size,
        # Another instance started or stopped: the open contacts it wrote may now be this
        # one's to announce, so the next overdue sweep asks the read model.
        on_assigned=lambda _: store_of(runtime).deadlines.outdated(),
        description="Contacts and lifecycle events (MASH decisions, early-help allocations, "
        "police VISTs and domestic abuse incidents, Operation Encompass notifications, and "
        "corrections of any of these) submitted by agency systems.",
    )


async def create_indexes(runtime: Runtime) -> None:
    await store_of(runtime).ensure_indexes()
