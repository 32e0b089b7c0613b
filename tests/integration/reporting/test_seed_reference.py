"""The seeds' review figures reproduced end to end (issue 15, item 8): the annual report
2020/21's rapid reviews and LCSPRs, and the Child X LCSPR action plan, entered through
reviews' real inbound paths (HTTP and the Kafka inbound topic) into the reviews service on the
real broker and database, and read back from reporting's figures and tables.

The training tables (eLearning by organisation, the child protection and neglect virtual
courses) are reproduced the same way in `test_reporting_training_reference.py`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ops.system import Infra
from services.reporting.periods import financial_year_of
from shared.contracts import reviews as c
from shared.events import Envelope, new_event
from shared.workdays import LONDON
from tests.fixtures import reviews_reference as ref
from tests.integration.reviews.reviews_support import action_plan, load_action_plan, send
from tests.support.kafka import eventually, produce
from tests.support.services import RunningService, running

P = ref.PARTNERSHIP
SETTINGS = {"recompute_debounce_s": 0.3, "recompute_max_delay_s": 2.0}
CHILD_X = "childx-lcspr-2023"


def _command(type_: str, data: dict[str, Any], n: int) -> Envelope:
    return new_event(
        id=f"seed-ref-{n}",
        type=type_,
        source="gscp/business-unit",
        partnership=P,
        subject=data["review_id"],
        data=data,
    )


async def _enter_the_years_reviews(infra: Infra, reviews: RunningService) -> None:
    """Rapid reviews 1-5 and the CSE LCSPR over HTTP; 6-9 and the CSA LCSPR as CloudEvents on
    reviews' inbound topic (one key: applied in order)."""
    over_http = [r for r in ref.RAPID_REVIEW_CASES if r.review_id <= "rr-ref-5"]
    over_kafka = [r for r in ref.RAPID_REVIEW_CASES if r.review_id > "rr-ref-5"]
    for r in over_http:
        await send(reviews, "POST", "/reviews", ref.open_command(r), partnership=P)
        body = {k: v for k, v in ref.decision_command(r).items() if k != "review_id"}
        await send(reviews, "POST", f"/reviews/{r.review_id}/rapid-review-decision", body)
    cse, csa = ref.LCSPR_CASES
    await send(reviews, "POST", "/reviews", cse, partnership=P)
    await send(
        reviews,
        "POST",
        f"/reviews/{cse['review_id']}/publication",
        {"published_on": ref.CSE_LCSPR_PUBLISHED_ON},
    )
    commands: list[Envelope] = []
    for r in over_kafka:
        commands.append(_command(c.OPEN_REQUESTED, ref.open_command(r), len(commands)))
        commands.append(
            _command(c.RAPID_REVIEW_COMPLETION_REPORTED, ref.decision_command(r), len(commands))
        )
    commands.append(_command(c.OPEN_REQUESTED, csa, len(commands)))
    await produce(infra.kafka_bootstrap_servers, reviews.topics.reviews_inbound, *commands)


async def test_the_seeds_reviews_and_the_child_x_tracker_through_reporting(
    infra: Infra, run_id: str
) -> None:
    today = datetime.now(LONDON).date()
    this_year = financial_year_of(today)
    async with (
        running("reviews", infra, run_id, sweep_interval_s=0) as reviews,
        running("reporting", infra, run_id, **SETTINGS) as reporting,
    ):
        await _enter_the_years_reviews(infra, reviews)
        await load_action_plan(reviews)

        async def figures(period: str) -> dict[str, Any]:
            r = await reporting.http.get(f"/internal/partnerships/{P}/figures/{period}")
            return r.json() if r.status_code == 200 else {}

        async def table(name: str, period: str) -> dict[str, Any]:
            r = await reporting.http.get(f"/internal/partnerships/{P}/tables/{name}/{period}")
            assert r.status_code == 200, r.text
            result: dict[str, Any] = r.json()
            return result

        async def all_in() -> bool:
            year, plan, now = (
                await figures(ref.YEAR),
                await figures("2023-24"),
                await figures(this_year),
            )
            return bool(
                year
                and plan
                and now
                and year["values"]["rapid_reviews"] == 9
                and year["values"]["lcsprs"] == 2
                and year["values"]["rapid_reviews_lcspr_required"] == 4
                and plan["values"]["actions_complete"] == 2
                and plan["values"]["recommendations"] == 31
                and now["values"]["actions_overdue"] == 11
            )

        await eventually(all_in, timeout=90, interval=0.5)
        await _the_annual_reports_reviews(figures, table)
        await _the_child_x_tracker(figures, table, this_year, reporting)


