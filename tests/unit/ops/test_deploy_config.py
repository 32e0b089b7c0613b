"""The compose deployment agrees with the code. Nothing on this machine can run it (no Docker
engine), so what can drift silently is checked here: the settings each service is given, its
port, the files mounted, Prometheus' targets, and the users, groups and topics `kafka-init`
creates for the ACLs."""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from ops.paths import REPO
from ops.system import SERVICES
from shared.settings import ServiceSettings
from shared.topics import Topics

COMPOSE = REPO / "docker-compose.yml"
INIT = REPO / "deploy" / "compose" / "kafka" / "init.sh"
PROMETHEUS = REPO / "deploy" / "compose" / "prometheus.yml"
INITDB = REPO / "deploy" / "compose" / "mongodb" / "initdb" / "10-pulse-users.js"


def _load(path: Path) -> Any:
    # PyYAML's safe loader resolves the `<<` merge keys the compose file uses.
    return yaml.safe_load(path.read_text())


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = _load(COMPOSE)
    return loaded


def _settings_class(service: str) -> type[ServiceSettings]:
    settings: type[ServiceSettings] = importlib.import_module(f"services.{service}.main").SETTINGS
    return settings


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_is_given_only_settings_it_reads_on_its_own_port(
    compose: dict[str, Any], service: str
) -> None:
    spec = compose["services"][service]
    settings = _settings_class(service)
    env = {str(k): str(v) for k, v in spec["environment"].items()}
    known = {name.upper() for name in settings.model_fields}
    assert set(env) <= known, f"{service}: unknown settings {sorted(set(env) - known)}"
    assert spec["command"] == ["run", service]

    port = settings.model_fields["http_port"].default
    assert port == SERVICES[service]
    assert env["HTTP_PORT"] == str(port)
    assert any(p.endswith(f":{port}:{port}") for p in spec["ports"])

    # Its own Kafka user and database user: the ACLs and database roles are per service.
    assert env["KAFKA_USERNAME"] == service
    assert urlsplit(env["MONGODB_URL"]).username == service
    assert env["KAFKA_SASL_MECHANISM"] in ("SCRAM-SHA-512", "SCRAM-SHA-256")
    assert env["API_KEYS_FILE"], "authentication must stay on in compose"

    # The database the service uses is the one its database user may write (initdb script).
    given = settings.model_validate(
        {name.lower(): value for name, value in env.items()}
    ).database_name()
    assert given == f"pulse_{service}"
    assert "db: `pulse_${service}`" in INITDB.read_text()


def test_every_mounted_file_is_in_the_repository(compose: dict[str, Any]) -> None:
    sources = [
        volume.split(":", 1)[0]
        for spec in compose["services"].values()
        for volume in spec.get("volumes", [])
        if volume.startswith("./")
    ]
    assert sources
    missing = [s for s in sources if not (REPO / s).exists()]
    assert not missing


def test_prometheus_scrapes_each_service_where_compose_runs_it() -> None:
    config = _load(PROMETHEUS)
    [pulse] = [job for job in config["scrape_configs"] if job["job_name"] == "pulse"]
    targets = {
        target: group["labels"]["service"]
        for group in pulse["static_configs"]
        for target in group["targets"]
    }
    assert targets == {f"{service}:{port}": service for service, port in SERVICES.items()}


def _word_list(script: str, after: str) -> list[str]:
    """The words of the shell loop `for name in \\ ... ; do` that follows `after`."""
    tail = script[script.index(after) :]
    match = re.search(r"for name in \\\n(.*?); do", tail, re.S)
    assert match, f"no `for name in` loop after {after!r}"
    return match.group(1).replace("\\", " ").split()


def test_kafka_init_creates_every_topic_the_services_use() -> None:
    script = INIT.read_text()
    topics = _word_list(script, "# --- topics")
    dead_letter = _word_list(script, "# A dead-letter topic for every consumed topic")
    created = {f"pulse.{t}" for t in topics} | {f"pulse.{t}.dlq" for t in dead_letter}
    assert created == set(Topics().all())


def test_kafka_init_grants_what_the_services_connect_as() -> None:
    script = INIT.read_text()
    services = re.search(r'^SERVICES="([^"]*)"', script, re.M)
    assert services
    assert services.group(1).split() == list(SERVICES)
    # Each service's ACLs cover its topics by prefix and its consumer group by name.
    assert 'prefixed topic "${PREFIX}pulse.${service}."' in script
    assert 'literal group "${PREFIX}pulse-${service}"' in script
    for service in SERVICES:
        settings = _settings_class(service)(
            kafka_bootstrap_servers="kafka:9092", mongodb_url="mongodb://m/", auth_disabled=True
        )
        assert settings.group_id() == f"pulse-{service}"
        owned = [t for t in Topics().all() if t.startswith(f"pulse.{service}.")]
        assert owned, f"{service} owns no topic under its ACL prefix"


def test_kafka_init_has_a_password_for_every_user(compose: dict[str, Any]) -> None:
    init = compose["services"]["kafka-init"]["environment"]
    default = re.search(r":-([^}]*)\}", init["PULSE_KAFKA_AGENCIES"])
    assert default, "PULSE_KAFKA_AGENCIES has no default"
    pairs = [pair.split(":") for pair in default.group(1).split()]
    assert {service for _, service in pairs} <= set(SERVICES)
    users = ["admin", *SERVICES, *(agency for agency, _ in pairs)]
    for user in users:
        assert f"PULSE_KAFKA_PASSWORD_{user.upper().replace('-', '_')}" in init, user


def test_kafka_init_keeps_canonical_topics_for_ever() -> None:
    script = INIT.read_text()
    assert re.search(
        r"\*\.events\)\s+create \"\$\{PREFIX\}pulse\.\$\{name\}\" --config retention\.ms=-1 "
        r"--config retention\.bytes=-1",
        script,
    )
    # topics an earlier kafka-init created are altered too
    assert '--add-config "retention.ms=-1,retention.bytes=-1"' in script
    assert [t for t in Topics().all() if t.endswith(".events")] == list(Topics().canonical)
