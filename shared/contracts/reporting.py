"""Reporting outputs: what reporting publishes for subscribers."""

from __future__ import annotations

from shared.contracts import EventData, event

SNAPSHOT = "pulse.reporting.snapshot.v1"


@event(
    SNAPSHOT,
    service="reporting",
    direction="output",
    topic="reporting_snapshots",
    summary="Event counts for one partnership (placeholder shape).",
)
class Snapshot(EventData):
    counts: dict[str, int]
