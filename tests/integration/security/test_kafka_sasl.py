"""Every Kafka client of the services authenticates with SASL/SCRAM, as compose's broker
requires of them: the subscriber, the canonical-event producer, the dead-letter publisher,
the admin clients (topics, consumer lag) and reporting's rebuild. The local stack's broker
has a SASL/SCRAM listener beside its plain one; the tests write and read through the plain
one, the services under test get only the SASL listener."""

from __future__ import annotations

import os
from typing import Any

import pytest

from ops.system import Infra, KafkaSasl
from services.reporting.rebuild import rebuild
from services.reporting.settings import ReportingSettings
from shared.contracts.intake import ACKNOWLEDGED, RECEIVED
from shared.topics import dlq
from tests.integration.intake.helpers import NO_SWEEP, by_type, canonical, stored
from tests.support.kafka import eventually, produce, read
from tests.support.services import running, settings_for
from tests.unit.intake.factories import contact, inbound


@pytest.fixture
def sasl(infra: Infra) -> KafkaSasl:
    if infra.kafka_sasl is None:
        message = (
            f"the {infra.origin} Kafka has no SASL listener known to the tests (the local "
            "stack has one; with KAFKA_BOOTSTRAP_SERVERS set, PULSE_KAFKA_SASL_SERVERS names "
            "a local stack's)"
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return infra.kafka_sasl


def _over(sasl: KafkaSasl, **overrides: Any) -> dict[str, Any]:
    return {
        "kafka_bootstrap_servers": sasl.bootstrap_servers,
        "kafka_sasl_mechanism": sasl.mechanism,
        "kafka_username": sasl.username,
        "kafka_password": sasl.password,
        **overrides,
    }


async def test_a_service_consumes_publishes_and_dead_letters_over_sasl_and_reporting_rebuilds(
    infra: Infra, sasl: KafkaSasl, run_id: str
) -> None:
    plain = infra.kafka_bootstrap_servers
    quick_lag = {"consumer_lag_interval_s": 0.5, **NO_SWEEP}
    async with running("intake", infra, run_id, **_over(sasl, **quick_lag)) as svc:
        topic = svc.topics.intake_inbound
        good = inbound("contact", contact("c-sasl"))
        await produce(plain, topic, good, b"{not json")
        await stored(svc, "c-sasl")  # consumed, through the SASL listener

        dead = await read(plain, dlq(topic), expect=1)
        assert [r.headers["dlq.reason"] for r in dead] == ["undecodable"]
        events = by_type(await canonical(infra, svc, expect=2))
        assert [e.subject for e in events[RECEIVED]] == ["c-sasl"]
        assert [e.subject for e in events[ACKNOWLEDGED]] == ["c-sasl"]

        # The lag watcher's admin client and consumer answered too.
        async def lag_measured() -> bool:
            return "pulse_consumer_lag{" in (await svc.http.get("/metrics")).text

        assert await eventually(lag_measured)

    # Reporting stopped (never started here): the rebuild replays intake's events over SASL.
    settings = settings_for("reporting", infra, run_id, **_over(sasl))
    assert isinstance(settings, ReportingSettings)
    result = await rebuild(settings, lambda done, total: None)
    assert result.events == 2
    assert result.unusable == 0
