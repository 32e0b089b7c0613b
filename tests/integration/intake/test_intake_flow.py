"""Contacts through the real broker and database, from submission to decision: the canonical
events published and the timeline stored."""

from __future__ import annotations

import json
from typing import Any

from ops.system import Infra
from shared.codes import MashOutcome
from shared.contracts.intake import (
    ACKNOWLEDGED,
    DECIDED,
    DECISION_RECORDED,
    EARLY_HELP_ALLOCATED,
    ENCOMPASS_NOTIFIED,
    RECEIVED,
    SUBMITTED,
    VIST_RECORDED,
)
from shared.events import derived_id, encode
from tests.integration.intake.helpers import NO_SWEEP, by_type, canonical, stored
from tests.support.kafka import produce
from tests.support.services import running
from tests.unit.intake.factories import at, contact, decision, early_help, encompass, inbound, vist


async def test_a_decision_before_its_contact_is_announced_once_both_are_known(
    infra: Infra, run_id: str
) -> None:
    async with running("intake", infra, run_id, **NO_SWEEP) as svc:
        decided = inbound("decision", decision("c-1"))
        submitted = inbound("contact", contact("c-1"))
        bootstrap = infra.kafka_bootstrap_servers
        await produce(bootstrap, svc.topics.intake_inbound, decided, key=b"c-1")
        waiting = await stored(svc, "c-1", "awaiting-contact")
        assert waiting["decision"]["outcome"] == "social-care-assessment"

        # The contact arrives second, and is delivered twice.
        await produce(bootstrap, svc.topics.intake_inbound, submitted, submitted, key=b"c-1")
        view = await stored(svc, "c-1", "decided")

        events = by_type(await canonical(infra, svc, expect=3))
        assert set(events) == {RECEIVED, ACKNOWLEDGED, DECIDED}
        # Redelivery may re-publish, but only ever as the same event.
        assert {e.id for e in events[RECEIVED]} == {derived_id(submitted.id, RECEIVED)}
        assert {e.id for e in events[DECIDED]} == {derived_id(decided.id, DECIDED)}
        announcement = events[DECIDED][0]
        assert announcement.subject == "c-1"
        assert announcement.source == "pulse/intake"
        assert announcement.partnership == "glos"
        assert announcement.data["within_target"] is True
        assert announcement.data["working_days_taken"] == 0
        assert announcement.data["converted_to_referral"] is True
        assert announcement.data["source"] == "6"
        assert announcement.data["sector"] == "police"
        assert announcement.data["age_band"] == "5-9"

        metrics = (await svc.http.get("/metrics")).text
        assert f'pulse_intake_published_total{{type="{DECIDED}"}}' in metrics
        assert f'pulse_intake_recorded_total{{type="{SUBMITTED}"}} 1.0' in metrics

        # By time of occurrence: the acknowledgement is intake's own, later, clock reading.
        timeline = [e["type"] for e in view["timeline"]]
        assert timeline == [SUBMITTED, DECISION_RECORDED, ACKNOWLEDGED]
        assert view["received_at"].startswith("2026-11-09T10:00")
        assert view["decided_at"].startswith("2026-11-09T15:00")


async def test_a_contact_over_http_and_one_over_kafka_are_stored_alike(
    infra: Infra, run_id: str
) -> None:
    async with running("intake", infra, run_id, **NO_SWEEP) as svc:
        over_kafka = inbound("contact", contact("c-kafka"))
        over_http = inbound("contact", contact("c-http"))
        await produce(infra.kafka_bootstrap_servers, svc.topics.intake_inbound, over_kafka)
        response = await svc.http.post("/contacts", content=encode(over_http))
        assert response.status_code == 202, response.text
        receipt = response.json()
        assert receipt["contact_id"] == "c-http"
        assert receipt["status"] == "awaiting-decision"
        assert receipt["acknowledgement"]["event_id"] == derived_id(over_http.id, ACKNOWLEDGED)

        await stored(svc, "c-kafka")
        contacts = svc.runtime.db["contacts"]
        by_kafka = await contacts.find_one({"contact_id": "c-kafka"})
        by_http = await contacts.find_one({"contact_id": "c-http"})
        assert _normalised(by_kafka, over_kafka.id, "c-kafka") == _normalised(
            by_http, over_http.id, "c-http"
        )

        # Re-sending the same event over HTTP is harmless and gives the same receipt.
        again = await svc.http.post("/contacts", content=encode(over_http))
        assert again.status_code == 202
        assert again.json() == receipt
        assert len((await stored(svc, "c-http"))["timeline"]) == 2


