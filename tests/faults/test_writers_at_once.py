"""Nothing lost, nothing counted twice, with many writers at once: two instances of each
service in one consumer group, and HTTP and Kafka writing the same contacts at the same time.

Contacts and their VISTs arrive on Kafka, spread over both intake instances by partition;
the MASH decisions for the very same contacts are posted over HTTP to both instances while
the consumers are still recording, so every contact is written by several writers at once.
Both reporting instances share the canonical topic's partitions. Each scenario prints
published / delivered / lost / duplicated, and reporting's figures must equal an
independent recount of what was sent.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from aiokafka import AIOKafkaConsumer

from shared.contracts.intake import (
    DECIDED,
    DECISION_RECORDED,
    RECEIVED,
    SUBMITTED,
    VIST_RECORDED,
    VIST_SUBMITTED,
)
from shared.events import CONTENT_TYPE, Envelope, decode, encode, new_event
from shared.kafka import ensure_topics
from shared.topics import Topics
from tests.faults.conftest import PrivateStack
from tests.faults.test_nothing_lost import _publish
from tests.support.processes import ServiceProcess

CONTACTS = 400
BATCH = 50
START = datetime(2026, 11, 2, 9, tzinfo=UTC)


def _event(type_: str, contact: int, data: dict[str, object]) -> Envelope:
    kind = {SUBMITTED: "contact", VIST_SUBMITTED: "vist", DECISION_RECORDED: "decision"}[type_]
    return new_event(
        id=f"{kind}-{contact:05d}",
        type=type_,
        source="agency/police",
        partnership="p1",
        subject=f"c{contact:05d}",
        data={"contact_id": f"c{contact:05d}", **data},
    )


def _workload() -> tuple[list[bytes], list[Envelope]]:
    """Kafka records (contacts and VISTs) and HTTP submissions (decisions), all for the same
    contacts; decisions for even contacts are referrals."""
    kafka: list[bytes] = []
    http: list[Envelope] = []
    for i in range(CONTACTS):
        received = START + timedelta(minutes=i)
        kafka.append(
            encode(
                _event(
                    SUBMITTED,
                    i,
                    {
                        "agency": "police",
                        "source": "6",
                        "channel": "vist",
                        "received_at": received.isoformat(),
                        "child_ref": f"child-{i:05d}",
                        "age_years": i % 18,
                        "consent": "obtained",
                        "wishes_and_feelings_recorded": True,
                    },
                )
            )
        )
        kafka.append(
            encode(
                _event(
                    VIST_SUBMITTED,
                    i,
                    {
                        "incident_at": (received - timedelta(hours=2)).isoformat(),
                        "submitted_at": received.isoformat(),
                    },
                )
            )
        )
        http.append(
            _event(
                DECISION_RECORDED,
                i,
                {
                    "outcome": "social-care-assessment" if i % 2 == 0 else "early-help",
                    "level": 4 if i % 2 == 0 else 2,
                    "decided_at": (received + timedelta(hours=3)).isoformat(),
                },
            )
        )
    return kafka, http


async def _post_all(urls: list[str], events: list[Envelope]) -> int:
    """Post each decision to one of the instances, many at a time; returns how many were
    accepted (202)."""
    limit = asyncio.Semaphore(16)
    async with httpx.AsyncClient(timeout=60, headers={"content-type": CONTENT_TYPE}) as client:

        async def post(i: int, event: Envelope) -> bool:
            async with limit:
                response = await client.post(f"{urls[i % len(urls)]}/events", content=encode(event))
                return response.status_code == 202

        results = await asyncio.gather(*(post(i, e) for i, e in enumerate(events)))
    return sum(results)


Seen = dict[str, dict[str, Counter[str]]]  # event type -> contact -> event id -> copies


async def _canonical(bootstrap: str, topics: Topics, within: float = 600) -> Seen:
    """What intake announced, read until every contact is received, decided and has its VIST
    announced (or the deadline)."""
    consumer = AIOKafkaConsumer(
        topics.intake_events,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        metadata_max_age_ms=1000,
    )
    await consumer.start()
    seen: Seen = {DECIDED: {}, RECEIVED: {}, VIST_RECORDED: {}}
    try:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=500)
            for messages in batches.values():
                for m in messages:
                    event = decode(m.value)
                    if event.type in seen:
                        seen[event.type].setdefault(str(event.subject), Counter())[event.id] += 1
            if all(len(ids) >= CONTACTS for ids in seen.values()) and not batches:
                break
    finally:
        await consumer.stop()
    return seen


async def _figures(reporting: list[ServiceProcess], within: float = 300) -> dict[str, object]:
    """Reporting's unsuppressed figures for the workload's year, from either instance, once
    every contact is counted as decided (or whatever they are at the deadline)."""

    def fetch(svc: ServiceProcess) -> dict[str, object]:
        url = f"{svc.url}/internal/partnerships/p1/figures/2026-27"
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                values: dict[str, object] = json.loads(r.read())["values"]
                return values
        except (OSError, KeyError, ValueError):
            return {}

    deadline = time.monotonic() + within
    values: dict[str, object] = {}
    while time.monotonic() < deadline:
        for svc in reporting:
            values = await asyncio.to_thread(fetch, svc)
            if values.get("contacts_decided") == CONTACTS:
                await asyncio.sleep(3)  # a double count would show up a moment later
                return await asyncio.to_thread(fetch, svc)
        await asyncio.sleep(1)
    return values


@pytest.mark.timeout(1200)
async def test_two_instances_of_each_service_with_http_and_kafka_writing_the_same_contacts(
    private_stack: PrivateStack, run_id: str, tmp_path: Path
) -> None:
    bootstrap = private_stack.infra.kafka_bootstrap_servers
    topics = Topics(f"t{run_id}.")
    await ensure_topics(bootstrap, [topics.intake_inbound])
    kafka, http = _workload()

    def instance(service: str, **env: str) -> ServiceProcess:
        return ServiceProcess(service, private_stack.infra, run_id, tmp_path, **env)

    intakes = [
        instance("intake", CONSUMER_BATCH_SIZE=str(BATCH), OVERDUE_SWEEP_INTERVAL_S="0.5")
        for _ in range(2)
    ]
    reporting = [instance("reporting", RECOMPUTE_DEBOUNCE_S="1") for _ in range(2)]
    processes = [*intakes, *reporting]
    try:
        for process in processes:
            await asyncio.to_thread(process.start)
        # Kafka and HTTP at once, on the same contacts, to both instances.
        accepted, _ = await asyncio.gather(
            _post_all([svc.url for svc in intakes], http),
            _publish(bootstrap, topics.intake_inbound, kafka),
        )
        seen = await _canonical(bootstrap, topics)
        values = await _figures(reporting)
    finally:
        for process in processes:
            await asyncio.to_thread(process.stop)

    published = len(kafka) + len(http)
    delivered = {kind.rsplit(".", 2)[-2]: len(by_contact) for kind, by_contact in seen.items()}
    lost = sum(CONTACTS - n for n in delivered.values())
    ids = [copies for by_contact in seen.values() for copies in by_contact.values()]
    duplicated = sum(len(copies) - 1 for copies in ids)  # one contact, two different ids
    republished = sum(n - 1 for copies in ids for n in copies.values())
    print(
        f"\n[fault writers-at-once] published={published} (kafka={len(kafka)} "
        f"http={len(http)}, accepted {accepted}) delivered={delivered} lost={lost} "
        f"duplicated={duplicated} (re-published same id, harmless: {republished})"
    )
    print(
        f"[fault writers-at-once] reporting: received={values.get('contacts_received')} "
        f"decided={values.get('contacts_decided')} of {CONTACTS}"
    )
    assert accepted == len(http)
    assert lost == 0, intakes[0].log_tail()
    assert duplicated == 0
    # Independent recount of what was sent: every contact received and decided once.
    assert values.get("contacts_received") == CONTACTS, reporting[0].log_tail()
    assert values.get("contacts_decided") == CONTACTS, reporting[0].log_tail()
