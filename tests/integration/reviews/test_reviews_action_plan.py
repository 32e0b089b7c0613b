"""The seeds' Child X LCSPR action plan, entered through the public interfaces: the tracker
matches the document, and the sweep raises the overdue actions it should, once each, however
many sweeps or instances run."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, date, datetime, timedelta

from pymongo import AsyncMongoClient

from ops.system import Infra
from services.reviews.handlers import sweep
from shared.contracts import reviews as c
from tests.integration.reviews.reviews_support import events, load_action_plan, send, types
from tests.support.services import running

RID = "childx-lcspr-2023"
# Not complete and due by the end of April 2024 (targets March and April 2024).
DUE_BY_JUNE_2024 = {
    "childx-1.1",
    "childx-2.1",
    "childx-6.1",
    "childx-7.1",
    "childx-8",
    "childx-10.1",
}
# Not complete and due by the end of 2024.
DUE_BY_JANUARY_2025 = DUE_BY_JUNE_2024 | {
    "childx-1.2",
    "childx-2.2",
    "childx-3.1",
    "childx-4.1",
    "childx-4.2",
}
LOADING_EVENTS = 56  # 1 opened, 31 recommendations, 13 planned, 9 updated, 2 completed


async def test_the_tracker_matches_the_document(infra: Infra, run_id: str) -> None:
    async with running("reviews", infra, run_id, sweep_interval_s=0) as svc:
        plan = await load_action_plan(svc)
        view = (await svc.http.get("/tracker", params={"as_of": "2024-02-26"})).json()
        # The statuses as the 8.0 progress update gives them (blank = not started).
        assert view["actions_by_status"] == {
            "not-started": 5,
            "underway": 0,
            "partially": 6,
            "complete": 2,
        }
        assert view["actions_by_status"] == dict(
            Counter(a["status"] for a in plan["actions"]) | {"underway": 0}
        )
        # 21 sub-recommendations: 3.1 and 9.2 partly agreed; 8.2 and 8.3 without their own.
        assert view["recommendations_by_agreement"] == {
            "agreed": 17,
            "partly-agreed": 2,
            "not-agreed": 0,
            "not-stated": 2,
        }
        assert view["overdue_actions"] == []  # nothing was due yet on 26 February 2024
        [completion] = view["completion_by_review"]
        assert (completion["actions"], completion["complete"]) == (13, 2)
        assert completion["percent_complete"] == 15.4
        assert view["recommendations_without_actions"] == [
            {"review_id": RID, "number": "1.3"},
            {"review_id": RID, "number": "1.4"},
        ]

        review = (await svc.http.get(f"/reviews/{RID}")).json()
        assert len([r for r in review["recommendations"] if "." not in r["number"]]) == 10
        by_id = {a["action_id"]: a for a in review["actions"]}
        for expected in plan["actions"]:
            action = by_id[expected["action_id"]]
            assert (action["owner_role"], action["owner_agency"], action["target_date"]) == (
                expected["owner_role"],
                expected["owner_agency"],
                expected["target_date"],
            )
            assert action["status"] == expected["status"]
        assert by_id["childx-1.1"]["updates"][0]["note"].startswith("Functional review")

        later = (await svc.http.get("/tracker", params={"as_of": "2024-06-01"})).json()
        assert {o["action_id"] for o in later["overdue_actions"]} == DUE_BY_JUNE_2024
        assert later["overdue_by_agency"] == {"gcc": 6}

        # Version 45 is the plan as signed off: every action planned, none yet updated.
        history = (await svc.http.get(f"/reviews/{RID}/history")).json()
        assert len(history) == 1 + 31 + 13 + 9
        signed_off = (await svc.http.get(f"/reviews/{RID}/versions/45")).json()
        assert {a["status"] for a in signed_off["actions"]} == {"not-started"}
        assert len(signed_off["actions"]) == 13


async def test_sweeps_raise_each_overdue_action_once_per_target_date(
    infra: Infra, run_id: str
) -> None:
    async with running("reviews", infra, run_id, sweep_interval_s=0) as svc:
        await load_action_plan(svc)
        first = await sweep(svc.runtime, date(2024, 6, 1))
        assert {e.data["action_id"] for e in first if e.type == c.ACTION_OVERDUE} == (
            DUE_BY_JUNE_2024
        )
        # The LCSPR, decided 23 August 2023, was not published by 23 February 2024.
        [breach] = [e for e in first if e.type == c.CLOCK_BREACHED]
        assert (breach.subject, breach.data["clock"]["deadline"]) == (RID, "2024-02-23")
        assert await sweep(svc.runtime, date(2024, 6, 2)) == []

        second = await sweep(svc.runtime, date(2025, 1, 6))
        assert {e.data["action_id"] for e in second} == DUE_BY_JANUARY_2025 - DUE_BY_JUNE_2024

        # A new target date can become overdue again; a completed action cannot.
        await send(
            svc,
            "PATCH",
            "/actions/childx-1.1",
            {"target_date": "2025-06-30", "updated_on": "2025-01-10"},
        )
        await send(
            svc, "PATCH", "/actions/childx-2.1", {"status": "complete", "updated_on": "2025-01-10"}
        )
        third = await sweep(svc.runtime, date(2025, 7, 1))
        assert [(e.data["action_id"], e.data["target_date"]) for e in third] == [
            ("childx-1.1", "2025-06-30")
        ]

        got = await events(infra, svc, expect=LOADING_EVENTS + 3 + 7 + 5 + 1, settle=1.0)
        overdue = [e for e in got if e.type == c.ACTION_OVERDUE]
        assert len(overdue) == 6 + 5 + 1
        assert len({e.id for e in got}) == len(got)  # nothing published twice
        assert types(got)[c.CLOCK_BREACHED] == 1


async def test_two_instances_sweeping_at_once_publish_each_event_once(
    infra: Infra, run_id: str
) -> None:
    async with (
        running("reviews", infra, run_id, sweep_interval_s=0) as one,
        running("reviews", infra, run_id, sweep_interval_s=0) as two,
    ):
        await load_action_plan(one)
        results = await asyncio.gather(
            *(sweep(svc.runtime, date(2025, 1, 6)) for svc in (one, two, one, two))
        )
        published = [e.id for result in results for e in result]
        assert len(published) == len(set(published)) == len(DUE_BY_JANUARY_2025) + 1
        got = await events(infra, one, expect=LOADING_EVENTS + len(published), settle=1.0)
        swept = [e for e in got if e.type in (c.ACTION_OVERDUE, c.CLOCK_BREACHED)]
        assert sorted(e.id for e in swept) == sorted(published)


async def test_a_sweep_that_died_after_claiming_is_finished_by_the_next_after_its_lease(
    infra: Infra, run_id: str
) -> None:
    async with running("reviews", infra, run_id, sweep_interval_s=0) as svc:
        await load_action_plan(svc)
        # A sweep claimed childx-1.1 and died before publishing: its claim is still fresh...
        client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(infra.mongodb_url)
        try:
            claims = client[svc.settings.database_name()]["sweep_claims"]
            key = "overdue:childx-1.1@2024-03-31"
            await claims.insert_one(
                {"_id": key, "state": "claimed", "claimed_at": datetime.now(UTC)}
            )
            fresh = await sweep(svc.runtime, date(2024, 6, 1))
            assert "childx-1.1" not in {e.data.get("action_id") for e in fresh}
            # ...until its lease runs out; then the next sweep publishes it, with its one id.
            stale = datetime.now(UTC) - timedelta(minutes=10)
            await claims.update_one({"_id": key}, {"$set": {"claimed_at": stale}})
            [late] = await sweep(svc.runtime, date(2024, 6, 1))
            assert late.data["action_id"] == "childx-1.1"
            assert await sweep(svc.runtime, date(2024, 6, 1)) == []
        finally:
            await client.close()


async def test_the_background_sweep_runs_on_its_own(infra: Infra, run_id: str) -> None:
    async with running("reviews", infra, run_id, sweep_interval_s=0.2) as svc:
        await send(
            svc,
            "POST",
            "/reviews",
            {"review_id": "m1", "kind": "maca", "title": "audit", "opened_on": "2024-01-08"},
        )
        await send(
            svc,
            "POST",
            "/reviews/m1/recommendations",
            {"number": "1", "text": "t", "agreement": "agreed", "recorded_on": "2024-01-09"},
        )
        await send(
            svc,
            "POST",
            "/reviews/m1/actions",
            {
                "action_id": "m1-a1",
                "recommendation_numbers": ["1"],
                "description": "d",
                "owner_role": "head-of-service",
                "owner_agency": "gcc",
                "target_date": "2024-03-31",
                "planned_on": "2024-01-10",
            },
        )
        got = await events(infra, svc, expect=4, wait_s=20)
        assert got[-1].type == c.ACTION_OVERDUE
