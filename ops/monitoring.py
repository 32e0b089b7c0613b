"""Prometheus beside the local stack: Debian's `prometheus` package (installed with apt-get
when missing and we are root), scraping the four services on 127.0.0.1 with the alert rules in
deploy/prometheus/rules.yml. Its data and configuration live under `.pulse/prometheus`."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Callable, Mapping

import yaml

from ops import processes
from ops.paths import REPO, state_dir

Say = Callable[[str], None]
RULES = REPO / "deploy" / "prometheus" / "rules.yml"
NAME = "prometheus"


class MonitoringError(RuntimeError):
    """Prometheus cannot be installed or started; the message says what to do."""


def port() -> int:
    return int(os.environ.get("PULSE_PROMETHEUS_PORT", "9090"))


def url() -> str:
    return f"http://127.0.0.1:{port()}"


def prometheus_binary(say: Say) -> str:
    """The `prometheus` on PATH; installed from Debian first when missing and we may."""
    found = shutil.which("prometheus")
    if found:
        return found
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise MonitoringError(
            "`prometheus` is not installed: `sudo apt-get install -y prometheus` (Debian), "
            "or `make install` as root, then `make run` again"
        )
    say("installing Prometheus from Debian (first run only)...")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for argv in (
        ["apt-get", "update", "-qq"],
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "prometheus"],
    ):
        result = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise MonitoringError(f"{' '.join(argv)} failed:\n{result.stderr[-2000:]}")
    found = shutil.which("prometheus")
    if found is None:
        raise MonitoringError("apt-get installed prometheus but it is not on PATH")
    return found


def config(services: Mapping[str, int]) -> dict[str, object]:
    """The scrape configuration: each service's /metrics with a `service` label, as compose's
    deploy/compose/prometheus.yml, and the shared alert rules."""
    return {
        "global": {"scrape_interval": "15s", "evaluation_interval": "15s"},
        "rule_files": [str(RULES)],
        "scrape_configs": [
            {
                "job_name": "pulse",
                "metrics_path": "/metrics",
                "static_configs": [
                    {"targets": [f"127.0.0.1:{p}"], "labels": {"service": name}}
                    for name, p in services.items()
                ],
            }
        ],
    }


def _ready() -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port()}/-/ready", timeout=2) as r:
            return bool(r.status == 200)
    except OSError:
        return False


def up(services: Mapping[str, int], say: Say = print) -> str:
    """Start Prometheus (once) and wait until it is ready; returns its URL."""
    if processes.running_pid(NAME) is None:
        binary = prometheus_binary(say)
        base = state_dir() / "prometheus"
        (base / "data").mkdir(parents=True, exist_ok=True)
        cfg = base / "prometheus.yml"
        cfg.write_text(yaml.safe_dump(config(services), sort_keys=False))
        processes.start(
            NAME,
            [
                binary,
                f"--config.file={cfg}",
                f"--storage.tsdb.path={base / 'data'}",
                "--storage.tsdb.retention.time=15d",
                f"--web.listen-address=127.0.0.1:{port()}",
            ],
        )
    deadline = time.monotonic() + 30
    while not _ready():
        if processes.running_pid(NAME) is None:
            tail = processes.log_file(NAME).read_text(errors="replace").splitlines()[-15:]
            raise MonitoringError("prometheus exited during start-up:\n" + "\n".join(tail))
        if time.monotonic() > deadline:
            raise MonitoringError(f"prometheus not ready after 30s; see {processes.log_file(NAME)}")
        time.sleep(0.5)
    return url()


def down(say: Say = print) -> None:
    if processes.stop(NAME, timeout=20):
        say("prometheus stopped")


def status() -> dict[str, str]:
    pid = processes.running_pid(NAME)
    if pid is None:
        return {NAME: "stopped"}
    return {NAME: f"{'up' if _ready() else 'not answering'} pid={pid} {url()}"}
