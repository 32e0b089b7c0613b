"""The local stack's Prometheus (`make run`): started from Debian's package, it scrapes a real
service with the shared alert rules loaded. Under CI=true a missing Prometheus fails."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
from pathlib import Path

import httpx
import pytest

from ops import monitoring
from ops.system import Infra
from tests.support.browser import served
from tests.support.kafka import eventually
from tests.support.services import running


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def prometheus_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if shutil.which("prometheus") is None:
        message = "prometheus is missing: `make install` installs Debian's package"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    monkeypatch.setenv("PULSE_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("PULSE_PROMETHEUS_PORT", str(_free_port()))


async def test_prometheus_scrapes_a_service_with_the_alert_rules(
    infra: Infra, run_id: str, prometheus_env: None
) -> None:
    async with (
        running("reporting", infra, run_id, consumer_lag_interval_s=0.5) as svc,
        served(svc.app) as base,
    ):
        port = int(base.rsplit(":", 1)[1])
        url = await asyncio.to_thread(monitoring.up, {"reporting": port}, lambda _: None)
        try:
            async with httpx.AsyncClient(base_url=url, timeout=5) as prom:
                rules = (await prom.get("/api/v1/rules")).json()["data"]["groups"]
                names = {r["name"] for g in rules for r in g["rules"]}
                assert "PulseConsumerLagGrowing" in names
                assert len(names) == 6

                async def scraped(query: str) -> list[dict[str, object]]:
                    r = await prom.get("/api/v1/query", params={"query": query})
                    result: list[dict[str, object]] = r.json()["data"]["result"]
                    return result

                up = await eventually(
                    lambda: scraped('up{job="pulse",service="reporting"} == 1'), timeout=60
                )
                assert len(up) == 1
                lag = await eventually(
                    lambda: scraped(f'pulse_consumer_lag{{topic="{svc.topics.intake_events}"}}'),
                    timeout=60,
                )
                assert {s["metric"]["partition"] for s in lag} == {"0", "1", "2"}  # type: ignore[index]
        finally:
            await asyncio.to_thread(monitoring.down, lambda _: None)
