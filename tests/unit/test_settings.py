"""A missing required setting stops the service with a message naming the variable."""

from __future__ import annotations

import pytest

from services.intake.settings import IntakeSettings
from shared.settings import load_settings


def test_missing_required_settings_name_the_environment_variables(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    monkeypatch.delenv("MONGODB_URL", raising=False)
    with pytest.raises(SystemExit) as caught:
        load_settings(IntakeSettings)
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert "KAFKA_BOOTSTRAP_SERVERS" in err
    assert "MONGODB_URL" in err


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "k:9092")
    monkeypatch.setenv("MONGODB_URL", "mongodb://m/")
    monkeypatch.setenv("HTTP_PORT", "9001")
    monkeypatch.setenv("AUTH_DISABLED", "true")
    settings = load_settings(IntakeSettings)
    assert settings.kafka_bootstrap_servers == "k:9092"
    assert settings.http_port == 9001
    assert settings.database_name() == "pulse_intake"
    assert settings.group_id() == "pulse-intake"


def test_authentication_must_be_configured_or_switched_off_explicitly(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "k:9092")
    monkeypatch.setenv("MONGODB_URL", "mongodb://m/")
    monkeypatch.delenv("API_KEYS_FILE", raising=False)
    monkeypatch.delenv("AUTH_DISABLED", raising=False)
    with pytest.raises(SystemExit):
        load_settings(IntakeSettings)
    assert "API_KEYS_FILE" in capsys.readouterr().err