def _normalised(doc: Any, event_id: str, contact_id: str) -> Any:
    """The document without what must differ: the ids and intake's own clock readings."""
    text = json.dumps(doc, default=str)
    for old, new in (
        (derived_id(event_id, ACKNOWLEDGED), "ACK"),
        (event_id, "EVENT"),
        (contact_id, "CONTACT"),
    ):
        text = text.replace(old, new)
    value = json.loads(text)

    def strip(node: Any) -> Any:
        if isinstance(node, dict):
            if node.get("type") == ACKNOWLEDGED:
                node = {k: v for k, v in node.items() if k != "at"}
            return {k: strip(v) for k, v in node.items() if k != "recorded_at"}
        if isinstance(node, list):
            return [strip(v) for v in node]
        return node

    return strip(value)


async def test_vist_encompass_and_early_help_carry_their_clocks(infra: Infra, run_id: str) -> None:
    async with running("intake", infra, run_id, **NO_SWEEP) as svc:
        sent = [
            inbound("contact", contact("c-2", channel="vist")),
            inbound("vist", vist("c-2", submitted_at=at(2026, 11, 11, 9).isoformat())),
            inbound("encompass", encompass("c-2")),
            inbound("decision", decision("c-2", outcome="early-help", level=2)),
            inbound("early_help", early_help("c-2")),
        ]
        for event in sent:
            r = await svc.http.post("/events", content=encode(event))
            assert r.status_code == 202, r.text

        events = by_type(await canonical(infra, svc, expect=6))
        assert set(events) == {
            RECEIVED,
            ACKNOWLEDGED,
            VIST_RECORDED,
            ENCOMPASS_NOTIFIED,
            DECIDED,
            EARLY_HELP_ALLOCATED,
        }
        vist_data = events[VIST_RECORDED][0].data
        assert (vist_data["same_day"], vist_data["delay_days"]) == (False, 3)
        assert events[ENCOMPASS_NOTIFIED][0].data["on_time"] is True
        allocated = events[EARLY_HELP_ALLOCATED][0].data
        assert allocated["outcome"] == MashOutcome.EARLY_HELP
        assert (allocated["wait_days"], allocated["wait_working_days"]) == (14, 10)
        assert events[DECIDED][0].data["converted_to_referral"] is False

        view = await stored(svc, "c-2", "decided")
        assert view["vist"]["incident_at"].startswith("2026-11-08T23:00")
        assert len(view["timeline"]) == 6  # five events and the acknowledgement


async def test_contacts_are_listed_by_agency_and_period_page_by_page(
    infra: Infra, run_id: str
) -> None:
    async with running("intake", infra, run_id, **NO_SWEEP) as svc:
        for n, (agency, day) in enumerate(
            [("school-a", 9), ("school-a", 10), ("school-a", 11), ("gp-b", 10), ("school-a", 16)]
        ):
            data = contact(f"c-{n}", agency=agency, received_at=at(2026, 11, day, 10).isoformat())
            r = await svc.http.post("/contacts", content=encode(inbound("contact", data)))
            assert r.status_code == 202, r.text

        params = {
            "agency": "school-a",
            "from": at(2026, 11, 9).isoformat(),
            "to": at(2026, 11, 16).isoformat(),
            "page_size": 2,
        }
        first = (await svc.http.get("/contacts", params=params)).json()
        second = (await svc.http.get("/contacts", params={**params, "page": 2})).json()
        assert first["total"] == second["total"] == 3
        assert [c["contact_id"] for c in first["items"]] == ["c-0", "c-1"]
        assert [c["contact_id"] for c in second["items"]] == ["c-2"]
        assert {c["status"] for c in first["items"]} == {"awaiting-decision"}
        too_big = await svc.http.get("/contacts", params={"page_size": 1000})
        assert too_big.status_code == 422
