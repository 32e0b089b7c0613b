"""Reporting's /metrics needs no key: after a small partnership's simulated year it shows no
count from 1 to 5, no status of a hidden figure, and no partnership that is not configured."""

from __future__ import annotations

import re

from prometheus_client import CollectorRegistry, generate_latest

from services.reporting import domain
from services.reporting.gauges import DomainGauges
from services.reporting.metrics import COUNTS, compute_year
from services.reporting.publication import publish
from services.reporting.targets import DEFAULT_TARGETS
from tests.support.simulated_facts import simulated_year

FY = "2020-21"
SERIES = re.compile(r"^(pulse_metric_\w+)\{([^}]*)\} (\S+)$", re.M)


def test_metrics_show_published_figures_of_configured_partnerships_only() -> None:
    registry = CollectorRegistry()
    gauges = DomainGauges(registry, partnerships=["p01"])
    for partnership, seed in (("p01", 1), ("someone-else", 2)):
        figures = compute_year(FY, simulated_year(seed, 0.003))
        publication = publish(figures)
        statuses = domain.public_statuses(domain.evaluate(figures, DEFAULT_TARGETS), publication)
        gauges.show_year(partnership, FY, publication)
        gauges.show_statuses(partnership, FY, {m: s for (m, p), s in statuses.items() if p == FY})

    text = generate_latest(registry).decode()
    series = [
        (name, dict(re.findall(r'(\w+)="([^"]*)"', labels)), float(v))
        for name, labels, v in SERIES.findall(text)
    ]
    assert series, "nothing exported"
    assert {labels["partnership"] for _, labels, _ in series} == {"p01"}
    counts = [
        (labels, v)
        for name, labels, v in series
        if name == "pulse_metric_by_sector" or labels.get("metric") in COUNTS
    ]
    assert counts
    assert [(labels, v) for labels, v in counts if 1 <= v <= 5] == []
    # a small partnership has hidden figures: neither they nor their status are exported
    figures = compute_year(FY, simulated_year(1, 0.003))
    hidden = [m for m, v in publish(figures).values(FY).items() if v == "c"]
    assert hidden
    shown = {labels["metric"] for name, labels, _ in series if name != "pulse_metric_by_sector"}
    assert not shown & set(hidden)
