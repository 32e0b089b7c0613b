"""Reporting outputs: what reporting publishes for subscribers (the Executive, sub-groups,
the scrutineer, dashboards), keyed by partnership.

Figures in these events are disclosure-controlled (`shared.disclosure`): counts from 1 to 5
are the string "c", as are rates and averages over so few cases.
"""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, Field

from shared.contracts import EventData, event

SOURCE = "pulse/reporting"
SNAPSHOT = "pulse.reporting.snapshot.published.v1"
STATUS_CHANGED = "pulse.reporting.status.changed.v1"

RagStatus = Literal["green", "amber", "red"]
Published = float | int | Literal["c"] | None


@event(
    SNAPSHOT,
    service="reporting",
    direction="output",
    topic="reporting_snapshots",
    summary="The metrics of one partnership for one financial year, its quarters and months, "
    "with their RAG statuses. Sent when a figure changes (debounced) and periodically; the "
    "id derives from the content, so an unchanged snapshot re-sent has the same id.",
)
class MetricsSnapshot(EventData):
    """A partnership's scorecard for a financial year."""

    financial_year: str = Field(description="Financial year, April to March, e.g. '2020-21'.")
    generated_at: AwareDatetime = Field(description="When reporting computed these figures.")
    figures: dict[str, dict[str, Published]] = Field(
        description="Per period ('2020-21', '2020-21-Q1', '2020-04'...), metric -> value; "
        "'c' where disclosure control hides it, null where there is nothing to measure."
    )
    statuses: dict[str, dict[str, RagStatus]] = Field(
        description="Per period, metric -> RAG status, for the metrics that have a target."
    )


@event(
    STATUS_CHANGED,
    service="reporting",
    direction="output",
    topic="reporting_exceptions",
    summary="A metric's RAG status against its target changed (exception reporting to the "
    "Executive). Sent once per change: the id derives from the partnership, metric, period, "
    "new status and the change's sequence number.",
)
class StatusChanged(EventData):
    """An exception: a metric moved to another RAG status."""

    metric: str = Field(description="The metric, e.g. 'decisions_within_target_rate'.")
    period: str = Field(description="The period the figure is for, e.g. '2020-21-Q1'.")
    previous: RagStatus | None = Field(description="The status before; null the first time.")
    status: RagStatus = Field(description="The status now.")
    value: Published = Field(description="The figure now (disclosure-controlled).")
    target: float = Field(description="The target.")
    direction: Literal["at_least", "at_most"] = Field(
        description="at_least: the figure should be at or above the target; at_most: below."
    )
    amber: float = Field(description="Tolerance beyond the target before red.")
    change: int = Field(ge=1, description="Sequence number of this change for this metric.")
