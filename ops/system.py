"""The whole system for `make run` / `make stop`: infrastructure (from the environment, Docker,
or the local stack) and the four services as background processes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ops import monitoring, processes, stack
from ops.paths import REPO, state_dir
from shared.auth import (
    DECIDE,
    EVERY_PARTNERSHIP,
    STAFF,
    SUBMIT,
    TRUSTED_SYSTEM,
    KeyStore,
    new_key_entry,
)

SERVICES = {"intake": 8001, "reviews": 8002, "training": 8003, "reporting": 8004}
Say = Callable[[str], None]


@dataclass(frozen=True)
class KafkaSasl:
    """A SASL/SCRAM listener of the same broker, and a user it knows."""

    bootstrap_servers: str
    mechanism: str
    username: str
    password: str


def local_sasl(bootstrap_servers: str) -> KafkaSasl:
    return KafkaSasl(
        bootstrap_servers, stack.SASL_MECHANISM, stack.SASL_USERNAME, stack.SASL_PASSWORD
    )


@dataclass(frozen=True)
class Infra:
    kafka_bootstrap_servers: str
    mongodb_url: str
    origin: str  # environment | docker | local
    # The broker's SASL/SCRAM listener, where there is one (the local stack has).
    kafka_sasl: KafkaSasl | None = None


def docker_available() -> bool:
    """A reachable Docker engine, not just the client."""
    if os.environ.get("PULSE_NO_DOCKER") or shutil.which("docker") is None:
        return False
    try:
        result = subprocess.run(
            ["docker", "info", "--format", "{{.ServerVersion}}"],
            capture_output=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0 and bool(result.stdout.strip())


def infra_from_env() -> Infra | None:
    kafka = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    mongo = os.environ.get("MONGODB_URL")
    if kafka and mongo:
        # A local stack's SASL listener, when the servers given are one's (tests only).
        sasl = os.environ.get("PULSE_KAFKA_SASL_SERVERS")
        return Infra(kafka, mongo, "environment", local_sasl(sasl) if sasl else None)
    return None


def infra_or_local_stack() -> Infra:
    """For commands run beside `make run`: each address from the environment, else the
    local stack's (whether it is up is the caller's concern)."""
    found = infra_from_env()
    if found is not None:
        return found
    cfg = stack.StackConfig.from_env()
    return Infra(
        os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or cfg.bootstrap_servers,
        os.environ.get("MONGODB_URL") or cfg.mongodb_url,
        "local",
    )


def health(port: int, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=timeout) as r:
            return bool(r.status == 200)
    except OSError:
        return False


def _print_urls(say: Say) -> None:
    for name, port in SERVICES.items():
        say(
            f"{name:<10} http://127.0.0.1:{port}/health   http://127.0.0.1:{port}/metrics   "
            f"http://127.0.0.1:{port}/docs"
        )


DEV_AGENCIES = ("police", "schools", "health", "council", "learning-platform")
# The front door (records MASH decisions) and the learning platform (a trusted system).
DEV_ROLES = {"council": [SUBMIT, DECIDE], "learning-platform": [TRUSTED_SYSTEM]}


def dev_partnerships() -> list[str]:
    """The partnerships the local keys act for: `PULSE_DEV_PARTNERSHIPS` (comma-separated),
    else p01, the first one `pulse simulate` makes."""
    named = os.environ.get("PULSE_DEV_PARTNERSHIPS", "")
    return [p.strip() for p in named.split(",") if p.strip()] or ["p01"]


def dev_keys() -> tuple[Path, dict[str, str]]:
    """API keys for local runs: one per agency the simulator uses (the council's with the
    `decide` role), one staff key and one for the simulator (trusted-system and decide, every
    partnership). The hashes go to `.pulse/api-keys.json` (the services' API_KEYS_FILE); the
    keys themselves to `.pulse/dev-keys.json`, readable only by you, for `pulse simulate` and
    your own calls. Files of an older layout (keys without partnerships) are made anew."""
    hashes, plain = state_dir() / "api-keys.json", state_dir() / "dev-keys.json"
    if hashes.exists() and plain.exists():
        try:
            KeyStore.from_file(hashes)
            return hashes, json.loads(plain.read_text())
        except ValueError:
            pass  # keys of an older layout: make new ones
    state_dir().mkdir(parents=True, exist_ok=True)
    partnerships = dev_partnerships()
    entries, keys = [], {}
    for agency in DEV_AGENCIES:
        roles = DEV_ROLES.get(agency, [SUBMIT])
        key, entry = new_key_entry(f"dev-{agency}", agency, roles, partnerships=partnerships)
        entries.append(entry)
        keys[agency] = key
    key, entry = new_key_entry(
        "dev-staff", "business-unit", [SUBMIT, STAFF], partnerships=partnerships
    )
    entries.append(entry)
    keys["staff"] = key
    # The partnership's own trusted system (here: `pulse simulate`) submits for any agency,
    # records the front door's decisions, in every partnership it simulates.
    key, entry = new_key_entry(
        "dev-simulator",
        "partnership",
        [TRUSTED_SYSTEM, DECIDE],
        partnerships=[EVERY_PARTNERSHIP],
    )
    entries.append(entry)
    keys["simulator"] = key
    plain.touch(mode=0o600)
    plain.write_text(json.dumps(keys, indent=2))
    hashes.write_text(json.dumps(entries, indent=2))
    return hashes, keys


def start(say: Say = print) -> None:
    started = time.monotonic()
    infra = infra_from_env()
    if infra is None and docker_available():
        say(
            "Docker engine found: starting docker-compose.yml (Kafka, MongoDB, services, "
            "Prometheus, Grafana)..."
        )
        subprocess.run(["docker", "compose", "up", "-d", "--build", "--wait"], cwd=REPO, check=True)
        _print_urls(say)
        say("prometheus http://127.0.0.1:9090   grafana http://127.0.0.1:3000")
        return
    if infra is None:
        say("No Docker engine and no KAFKA_BOOTSTRAP_SERVERS/MONGODB_URL: using the local stack.")
        cfg = stack.up(say=say)
        infra = Infra(cfg.bootstrap_servers, cfg.mongodb_url, "local")
    keys_file, _ = dev_keys()
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": infra.kafka_bootstrap_servers,
        "MONGODB_URL": infra.mongodb_url,
        "API_KEYS_FILE": os.environ.get("API_KEYS_FILE", str(keys_file)),
    }
    for name in SERVICES:
        if processes.running_pid(name) is None:
            processes.start(name, [sys.executable, "-m", "ops.cli", "run", name], env=env)
    deadline = time.monotonic() + 90
    pending = dict(SERVICES)
    while pending and time.monotonic() < deadline:
        for name, port in list(pending.items()):
            if health(port):
                pending.pop(name)
            elif processes.running_pid(name) is None:
                tail = processes.log_file(name).read_text(errors="replace").splitlines()[-20:]
                raise SystemExit(f"{name} exited during start-up:\n" + "\n".join(tail))
        time.sleep(0.5)
    if pending:
        raise SystemExit(f"not healthy after 90s: {', '.join(pending)}; logs in {state_dir()}/logs")
    _print_urls(say)
    try:
        say(
            f"prometheus {monitoring.up(SERVICES, say)}  (alert rules: deploy/prometheus/rules.yml)"
        )
    except monitoring.MonitoringError as exc:
        say(f"prometheus NOT started, so nothing is monitored: {exc}")
    say(
        f"all four services healthy in {time.monotonic() - started:.1f}s "
        f"(infrastructure: {infra.origin}); logs in {state_dir() / 'logs'}; `make stop` ends it."
    )
    say(f"API keys for local use (agency and staff): {state_dir() / 'dev-keys.json'}")


def stop(say: Say = print, services: Sequence[str] = ()) -> None:
    """Stop everything, or only the named services (the infrastructure keeps running: e.g.
    reporting alone, for a rebuild; `make run` starts it again)."""
    compose = infra_from_env() is None and docker_available()
    if compose:
        command = (
            ["docker", "compose", "stop", *services] if services else ["docker", "compose", "down"]
        )
        subprocess.run(command, cwd=REPO, check=True)
        return
    for name in services or SERVICES:
        if processes.stop(name, timeout=40):
            say(f"{name} stopped")
        elif services:
            say(f"{name} was not running")
    if not services:
        monitoring.down(say)
        stack.down(say)


def status() -> dict[str, str]:
    result = {}
    for name, port in SERVICES.items():
        pid = processes.running_pid(name)
        if pid is None:
            result[name] = "stopped"
        else:
            result[name] = f"{'healthy' if health(port) else 'unhealthy'} pid={pid} :{port}"
    return {**result, **monitoring.status()}
