"""Keeping figures current: after events change some facts, the figures of each touched
(partnership, financial year) are recomputed from the facts, stored, shown on the gauges,
compared with their targets (a changed status publishes an exception) and, when they
changed, published as a snapshot.

Recomputation is debounced: a burst of events is recomputed once, after `debounce` seconds
of quiet or at the latest `max_delay` seconds after the first change, and never sooner than
twice the last recomputation's duration after it ended, so that under steady load it takes at
most a third of the time from the consumers. A year's figures come from its running sums
(`metrics.RunningYear`, kept in memory as facts change), so recomputing costs the few kinds
that are not sums and the writes of the figures, not a pass over the year's facts.
Publishing (disclosure control solves linear programs) is spaced the same way. Everything a
recomputation writes is an overwrite derived from the facts, so doing it twice is harmless.

The debounce lives in memory, but what it owes does not: the store marks a year pending
with the year's facts (see `store`), and a recomputation unmarks it. A service killed after
its consumers committed, before it recomputed, recomputes the marked years when it starts.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import UTC, date, datetime

from services.reporting import domain
from services.reporting.gauges import DomainGauges
from services.reporting.metrics import Figures
from services.reporting.periods import financial_year_of
from services.reporting.publication import Publication, publish
from services.reporting.store import ReportingStore, doc_id
from services.reporting.targets import Rag, Target
from shared.consumer import is_transient
from shared.contracts.reporting import SNAPSHOT, SOURCE, STATUS_CHANGED
from shared.events import Envelope, new_event
from shared.workdays import LONDON

log = logging.getLogger(__name__)
_SPACING = 2.0  # pause after a recomputation, as a multiple of its duration
Publish = Callable[[str, Sequence[Envelope]], Awaitable[None]]


async def recompute_year(store: ReportingStore, partnership: str, fy: str) -> dict[str, Figures]:
    """The year's figures from its facts, stored, and the year unmarked as pending."""
    # The version first: facts changed after it keep the year marked (and recomputed again).
    version = await store.pending_version(partnership, fy)
    figures = await store.current_figures(partnership, fy)
    await store.save_figures(partnership, fy, figures)
    if version is not None:
        await store.settle(partnership, fy, version)
    return figures


