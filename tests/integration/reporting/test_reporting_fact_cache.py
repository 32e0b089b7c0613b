"""Reporting's cached facts equal what the database holds, whoever wrote them: this process,
another reporting process, or a rebuild that dropped everything."""

from __future__ import annotations

from typing import Any

from pymongo import AsyncMongoClient

from ops.system import Infra
from services.reporting.fact_cache import FactCache
from services.reporting.handlers import decode_canonical, fact_updates
from services.reporting.metrics import compute_year
from services.reporting.store import ReportingStore
from shared.events import Envelope, encode
from tests.integration.reporting import reporting_events as ev

P, FY = "p", "2020-21"


def _updates(events: list[Envelope]) -> list[Any]:
    return fact_updates([decode_canonical(encode(e)) for e in events])


def _sorted(facts: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    return {kind: sorted(docs, key=lambda d: d["_id"]) for kind, docs in facts.items()}


async def test_cached_facts_follow_every_writer(infra: Infra, run_id: str) -> None:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(infra.mongodb_url, tz_aware=True)
    db = client[f"t{run_id}_cache"]
    mine, other = ReportingStore(db, FactCache()), ReportingStore(db, FactCache())

    async def check() -> None:
        """This process's view, from its cache, is a fresh read of the database."""
        fresh = await ReportingStore(db, FactCache()).load_year(P, FY)
        cached = await mine.load_year(P, FY)
        assert len(mine.cache) == 1
        assert _sorted(cached) == _sorted(fresh)
        assert compute_year(FY, cached) == compute_year(FY, fresh)

    try:
        await mine.apply(_updates([ev.received(P, f"c{i}", "4", "police") for i in range(30)]))
        await check()  # read from the database and cached

        # Our own writes: decisions update cached documents, new contacts add to them.
        await mine.apply(
            _updates(
                [ev.decided(P, f"c{i}", "4", "police", "early-help", i % 2 == 0) for i in range(10)]
                + [ev.received(P, f"n{i}", "1A", "health") for i in range(5)]
                + ev.enrolment(P, "l1", "el-1", "education", "elearning", completed=True)
            )
        )
        await check()

        # Another process's writes: noticed, and the year read again.
        await other.apply(_updates([ev.overdue(P, f"c{i}", "4", "police") for i in range(10, 20)]))
        assert (await mine.load_year(P, FY))["contacts"] != []
        await check()
        figures = compute_year(FY, await mine.load_year(P, FY))[FY].values
        assert figures["contacts_received"] == 35
        assert figures["decisions_overdue_now"] == 10

        # A rebuild elsewhere drops every fact.
        await other.drop_read_models()
        await check()
        assert compute_year(FY, await mine.load_year(P, FY))[FY].values["contacts_received"] == 0
    finally:
        await client.drop_database(f"t{run_id}_cache")
        await client.close()
