"""Nobody in who shouldn't be: intake with real API keys, on the real broker and database."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from ops.system import Infra
from shared.auth import STAFF, SUBMIT, new_key_entry
from shared.contracts.intake import SUBMITTED
from shared.events import encode, new_event
from shared.kafka import ensure_topics
from shared.topics import Topics, agency_topic, dlq
from tests.support.kafka import eventually, produce, read
from tests.support.services import running


def _contact(contact_id: str, source: str) -> bytes:
    data = {
        "contact_id": contact_id,
        "agency": "police",
        "source": "6",
        "channel": "vist",
        "received_at": datetime(2026, 11, 2, 9, tzinfo=UTC).isoformat(),
        "child_ref": f"child-{contact_id}",
        "age_years": 7,
        "consent": "obtained",
        "wishes_and_feelings_recorded": True,
    }
    return encode(
        new_event(type=SUBMITTED, source=source, partnership="p1", subject=contact_id, data=data)
    )


def _with_keys(tmp_path: Path, *entries: dict[str, object]) -> dict[str, object]:
    """Settings for a service that checks these keys."""
    keys_file = tmp_path / "keys.json"
    keys_file.write_text(json.dumps(list(entries)))
    return {"auth_disabled": False, "api_keys_file": str(keys_file)}


async def test_writes_need_a_key_and_an_agency_submits_only_as_itself(
    infra: Infra, run_id: str, tmp_path: Path
) -> None:
    police_key, police = new_key_entry("police-ingest", "police", [SUBMIT], partnerships=["p1"])
    async with running("intake", infra, run_id, **_with_keys(tmp_path, police)) as svc:
        unauthenticated = await svc.http.post("/contacts", content=_contact("c-1", "agency/police"))
        assert unauthenticated.status_code == 401

        as_other = await svc.http.post(
            "/contacts",
            content=_contact("c-2", "agency/health"),
            headers={"Authorization": f"Bearer {police_key}"},
        )
        assert as_other.status_code == 403
        assert as_other.json()["error"] == "forbidden-source"
        stored = await svc.http.get(
            "/contacts/c-2", headers={"Authorization": f"Bearer {police_key}"}
        )
        assert stored.status_code == 404

        accepted = await svc.http.post(
            "/contacts",
            content=_contact("c-3", "agency/police"),
            headers={"Authorization": f"Bearer {police_key}"},
        )
        assert accepted.status_code == 202, accepted.text
        entries = [d async for d in svc.runtime.db["audit"].find({})]
        assert [(e["agency"], e["principal"], e["channel"]) for e in entries] == [
            ("police", "police-ingest", "http")
        ]


async def test_a_record_on_an_agencys_topic_claiming_another_agency_is_dead_lettered(
    infra: Infra, run_id: str
) -> None:
    # The agency's topic exists before intake starts, as in a deployment: a topic created
    # later is only found at the consumer's next metadata refresh (up to 30 s).
    police_topic = agency_topic(Topics(f"t{run_id}.").intake_inbound, "police")
    await ensure_topics(infra.kafka_bootstrap_servers, [police_topic])
    async with running("intake", infra, run_id) as svc:
        assert agency_topic(svc.topics.intake_inbound, "police") == police_topic
        await produce(
            infra.kafka_bootstrap_servers,
            police_topic,
            _contact("k-1", "agency/health"),
            _contact("k-2", "agency/police"),
        )
        dead = await read(
            infra.kafka_bootstrap_servers, dlq(svc.topics.intake_inbound), expect=1, timeout=60
        )
        assert [r.headers["dlq.reason"] for r in dead] == ["forbidden-source"]
        assert dead[0].headers["dlq.topic"] == police_topic

        async def stored() -> bool:
            return (await svc.http.get("/contacts/k-2")).status_code == 200

        assert await eventually(stored)
        assert (await svc.http.get("/contacts/k-1")).status_code == 404

        async def audited() -> dict[str, object] | None:
            # written after the batch's contacts, so it can trail them by a moment
            return await svc.runtime.db["audit"].find_one({"principal": f"kafka:{police_topic}"})

        audit = await eventually(audited)
        assert audit["agency"] == "police"


async def test_case_level_reads_need_a_key_and_an_agency_reads_only_its_own(
    infra: Infra, run_id: str, tmp_path: Path
) -> None:
    police_key, police = new_key_entry("police-ingest", "police", [SUBMIT], partnerships=["p1"])
    health_key, health = new_key_entry("health-ingest", "health", [SUBMIT], partnerships=["p1"])
    staff_key, staff = new_key_entry("mash-manager", "county-council", [STAFF], partnerships=["p1"])
    settings = _with_keys(tmp_path, police, health, staff)

    def as_(key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {key}"}

    async with running("intake", infra, run_id, **settings) as svc:
        sent = await svc.http.post(
            "/contacts", content=_contact("c-9", "agency/police"), headers=as_(police_key)
        )
        assert sent.status_code == 202, sent.text

        assert (await svc.http.get("/contacts/c-9")).status_code == 401
        assert (await svc.http.get("/contacts")).status_code == 401
        assert (await svc.http.get("/contacts/c-9", headers=as_(police_key))).status_code == 200
        assert (await svc.http.get("/contacts/c-9", headers=as_(staff_key))).status_code == 200
        # To another agency the contact does not exist, and its list holds none of police's.
        assert (await svc.http.get("/contacts/c-9", headers=as_(health_key))).status_code == 404
        listed = await svc.http.get("/contacts", headers=as_(health_key))
        assert listed.json()["total"] == 0
        assert (await svc.http.get("/contacts", headers=as_(police_key))).json()["total"] == 1
        refused = await svc.http.get("/contacts?agency=police", headers=as_(health_key))
        assert refused.status_code == 403
        assert (await svc.http.get("/health")).status_code == 200


async def test_published_figures_are_open_and_the_unsuppressed_ones_need_staff(
    infra: Infra, run_id: str, tmp_path: Path
) -> None:
    police_key, police = new_key_entry("police-ingest", "police", [SUBMIT], partnerships=["p1"])
    async with running("reporting", infra, run_id, **_with_keys(tmp_path, police)) as svc:
        published = await svc.http.get("/partnerships/p1/tables/contacts-by-source/2020-21")
        assert published.status_code in (200, 404), published.text  # open: no 401
        internal = "/internal/partnerships/p1/tables/contacts-by-source/2020-21"
        assert (await svc.http.get(internal)).status_code == 401
        as_agency = await svc.http.get(internal, headers={"Authorization": f"Bearer {police_key}"})
        assert as_agency.status_code == 403


async def test_an_agency_cannot_submit_a_contact_from_another_agency(
    infra: Infra, run_id: str, tmp_path: Path
) -> None:
    police_key, police = new_key_entry("police-ingest", "police", [SUBMIT], partnerships=["p1"])
    async with running("intake", infra, run_id, **_with_keys(tmp_path, police)) as svc:
        body = json.loads(_contact("c-20", "agency/police"))
        body["data"]["agency"] = "schools"  # as itself, but claiming the contact is from schools
        refused = await svc.http.post(
            "/contacts",
            content=json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {police_key}"},
        )
        assert refused.status_code == 403
        assert refused.json()["error"] == "forbidden-source"
        stored = await svc.http.get(
            "/contacts/c-20", headers={"Authorization": f"Bearer {police_key}"}
        )
        assert stored.status_code == 404
