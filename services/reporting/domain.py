"""Reporting rules free of I/O: RAG statuses from figures and targets, which status changes
become exception events (and their ids), and the snapshot of a partnership's year."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.reporting.metrics import Figures
from services.reporting.publication import Publication, disclose_value, disclose_values
from services.reporting.targets import Rag, Target
from shared.contracts.reporting import MetricsSnapshot, StatusChanged

_NAMESPACE = uuid.UUID("0d4c1d3e-7b55-4f0e-9a52-7f3c2b7a9e10")


def evaluate(
    figures: Mapping[str, Figures], targets: Mapping[str, Target]
) -> dict[tuple[str, str], Rag | None]:
    """The RAG status of every targeted metric in every period: (metric, period) -> status."""
    out: dict[tuple[str, str], Rag | None] = {}
    for period, fig in figures.items():
        for metric, target in targets.items():
            value = fig.values.get(metric)
            out[(metric, period)] = target.status(float(value) if value is not None else None)
    return out


def public_statuses(
    statuses: Mapping[tuple[str, str], Rag | None], publication: Publication
) -> dict[tuple[str, str], Rag | None]:
    """The statuses that may be published: none for a figure that is hidden (a status next
    to a `c` says where in the bands it lies)."""
    return {
        (metric, period): status if publication.shown(period, metric) else None
        for (metric, period), status in statuses.items()
    }


@dataclass(frozen=True)
class StatusChange:
    """A new status to record; announced as an exception event unless `event_id` is None."""

    event_id: str | None
    metric: str
    period: str
    changes: int  # how many changes have been announced, this one included
    data: StatusChanged


def exception_id(partnership: str, metric: str, period: str, status: Rag, change: int) -> str:
    """Deterministic: the n-th change of one metric's status in one period is always the same
    event, however often it is recomputed, redelivered or rebuilt."""
    return str(uuid.uuid5(_NAMESPACE, f"{partnership}|{metric}|{period}|{status}|{change}"))


def status_changes(
    partnership: str,
    figures: Mapping[str, Figures],
    targets: Mapping[str, Target],
    statuses: Mapping[tuple[str, str], Rag | None],
    published: Mapping[tuple[str, str], Mapping[str, Any]],
    publication: Publication | None = None,
) -> list[StatusChange]:
    """Statuses that differ from the last one published. A metric first seen green is
    recorded without an announcement (there is nothing to escalate); a figure that has
    become unmeasurable (or hidden: pass `public_statuses`) keeps its last status. Values
    are as `publication` publishes them (by default, each period controlled on its own)."""
    changes = []
    for (metric, period), status in sorted(statuses.items()):
        before = published.get((metric, period), {})
        previous = before.get("status")
        if status is None or status == previous:
            continue
        announced = int(before.get("changes", 0))
        announce = not (previous is None and status is Rag.GREEN)
        change = announced + 1 if announce else announced
        target = targets[metric]
        values = figures[period].values
        shown = (
            publication.values(period).get(metric)
            if publication is not None
            else disclose_value(metric, values.get(metric), values)
        )
        data = StatusChanged(
            metric=metric,
            period=period,
            previous=previous,
            status=status.value,
            value=shown,
            target=target.target,
            direction=target.direction,
            amber=target.amber,
            change=max(change, 1),
        )
        event_id = exception_id(partnership, metric, period, status, change) if announce else None
        changes.append(StatusChange(event_id, metric, period, change, data))
    return changes


def snapshot(
    fy: str,
    figures: Mapping[str, Figures],
    statuses: Mapping[tuple[str, str], Rag | None],
    now: datetime,
    publication: Publication | None = None,
) -> tuple[MetricsSnapshot, str]:
    """The published snapshot of a year and a digest of its content (time excluded). Figures
    as `publication` publishes them (by default each period controlled on its own); pass
    statuses through `public_statuses` so that no hidden figure has one."""
    published = {
        period: publication.values(period)
        if publication is not None
        else disclose_values(fig.values)
        for period, fig in figures.items()
    }
    by_period: dict[str, dict[str, str]] = {}
    for (metric, period), status in statuses.items():
        if status is not None:
            by_period.setdefault(period, {})[metric] = status.value
    content = {"financial_year": fy, "figures": published, "statuses": by_period}
    digest = hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()
    return MetricsSnapshot(generated_at=now, **content), digest


def snapshot_id(partnership: str, fy: str, digest: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"snapshot|{partnership}|{fy}|{digest}"))
