"""Domain gauges on the service's Prometheus registry. Labels are bounded: partnership,
metric, sector and financial year; never a child, contact, learner or review id."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge

from services.reporting.metrics import Figures
from services.reporting.targets import RAG_GAUGE_VALUE, Rag

SECTOR_BREAKDOWNS = {"contacts_by_sector": "contacts_received", "referrals_by_sector": "referrals"}


class DomainGauges:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.value = Gauge(
            "pulse_metric_value",
            "A partnership metric for a financial year (unsuppressed: internal monitoring)",
            ["partnership", "metric", "period"],
            registry=registry,
        )
        self.by_sector = Gauge(
            "pulse_metric_by_sector",
            "A partnership count by sector of the sending agency, for a financial year",
            ["partnership", "metric", "sector", "period"],
            registry=registry,
        )
        self.rag = Gauge(
            "pulse_metric_rag",
            "RAG status of a metric against its target in the latest financial year with "
            "figures: 0 green, 1 amber, 2 red",
            ["partnership", "metric"],
            registry=registry,
        )
        self.recomputed = Counter(
            "pulse_reporting_recomputations",
            "Figures of a (partnership, financial year) recomputed from the facts",
            registry=registry,
        )
        self.recompute_failed = Counter(
            "pulse_reporting_recompute_failures",
            "Recomputations of a (partnership, financial year) that failed on its data (not an "
            "outage), by the error's class; the year keeps its last figures",
            ["partnership", "error"],
            registry=registry,
        )
        self._latest: dict[str, str] = {}

    def show_year(self, partnership: str, fy: str, figures: Figures) -> None:
        for metric, value in figures.values.items():
            if value is None:
                _remove(self.value, partnership, metric, fy)
            else:
                self.value.labels(partnership, metric, fy).set(value)
        for breakdown, metric in SECTOR_BREAKDOWNS.items():
            for sector, n in figures.breakdowns.get(breakdown, {}).items():
                self.by_sector.labels(partnership, metric, sector, fy).set(n)

    def show_statuses(self, partnership: str, fy: str, statuses: Mapping[str, Rag | None]) -> None:
        """RAG gauges follow the latest financial year only."""
        if fy < self._latest.get(partnership, ""):
            return
        self._latest[partnership] = fy
        for metric, status in statuses.items():
            if status is None:
                _remove(self.rag, partnership, metric)
            else:
                self.rag.labels(partnership, metric).set(RAG_GAUGE_VALUE[status])


def _remove(gauge: Gauge, *labels: str) -> None:
    with contextlib.suppress(KeyError):
        gauge.remove(*labels)