async def _the_annual_reports_reviews(figures: Any, table: Any) -> None:
    """Annual report 2020/21 (seeds/000): "Between April 2020 and March 2021 the GSCP
    undertook nine Rapid Reviews"; "Of the nine Rapid Reviews three reviews relating to CSE
    went on to become our first LCSPR published in February 2021"; "With a Child Sexual Abuse
    (CSA) review commenced in March 2021 becoming the second LCSPR"; the scrutineer: "During
    the period there have been 9 such reviews with two leading to the next level of review -
    a local children's safeguarding practice review (LCSPR) one of which is a thematic review
    of three cases involving child sexual exploitation"; "one child death as a result of NAI".
    """
    year = await figures(ref.YEAR)
    v = year["values"]
    assert v["rapid_reviews"] == ref.RAPID_REVIEWS == 9
    assert v["lcsprs"] == ref.LCSPRS == 2  # two LCSPRs instigated
    # three CSE reviews into the first LCSPR, one CSA review into the second
    assert v["rapid_reviews_lcspr_required"] == ref.RAPID_REVIEWS_INTO_THE_CSE_LCSPR + 1 == 4
    assert year["breakdowns"]["reviews_by_kind"] == {"rapid-review": 9, "lcspr": 2}

    themes = await table("rapid-reviews-by-theme", ref.YEAR)
    assert {k: n for k, n in themes["rows"].items() if n} == ref.by_theme()
    assert themes["rows"]["child-sexual-exploitation"] == 3
    assert themes["rows"]["vulnerable-babies-nai"] == 1
    # the total counts reviews (nine), not theme mentions (one review has two themes)
    assert themes["total"] == 9
    assert themes["theme_mentions"] == 10
    bands = await table("rapid-reviews-by-age-band", ref.YEAR)
    assert {k: n for k, n in bands["rows"].items() if n} == ref.by_age_band()
    assert bands["total"] == 9


async def _the_child_x_tracker(
    figures: Any, table: Any, this_year: str, reporting: RunningService
) -> None:
    """The Child X LCSPR action plan (seeds/003) through reporting's action tracker: "Progress
    against the implementation and delivery of the action plans will be monitored by the GSCP
    Quality and Improvement in Practice Subgroup (QiiP)"; the statuses of its 8.0 progress
    update (26/02/2024): 6 'Partially', 2 'Complete'/'Completed', 5 blank (not started) of
    13 owned actions; 10 recommendations with 21 sub-recommendations, 3.1 and 9.2 'Partly
    Agreed'. The scrutineer (seeds/000): the tracker "had not progressed as quickly as
    intended": its overdue actions count in the periods in which they are overdue."""
    plan = action_plan()
    tracker = await table("action-tracker", "2023-24")
    assert tracker["by_review"]["rows"][CHILD_X] == {
        "not-started": 5,
        "underway": 0,
        "partially": 6,
        "complete": 2,
    }
    assert tracker["completion_by_review"][CHILD_X] == 15.4
    recs = (await figures("2023-24"))["breakdowns"]["recommendations_by_agreement"]
    # 17 agreed, 2 partly agreed; the 10 headings and 8.2, 8.3 carry no agreement of their own
    assert recs == {"agreed": 17, "partly-agreed": 2, "not-recorded": 12}

    # The plan's eight named versions (1.0 drafted 23/08/2023 ... 8.0 progress update
    # 26/02/2024): as at the end of each version's month all 13 actions are on the tracker and
    # none is overdue (the first targets are March 2024).
    assert len(plan["versions"]) == 8
    for name, day, _ in plan["versions"]:
        month = day[:7]
        fig = await figures(month)
        assert fig["values"]["actions_on_tracker"] == 13, (name, month)
        assert fig["values"]["actions_overdue"] == 0, (name, month)
        assert fig["breakdowns"]["actions_by_rag"] == {"green": 13}, (name, month)
    # As at 31 March 2024 the four actions due that day and not complete are amber.
    end_of_plan_year = await table("action-tracker", "2023-24")
    assert end_of_plan_year["by_rag"]["rows"] == {"red": 0, "amber": 4, "green": 9}

    # Six overdue by the end of June 2024 (due March and April 2024, not complete), counted
    # in 2024-25 where they are overdue, not in 2023-24 where they were planned.
    q1 = await figures("2024-25-Q1")
    assert q1["values"]["actions_overdue"] == 6
    assert q1["breakdowns"]["overdue_actions_by_agency"] == {"gcc": 6}
    assert (await figures("2023-24"))["values"]["actions_overdue"] == 0
    assert (await figures("2024-25"))["values"]["actions_overdue"] == 11

    # Now: every action not complete is overdue, and this year's scorecard is red.
    now = await figures(this_year)
    assert now["values"]["actions_overdue"] == 11
    assert now["breakdowns"]["actions_by_rag"] == {"red": 11}
    card = (await reporting.http.get(f"/internal/partnerships/{P}/scorecard/{this_year}")).json()
    assert card["targets"]["actions_overdue"]["status"] == "red"
