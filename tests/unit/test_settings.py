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


@pytest.fixture
def service_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """The two required settings, authentication off, nothing else that changes names."""
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "k:9092")
    monkeypatch.setenv("MONGODB_URL", "mongodb://m/")
    monkeypatch.setenv("AUTH_DISABLED", "true")
    for name in ("TOPIC_PREFIX", "MONGODB_DATABASE", "CONSUMER_GROUP", "API_KEYS_FILE"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_settings_come_from_the_environment(service_env: pytest.MonkeyPatch) -> None:
    service_env.setenv("HTTP_PORT", "9001")
    settings = load_settings(IntakeSettings)
    assert settings.kafka_bootstrap_servers == "k:9092"
    assert settings.http_port == 9001
    assert settings.database_name() == "pulse_intake"
    assert settings.group_id() == "pulse-intake"


def test_authentication_must_be_configured_or_switched_off_explicitly(
    service_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    service_env.delenv("AUTH_DISABLED")
    with pytest.raises(SystemExit):
        load_settings(IntakeSettings)
    assert "API_KEYS_FILE" in capsys.readouterr().err


def test_a_topic_prefix_gives_the_service_its_own_database(
    service_env: pytest.MonkeyPatch,
) -> None:
    service_env.setenv("TOPIC_PREFIX", "county-b.")
    settings = load_settings(IntakeSettings)
    assert settings.database_name() == "county-b_pulse_intake"
    assert settings.group_id() == "county-b.pulse-intake"
    service_env.setenv("MONGODB_DATABASE", "chosen")
    assert load_settings(IntakeSettings).database_name() == "chosen"


def test_a_database_name_too_long_is_refused_at_start(
    service_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    service_env.setenv("TOPIC_PREFIX", "x" * 60 + ".")
    with pytest.raises(SystemExit):
        load_settings(IntakeSettings)
    assert "MONGODB_DATABASE" in capsys.readouterr().err
