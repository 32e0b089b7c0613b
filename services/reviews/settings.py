"""Reviews settings (environment variables; see the README's configuration table)."""

from __future__ import annotations

from pydantic import Field

from shared.settings import ServiceSettings


class ReviewsSettings(ServiceSettings):
    service_name: str = "reviews"
    http_port: int = 8002
    sweep_interval_s: float = Field(
        # Breaches and overdue actions visible within a minute (issue 15): a sweep every 30 s
        # plus reporting's recomputation (about a second) stays well inside it.
        default=30.0,
        ge=0,
        description="seconds between overdue-action and statutory-clock sweeps (0: no sweeps)",
    )
    sweep_claim_lease_s: float = Field(
        default=300.0,
        gt=0,
        description="how long a sweep's claim on an event lasts before another sweep may "
        "publish it again (covers a sweep that died mid-publish)",
    )
