"""Three simulated years in a row through all four services, on the real broker and database:
every year has its own complete figures, equal to the simulator's totals for that year.

Issue 15: "`pulse simulate --year 2021-22` after 2020-21 for the same partnership reuses
review, action and escalation ids (`p01-sin-09`, `p01-rr-09`), so the second year's reviews
are dead-lettered as conflicts and its scorecard shows 0 serious incidents and 0 rapid
reviews"; "the 2020-21 scorecard shows a median acknowledgement of 195,297,007 seconds (six
years)"; "A three-year simulation gives each year complete, different figures, and its totals
equal reporting's for every year."

Assurance (section 11 and 175 returns, child deaths, ALTE) is compared year by year; Operation
Encompass and the casework clocks are placed by when things happened (an April VIST's incident
in March, a March referral's assessment in May), so they are compared over the run's span.
"""

from __future__ import annotations

import contextlib
from typing import Any

import pytest

from ops.simulate import SimulateOptions, run_years
from ops.system import Infra
from shared.topics import dlq
from tests.e2e.simulated import SPANNING, four_services
from tests.support.kafka import eventually, read

YEARS = ("2020-21", "2021-22", "2022-23")
SPAN = ("2019-20", *YEARS, "2023-24")


@pytest.mark.timeout(900)
async def test_three_years_each_with_its_own_complete_figures(infra: Infra, run_id: str) -> None:
    async with contextlib.AsyncExitStack() as stack:
        services = await four_services(stack, infra, run_id)
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
                "section_11_returns": t.section_11_returns,
                "section_175_settings_asked": t.section_175_settings_asked,
                "section_175_returns": t.section_175_returns,
                "section_175_return_rate": round(
                    100.0 * t.section_175_returns / t.section_175_settings_asked, 1
                ),
                "child_deaths": t.child_deaths,
                "alte_reviews": t.alte_reviews,
            }

        spanning = {name: sum(getattr(totals[y], name) for y in YEARS) for name in SPANNING}

        async def figures() -> dict[str, dict[str, Any]]:
            out = {}
            for year in SPAN:
                response = await reporting.http.get(f"/internal/partnerships/p01/figures/{year}")
                out[year] = response.json().get("values", {}) if response.status_code == 200 else {}
            return out

        def shown(values: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
            return {y: {k: values[y].get(k) for k in expected(y)} for y in YEARS}

        def over_the_span(values: dict[str, dict[str, Any]]) -> dict[str, int]:
            return {n: sum(int(values[y].get(n) or 0) for y in SPAN) for n in SPANNING}

        async def settled() -> dict[str, dict[str, Any]] | None:
            values = await figures()
            every_year = shown(values) == {y: expected(y) for y in YEARS}
            return values if every_year and over_the_span(values) == spanning else None

        try:
            values = await eventually(settled, timeout=600, interval=1.0)
        except AssertionError:
            values = await figures()
            print(f"\n[e2e] reporting {shown(values)} {over_the_span(values)}")
            print(f"[e2e] simulator { ({y: expected(y) for y in YEARS}) } {spanning}")
            raise
        print(f"\n[e2e] over the span: {spanning}")
        # Police incidents, some never notified; ICPCs and assessments, some late.
        assert over_the_span(values) == spanning
        assert spanning["encompass_incidents_not_notified"] > 0
        assert 0 < spanning["icpcs_within_15_working_days"] < spanning["icpcs"]
        assert spanning["assessments_within_45_working_days"] < spanning["assessments_completed"]
        # Not every setting returned in every year: the rate is reporting's, from the returns.
        assert {values[y]["section_175_return_rate"] for y in YEARS} != {100.0}
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
