"""Intake's first flow: a contact in over Kafka or HTTP, stored once, announced once."""

from __future__ import annotations

from datetime import UTC, datetime

from shared.contracts.intake import RECEIVED, SUBMITTED
from shared.events import decode, new_event
from shared.ops.system import Infra
from tests.support.kafka import eventually, produce, read
from tests.support.services import running


def _submission(contact_id: str) -> bytes:
    from shared.events import encode

    return encode(
        new_event(
            type=SUBMITTED,
            source="agency/police",
            partnership="p1",
            subject=contact_id,
            data={"contact_id": contact_id, "agency": "police",
                  "received_at": datetime(2026, 11, 23, 10, tzinfo=UTC).isoformat()},
        )
    )


async def test_contact_over_kafka_and_http_are_stored_alike(infra: Infra, run_id: str) -> None:
    async with running("intake", infra, run_id) as svc:
        kafka_raw, http_raw = _submission("c-kafka"), _submission("c-http")
        await produce(infra.kafka_bootstrap_servers, svc.topics.intake_inbound, kafka_raw, kafka_raw)
        response = await svc.http.post("/contacts", content=http_raw)
        assert response.status_code == 202, response.text
        assert response.json()["contact_id"] == "c-http"

        async def stored() -> dict[str, object] | None:
            r = await svc.http.get("/contacts/c-kafka")
            return r.json() if r.status_code == 200 else None

        by_kafka = await eventually(stored)
        by_http = (await svc.http.get("/contacts/c-http")).json()
        strip = ("_id", "contact_id", "timeline")
        assert {k: v for k, v in by_kafka.items() if k not in strip} == {
            k: v for k, v in by_http.items() if k not in strip
        }
        assert len(by_kafka["timeline"]) == 1  # the duplicate record had no second effect

        events = await read(
            infra.kafka_bootstrap_servers, svc.topics.intake_events, expect=2, settle=1.0
        )
        received = [decode(r.value) for r in events]
        assert {e.type for e in received} == {RECEIVED}
        # Redelivery may re-publish, but always as the same event id.
        assert {e.subject for e in received} == {"c-kafka", "c-http"}
        assert len({e.id for e in received}) == 2
