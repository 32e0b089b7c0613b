"""The operator commands refuse what they cannot do, with a message, before touching anything."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from ops import cli, system


def test_stop_refuses_an_unknown_service_and_stops_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    stopped: list[object] = []
    monkeypatch.setattr(system, "stop", lambda *args: stopped.append(args))
    result = CliRunner().invoke(cli.app, ["stop", "reporting", "repotring"])
    assert result.exit_code == 2
    assert "no service repotring" in result.output
    assert stopped == []


def test_stop_passes_the_named_services_on(monkeypatch: pytest.MonkeyPatch) -> None:
    stopped: list[tuple[object, ...]] = []
    monkeypatch.setattr(system, "stop", lambda say, services: stopped.append(tuple(services)))
    result = CliRunner().invoke(cli.app, ["stop", "reporting"])
    assert result.exit_code == 0, result.output
    assert stopped == [("reporting",)]


def test_local_defaults_prefer_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "broker:9092")
    monkeypatch.delenv("MONGODB_URL", raising=False)
    monkeypatch.setenv("API_KEYS_FILE", "/keys.json")
    defaults = cli._local_defaults()
    assert defaults["kafka_bootstrap_servers"] == "broker:9092"
    assert str(defaults["mongodb_url"]).startswith("mongodb://127.0.0.1:")
    assert "auth_disabled" not in defaults
