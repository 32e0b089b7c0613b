"""Commands on the inbound topic as CloudEvents: applied like HTTP ones, refused ones
dead-lettered with their reason, redelivered ones applied once."""

from __future__ import annotations

from typing import Any

from ops.system import Infra
from shared.contracts import reviews as c
from shared.events import Envelope, encode, new_event
from shared.topics import dlq
from tests.integration.reviews.reviews_support import events
from tests.support.kafka import eventually, produce, read
from tests.support.services import running


def command(
    type_: str, event_id: str, data: dict[str, Any], subject: str | None = None
) -> Envelope:
    return new_event(
        id=event_id,
        type=type_,
        source="gscp/business-unit",
        partnership="gscp",
        subject=subject,
        data=data,
    )


SIN = {
    "review_id": "sin-9",
    "kind": "sin",
    "title": "Serious incident",
    "opened_on": "2024-06-07",
    "aware_on": "2024-06-07",
    "aware_agency": "gcc",
}


async def test_commands_over_kafka_are_applied_once_and_refusals_dead_lettered(
    infra: Infra, run_id: str
) -> None:
    async with running("reviews", infra, run_id, sweep_interval_s=0) as svc:
        inbound = svc.topics.reviews_inbound
        opened = command(c.OPEN_REQUESTED, "k-1", SIN, subject="sin-9")
        notified = command(
            c.NOTIFICATION_REPORTED, "k-2", {"review_id": "sin-9", "notified_on": "2024-06-18"}
        )
        published = command(
            c.PUBLICATION_REPORTED, "k-3", {"review_id": "sin-9", "published_on": "2024-07-01"}
        )
        mismatch = command(
            c.NOTIFICATION_REPORTED,
            "k-4",
            {"review_id": "sin-9", "notified_on": "2024-06-18"},
            subject="other",
        )
        # The same open and notification delivered twice, as after a producer retry.
        await produce(
            infra.kafka_bootstrap_servers,
            inbound,
            opened,
            opened,
            notified,
            notified,
            published,
            mismatch,
            key=b"sin-9",
        )
        dead = await read(infra.kafka_bootstrap_servers, dlq(inbound), expect=2)
        assert sorted(r.headers["dlq.reason"] for r in dead) == ["conflict", "subject-mismatch"]

        async def notified_state() -> dict[str, Any] | None:
            doc = (await svc.http.get("/reviews/sin-9")).json()
            return doc if doc.get("stage") == "notified" else None

        doc = await eventually(notified_state)
        assert doc["notified_on"] == "2024-06-18"
        got = await events(infra, svc, expect=2, settle=0.5)
        # A redelivered command re-publishes its events with the same ids; nothing else.
        assert {e.type for e in got} == {c.OPENED, c.STAGE_CHANGED}
        assert len({e.id for e in got}) == 2
        late = next(e for e in got if e.type == c.STAGE_CHANGED)
        assert (late.data["within_target"], late.data["days_taken"]) == (False, 7)


async def test_a_cloudevent_can_be_posted_over_http_too(infra: Infra, run_id: str) -> None:
    async with running("reviews", infra, run_id, sweep_interval_s=0) as svc:
        body = encode(command(c.OPEN_REQUESTED, "h-1", SIN))
        response = await svc.http.post(
            "/commands", content=body, headers={"content-type": "application/cloudevents+json"}
        )
        assert response.status_code == 200, response.text
        assert response.json()["events"][0]["type"] == c.OPENED
        again = await svc.http.post("/commands", content=body)
        assert again.json() == response.json()
