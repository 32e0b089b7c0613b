"""Nothing lost, nothing counted twice: reviews killed with SIGKILL in the middle of a stream
of commands from the business unit's case system.

Serious incident notifications are opened and notified on reviews' inbound topic, with
refused and invalid commands mixed in; reviews is killed once it has consumed a quarter of
them and started again. Every review must then be announced opened and notified once (one
event id each, however often it was re-published), every refused or invalid command must
be in the dead-letter topic with its reason, and reporting must count each review once.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer, ConsumerRecord

from shared.contracts.reviews import NOTIFICATION_REPORTED, OPEN_REQUESTED, OPENED, STAGE_CHANGED
from shared.events import decode, encode, new_event
from shared.kafka import ensure_topics
from shared.topics import Topics, dlq
from tests.faults.conftest import PrivateStack
from tests.faults.reading import dead_letter, figures_when, read_until
from tests.faults.test_nothing_lost import _wait_consumed
from tests.support.processes import ServiceProcess

REVIEWS = 300
P = "p1"
OPENED_ON = date(2026, 6, 1)  # financial year 2026-27


def _command(event_id: str, type_: str, review_id: str, data: dict[str, str]) -> bytes:
    return encode(
        new_event(
            id=event_id,
            type=type_,
            source=f"{P}/business-unit",
            partnership=P,
            subject=review_id,
            data={"review_id": review_id, **data},
        )
    )


def _workload(seed: int) -> tuple[list[tuple[bytes, bytes]], Counter[str]]:
    """(key, record) pairs, each review's commands in order on its key; the dead-letter
    reasons of the refused and invalid ones."""
    records: list[tuple[bytes, bytes]] = []
    reasons: Counter[str] = Counter()
    for n in range(REVIEWS):
        rid, day = f"sin-{n:04d}", OPENED_ON + timedelta(days=n % 60)
        opened = {
            "kind": "sin",
            "title": "Serious incident",
            "opened_on": day.isoformat(),
            "aware_on": day.isoformat(),
            "aware_agency": "gcc",
        }
        notified = {"notified_on": (day + timedelta(days=n % 9)).isoformat()}
        records.append((rid.encode(), _command(f"open-{n}", OPEN_REQUESTED, rid, opened)))
        records.append(
            (rid.encode(), _command(f"notify-{n}", NOTIFICATION_REPORTED, rid, notified))
        )
        if n % 30 == 0:  # the same review opened again under another id: refused
            again = _command(f"open-again-{n}", OPEN_REQUESTED, rid, opened)
            records.append((rid.encode(), again))
            reasons["conflict"] += 1
        if n % 30 == 1:
            records.append((rid.encode(), b"\x00\xff not a command"))
            reasons["undecodable"] += 1
    # Interleave the reviews' streams as the case system would send them, keeping each
    # review's own commands in order.
    rng = random.Random(seed)
    by_key: dict[bytes, list[bytes]] = {}
    for key, raw in records:
        by_key.setdefault(key, []).append(raw)
    queues = list(by_key.items())
    ordered: list[tuple[bytes, bytes]] = []
    while queues:
        i = rng.randrange(len(queues))
        key, pending = queues[i]
        ordered.append((key, pending.pop(0)))
        if not pending:
            queues.pop(i)
    return ordered, reasons


async def _publish(bootstrap: str, topic: str, records: list[tuple[bytes, bytes]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        futures = [await producer.send(topic, raw, key=key) for key, raw in records]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def _drain(
    bootstrap: str, topics: Topics, dead_expected: int
) -> tuple[dict[tuple[str, str], set[str]], list[str]]:
    """(event type, review) -> event ids seen, for openings and notifications, and the
    dead-letter reasons; read until every review is in and notified, or ten minutes."""
    seen: dict[tuple[str, str], set[str]] = {}
    dead: dict[str, str] = {}

    def handle(topic: str, record: ConsumerRecord[bytes, bytes]) -> None:
        if topic.endswith(".dlq"):
            where, reason = dead_letter(record)
            dead[where] = reason
            return
        event = decode(record.value)
        if event.type == OPENED or (
            event.type == STAGE_CHANGED and event.data.get("stage") == "notified"
        ):
            seen.setdefault((event.type, str(event.subject)), set()).add(event.id)

    def done() -> bool:
        return len(seen) >= 2 * REVIEWS and len(dead) >= dead_expected

    await read_until(bootstrap, [topics.reviews_events, dlq(topics.reviews_inbound)], done, handle)
    return seen, list(dead.values())


@pytest.mark.timeout(1200)
async def test_reviews_killed_mid_stream_loses_and_doubles_nothing(
    private_stack: PrivateStack, run_id: str, tmp_path: Path
) -> None:
    bootstrap = private_stack.infra.kafka_bootstrap_servers
    topics = Topics(f"t{run_id}.")
    await ensure_topics(bootstrap, [topics.reviews_inbound, topics.reviews_events])
    records, reasons = _workload(seed=11)
    await _publish(bootstrap, topics.reviews_inbound, records)

    reviews = ServiceProcess(
        "reviews", private_stack.infra, run_id, tmp_path, CONSUMER_BATCH_SIZE="50"
    )
    reporting = ServiceProcess("reporting", private_stack.infra, run_id, tmp_path)
    try:
        await asyncio.to_thread(reporting.start)
        await asyncio.to_thread(reviews.start)
        await _wait_consumed(reviews, at_least=len(records) / 4, within=300)
        await asyncio.to_thread(reviews.kill)
        await asyncio.to_thread(reviews.start)
        seen, dead = await _drain(bootstrap, topics, sum(reasons.values()))
        figures = await figures_when([reporting], {"reviews_opened": REVIEWS, "sins": REVIEWS})
    finally:
        for process in (reviews, reporting):
            await asyncio.to_thread(process.stop)

    lost = [(t, r) for t in (OPENED, STAGE_CHANGED) for r in _ids() if (t, r) not in seen]
    doubled = [key for key, ids in seen.items() if len(ids) > 1]
    print(
        f"\n[fault kill-reviews] published={len(records)} reviews={REVIEWS} "
        f"announced={len(seen)} dead-lettered={len(dead)} lost={len(lost)} "
        f"doubled={len(doubled)}; reporting: {figures}"
    )
    assert not lost, reviews.log_tail()
    assert not doubled
    assert Counter(dead) == reasons
    assert figures == {"reviews_opened": REVIEWS, "sins": REVIEWS}, reporting.log_tail()


def _ids() -> list[str]:
    return [f"sin-{n:04d}" for n in range(REVIEWS)]
