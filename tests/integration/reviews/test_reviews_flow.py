"""A serious incident through to overdue actions, on the real broker and database: SIN ->
rapid review -> LCSPR -> recommendations and actions -> the sweep finds them overdue."""

from __future__ import annotations

import asyncio
from datetime import date

from ops.system import Infra
from services.reviews.handlers import sweep
from shared.contracts import reviews as c
from tests.integration.reviews.reviews_support import events, send, types
from tests.support.services import running


async def test_sin_to_rapid_review_to_lcspr_to_overdue_actions(infra: Infra, run_id: str) -> None:
    async with running("reviews", infra, run_id, sweep_interval_s=0) as svc:
        await send(
            svc,
            "POST",
            "/reviews",
            {
                "review_id": "sin-1",
                "kind": "sin",
                "title": "Serious incident, infant",
                "opened_on": "2024-06-07",
                "aware_on": "2024-06-07",
                "aware_agency": "gcc",
                "themes": ["vulnerable-babies-nai"],
                "age_band": "under-1",
            },
            expect=201,
        )
        # Notified on the 5th working day: within target.
        await send(svc, "POST", "/reviews/sin-1/notification", {"notified_on": "2024-06-14"})
        await send(
            svc,
            "POST",
            "/reviews",
            {
                "review_id": "rr-1",
                "kind": "rapid-review",
                "title": "Rapid review, infant",
                "opened_on": "2024-06-17",
                "origin_review_ids": ["sin-1"],
                "themes": ["vulnerable-babies-nai"],
                "age_band": "under-1",
                "independent_chair": True,
            },
        )
        # 15 working days from 14 June is 5 July; completed on 8 July: late.
        await send(
            svc,
            "POST",
            "/reviews/rr-1/rapid-review-decision",
            {"completed_on": "2024-07-08", "lcspr_required": True, "rationale": "wider learning"},
        )
        await send(
            svc,
            "POST",
            "/reviews",
            {
                "review_id": "lcspr-1",
                "kind": "lcspr",
                "title": "LCSPR, infant",
                "opened_on": "2024-07-10",
                "origin_review_ids": ["rr-1"],
                "themes": ["vulnerable-babies-nai"],
                "age_band": "under-1",
            },
        )
        for number, agreement in (("1", None), ("1.1", "agreed"), ("1.2", "partly-agreed")):
            body = {"number": number, "text": f"rec {number}", "recorded_on": "2024-07-10"}
            if agreement:
                body["agreement"] = agreement
            await send(svc, "POST", "/reviews/lcspr-1/recommendations", body)
        for action_id, numbers, target, agency in (
            ("act-1", ["1.1"], "2024-09-30", "gcc"),
            ("act-2", ["1.2"], "2024-12-31", "icb"),
        ):
            await send(
                svc,
                "POST",
                "/reviews/lcspr-1/actions",
                {
                    "action_id": action_id,
                    "recommendation_numbers": numbers,
                    "description": "an action",
                    "owner_role": "head-of-service",
                    "owner_agency": agency,
                    "target_date": target,
                    "planned_on": "2024-07-11",
                },
            )
        await send(
            svc, "PATCH", "/actions/act-2", {"status": "underway", "updated_on": "2024-08-01"}
        )

        # The links go both ways.
        sin = (await svc.http.get("/reviews/sin-1")).json()
        rr = (await svc.http.get("/reviews/rr-1")).json()
        lcspr = (await svc.http.get("/reviews/lcspr-1", params={"as_of": "2024-10-01"})).json()
        assert sin["follow_up_review_ids"] == ["rr-1"]
        assert (rr["origin_review_ids"], rr["follow_up_review_ids"]) == (["sin-1"], ["lcspr-1"])
        assert (lcspr["origin_review_ids"], lcspr["decided_on"]) == (["rr-1"], "2024-07-08")
        assert lcspr["running_clock"]["deadline"] == "2025-01-08"
        assert [r["number"] for r in lcspr["recommendations"]] == ["1", "1.1", "1.2"]
        assert lcspr["overdue_action_ids"] == ["act-1"]

        published = await sweep(svc.runtime, date(2024, 10, 1))
        assert [(e.type, e.data["action_id"]) for e in published] == [(c.ACTION_OVERDUE, "act-1")]

        got = await events(infra, svc, expect=12)
        assert types(got) == {
            c.OPENED: 3,
            c.STAGE_CHANGED: 2,
            c.RECOMMENDATION_RECORDED: 3,
            c.ACTION_PLANNED: 2,
            c.ACTION_UPDATED: 1,
            c.ACTION_OVERDUE: 1,
        }
        assert all(e.source == c.SOURCE and e.partnership == "gscp" for e in got)
        stages = {e.subject: e.data for e in got if e.type == c.STAGE_CHANGED}
        assert (stages["sin-1"]["within_target"], stages["sin-1"]["days_taken"]) == (True, 5)
        assert stages["rr-1"]["within_target"] is False
        assert stages["rr-1"]["clock"]["deadline"] == "2024-07-05"
        assert stages["rr-1"]["lcspr_required"] is True
        overdue = next(e for e in got if e.type == c.ACTION_OVERDUE)
        assert overdue.subject == "lcspr-1"
        assert (overdue.data["owner_agency"], overdue.data["days_overdue"]) == ("gcc", 1)

        tracker = (await svc.http.get("/tracker", params={"as_of": "2024-10-01"})).json()
        assert tracker["actions_by_status"]["underway"] == 1
        assert tracker["overdue_by_owner"] == [
            {"owner_role": "head-of-service", "owner_agency": "gcc", "overdue": 1}
        ]


