"""The decision-overdue sweep: contacts still undecided one working day after receipt are
announced once.

Publish first, then mark (a record in the contact's history): a crash between the two
re-publishes the same event (its id and content depend only on the contact), which subscribers
dedupe; marking first could lose the announcement for good. Several instances sweeping at once
publish the same event too. Candidates come from the read model (a full sweep) or from the
open contacts this process wrote (`deadlines`), but each is checked against its records, so a
decision recorded a moment ago is never announced as overdue.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from services.intake import domain
from services.intake.handlers import envelope, settings_of, store_of
from services.intake.metrics import metrics_of
from services.intake.store import overdue_change, to_document
from shared.contracts.intake import DECISION_OVERDUE
from shared.records import Entity, Key, Repository, UnitOfWork, retrying
from shared.service import Runtime

log = logging.getLogger(__name__)


async def sweep_overdue(runtime: Runtime, now: datetime, *, full: bool = True) -> int:
    """Announce every contact overdue at `now` (up to the batch size); returns how many were
    announced. The candidates are the open contacts whose deadlines this process keeps: those
    it wrote, and, after a full sweep, every one the read model shows open."""
    store = store_of(runtime)
    if full:
        await store.read_open_deadlines()
    keys = store.deadlines.due(now, settings_of(runtime).overdue_sweep_batch)
    entities = await store.repository.load(keys)
    # Decided or announced elsewhere (another instance) since: no longer a candidate here.
    store.deadlines.note(to_document(e.state, e.version) for e in entities.values())
    due = [
        (entity.state, domain.overdue_event(entity.state))
        for entity in entities.values()
        if domain.is_overdue(entity.state, now)
    ]
    if not due:
        return 0
    await runtime.publish(runtime.topics.intake_events, [envelope(f, out) for f, out in due])
    metrics_of(runtime).published.labels(DECISION_OVERDUE).inc(len(due))
    marked = await mark_overdue(
        store.repository, [(f.partnership or "", f.contact_id) for f, _ in due], now
    )
    await store.project((e.version, e.state) for e in marked)
    log.info("announced %d overdue MASH decision(s)", len(due))
    return len(due)


async def mark_overdue(
    repository: Repository[domain.ContactFile], keys: list[Key], now: datetime
) -> list[Entity[domain.ContactFile]]:
    """Record that the overdue events of these contacts were published (after publishing
    them, never before). A contact decided meanwhile is left as it is."""

    async def attempt(uow: UnitOfWork[domain.ContactFile]) -> list[Entity[domain.ContactFile]]:
        for key, entity in (await uow.load(keys)).items():
            if domain.is_overdue(entity.state, now):
                uow.stage(key, [overdue_change(domain.overdue_event(entity.state), now)], [], now)
        return [uow.current(key) for key in keys]

    return await retrying(repository, attempt)


async def sweep_forever(runtime: Runtime) -> None:
    """The background job: sweep, wait, repeat; a failed sweep is logged and retried. The
    read model is asked at start, after a rebalance, when a contact let go from memory may be
    due, and every `overdue_full_sweep_every`-th sweep (see `deadlines`)."""
    settings = settings_of(runtime)
    if not settings.overdue_sweep_enabled:
        return
    interval = settings.overdue_sweep_interval_s
    deadlines = store_of(runtime).deadlines
    sweeps = 0
    while True:
        now = datetime.now(UTC)
        full = deadlines.stale(now) or sweeps % settings.overdue_full_sweep_every == 0
        try:
            await sweep_overdue(runtime, now, full=full)
        except Exception:
            log.exception("overdue sweep failed; retrying in %.0fs", interval)
        sweeps += 1
        await asyncio.sleep(interval)