class Reporter:
    def __init__(
        self,
        store: ReportingStore,
        targets: dict[str, Target],
        gauges: DomainGauges,
        publish: Publish,
        *,
        snapshot_topic: str,
        exception_topic: str,
        debounce_s: float,
        max_delay_s: float,
    ) -> None:
        self.store = store
        self.targets = targets
        self.gauges = gauges
        self.publish = publish
        self.snapshot_topic = snapshot_topic
        self.exception_topic = exception_topic
        self.debounce_s = debounce_s
        self.max_delay_s = max_delay_s
        self._dirty: set[tuple[str, str]] = set()
        self._first_change: float | None = None
        self._last_change = 0.0
        self._wake = asyncio.Event()
        self._next_allowed = 0.0  # monotonic time before which no recomputation starts
        # Figures stored but not yet published (gauges, statuses, exceptions, snapshot).
        self._unpublished: dict[tuple[str, str], dict[str, Figures]] = {}
        self._publish_wake = asyncio.Event()
        self._failures_logged: set[tuple[str, str, str, str]] = set()
        self._day: date | None = None  # the London day of the last periodic run

    def new_day(self, today: date, known: Iterable[tuple[str, str]]) -> None:
        """A new day in London: the period under way is taken as at today (overdue actions,
        the tracker's RAG), so each partnership's current year is recomputed, and a new
        financial year gets its figures without waiting for an event."""
        if self._day is not None and today != self._day:
            fy = financial_year_of(today)
            self.touched({(partnership, fy) for partnership, _ in known})
        self._day = today

    def touched(self, years: Iterable[tuple[str, str]]) -> None:
        years = set(years)
        if not years:
            return
        now = time.monotonic()
        self._dirty |= years
        self._first_change = self._first_change or now
        self._last_change = now
        self._wake.set()

    async def run_debounced(self) -> None:
        """Background job: recompute what events touched, once things are quiet. Publishing
        the new figures (disclosure control solves linear programs, seconds for a big year)
        runs beside it, so it never delays the next recomputation: the figures are visible
        as soon as they are stored."""
        publisher = asyncio.create_task(self._run_publisher())
        try:
            await self._recompute_forever()
        finally:
            publisher.cancel()
            await asyncio.gather(publisher, return_exceptions=True)

    async def _recompute_forever(self) -> None:
        while True:
            await self._wake.wait()
            while True:
                now = time.monotonic()
                quiet_at = self._last_change + self.debounce_s
                latest = (self._first_change or now) + self.max_delay_s
                due = max(min(quiet_at, latest), self._next_allowed)
                if now >= due:
                    break
                await asyncio.sleep(due - now)
            self._wake.clear()
            dirty, self._dirty, self._first_change = self._dirty, set(), None
            started = time.monotonic()
            await self._recompute(dirty)
            ended = time.monotonic()
            self._next_allowed = ended + _SPACING * (ended - started)

    async def _recompute(self, dirty: set[tuple[str, str]]) -> None:
        for partnership, fy in sorted(dirty):
            await self._refresh_guarded(partnership, fy, defer_publication=True)

    async def _refresh_guarded(self, partnership: str, fy: str, **options: bool) -> None:
        """`refresh`, where no value is fatal: an outage puts the year back to be retried
        after a pause; a failure on the year's data is counted, logged once per year and
        cause, and leaves the other years (and the service's start) alone. The year keeps its
        last figures and is tried again when its facts next change."""
        try:
            await self.refresh(partnership, fy, **options)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if is_transient(exc):
                log.warning("recomputing %s %s: %r; will retry", partnership, fy, exc)
                self.touched([(partnership, fy)])
                await asyncio.sleep(self.debounce_s)
                return
            self._failed(partnership, fy, exc, "computed")

    def _failed(self, partnership: str, fy: str, exc: Exception, what: str) -> None:
        """A failure on a year's data: counted, and logged once per year and cause."""
        self.gauges.recompute_failed.labels(type(exc).__name__).inc()
        cause = (partnership, fy, type(exc).__name__, str(exc)[:200])
        if cause not in self._failures_logged:
            self._failures_logged.add(cause)
            log.error(
                "figures of %s %s cannot be %s (%s: %s); the year keeps its last figures, "
                "the other years go on",
                partnership,
                fy,
                what,
                type(exc).__name__,
                str(exc)[:200],
                exc_info=exc,
            )

    async def run_periodic(self, interval_s: float) -> None:
        """Background job: re-send every year's snapshot for late subscribers."""
        while True:
            await asyncio.sleep(interval_s)
            years = await self.store.years()  # an aggregation over every figure: once a cycle
            self.new_day(datetime.now(LONDON).date(), years)
            for partnership, fy in years:
                await self._refresh_guarded(partnership, fy, recompute=False, force_snapshot=True)

    async def start(self) -> None:
        """At start: the years left pending by a stop before their recomputation are
        recomputed; the others' gauges, statuses and snapshots come from their stored figures
        (after a restart or a rebuild). Any status that changed meanwhile is announced."""
        pending = await self.store.pending_years()
        if pending:
            log.info("recomputing %d year(s) left pending at the last stop", len(pending))
        for partnership, fy in sorted(pending):
            await self._refresh_guarded(partnership, fy)
        for partnership, fy in await self.store.years():
            if (partnership, fy) not in pending:
                await self._refresh_guarded(partnership, fy, recompute=False)

    async def _run_publisher(self) -> None:
        """Publish the latest stored figures of each year recomputed, newest only: a year
        recomputed twice while the publisher was busy is published once. A stop before
        publishing loses nothing: `start` publishes every year from its stored figures."""
        while True:
            await self._publish_wake.wait()
            self._publish_wake.clear()
            due, self._unpublished = self._unpublished, {}
            started = time.monotonic()
            for (partnership, fy), figures in sorted(due.items()):
                try:
                    await self._publish_year(partnership, fy, figures)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    if is_transient(exc):  # an outage: try again after a pause
                        log.warning("publishing %s %s: %r; will retry", partnership, fy, exc)
                        self._unpublished.setdefault((partnership, fy), figures)
                        self._publish_wake.set()
                        await asyncio.sleep(self.debounce_s)
                    else:
                        self._failed(partnership, fy, exc, "published")
            # Disclosure control is the costliest step of all: under steady load, years
            # recomputed meanwhile wait, and are published once, newest figures only.
            await asyncio.sleep(_SPACING * (time.monotonic() - started))

    async def refresh(
        self,
        partnership: str,
        fy: str,
        *,
        recompute: bool = True,
        force_snapshot: bool = False,
        defer_publication: bool = False,
    ) -> None:
        if recompute:
            figures = await recompute_year(self.store, partnership, fy)
            self.gauges.recomputed.inc()
        else:
            figures = await self.store.year(partnership, fy)
            if not figures:
                return
        if defer_publication:
            self._unpublished[(partnership, fy)] = figures
            self._publish_wake.set()
            return
        await self._publish_year(partnership, fy, figures, force_snapshot=force_snapshot)

    async def _publish_year(
        self,
        partnership: str,
        fy: str,
        figures: dict[str, Figures],
        *,
        force_snapshot: bool = False,
    ) -> None:
        # The linked-set suppression solves linear programs: off the event loop.
        publication = await asyncio.to_thread(publish, figures)
        statuses = domain.public_statuses(domain.evaluate(figures, self.targets), publication)
        self.gauges.show_year(partnership, fy, publication)
        self.gauges.show_statuses(
            partnership, fy, {m: s for (m, p), s in statuses.items() if p == fy}
        )
        await self._announce(partnership, fy, figures, statuses, publication)
        await self._snapshot(partnership, fy, figures, statuses, publication, force=force_snapshot)

    async def _announce(self, partnership, fy, figures, statuses, publication) -> None:  # type: ignore[no-untyped-def]
        published = await self.store.statuses_of(partnership, fy)
        changes = domain.status_changes(
            partnership, figures, self.targets, statuses, published, publication
        )
        now = datetime.now(UTC)
        events = [
            new_event(
                id=c.event_id,
                type=STATUS_CHANGED,
                source=SOURCE,
                partnership=partnership,
                subject=partnership,
                time=now,
                data=c.data.model_dump(mode="json"),
            )
            for c in changes
            if c.event_id is not None
        ]
        # Publish first, record after: a crash in between re-publishes the same event ids.
        if events:
            await self.publish(self.exception_topic, events)
        for e in events:
            await self.store.record_exception(
                e.id, {"partnership": partnership, "time": e.time, "event_id": e.id, **e.data}
            )
            self.gauges.exception_raised(partnership, e.data["metric"], e.data["status"])
        await self.store.save_statuses(
            [
                {
                    "_id": doc_id(partnership, f"{c.metric}|{c.period}"),
                    "partnership": partnership,
                    "fy": fy,
                    "metric": c.metric,
                    "period": c.period,
                    "status": c.data.status,
                    "changes": c.changes,
                }
                for c in changes
            ]
        )

    async def _snapshot(
        self,
        partnership: str,
        fy: str,
        figures: dict[str, Figures],
        statuses: dict[tuple[str, str], Rag | None],
        publication: Publication,
        *,
        force: bool,
    ) -> None:
        data, digest = domain.snapshot(fy, figures, statuses, datetime.now(UTC), publication)
        if not force and digest == await self.store.snapshot_hash(partnership, fy):
            return
        event = new_event(
            id=domain.snapshot_id(partnership, fy, digest),
            type=SNAPSHOT,
            source=SOURCE,
            partnership=partnership,
            subject=partnership,
            time=data.generated_at,
            data=data.model_dump(mode="json"),
        )
        await self.publish(self.snapshot_topic, [event])
        await self.store.save_snapshot_hash(partnership, fy, digest)
