"""The decision-overdue sweep: contacts still undecided one working day after receipt are
announced once.

Publish first, then mark: a crash between the two re-publishes the same event (its id and
content depend only on the contact), which subscribers dedupe; marking first could lose the
announcement for good. Several instances sweeping at once publish the same event too.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from services.intake import domain
from services.intake.handlers import envelope, settings_of
from services.intake.metrics import metrics_of
from services.intake.store import ContactStore
from shared.contracts.intake import DECISION_OVERDUE
from shared.service import Runtime

log = logging.getLogger(__name__)


async def sweep_overdue(runtime: Runtime, now: datetime) -> int:
    """Announce every contact overdue at `now`; returns how many were announced."""
    store = ContactStore(runtime.db)
    files = await store.overdue_candidates(now, settings_of(runtime).overdue_sweep_batch)
    due = [(file, domain.overdue_event(file)) for file in files if domain.is_overdue(file, now)]
    if not due:
        return 0
    await runtime.publish(runtime.topics.intake_events, [envelope(f, out) for f, out in due])
    metrics_of(runtime).published.labels(DECISION_OVERDUE).inc(len(due))
    for file, out in due:
        await store.mark_overdue(file, out, now)
    log.info("announced %d overdue MASH decision(s)", len(due))
    return len(due)


async def sweep_forever(runtime: Runtime) -> None:
    """The background job: sweep, wait, repeat; a failed sweep is logged and retried."""
    settings = settings_of(runtime)
    if not settings.overdue_sweep_enabled:
        return
    interval = settings.overdue_sweep_interval_s
    while True:
        try:
            await sweep_overdue(runtime, datetime.now(UTC))
        except Exception:
            log.exception("overdue sweep failed; retrying in %.0fs", interval)
        await asyncio.sleep(interval)