async def test_senseless_transitions_are_refused_with_409_and_change_nothing(
    infra: Infra, run_id: str
) -> None:
    async with running("reviews", infra, run_id, sweep_interval_s=0) as svc:
        never = await send(
            svc, "POST", "/reviews/ghost/publication", {"published_on": "2024-01-01"}, expect=409
        )
        assert never.json()["error"] == "conflict"
        await send(
            svc,
            "POST",
            "/reviews",
            {"review_id": "m1", "kind": "maca", "title": "CE audit", "opened_on": "2024-03-01"},
        )
        wrong_kind = await send(
            svc, "POST", "/reviews/m1/publication", {"published_on": "2024-04-01"}, expect=409
        )
        assert "maca" in wrong_kind.json()["detail"]
        await send(svc, "POST", "/reviews/m1/audit-completion", {"completed_on": "2024-03-28"})
        await send(svc, "POST", "/reviews/m1/closure", {"closed_on": "2024-04-02"})
        before = (await svc.http.get("/reviews/m1")).json()
        again = await send(
            svc, "POST", "/reviews/m1/audit-completion", {"completed_on": "2024-05-01"}, expect=409
        )
        assert "closed" in again.json()["detail"]
        await send(svc, "POST", "/reviews/m1/closure", {"closed_on": "2024-05-01"}, expect=409)
        duplicate = await send(
            svc,
            "POST",
            "/reviews",
            {"review_id": "m1", "kind": "mata", "title": "again", "opened_on": "2024-03-01"},
            expect=409,
        )
        assert "already exists" in duplicate.json()["detail"]
        assert (await svc.http.get("/reviews/m1")).json() == before
        history = (await svc.http.get("/reviews/m1/history")).json()
        assert [h["summary"] for h in history] == [
            "maca opened",
            "audit completed",
            "review closed",
        ]
        bad = await send(
            svc,
            "POST",
            "/reviews",
            {"review_id": "s1", "kind": "sin", "title": "t", "opened_on": "2024-03-01"},
            expect=422,
        )
        assert bad.json()["error"] == "schema"
        named = await send(
            svc,
            "POST",
            "/reviews",
            {
                "review_id": "x",
                "kind": "maca",
                "title": "t",
                "opened_on": "2024-03-01",
                "name": "A",
            },
            expect=422,
        )
        assert named.json()["error"] == "personal-data"
        got = await events(infra, svc, expect=3, settle=0.5)
        assert [e.type for e in got] == [c.OPENED, c.STAGE_CHANGED, c.STAGE_CHANGED]


