"""What the simulated-year tests share: the four services running, and which figures are
compared year by year and which over a span of years."""

from __future__ import annotations

import contextlib
from typing import Any

from ops.system import Infra
from tests.support.services import running

# Figures placed by when things happened, which may be the year after (or before) the
# simulated one: compared summed over a span of years.
SPANNING = (
    "encompass_incidents",
    "encompass_incidents_notified",
    "encompass_incidents_not_notified",
    "encompass_incidents_notified_on_time",
    "encompass_notifications",
    "encompass_on_time",
    "strategy_discussions",
    "icpcs",
    "icpcs_within_15_working_days",
    "assessments_completed",
    "assessments_within_45_working_days",
)


async def four_services(stack: contextlib.AsyncExitStack, infra: Infra, run_id: str) -> Any:
    """Intake, reviews, training and reporting, running until `stack` closes; by name."""
    return {
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
