"""Many writers of the same contacts at once lose nothing: two intake instances, each taking
HTTP submissions and consuming the inbound topic in its own group, with both overdue sweeps
running, all recording lifecycle events of the same contacts at the same moment.

This is the path that lost acknowledged events when each writer read the contact's document
and wrote it back: FerretDB 1.x makes no update atomic, so two updates of one document could
each overwrite the other's change. Records are now appended by insert, where the second writer
of a version gets a conflict and tries again on the newer history.
"""

from __future__ import annotations

import asyncio
from typing import Any

from ops.system import Infra
from shared.contracts.intake import (
    DECIDED,
    EARLY_HELP_ALLOCATED,
    ENCOMPASS_NOTIFIED,
    VIST_RECORDED,
)
from shared.events import Envelope, encode
from tests.integration.intake.helpers import by_type, canonical
from tests.support.kafka import eventually, produce
from tests.support.services import RunningService, running
from tests.unit.intake.factories import contact, decision, early_help, encompass, inbound, vist

CONTACTS = 30
SLOTS = ("contact", "decision", "early_help", "vist", "encompass")
FAST_SWEEP = {"overdue_sweep_enabled": True, "overdue_sweep_interval_s": 0.05}


async def _post(svc: RunningService, event: Envelope) -> None:
    response = await svc.http.post("/events", content=encode(event))
    assert response.status_code == 202, response.text


async def _views(svc: RunningService, ids: list[str]) -> dict[str, Any]:
    views = {}
    for contact_id in ids:
        response = await svc.http.get(f"/contacts/{contact_id}")
        if response.status_code == 200:
            views[contact_id] = response.json()
    return views


def _complete(view: dict[str, Any]) -> bool:
    return all(view.get(slot) for slot in SLOTS)


async def test_http_kafka_and_sweeps_writing_the_same_contacts_lose_nothing(
    infra: Infra, run_id: str
) -> None:
    async with (
        running("intake", infra, run_id, **FAST_SWEEP) as one,
        running("intake", infra, run_id, consumer_group=f"t{run_id}-two", **FAST_SWEEP) as two,
    ):
        ids = [f"c-{i:03d}" for i in range(CONTACTS)]
        # Received on a Monday long ago: both sweeps find every contact overdue at once.
        await asyncio.gather(
            *(_post((one, two)[i % 2], inbound("contact", contact(c))) for i, c in enumerate(ids))
        )
        over_http = [
            (one, inbound("decision", decision(c, outcome="early-help", level=2))) for c in ids
        ] + [(two, inbound("encompass", encompass(c))) for c in ids]
        over_kafka = [inbound("vist", vist(c)) for c in ids] + [
            inbound("early_help", early_help(c)) for c in ids
        ]
        bootstrap, topic = infra.kafka_bootstrap_servers, one.topics.intake_inbound
        await asyncio.gather(
            *(_post(svc, event) for svc, event in over_http),
            *(produce(bootstrap, topic, e, key=e.subject.encode()) for e in over_kafka),
        )

        async def all_complete() -> dict[str, Any] | None:
            views = await _views(one, ids)
            done = [v for v in views.values() if _complete(v)]
            return views if len(done) == len(ids) else None

        try:
            views = await eventually(all_complete, timeout=90)
        finally:
            final = await _views(one, ids)
            lost = sum(1 for c in ids for slot in SLOTS if not final.get(c, {}).get(slot))
            print(
                f"\n[concurrent] contacts={CONTACTS} inbound events={CONTACTS * len(SLOTS)} "
                f"recorded={CONTACTS * len(SLOTS) - lost} lost={lost}"
            )
        sent = {e.id for _, e in over_http} | {e.id for e in over_kafka}
        for view in views.values():
            assert view["status"] == "decided"  # a decision recorded is never shown as overdue
        recorded = {entry["event_id"] for v in views.values() for entry in v["timeline"]}
        assert sent <= recorded

        events = by_type(await canonical(infra, one, expect=8 * CONTACTS, settle=2.0))
        for kind in (DECIDED, EARLY_HELP_ALLOCATED, VIST_RECORDED, ENCOMPASS_NOTIFIED):
            assert {e.subject for e in events[kind]} == set(ids), kind
            assert len({e.id for e in events[kind]}) == CONTACTS, kind  # copies share their id