async def test_a_repeated_request_is_applied_once_and_answers_the_same_events(
    infra: Infra, run_id: str
) -> None:
    async with running("reviews", infra, run_id, sweep_interval_s=0) as svc:
        body = {"review_id": "m1", "kind": "mata", "title": "MASH audit", "opened_on": "2024-01-08"}
        first = await send(svc, "POST", "/reviews", body, key="cmd-1")
        second = await send(svc, "POST", "/reviews", body, key="cmd-1")
        assert first.json() == second.json()
        rec = {
            "number": "1",
            "text": "thresholds",
            "agreement": "agreed",
            "recorded_on": "2024-02-01",
        }
        for _ in range(2):
            await send(svc, "POST", "/reviews/m1/recommendations", rec, key="cmd-2")
        rec2 = rec | {"agreement": "partly-agreed", "recorded_on": "2024-03-01"}
        await send(svc, "POST", "/reviews/m1/recommendations", rec2, key="cmd-3")
        history = (await svc.http.get("/reviews/m1/history")).json()
        assert [(h["version"], h["summary"]) for h in history] == [
            (1, "mata opened"),
            (2, "recommendation 1 recorded"),
            (3, "recommendation 1 revised (revision 2)"),
        ]
        v2 = (await svc.http.get("/reviews/m1/versions/2")).json()
        assert v2["recommendations"][0]["agreement"] == "agreed"
        v3 = (await svc.http.get("/reviews/m1/versions/3")).json()
        assert v3["recommendations"][0]["agreement"] == "partly-agreed"
        assert (await svc.http.get("/reviews/m1/versions/4")).status_code == 404
        # Re-published events carry the same ids: subscribers see each once.
        got = await events(infra, svc, expect=5, settle=0.5)
        assert len({e.id for e in got}) == 3


async def test_escalations_are_raised_resolved_and_listed(infra: Infra, run_id: str) -> None:
    async with running("reviews", infra, run_id, sweep_interval_s=0) as svc:
        await send(
            svc,
            "POST",
            "/escalations",
            {
                "escalation_id": "esc-1",
                "raised_by_agency": "glos-constabulary",
                "raised_about_agency": "gcc",
                "level": 3,
                "subject": "strategy discussion not convened",
                "raised_at": "2024-06-07T09:00:00+01:00",
            },
        )
        open_now = (await svc.http.get("/escalations", params={"open_only": True})).json()
        assert [e["escalation_id"] for e in open_now] == ["esc-1"]
        await send(
            svc,
            "POST",
            "/escalations/esc-1/resolution",
            {"resolved_at": "2024-06-12T09:00:00+01:00", "outcome": "convened"},
        )
        await send(
            svc,
            "POST",
            "/escalations/esc-1/resolution",
            {"resolved_at": "2024-06-13T09:00:00+01:00"},
            expect=409,
        )
        assert (await svc.http.get("/escalations", params={"open_only": True})).json() == []
        got = await events(infra, svc, expect=2)
        assert [e.type for e in got] == [c.ESCALATION_RAISED, c.ESCALATION_RESOLVED]
        assert (got[1].data["level"], got[1].data["working_days_open"]) == (3, 3)


async def test_concurrent_changes_to_one_review_are_all_kept(infra: Infra, run_id: str) -> None:
    async with running("reviews", infra, run_id, sweep_interval_s=0) as svc:
        body = {"review_id": "m1", "kind": "mata", "title": "CSA audit", "opened_on": "2024-01-08"}
        await send(svc, "POST", "/reviews", body)
        numbers = [str(n) for n in range(1, 13)]
        await asyncio.gather(
            *(
                send(
                    svc,
                    "POST",
                    "/reviews/m1/recommendations",
                    {
                        "number": n,
                        "text": f"rec {n}",
                        "agreement": "agreed",
                        "recorded_on": "2024-02-01",
                    },
                )
                for n in numbers
            )
        )
        review = (await svc.http.get("/reviews/m1")).json()
        assert [r["number"] for r in review["recommendations"]] == numbers
        history = (await svc.http.get("/reviews/m1/history")).json()
        assert [h["version"] for h in history] == list(range(1, 14))
