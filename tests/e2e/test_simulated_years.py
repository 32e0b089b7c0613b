"""Three simulated years in a row through all four services, on the real broker and database:
every year has its own complete figures, equal to the simulator's totals for that year.

Issue 15: "`pulse simulate --year 2021-22` after 2020-21 for the same partnership reuses
review, action and escalation ids (`p01-sin-09`, `p01-rr-09`), so the second year's reviews
are dead-lettered as conflicts and its scorecard shows 0 serious incidents and 0 rapid
reviews"; "the 2020-21 scorecard shows a median acknowledgement of 195,297,007 seconds (six
years)"; "A three-year simulation gives each year complete, different figures, and its totals
equal reporting's for every year."
"""

from __future__ import annotations

import contextlib
from typing import Any

import pytest

from ops.simulate import SimulateOptions, run_years
from ops.system import Infra
from shared.topics import dlq
from tests.support.kafka import eventually, read
from tests.support.services import running

YEARS = ("2020-21", "2021-22", "2022-23")


@pytest.mark.timeout(900)
async def test_three_years_each_with_its_own_complete_figures(infra: Infra, run_id: str) -> None:
    async with contextlib.AsyncExitStack() as stack:
        services = {
            name: await stack.enter_async_context(
                running(
                    name,
                    infra,
                    run_id,
                    **({"recompute_debounce_s": 0.5} if name == "reporting" else {}),
                )
            )
            for name in ("intake", "reviews", "training", "reporting")
        }
        reporting = services["reporting"]
        results = await run_years(
            SimulateOptions(
                seed=5,
                scale=0.004,  # a hundred contacts and a few dozen enrolments a year
                via="kafka",
                bootstrap_servers=infra.kafka_bootstrap_servers,
                topic_prefix=reporting.settings.topic_prefix,
            ),
            YEARS,
        )
        totals = {year: results[year].totals.partnerships["p01"] for year in YEARS}

        def expected(year: str) -> dict[str, Any]:
            t = totals[year]
            return {
                "contacts_received": t.contacts,
                "sins": t.serious_incidents,
                "rapid_reviews": t.rapid_reviews,
                "learners_registered": t.learners_registered,
                "enrolments": t.enrolments,
                "completions": t.completions,
            }

        async def figures() -> dict[str, dict[str, Any]]:
            out = {}
            for year in YEARS:
                response = await reporting.http.get(f"/internal/partnerships/p01/figures/{year}")
                out[year] = response.json().get("values", {}) if response.status_code == 200 else {}
            return out

        def shown(values: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
            return {y: {k: values[y].get(k) for k in expected(y)} for y in YEARS}

        async def settled() -> dict[str, dict[str, Any]] | None:
            values = await figures()
            return values if shown(values) == {y: expected(y) for y in YEARS} else None

        try:
            values = await eventually(settled, timeout=600, interval=1.0)
        except AssertionError:
            print(f"\n[e2e] reporting {shown(await figures())}")
            print(f"[e2e] simulator { ({y: expected(y) for y in YEARS}) }")
            raise
        for year in YEARS:
            t = totals[year]
            print(f"\n[e2e] {year}: {expected(year)}, refreshers {t.refresher_enrolments}")
            # Every year complete: none of its figures zero.
            assert all(expected(year).values()), expected(year)
            # Acknowledged as on the day: seconds to minutes, not the years since.
            median = values[year]["acknowledgement_seconds_median"]
            assert median == pytest.approx(t.acknowledgement_seconds_median, abs=1)
            assert median < 3600
        # Later years bring learners back for refresher courses, counted as new enrolments.
        assert totals["2021-22"].refresher_enrolments > 0
        assert totals["2022-23"].refresher_completions > 0
        # Nothing was refused as a conflict (a reused id) by any service.
        topics = reporting.topics
        for inbound in (topics.intake_inbound, topics.reviews_inbound, topics.training_inbound):
            dead = await read(infra.kafka_bootstrap_servers, dlq(inbound), expect=0, settle=3.0)
            reasons = [r.headers.get("dlq.reason") for r in dead]
            assert reasons == [], f"{dlq(inbound)}: {reasons[:5]}"
