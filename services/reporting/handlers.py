"""Reporting's consumers: every canonical event of intake, reviews and training becomes
fact updates (see `facts`), then the touched years are recomputed (see `recompute`).

Event types reporting does not use are skipped (a new event type upstream must not stop
reporting); an event of a known type whose data does not match its contract is
dead-lettered with reason `schema`.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from dataclasses import dataclass
from typing import Any

from aiokafka import ConsumerRecord
from pydantic import BaseModel, ValidationError

from services.reporting import erasure, facts
from services.reporting.fact_state import FactState, stored, stream_of
from services.reporting.gauges import DomainGauges
from services.reporting.metrics import Figures
from services.reporting.periods import financial_year_of_period
from services.reporting.publication import Publication, content_digest, publish
from services.reporting.recompute import Reporter
from services.reporting.settings import ReportingSettings
from services.reporting.store import Batch, ReportingStore
from services.reporting.targets import Target, resolve_targets
from shared import protection_ranges
from shared.consumer import Delivery, Subscription, subscribe
from shared.events import Envelope, decode_canonical_event, describe
from shared.inbound_policy import SCREENED
from shared.rejections import Rejected
from shared.service import Runtime

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Canonical:
    """A canonical event, its typed data (None for a type reporting does not use) and the fact
    updates it makes, worked out when decoding so an event that cannot be placed in a period is
    dead-lettered (`unplaceable-period`) instead of stored."""

    envelope: Envelope
    data: BaseModel | None
    updates: tuple[facts.FactUpdate, ...] = ()


def decode_canonical(raw: bytes | None) -> Canonical:
    envelope = decode_canonical_event(raw)
    model = facts.model_for(envelope.type)
    if model is None:
        return Canonical(envelope, None)
    try:
        data = model.model_validate(envelope.data, context=SCREENED)
    except ValidationError as exc:
        raise Rejected("schema", describe(exc)) from None
    try:
        updates = tuple(facts.facts_of(envelope, data))
    except (ArithmeticError, ValueError) as exc:  # e.g. a time that overflows on conversion
        raise Rejected(
            "unplaceable-period", f"cannot place the event: {type(exc).__name__}"
        ) from None
    return Canonical(envelope, data, updates)


def fact_updates(
    items: list[Canonical], erased: erasure.Erased = frozenset()
) -> list[tuple[str, facts.FactUpdate]]:
    """What the events say, less what they say about erased contacts."""
    updates = [
        (item.envelope.partnership, update)
        for item in items
        if item.data is not None
        for update in (item.updates or facts.facts_of(item.envelope, item.data))
    ]
    return erasure.without_erased(updates, erased) if erased else updates


def as_batch(
    stream: str,
    first: int,
    after: int,
    items: list[Canonical],
    erased: erasure.Erased = frozenset(),
) -> Batch:
    """The fact log entry of records `first` to `after - 1` of one stream."""
    updates = fact_updates(items, erased)
    return Batch(stream, first, after, [stored(partnership, u) for partnership, u in updates])


class Reporting:
    """What reporting's handlers, jobs and routes share within one running service."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        if not isinstance(runtime.settings, ReportingSettings):
            raise TypeError("reporting runs with ReportingSettings")
        self.settings = runtime.settings
        self.targets: dict[str, Target] = resolve_targets(self.settings.metric_targets)
        self.gauges = DomainGauges(runtime.registry, self.settings.metrics_partnership_ids())
        self.state = FactState()  # one per running service: its consumers and recomputation
        self._reporter: Reporter | None = None
        self._published: dict[tuple[str, str], tuple[str, Publication]] = {}

    async def figures(self, partnership: str, period: str) -> Figures:
        """A period's stored figures, unsuppressed; `Rejected` 422 for a malformed period,
        404 for a period with none."""
        financial_year_of_period(period)
        fig = await self.store.period(partnership, period)
        if fig is None:
            raise Rejected("no-figures", f"no figures for {partnership} in {period}", status=404)
        return fig

    async def publication(self, partnership: str, fy: str) -> Publication:
        """The year as published (disclosure control over the linked set), for the API and
        the pages alike; computed again only when the year's figures changed."""
        year = await self.store.year(partnership, fy)
        digest = content_digest(year)
        key = (partnership, fy)
        cached = self._published.get(key)
        if cached is None or cached[0] != digest:
            if len(self._published) > 256:
                self._published.clear()
            # Linear programs: off the event loop.
            cached = (digest, await asyncio.to_thread(publish, year))
            self._published[key] = cached
        return cached[1]

    @property
    def store(self) -> ReportingStore:
        return ReportingStore(self.runtime.db, self.state)

    @property
    def reporter(self) -> Reporter:
        if self._reporter is None:
            s = self.settings
            self._reporter = Reporter(
                self.store,
                self.targets,
                self.gauges,
                self.runtime.publish,
                snapshot_topic=self.runtime.topics.reporting_snapshots,
                exception_topic=self.runtime.topics.reporting_exceptions,
                debounce_s=s.recompute_debounce_s,
                max_delay_s=s.recompute_max_delay_s,
            )
        return self._reporter

    async def handle(self, deliveries: list[Delivery[Canonical]]) -> None:
        """One consumer batch: per topic partition, the records not yet in the facts become
        one log entry with the partition's next offset (see `store`)."""
        store = self.store
        if not self.state.loaded:
            await store.refresh()
        # Read per batch: erasures are rare and few, and one may come from another process.
        erased = await erasure.erased_contacts(self.runtime.db)
        by_stream: dict[str, list[Delivery[Canonical]]] = {}
        for d in deliveries:
            by_stream.setdefault(stream_of(d.record.topic, d.record.partition), []).append(d)
        batches: list[Batch] = []
        for stream, records in by_stream.items():
            records.sort(key=lambda d: d.record.offset)
            position = store.position(stream)
            if position is not None and records[0].record.offset > position:
                # Records before these were applied by another instance (a rebalance).
                await store.refresh()
                position = store.position(stream)
            fresh = [d for d in records if position is None or d.record.offset >= position]
            if not fresh:
                continue  # a redelivery of records whose facts are in the log already
            first, after = fresh[0].record.offset, fresh[-1].record.offset + 1
            batches.append(as_batch(stream, first, after, [d.item for d in fresh], erased))
        self.reporter.touched(await store.apply(batches))


