"""Domain gauges on the service's Prometheus registry. `/metrics` needs no key, so it carries
figures only as published (after the year's disclosure control, no status of a hidden
figure) and only for the partnerships listed in `METRICS_PARTNERSHIPS`; labels are bounded:
partnership, metric, sector and financial year, never a child, contact, learner or review."""

from __future__ import annotations

import contextlib
from collections.abc import Collection, Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge

from services.reporting.publication import Publication
from services.reporting.targets import RAG_GAUGE_VALUE, Rag

SECTOR_TABLE = "contacts-by-sector"
SECTOR_BREAKDOWNS = {"contacts": "contacts_received", "referrals": "referrals"}


class DomainGauges:
    def __init__(self, registry: CollectorRegistry, partnerships: Collection[str] = ()) -> None:
        self.partnerships = frozenset(partnerships)
        self.value = Gauge(
            "pulse_metric_value",
            "A partnership metric for a financial year, as published (disclosure-controlled: "
            "a hidden figure has no series)",
            ["partnership", "metric", "period"],
            registry=registry,
        )
        self.by_sector = Gauge(
            "pulse_metric_by_sector",
            "A partnership count by sector of the sending agency, for a financial year, as "
            "published (disclosure-controlled)",
            ["partnership", "metric", "sector", "period"],
            registry=registry,
        )
        self.rag = Gauge(
            "pulse_metric_rag",
            "RAG status of a published metric against its target in the latest financial year "
            "with figures: 0 green, 1 amber, 2 red",
            ["partnership", "metric"],
            registry=registry,
        )
        self.recomputed = Counter(
            "pulse_reporting_recomputations",
            "Figures of a (partnership, financial year) recomputed from the facts",
            registry=registry,
        )
        self.recompute_failed = Counter(
            "pulse_reporting_recomputation_failures",
            "Recomputations or publications of a (partnership, financial year) that failed on "
            "its data (not an outage), by the error's class; the year keeps its last figures",
            ["error"],
            registry=registry,
        )
        self.exceptions = Counter(
            "pulse_reporting_exceptions",
            "Exceptions raised: a metric moved to another RAG status against its target",
            ["partnership", "metric", "status"],
            registry=registry,
        )
        self._latest: dict[str, str] = {}

    def exception_raised(self, partnership: str, metric: str, status: str) -> None:
        """Count an exception; a partnership outside METRICS_PARTNERSHIPS is counted under
        `unconfigured`, never named on the open endpoint."""
        shown = partnership if partnership in self.partnerships else "unconfigured"
        self.exceptions.labels(shown, metric, status).inc()

    def show_year(self, partnership: str, fy: str, publication: Publication) -> None:
        if partnership not in self.partnerships:
            return
        for metric, value in publication.values(fy).items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                self.value.labels(partnership, metric, fy).set(value)
            else:
                _remove(self.value, partnership, metric, fy)
        table = publication.table(SECTOR_TABLE, fy)
        for part, metric in SECTOR_BREAKDOWNS.items():
            for sector, n in table[part]["rows"].items():
                if isinstance(n, int):
                    self.by_sector.labels(partnership, metric, sector, fy).set(n)
                else:
                    _remove(self.by_sector, partnership, metric, sector, fy)

    def show_statuses(self, partnership: str, fy: str, statuses: Mapping[str, Rag | None]) -> None:
        """RAG gauges follow the latest financial year only; pass the published statuses."""
        if partnership not in self.partnerships or fy < self._latest.get(partnership, ""):
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
