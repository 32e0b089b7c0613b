"""Reviews and training events through the real broker: the annual report's review and
training tables over HTTP (published and internal) and the periodic snapshot."""

from __future__ import annotations

from datetime import date

from ops.system import Infra
from shared.events import decode
from tests.integration.reporting import reporting_events as ev
from tests.support.kafka import eventually, produce, read
from tests.support.services import running

SETTINGS = {"recompute_debounce_s": 0.3, "recompute_max_delay_s": 2.0, "snapshot_interval_s": 1.0}


async def test_review_and_training_tables_and_periodic_snapshots(infra: Infra, run_id: str) -> None:
    bootstrap = infra.kafka_bootstrap_servers
    rapid_reviews = [
        ("rr1", ["neglect"], "under-1", True),
        ("rr2", ["neglect"], "under-1", True),
        ("rr3", ["neglect", "domestic-abuse"], "under-1", False),
        ("rr4", ["child-sexual-exploitation"], "10-15", True),
    ]
    review_events = []
    for rid, themes, band, within in rapid_reviews:
        review_events.append(ev.review_opened("p2", rid, "rapid-review", themes, band))
        review_events.append(ev.rapid_review_completed("p2", rid, themes, band, within, False))
    target = date(2020, 9, 30)
    for i in range(7):
        review_events.append(ev.action_planned("p2", "lcspr1", f"a{i}", "head-of-service", target))
    review_events.append(ev.action_overdue("p2", "lcspr1", "a0", "head-of-service", target))
    training_events = []
    for i in range(8):
        training_events += ev.enrolment("p2", f"l{i}", "el-1", "education", "elearning", i < 7)

    async with running("reporting", infra, run_id, **SETTINGS) as svc:
        await produce(bootstrap, svc.topics.reviews_events, *review_events)
        await produce(bootstrap, svc.topics.training_events, *training_events)

        async def table(name: str, internal: bool = False) -> dict:  # type: ignore[type-arg]
            prefix = "/internal" if internal else ""
            r = await svc.http.get(f"{prefix}/partnerships/p2/tables/{name}/2020-21")
            return r.json() if r.status_code == 200 else {}

        async def everything() -> bool:
            r = await svc.http.get("/internal/partnerships/p2/figures/2020-21")
            v = r.json()["values"] if r.status_code == 200 else {}
            return (
                v.get("rapid_reviews") == 4
                and v.get("actions_overdue") == 7  # all due 30 Sept 2020, none complete
                and (v.get("completions") == 7)
            )

        await eventually(everything)
        themes = await table("rapid-reviews-by-theme", internal=True)
        assert {k: v for k, v in themes["rows"].items() if v} == {
            "neglect": 3,
            "domestic-abuse": 1,
            "child-sexual-exploitation": 1,
        }
        assert (themes["total"], themes["theme_mentions"]) == (4, 5)  # reviews, not mentions
        published = await table("rapid-reviews-by-theme")
        assert published["rows"]["neglect"] == "c"
        assert published["rows"]["vulnerable-babies-nai"] == 0
        bands = await table("rapid-reviews-by-age-band", internal=True)
        assert {k: v for k, v in bands["rows"].items() if v} == {"under-1": 3, "10-15": 1}

        tracker = await table("action-tracker", internal=True)
        assert tracker["by_review"]["rows"]["lcspr1"]["not-started"] == 7
        # as at 31 March 2021: the seven actions due 30 September 2020, none complete
        assert tracker["overdue_by_owner"]["rows"] == {"head-of-service": 7}
        assert tracker["by_rag"]["rows"]["red"] == 7
        assert (await table("action-tracker"))["overdue_by_owner"]["rows"] == {"head-of-service": 7}

        training = await table("training-by-organisation-and-format", internal=True)
        assert training["enrolments"]["rows"]["education"]["elearning"] == 8
        assert training["completion_rate"] == 87.5

        card = (await svc.http.get("/partnerships/p2/scorecard/2020-21")).json()
        assert card["values"]["rapid_reviews_within_15_working_days_rate"] == "c"
        # no RAG status beside a hidden figure: red would say where it lies
        assert card["targets"]["rapid_reviews_within_15_working_days_rate"]["status"] is None
        internal_card = (await svc.http.get("/internal/partnerships/p2/scorecard/2020-21")).json()
        assert internal_card["values"]["rapid_reviews_within_15_working_days_rate"] == 75.0
        assert (
            internal_card["targets"]["rapid_reviews_within_15_working_days_rate"]["status"] == "red"
        )
        assert card["targets"]["completion_rate"]["status"] == "green"

        # Re-sent periodically: the same content under the same id.
        async def repeated() -> bool:
            records = await read(bootstrap, svc.topics.reporting_snapshots, expect=1, timeout=3)
            ids = [decode(r.value).id for r in records]
            return len(ids) > len(set(ids))

        assert await eventually(repeated, timeout=20)