_CONTEXTS: weakref.WeakKeyDictionary[Runtime, Reporting] = weakref.WeakKeyDictionary()


def reporting(runtime: Runtime) -> Reporting:
    if runtime not in _CONTEXTS:
        _CONTEXTS[runtime] = Reporting(runtime)
    return _CONTEXTS[runtime]


def _decode(record: ConsumerRecord[Any, Any]) -> Canonical:
    return decode_canonical(record.value)


def setup(runtime: Runtime) -> None:
    context = reporting(runtime)

    async def handle(batch: list[Delivery[Canonical]]) -> None:
        await context.handle(batch)

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
            description="Canonical events, turned into the partnership's metrics.",
        )


async def create_indexes(runtime: Runtime) -> None:
    await reporting(runtime).store.create_indexes()


async def load_disclosure_solver(runtime: Runtime) -> None:
    """Disclosure control's solver, imported before the first events arrive (see
    `protection_ranges.load_solver`)."""
    await asyncio.to_thread(protection_ranges.load_solver)


async def recompute_loop(runtime: Runtime) -> None:
    reporter = reporting(runtime).reporter
    try:
        await reporter.start()
    except Exception:
        # Not fatal: the next events recompute their years, the periodic job re-sends.
        log.exception("reporting could not refresh the stored figures at start")
    await reporter.run_debounced()


async def snapshot_loop(runtime: Runtime) -> None:
    context = reporting(runtime)
    await context.reporter.run_periodic(context.settings.snapshot_interval_s)
