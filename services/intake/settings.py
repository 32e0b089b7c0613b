"""Intake settings (environment variables; see the README's configuration table)."""

from __future__ import annotations

from pydantic import Field

from shared.settings import ServiceSettings


class IntakeSettings(ServiceSettings):
    service_name: str = "intake"
    http_port: int = 8001
    clock_skew_s: float = Field(
        default=300.0,
        ge=0,
        description="how far two agencies' clocks may disagree before a time is impossible "
        "(e.g. a decision before its contact's receipt)",
    )
    overdue_sweep_enabled: bool = Field(
        default=True, description="run the overdue sweep in this process (tests drive it directly)"
    )
    overdue_sweep_interval_s: float = Field(
        default=30.0, gt=0, description="seconds between sweeps for overdue MASH decisions"
    )
    overdue_sweep_batch: int = Field(
        default=500, ge=1, description="most overdue contacts announced by one sweep"
    )
