"""Decision overdue: announced once per contact by the sweep, whatever crashes and however
many instances sweep."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import httpx
import pytest
from aiokafka.admin import AIOKafkaAdminClient

from ops.system import Infra
from services.intake import overdue as sweep_module
from services.intake.handlers import store_of
from services.intake.main import create_app
from services.intake.overdue import sweep_overdue
from shared.contracts.intake import DECIDED, DECISION_OVERDUE
from shared.events import Envelope, derived_id, encode
from tests.integration.intake.helpers import NO_SWEEP, by_type, canonical, stored
from tests.support.kafka import eventually
from tests.support.services import RunningService, running, settings_for
from tests.unit.intake.factories import at, contact, decision, inbound

NOW = at(2026, 11, 12, 12)  # Thursday


@contextlib.asynccontextmanager
async def _two_instances(
    infra: Infra, run_id: str
) -> AsyncIterator[tuple[RunningService, RunningService]]:
    """Two intake processes on one database (each its own consumer group), sweeping only
    when a test says so."""
    async with (
        running("intake", infra, run_id, **NO_SWEEP) as one,
        running("intake", infra, run_id, consumer_group=f"t{run_id}-other", **NO_SWEEP) as two,
    ):
        yield one, two


async def _submit(svc: RunningService, *events: Envelope) -> None:
    for event in events:
        r = await svc.http.post("/events", content=encode(event))
        assert r.status_code == 202, r.text


def _overdue_entries(view: dict[str, object]) -> list[object]:
    timeline = view["timeline"]
    assert isinstance(timeline, list)
    return [e for e in timeline if e["type"] == DECISION_OVERDUE]


async def test_only_undecided_contacts_past_their_deadline_are_announced_once(
    infra: Infra, run_id: str
) -> None:
    async with running("intake", infra, run_id, **NO_SWEEP) as svc:
        late = inbound("contact", contact("c-late"))  # Monday: due by the end of Tuesday
        await _submit(
            svc,
            late,
            inbound("contact", contact("c-decided")),
            inbound("decision", decision("c-decided")),
            inbound("contact", contact("c-fresh", received_at=at(2026, 11, 11, 10).isoformat())),
        )
        assert await sweep_overdue(svc.runtime, NOW) == 1
        assert await sweep_overdue(svc.runtime, NOW) == 0

        events = by_type(await canonical(infra, svc, expect=8))
        [overdue] = events[DECISION_OVERDUE]
        assert overdue.id == derived_id(late.id, DECISION_OVERDUE)
        assert overdue.subject == "c-late"
        assert overdue.data["deadline"].startswith("2026-11-11T00:00")
        view = await stored(svc, "c-late", "decision-overdue")
        assert len(_overdue_entries(view)) == 1

        # A late decision still arrives, and says it missed the target.
        await _submit(svc, inbound("decision", decision("c-late", decided_at=NOW.isoformat())))
        events = by_type(await canonical(infra, svc, expect=9))
        [late_decision] = [e for e in events[DECIDED] if e.subject == "c-late"]
        assert late_decision.data["within_target"] is False
        assert (await stored(svc, "c-late"))["status"] == "decided"
        assert await sweep_overdue(svc.runtime, NOW) == 0


async def test_a_crash_between_publishing_and_marking_republishes_the_same_event(
    infra: Infra, run_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running("intake", infra, run_id, **NO_SWEEP) as svc:
        await _submit(svc, inbound("contact", contact("c-1")))

        async def crash(*args: object) -> bool:
            raise RuntimeError("process killed")

        with monkeypatch.context() as patched:
            patched.setattr(sweep_module, "mark_overdue", crash)
            with pytest.raises(RuntimeError):
                await sweep_overdue(svc.runtime, NOW)
        assert await sweep_overdue(svc.runtime, NOW) == 1

        events = by_type(await canonical(infra, svc, expect=4))
        overdue = events[DECISION_OVERDUE]
        assert len(overdue) == 2
        assert overdue[0] == overdue[1]  # the very same event: subscribers dedupe it
        assert len(_overdue_entries(await stored(svc, "c-1"))) == 1


async def test_several_instances_sweeping_at_once_announce_the_same_event(
    infra: Infra, run_id: str
) -> None:
    async with _two_instances(infra, run_id) as (one, two):
        await _submit(one, inbound("contact", contact("c-1")), inbound("contact", contact("c-2")))
        await asyncio.gather(sweep_overdue(one.runtime, NOW), sweep_overdue(two.runtime, NOW))

        events = by_type(await canonical(infra, one, expect=6))
        ids = {e.subject: e.id for e in events[DECISION_OVERDUE]}
        assert len(ids) == 2
        assert len(events[DECISION_OVERDUE]) in (2, 3, 4)  # duplicates share their id
        for contact_id in ("c-1", "c-2"):
            assert len(_overdue_entries(await stored(one, contact_id))) == 1


async def test_the_background_sweep_announces_an_overdue_contact_by_itself(
    infra: Infra, run_id: str
) -> None:
    async with running("intake", infra, run_id, overdue_sweep_interval_s=0.2) as svc:
        await _submit(svc, inbound("contact", contact("c-1")))
        await stored(svc, "c-1", "decision-overdue")
        events = by_type(await canonical(infra, svc, expect=3))
        assert len(events[DECISION_OVERDUE]) == 1


async def test_between_full_sweeps_an_instance_sweeps_the_open_contacts_it_wrote(
    infra: Infra, run_id: str
) -> None:
    async with _two_instances(infra, run_id) as (one, two):
        await _submit(one, inbound("contact", contact("c-1")), inbound("contact", contact("c-2")))
        # Two wrote neither contact: only a full sweep (the read model) shows them to it.
        assert await sweep_overdue(two.runtime, NOW, full=False) == 0
        assert await sweep_overdue(two.runtime, NOW) == 2
        # One keeps both deadlines, but checks its candidates against their records.
        assert await sweep_overdue(one.runtime, NOW, full=False) == 0
        assert len(store_of(one.runtime).deadlines) == 0

        await _submit(one, inbound("contact", contact("c-3")))
        assert await sweep_overdue(one.runtime, NOW, full=False) == 1
        events = by_type(await canonical(infra, one, expect=9))
        assert sorted(str(e.subject) for e in events[DECISION_OVERDUE]) == ["c-1", "c-2", "c-3"]


async def _group_settled(infra: Infra, group: str, members: int) -> None:
    """Wait until `group` is stable with `members` consumers (the rebalance is over)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=infra.kafka_bootstrap_servers)
    await admin.start()
    try:

        async def settled() -> bool:
            responses = await admin.describe_consumer_groups([group])
            # DescribeGroups: (error_code, group, state, protocol_type, protocol, members, ...)
            groups = [g for r in responses for g in r.groups if g[1] == group]
            return any(g[2] == "Stable" and len(g[5]) == members for g in groups)

        await eventually(settled)
    finally:
        await admin.close()


async def test_after_an_instance_stops_the_one_taking_over_announces_the_contacts_it_wrote(
    infra: Infra, run_id: str
) -> None:
    # Two sweeps often, but asks the read model only at start and after a rebalance: the
    # periodic full sweep (every few minutes by default) is out of this test.
    quick = {"overdue_sweep_interval_s": 0.2, "overdue_full_sweep_every": 1_000_000}
    async with running("intake", infra, run_id, **quick) as two:
        # One: the same consumer group, not sweeping, stopped without dropping the database.
        app = create_app(settings_for("intake", infra, run_id, **NO_SWEEP))  # type: ignore[arg-type]
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app),
                base_url="http://intake",
                headers={"content-type": two.http.headers["content-type"]},
            ) as one,
        ):
            await _group_settled(infra, two.settings.group_id(), members=2)
            r = await one.post("/events", content=encode(inbound("contact", contact("c-1"))))
            assert r.status_code == 202, r.text
        # One left the group: two takes its partitions, asks the read model, and finds the
        # open contact one wrote (only one could announce it before: it was in one's memory).
        await stored(two, "c-1", "decision-overdue")
        events = by_type(await canonical(infra, two, expect=3))
        assert len(events[DECISION_OVERDUE]) == 1
