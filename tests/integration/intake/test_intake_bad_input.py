"""Unusable input on either path: refused with its reason, nothing stored, and the service
goes on."""

from __future__ import annotations

from ops.system import Infra
from shared.contracts.intake import RECEIVED
from shared.events import encode
from shared.topics import dlq
from tests.integration.intake.helpers import NO_SWEEP, by_type, canonical, stored
from tests.support.kafka import produce, read
from tests.support.services import running
from tests.unit.intake.factories import at, contact, decision, inbound


async def test_personal_data_is_refused_over_http_and_nothing_is_stored(
    infra: Infra, run_id: str
) -> None:
    async with running("intake", infra, run_id, **NO_SWEEP) as svc:
        for payload in (
            contact("c-pii", postcode="GL1 1AA"),
            contact("c-pii", child_ref="943-476-5919"),
        ):
            r = await svc.http.post("/contacts", content=encode(inbound("contact", payload)))
            assert r.status_code == 422
            assert r.json()["error"] == "personal-data"
        assert (await svc.http.get("/contacts/c-pii")).status_code == 404
        assert await svc.runtime.db["contacts"].count_documents({}) == 0


async def test_http_names_each_bad_field(infra: Infra, run_id: str) -> None:
    async with running("intake", infra, run_id, **NO_SWEEP) as svc:
        bad = contact("c-bad", source="99", channel="pigeon")
        r = await svc.http.post("/contacts", content=encode(inbound("contact", bad)))
        assert r.status_code == 422
        body = r.json()
        assert body["error"] == "schema"
        assert "source:" in body["detail"]
        assert "channel:" in body["detail"]
        lifecycle = await svc.http.post(
            "/contacts", content=encode(inbound("decision", decision()))
        )
        assert lifecycle.json()["error"] == "unknown-type"  # /contacts takes contacts only
        assert (await svc.http.post("/events", content=b"{not json")).status_code == 422


async def test_bad_records_on_kafka_are_dead_lettered_and_good_ones_go_through(
    infra: Infra, run_id: str
) -> None:
    async with running("intake", infra, run_id, **NO_SWEEP) as svc:
        good = inbound("contact", contact("c-good"))
        pii = inbound("contact", contact("c-pii", date_of_birth="2019-01-01"))
        early = inbound("decision", decision("c-good", decided_at=at(2026, 11, 9, 9).isoformat()))
        other = inbound("decision", decision("c-good"), partnership="wilts")
        bootstrap, topic = infra.kafka_bootstrap_servers, svc.topics.intake_inbound
        await produce(bootstrap, topic, good, pii)
        await stored(svc, "c-good")
        await produce(bootstrap, topic, early, other, key=b"c-good")

        dead = await read(bootstrap, dlq(topic), expect=2)
        assert sorted(r.headers["dlq.reason"] for r in dead) == ["impossible-time", "personal-data"]
        view = await stored(svc, "c-good?partnership=glos")
        assert view["status"] == "awaiting-decision"  # the impossible decision was not stored
        assert len(view["timeline"]) == 2
        # Contact ids belong to their partnership: another partnership's decision for the same
        # id is that partnership's contact, still waiting for its contact event.
        theirs = await stored(svc, "c-good?partnership=wilts")
        assert theirs["status"] == "awaiting-contact"
        assert await svc.runtime.db["contacts"].count_documents({}) == 2

        events = by_type(await canonical(infra, svc, expect=2))
        assert [e.subject for e in events[RECEIVED]] == ["c-good"]
