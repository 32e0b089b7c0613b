"""Reporting settings (environment variables; see the README's configuration table)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from shared.settings import ServiceSettings


class ReportingSettings(ServiceSettings):
    service_name: str = "reporting"
    http_port: int = 8004
    metric_targets: dict[str, dict[str, Any] | None] = Field(
        default_factory=dict,
        description="JSON overriding the default targets per metric, e.g. "
        '{"completion_rate": {"target": 85, "amber": 5}}; null removes a target',
    )
    metrics_partnerships: str = Field(
        default="",
        description="comma-separated partnership ids whose published figures /metrics exports "
        "(e.g. p01,p02); others, and ids as sent, never become a label; empty: none",
    )

    def metrics_partnership_ids(self) -> list[str]:
        return [p.strip() for p in self.metrics_partnerships.split(",") if p.strip()]

    # A recomputation costs milliseconds (the year's running sums are kept in memory, see
    # `metrics.RunningYear`), and its own spacing (see `recompute`) keeps it from crowding out
    # the consumers under load, so figures follow events within a fraction of a second.
    recompute_debounce_s: float = Field(
        default=0.1,
        gt=0,
        description="quiet time after the last event before figures are recomputed and a "
        "changed snapshot is published",
    )
    recompute_max_delay_s: float = Field(
        default=0.25, gt=0, description="longest a change waits for recomputation under load"
    )
    snapshot_interval_s: float = Field(
        default=60.0, gt=0, description="every how often every partnership's snapshot is re-sent"
    )
