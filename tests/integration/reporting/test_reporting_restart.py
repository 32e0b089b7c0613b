"""A reporting service stopped after its consumers committed but before its debounced
recomputation (killed, or its host lost) must not leave the published figures behind the
facts: the year is marked pending with the facts, and the next start recomputes it."""

from __future__ import annotations

from typing import Any

from pymongo import AsyncMongoClient

from ops.system import Infra
from services.reporting.handlers import as_batch, decode_canonical
from services.reporting.store import ReportingStore
from shared.events import encode
from tests.integration.reporting import reporting_events as ev
from tests.support.kafka import eventually
from tests.support.services import running, settings_for

P, FY = "p1", "2020-21"
# Nothing recomputes through the debounce within the test: only the start can.
NEVER = {"recompute_debounce_s": 3600.0, "recompute_max_delay_s": 3600.0}


async def test_figures_owed_at_a_stop_are_computed_at_the_next_start(
    infra: Infra, run_id: str
) -> None:
    database = settings_for("reporting", infra, run_id).database_name()
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(infra.mongodb_url, tz_aware=True)
    try:
        # What the consumers of a service that then died had made durable: facts, no figures.
        store = ReportingStore(client[database])
        events = [ev.received(P, f"c{i}", "6", "police") for i in range(12)] + [
            ev.decided(P, f"c{i}", "6", "police", "social-care-assessment", True) for i in range(7)
        ]
        items = [decode_canonical(encode(e)) for e in events]
        await store.apply([as_batch("canonical|0", 0, len(items), items)])
        assert await store.year(P, FY) == {}
        assert set(await store.pending_years()) == {(P, FY)}

        async with running("reporting", infra, run_id, **NEVER) as svc:

            async def figures() -> dict[str, Any]:
                r = await svc.http.get(f"/internal/partnerships/{P}/figures/{FY}")
                return r.json()["values"] if r.status_code == 200 else {}

            values = await eventually(figures)
            assert values["contacts_received"] == 12
            assert values["contacts_decided"] == 7
            assert values["referrals"] == 7
            # settled: a later start has nothing left to recompute
            assert await ReportingStore(client[database]).pending_years() == {}
    finally:
        await client.close()
