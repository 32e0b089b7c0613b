"""A small simulated partnership year through all four services, on the real broker and
database, and reporting's figures against the simulator's own totals."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest

from ops.simulate import SimulateOptions, run
from ops.system import Infra
from tests.support.kafka import eventually
from tests.support.services import running

YEARS = ("2020-21", "2021-22")  # a March contact may be decided in April


@pytest.mark.timeout(900)
async def test_reporting_matches_the_simulators_totals(infra: Infra, run_id: str) -> None:
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
            )
            return values if done else None

        values = await eventually(settled, timeout=600, interval=1.0)
        print(
            f"\n[e2e] simulator totals: contacts={totals.contacts} decisions={totals.decisions} "
            f"referrals={totals.referrals} rapid_reviews={totals.rapid_reviews}"
        )
        assert both(values, "contacts_received") == totals.contacts
        assert both(values, "contacts_decided") == totals.decisions
        assert both(values, "referrals") == totals.referrals
        assert both(values, "decisions_within_target") == totals.decisions_within_target
        assert both(values, "rapid_reviews") == totals.rapid_reviews
        assert both(values, "lcsprs") == totals.lcsprs
