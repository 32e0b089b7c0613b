"""/metrics needs no key, so nothing on it may identify anyone: after a small partnership's
events reach reporting on the real broker, a scrape of all four services over HTTP finds no
figure from 1 to 5 and no partnership label that is not configured."""

from __future__ import annotations

import re

from ops.system import Infra
from services.reporting.metrics import COUNTS
from tests.integration.reporting.reporting_events import front_door_set
from tests.support.kafka import eventually, produce
from tests.support.services import running

SERIES = re.compile(r"^(\w+)\{([^}]*)\} (\S+)$", re.M)
FAST = {"recompute_debounce_s": 0.3, "recompute_max_delay_s": 2.0, "snapshot_interval_s": 3600}


def _series(text: str) -> list[tuple[str, dict[str, str], float]]:
    return [
        (name, dict(re.findall(r'(\w+)="([^"]*)"', labels)), float(value))
        for name, labels, value in SERIES.findall(text)
    ]


async def test_no_small_count_and_no_unconfigured_partnership_on_any_metrics_endpoint(
    infra: Infra, run_id: str
) -> None:
    async with (
        running("reporting", infra, run_id, metrics_partnerships="p1", **FAST) as reporting,
        running("intake", infra, run_id) as intake,
        running("reviews", infra, run_id) as reviews,
        running("training", infra, run_id) as training,
    ):
        # p1 is configured; p9, the same small front door, is not.
        events = front_door_set("p1") + front_door_set("p9")
        await produce(infra.kafka_bootstrap_servers, reporting.topics.intake_events, *events)

        async def counted() -> bool:
            for p in ("p1", "p9"):
                r = await reporting.http.get(f"/partnerships/{p}/scorecard/2020-21")
                if r.status_code != 200 or r.json()["values"].get("contacts_received") != 11:
                    return False
            text = (await reporting.http.get("/metrics")).text
            return 'metric="contacts_received",partnership="p1"' in text

        await eventually(counted, timeout=60)
        figures = 0
        for svc in (intake, reviews, training, reporting):
            response = await svc.http.get("/metrics")
            assert response.status_code == 200  # open: no key
            for name, labels, value in _series(response.text):
                if "partnership" in labels:
                    assert labels["partnership"] in ("p1", "unconfigured"), (name, labels)
                if name.startswith("pulse_metric_") and (
                    name == "pulse_metric_by_sector" or labels.get("metric") in COUNTS
                ):
                    figures += 1
                    assert not 1 <= value <= 5, (name, labels, value)
        assert figures, "reporting exported no figures at all"
