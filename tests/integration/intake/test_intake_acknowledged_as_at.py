"""Who may say when a contact was acknowledged, on the real broker and database.

PRODUCT.md, Clocks: "acknowledge a submitted contact | at once (the inspection found portal
acknowledgements late)". A contact the partnership's trusted systems load after the day (the
simulator, a back-load) carries its day's acknowledgement; an agency cannot back-date one,
neither on its own Kafka topic nor over HTTP with an agency key.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ops.system import Infra
from shared.auth import SUBMIT, TRUSTED_SYSTEM, new_key_entry
from shared.contracts.intake import ACKNOWLEDGED as ACKNOWLEDGED_TYPE
from shared.contracts.intake import SUBMITTED
from shared.events import encode, new_event
from shared.kafka import ensure_topics
from shared.topics import Topics, agency_topic, dlq
from tests.support.kafka import eventually, produce, read
from tests.support.services import running

RECEIVED = datetime(2021, 1, 11, 9, 30, tzinfo=UTC)
ACKNOWLEDGED = RECEIVED + timedelta(seconds=40)


def _contact(contact_id: str) -> bytes:
    data = {
        "contact_id": contact_id,
        "agency": "police",
        "source": "6",
        "channel": "vist",
        "received_at": RECEIVED.isoformat(),
        "acknowledged_at": ACKNOWLEDGED.isoformat(),
        "child_ref": "child-004512",
        "age_years": 7,
        "consent": "obtained",
        "wishes_and_feelings_recorded": True,
    }
    return encode(
        new_event(
            type=SUBMITTED, source="agency/police", partnership="p1", subject=contact_id, data=data
        )
    )


async def test_the_trusted_topic_may_back_date_an_acknowledgement_an_agency_topic_may_not(
    infra: Infra, run_id: str
) -> None:
    police_topic = agency_topic(Topics(f"t{run_id}.").intake_inbound, "police")
    await ensure_topics(infra.kafka_bootstrap_servers, [police_topic])
    async with running("intake", infra, run_id, overdue_sweep_enabled=False) as svc:
        bootstrap = infra.kafka_bootstrap_servers
        await produce(bootstrap, police_topic, _contact("k-agency"))
        await produce(bootstrap, svc.topics.intake_inbound, _contact("k-trusted"))
        dead = await read(bootstrap, dlq(svc.topics.intake_inbound), expect=1, timeout=60)
        assert [r.headers["dlq.reason"] for r in dead] == ["untrusted-acknowledgement"]

        async def stored() -> dict[str, Any] | None:
            r = await svc.http.get("/contacts/k-trusted")
            return r.json() if r.status_code == 200 else None

        contact: dict[str, Any] = await eventually(stored)
        [ack] = [e for e in contact["timeline"] if e["type"] == ACKNOWLEDGED_TYPE]
        assert datetime.fromisoformat(ack["at"]) == ACKNOWLEDGED
        assert (await svc.http.get("/contacts/k-agency")).status_code == 404


async def test_over_http_only_a_service_key_may_back_date_an_acknowledgement(
    infra: Infra, run_id: str, tmp_path: Path
) -> None:
    police_key, police = new_key_entry("police-ingest", "police", [SUBMIT], partnerships=["p1"])
    system_key, system = new_key_entry(
        "simulator", "partnership", [TRUSTED_SYSTEM], partnerships=["*"]
    )
    keys_file = tmp_path / "keys.json"
    keys_file.write_text(json.dumps([police, system]))
    settings = {"auth_disabled": False, "api_keys_file": str(keys_file)}
    async with running("intake", infra, run_id, overdue_sweep_enabled=False, **settings) as svc:
        refused = await svc.http.post(
            "/contacts",
            content=_contact("h-agency"),
            headers={"Authorization": f"Bearer {police_key}"},
        )
        assert refused.status_code == 403
        assert refused.json()["error"] == "untrusted-acknowledgement"
        accepted = await svc.http.post(
            "/contacts",
            content=_contact("h-trusted"),
            headers={"Authorization": f"Bearer {system_key}"},
        )
        assert accepted.status_code == 202, accepted.text
        receipt = accepted.json()["acknowledgement"]
        assert datetime.fromisoformat(receipt["acknowledged_at"]) == ACKNOWLEDGED
