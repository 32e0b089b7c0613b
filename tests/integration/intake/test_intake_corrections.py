"""Corrections and Operation Encompass coverage end to end, on the real broker and database:
intake and reporting running together. Issue 15: "a second MASH decision ... is refused with
409 ("corrections are not accepted"), so one keying error stays in the timeliness and
conversion figures for ever"; the inspection letter on Encompass: "Some VISTs are delayed and
a few not submitted at all"."""

from __future__ import annotations

from typing import Any

from ops.system import Infra
from shared.contracts.intake import DA_INCIDENT_ATTENDED, DECISION_RECORDED
from shared.events import Envelope, encode, new_event
from tests.integration.intake.helpers import NO_SWEEP, stored
from tests.support.kafka import eventually, produce
from tests.support.services import RunningService, running
from tests.unit.intake.factories import at, contact, decision, encompass, inbound

FAST = {"recompute_debounce_s": 0.3, "recompute_max_delay_s": 2.0, "snapshot_interval_s": 3600}
YEAR = "2026-27"  # the factories' contacts are received in November 2026


def _correction(data: dict[str, Any], hour: int, **changes: Any) -> dict[str, Any]:
    when = at(2026, 11, 20, hour).isoformat()
    return {**data, **changes, "correction": {"reason": "wrong-outcome", "corrected_at": when}}


def _incident(contact_id: str) -> Envelope:
    data = {
        "contact_id": contact_id,
        "incident_at": at(2026, 11, 24, 1, 30).isoformat(),  # a Tuesday in term
        "attended_at": at(2026, 11, 24, 2).isoformat(),
    }
    return new_event(
        type=DA_INCIDENT_ATTENDED,
        source="agency/glos-police",
        partnership="glos",
        subject=contact_id,
        data=data,
    )


async def _values(reporting: RunningService, **expected: Any) -> dict[str, Any]:
    """The year's figures once they show `expected`."""

    async def check() -> dict[str, Any] | None:
        r = await reporting.http.get(f"/internal/partnerships/glos/figures/{YEAR}")
        values: dict[str, Any] = r.json().get("values", {}) if r.status_code == 200 else {}
        return values if all(values.get(k) == v for k, v in expected.items()) else None

    found: dict[str, Any] = await eventually(check, timeout=60)
    return found


async def _post(intake: RunningService, event: Envelope) -> int:
    return (await intake.http.post("/events", content=encode(event))).status_code


async def test_a_corrected_decision_changes_the_figures_over_http_and_kafka(
    infra: Infra, run_id: str
) -> None:
    bootstrap = infra.kafka_bootstrap_servers
    async with (
        running("intake", infra, run_id, **NO_SWEEP) as intake,
        running("reporting", infra, run_id, **FAST) as reporting,
    ):
        nfa = {"outcome": "no-further-action", "level": 1}
        for cid in ("c-1", "c-2"):
            assert await _post(intake, inbound("contact", contact(cid))) == 202
            assert await _post(intake, inbound("decision", decision(cid, **nfa))) == 202
        await _values(reporting, contacts_decided=2, referrals=0)

        # A second decision without a correction is still refused.
        again = inbound("decision", decision("c-1", level=2))
        assert await _post(intake, again) == 409

        # c-1 corrected over HTTP, c-2 over Kafka (twice: a redelivery changes nothing).
        assessment = {"outcome": "social-care-assessment", "level": 4}
        http_fix = inbound("decision", _correction(decision("c-1"), 9, **assessment))
        assert await _post(intake, http_fix) == 202
        kafka_fix = inbound("decision", _correction(decision("c-2"), 9, **assessment))
        topic = intake.topics.intake_inbound
        await produce(bootstrap, topic, kafka_fix, kafka_fix, key=b"c-2")
        values = await _values(reporting, contacts_decided=2, referrals=2)
        assert values["conversion_rate"] == 100.0

        # A correction made before the current one, arriving late, changes nothing.
        older = inbound("decision", _correction(decision("c-1"), 8, **nfa))
        assert await _post(intake, older) == 202

        view = await stored(intake, "c-1")
        assert view["decision"]["outcome"] == "social-care-assessment"
        decisions = [e for e in view["timeline"] if e["type"] == DECISION_RECORDED]
        assert sorted((e["revision"], e["current"], e["data"]["outcome"]) for e in decisions) == [
            (1, False, "no-further-action"),
            (2, True, "social-care-assessment"),
            (3, False, "no-further-action"),
        ]
        kafka_view = await stored(intake, "c-2")
        kafka_decisions = [e for e in kafka_view["timeline"] if e["type"] == DECISION_RECORDED]
        assert len(kafka_decisions) == 2
        # Reporting still counts the current version only.
        values = await _values(reporting, contacts_decided=2, referrals=2)
        assert values["conversion_rate"] == 100.0


async def test_a_police_incident_never_notified_shows_in_the_coverage(
    infra: Infra, run_id: str
) -> None:
    """Two incidents with a child present, one notification (before school started that
    Tuesday): one notified on time, one not notified at all."""
    bootstrap = infra.kafka_bootstrap_servers
    async with (
        running("intake", infra, run_id, **NO_SWEEP) as intake,
        running("reporting", infra, run_id, **FAST) as reporting,
    ):
        topic = intake.topics.intake_inbound
        await produce(bootstrap, topic, _incident("c-3"), key=b"c-3")
        await produce(bootstrap, topic, _incident("c-4"), key=b"c-4")
        notice = encompass(
            "c-3",
            incident_at=at(2026, 11, 24, 1, 30).isoformat(),
            notified_at=at(2026, 11, 24, 8).isoformat(),
        )
        assert await _post(intake, inbound("encompass", notice)) == 202
        values = await _values(reporting, encompass_incidents=2, encompass_incidents_notified=1)
        assert values["encompass_incidents_not_notified"] == 1
        assert values["encompass_incidents_notified_on_time"] == 1
        assert values["encompass_notifications"] == 1
        assert values["encompass_on_time"] == 1
        assert values["encompass_coverage_rate"] == 50.0
        view = await stored(intake, "c-4")
        assert view["status"] == "awaiting-contact"
        assert view["incident"]["attended_at"].startswith("2026-11-24T02:00")
