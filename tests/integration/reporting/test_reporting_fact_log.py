"""Reporting's facts live in a log of batch entries, each with its partition's next offset.
Whatever wrote the log (this process, another reporting process, a rebuild that dropped it,
an erasure), every process's folded facts equal a fresh fold of the log, on the real
database."""

from __future__ import annotations

from typing import Any

import pytest
from pymongo import AsyncMongoClient

from ops.system import Infra
from services.reporting import store as store_module
from services.reporting.handlers import Canonical, as_batch, decode_canonical
from services.reporting.metrics import compute_year
from services.reporting.store import ReportingStore
from shared.events import Envelope, encode
from tests.integration.reporting import reporting_events as ev

P, FY = "p", "2020-21"


def _items(events: list[Envelope]) -> list[Canonical]:
    return [decode_canonical(encode(e)) for e in events]


def _sorted(facts: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    return {kind: sorted(docs, key=lambda d: d["_id"]) for kind, docs in facts.items()}


async def test_folded_facts_follow_every_writer(infra: Infra, run_id: str) -> None:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(infra.mongodb_url, tz_aware=True)
    db = client[f"t{run_id}_log"]
    mine, other = ReportingStore(db), ReportingStore(db)

    async def check() -> dict[str, Any]:
        """This process's folded view is a fresh fold of the log; returns the figures."""
        fresh = await ReportingStore(db).load_year(P, FY)
        folded = await mine.load_year(P, FY)
        assert _sorted(folded) == _sorted(fresh)
        assert compute_year(FY, folded) == compute_year(FY, fresh)
        return compute_year(FY, folded)[FY].values

    try:
        received = _items([ev.received(P, f"c{i}", "4", "police") for i in range(30)])
        await mine.apply([as_batch("intake|0", 0, 30, received)])
        assert (await check())["contacts_received"] == 30
        assert mine.position("intake|0") == 30

        # The same records again (a redelivery after a crash before the commit): same facts.
        await mine.apply([as_batch("intake|0", 0, 30, received)])
        assert await db["fact_log"].count_documents({}) == 1
        assert (await check())["contacts_received"] == 30

        # Our own next batch: decisions change facts, new contacts add some.
        more = _items(
            [ev.decided(P, f"c{i}", "4", "police", "early-help", i % 2 == 0) for i in range(10)]
            + [ev.received(P, f"n{i}", "1A", "health") for i in range(5)]
            + ev.enrolment(P, "l1", "el-1", "education", "elearning", completed=True)
        )
        await mine.apply([as_batch("intake|0", 30, 30 + len(more), more)])
        assert (await check())["contacts_decided"] == 10

        # Another process's batch of another partition: seen at the next read.
        overdue = _items([ev.overdue(P, f"c{i}", "4", "police") for i in range(10, 20)])
        await other.apply([as_batch("intake|1", 0, 10, overdue)])
        values = await check()
        assert values["contacts_received"] == 35
        assert values["decisions_overdue_now"] == 10
        assert mine.position("intake|1") == 10

        # A rebuild elsewhere drops the log (a new generation): nothing is left of it here.
        await other.drop_read_models()
        assert (await check())["contacts_received"] == 0
        assert mine.position("intake|0") is None
    finally:
        await client.drop_database(f"t{run_id}_log")
        await client.close()


async def test_an_erasure_leaves_no_trace_in_the_log_or_the_facts(
    infra: Infra, run_id: str
) -> None:
    from services.reporting.erasure import erase_contacts, erased_contacts

    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(infra.mongodb_url, tz_aware=True)
    db = client[f"t{run_id}_erase"]
    live = ReportingStore(db)
    try:
        items = _items([ev.received(P, f"c{i}", "4", "police") for i in range(5)])
        await live.apply([as_batch("intake|0", 0, 5, items)])
        assert (await live.load_year(P, FY))["contacts"] != []

        years = await erase_contacts(ReportingStore(db), P, ["c2"])
        assert years == {(P, FY)}
        entries = [e async for e in db["fact_log"].find({})]
        assert all(u["i"] != "c2" for e in entries for u in live.updates_of(e))
        # The running process honours the tombstone at its next read...
        ids = {d["contact_id"] for d in (await live.load_year(P, FY))["contacts"]}
        assert ids == {"c0", "c1", "c3", "c4"}
        # ...and a batch written before the erasure and delivered after it adds nothing back.
        await live.apply([as_batch("intake|0", 0, 5, items)])
        again = _items([ev.received(P, "c2", "4", "police")])
        await live.apply([as_batch("intake|1", 0, 1, again, await erased_contacts(db))])
        ids = {d["contact_id"] for d in (await live.load_year(P, FY))["contacts"]}
        assert "c2" not in ids
        entries = [e async for e in db["fact_log"].find({})]
        assert all(u["i"] != "c2" for e in entries for u in live.updates_of(e))
    finally:
        await client.drop_database(f"t{run_id}_erase")
        await client.close()


async def test_a_reader_far_behind_another_writer_still_sees_every_entry(
    infra: Infra, run_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another writer's new entries are fetched by id from its head; past what the head
    remembers, the reader falls back to reading the log past its positions."""
    monkeypatch.setattr(store_module, "HEAD_RECENT", 2)
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(infra.mongodb_url, tz_aware=True)
    db = client[f"t{run_id}_behind"]
    reader, writer = ReportingStore(db), ReportingStore(db)
    try:
        await reader.refresh()
        for k in range(2):  # within what the head remembers: fetched by id
            items = _items([ev.received(P, f"a{k}", "4", "police")])
            await writer.apply([as_batch("intake|0", k, k + 1, items)])
        assert len((await reader.load_year(P, FY))["contacts"]) == 2
        for k in range(2, 7):  # five more: beyond it
            items = _items([ev.received(P, f"a{k}", "4", "police")])
            await writer.apply([as_batch("intake|0", k, k + 1, items)])
        assert len((await reader.load_year(P, FY))["contacts"]) == 7
        assert reader.position("intake|0") == 7
    finally:
        await client.drop_database(f"t{run_id}_behind")
        await client.close()
