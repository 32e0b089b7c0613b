"""The Grafana dashboard shipped with compose and the Prometheus alert rules query only metrics
the services expose: a renamed metric would otherwise leave an empty panel, or an alert that
can never fire, that nobody notices until it matters."""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from ops.paths import REPO
from ops.system import SERVICES, Infra
from tests.support.services import running

DASHBOARD = REPO / "deploy" / "compose" / "grafana" / "dashboards" / "partnership-pulse.json"
RULES = REPO / "deploy" / "prometheus" / "rules.yml"
# Series Prometheus itself adds to every target.
SCRAPE_SERIES = {"up", "scrape_duration_seconds", "scrape_samples_scraped"}
SAMPLE_SUFFIXES = ("", "_total", "_bucket", "_count", "_sum")


def _queries(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [
            text
            for key, value in node.items()
            for text in ([value] if key == "expr" and isinstance(value, str) else _queries(value))
        ]
    if isinstance(node, list):
        return [text for item in node for text in _queries(item)]
    return []


def _metric_names(query: str) -> set[str]:
    """Names followed by a selector, or standing alone as an argument."""
    without_labels = re.sub(r"\{[^}]*\}", "{}", query)
    words = set(re.findall(r"\b([a-z_][a-z0-9_]*)\s*\{", without_labels))
    words |= set(re.findall(r"\b((?:pulse|faststream)_[a-z0-9_]+)\b", without_labels))
    return words


async def test_every_dashboard_query_names_a_metric_a_service_exposes(
    infra: Infra, run_id: str
) -> None:
    queries = _queries(json.loads(DASHBOARD.read_text()))
    assert queries, "the dashboard has no queries"
    rules = _queries(yaml.safe_load(RULES.read_text()))
    assert len(rules) >= 6, "the alert rules have no queries"
    wanted = set().union(*(_metric_names(q) for q in [*queries, *rules])) - SCRAPE_SERIES

    declared: set[str] = set()
    for service in SERVICES:
        async with running(service, infra, run_id) as svc:
            text = (await svc.http.get("/metrics")).text
        declared |= set(re.findall(r"^# TYPE (\S+) ", text, re.M))
    exposed = {name + suffix for name in declared for suffix in SAMPLE_SUFFIXES}
    assert sorted(wanted - exposed) == []
