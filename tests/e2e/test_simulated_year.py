"""A small simulated partnership year through all four services, on the real broker and
database, and reporting's figures against the simulator's own totals: contacts, decisions and
reviews; police domestic-abuse incidents and their Operation Encompass notifications; the ICPC
and assessment clocks; section 11 and 175 returns, child deaths and ALTE reviews."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest

from ops.simulate import SimulateOptions, run
from ops.system import Infra
from tests.e2e.simulated import SPANNING, four_services
from tests.support.kafka import eventually

# A March contact may be decided (or assessed) in April; an April VIST's incident may have
# happened in March, and reporting places Encompass figures by the incident.
YEARS = ("2019-20", "2020-21", "2021-22")
# Figures of the simulated year itself (assurance returns for the year, cases by date).
IN_YEAR = (
    "section_11_agencies_asked",
    "section_11_returns",
    "section_11_standards_rated",
    "section_11_standards_met",
    "section_175_settings_asked",
    "section_175_returns",
    "child_deaths",
    "alte_reviews",
)


@pytest.mark.timeout(900)
async def test_reporting_matches_the_simulators_totals(infra: Infra, run_id: str) -> None:
    async with contextlib.AsyncExitStack() as stack:
        services = await four_services(stack, infra, run_id)
        reporting = services["reporting"]
        result = await run(
            SimulateOptions(
                seed=7,
                scale=0.01,
                parts=("frontdoor", "reviews"),
                via="kafka",
                bootstrap_servers=infra.kafka_bootstrap_servers,
                topic_prefix=reporting.settings.topic_prefix,
            )
        )
        totals = result.totals.partnerships["p01"]
        assert totals.contacts > 100  # a year worth checking, even at this scale

        async def figures() -> dict[str, dict[str, Any]]:
            out = {}
            for year in YEARS:
                response = await reporting.http.get(f"/internal/partnerships/p01/figures/{year}")
                out[year] = response.json().get("values", {}) if response.status_code == 200 else {}
            return out

        def both(values: dict[str, dict[str, Any]], name: str) -> int:
            return sum(int(values[y].get(name) or 0) for y in YEARS)

        async def settled() -> dict[str, dict[str, Any]] | None:
            values = await figures()
            done = (
                both(values, "contacts_received") == totals.contacts
                and both(values, "contacts_decided") == totals.decisions
                and both(values, "rapid_reviews") == totals.rapid_reviews
                and shown(values) == expected
            )
            return values if done else None

        expected = {name: getattr(totals, name) for name in (*SPANNING, *IN_YEAR)}

        def shown(values: dict[str, dict[str, Any]]) -> dict[str, int]:
            return {
                name: both(values, name)
                if name in SPANNING
                else int(values["2020-21"].get(name) or 0)
                for name in expected
            }

        try:
            values = await eventually(settled, timeout=600, interval=1.0)
        except AssertionError:
            print(f"\n[e2e] reporting {shown(await figures())}\n[e2e] simulator {expected}")
            raise
        print(
            f"\n[e2e] simulator totals: contacts={totals.contacts} decisions={totals.decisions} "
            f"referrals={totals.referrals} rapid_reviews={totals.rapid_reviews} {expected}"
        )
        assert both(values, "contacts_received") == totals.contacts
        assert both(values, "contacts_decided") == totals.decisions
        assert both(values, "referrals") == totals.referrals
        assert both(values, "decisions_within_target") == totals.decisions_within_target
        assert both(values, "rapid_reviews") == totals.rapid_reviews
        assert both(values, "lcsprs") == totals.lcsprs
        # Police incidents with a child present, a few never notified to the school.
        assert both(values, "encompass_incidents") == totals.encompass_incidents > 0
        assert both(values, "encompass_incidents_not_notified") == (
            totals.encompass_incidents_not_notified
        )
        assert totals.encompass_incidents_not_notified > 0
        assert both(values, "encompass_on_time") == totals.encompass_on_time
        assert totals.encompass_on_time < totals.encompass_notifications
        # The ICPC and assessment clocks, some missed.
        assert both(values, "icpcs") == totals.icpcs > 0
        assert both(values, "icpcs_within_15_working_days") == totals.icpcs_within_15_working_days
        assert both(values, "assessments_completed") == totals.assessments_completed > 0
        assert both(values, "assessments_within_45_working_days") == (
            totals.assessments_within_45_working_days
        )
        assert totals.assessments_within_45_working_days < totals.assessments_completed
        # Assurance in the year: every setting asked returned (the seeds), child deaths.
        year = values["2020-21"]
        assert year["section_175_settings_asked"] == totals.section_175_settings_asked > 0
        assert year["section_175_return_rate"] == 100.0
        assert year["child_deaths"] == totals.child_deaths > 0
        assert year["alte_reviews"] == totals.alte_reviews
        assert year["section_11_returns"] == totals.section_11_returns > 0
