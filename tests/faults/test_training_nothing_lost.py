"""Nothing lost, nothing counted twice: training and reporting as real processes, each killed
with SIGKILL in the middle of its work.

The learning platform's year (a course, registrations, enrolments, completions, with invalid
records mixed in) goes to training's inbound topic; one of the two services is killed once it
has consumed a quarter of its input and started again. Then every fact must have been
announced on training's canonical topic under its derived event id, every invalid record must
be in the dead-letter topic with its reason, and reporting's figures must count each learner,
enrolment and completion exactly once.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer, ConsumerRecord

from shared.contracts.training import (
    COMPLETED,
    COMPLETION_RECORDED,
    COURSE_UPSERTED,
    ENROLLED,
    ENROLMENT_RECORDED,
    REGISTERED,
    REGISTRATION_RECORDED,
)
from shared.events import decode, derived_id, encode, new_event
from shared.kafka import ensure_topics
from shared.topics import Topics, dlq
from tests.faults.conftest import PrivateStack
from tests.faults.reading import dead_letter, figures_when, read_until
from tests.faults.test_nothing_lost import _wait_consumed
from tests.support.processes import ServiceProcess

LEARNERS = 500
COMPLETING = 350  # the first this many learners complete
P = "p1"
START = datetime(2026, 6, 1, 9, tzinfo=UTC)  # financial year 2026-27


def _inbound(event_id: str, type_: str, data: Mapping[str, object]) -> bytes:
    return encode(
        new_event(
            id=event_id,
            type=type_,
            source="agency/learning-platform",
            partnership=P,
            time=START,
            data=dict(data),
        )
    )


def _workload(seed: int) -> tuple[list[bytes], dict[str, str], Counter[str]]:
    """Records in the order the platform sends them; the canonical event ids they must give
    (id -> type); the dead-letter reasons of the invalid ones."""
    course = {
        "course_id": "safeguarding-1",
        "title": "Safeguarding children level 1",
        "theme": "child-protection",
        "format": "elearning",
        "multi_agency": True,
    }
    records = [_inbound("course-1", COURSE_UPSERTED, course)]
    expected: dict[str, str] = {}
    for n in range(LEARNERS):
        learner, at = f"l{n:04d}", START + timedelta(minutes=n)
        org = ("education", "acute-trust", "county-council")[n % 3]
        facts = [
            (
                f"reg-{n}",
                REGISTRATION_RECORDED,
                {"learner_id": learner, "organisation": org, "registered_at": at.isoformat()},
                REGISTERED,
            ),
            (
                f"enr-{n}",
                ENROLMENT_RECORDED,
                {
                    "learner_id": learner,
                    "course_id": "safeguarding-1",
                    "enrolled_at": (at + timedelta(days=1)).isoformat(),
                },
                ENROLLED,
            ),
        ]
        if n < COMPLETING:
            facts.append(
                (
                    f"done-{n}",
                    COMPLETION_RECORDED,
                    {
                        "learner_id": learner,
                        "course_id": "safeguarding-1",
                        "completed_at": (at + timedelta(days=3)).isoformat(),
                    },
                    COMPLETED,
                )
            )
        for event_id, type_, data, canonical in facts:
            records.append(_inbound(event_id, type_, data))
            expected[derived_id(event_id, canonical)] = canonical

    rng = random.Random(seed)
    reasons: Counter[str] = Counter()
    for i in range(30):
        if i % 3 == 0:
            bad, reason = b"\x00\xff not an event " + str(i).encode(), "undecodable"
        elif i % 3 == 1:
            data = {"learner_id": f"x{i}", "course_id": "no-such-course"}
            data["enrolled_at"] = START.isoformat()
            bad, reason = _inbound(f"bad-{i}", ENROLMENT_RECORDED, data), "unknown-course"
        else:
            data = {"learner_id": f"x{i}", "organisation": "nowhere"}
            data["registered_at"] = START.isoformat()
            bad, reason = _inbound(f"bad-{i}", REGISTRATION_RECORDED, data), "schema"
        # anywhere after the course, which must come first
        records.insert(rng.randrange(1, len(records)), bad)
        reasons[reason] += 1
    return records, expected, reasons


async def _publish(bootstrap: str, topic: str, records: list[bytes]) -> None:
    # One key: the platform's events stay in order (the course before its enrolments).
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        futures = [await producer.send(topic, raw, key=b"platform") for raw in records]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def _drain(
    bootstrap: str, topics: Topics, expected: dict[str, str], dead_expected: int
) -> tuple[Counter[str], list[str]]:
    """Canonical event ids seen (with how often) and dead-letter reasons, read until all
    expected are there or ten minutes have passed."""
    seen: Counter[str] = Counter()
    dead: dict[str, str] = {}

    def handle(topic: str, record: ConsumerRecord[bytes, bytes]) -> None:
        if topic.endswith(".dlq"):
            where, reason = dead_letter(record)
            dead[where] = reason
        else:
            seen[decode(record.value).id] += 1

    def done() -> bool:
        return set(expected) <= set(seen) and len(dead) >= dead_expected

    await read_until(
        bootstrap, [topics.training_events, dlq(topics.training_inbound)], done, handle
    )
    return seen, list(dead.values())


@pytest.mark.timeout(1200)
@pytest.mark.parametrize("killed", ["training", "reporting"])
async def test_a_killed_service_loses_and_doubles_nothing(
    private_stack: PrivateStack, run_id: str, tmp_path: Path, killed: str
) -> None:
    bootstrap = private_stack.infra.kafka_bootstrap_servers
    topics = Topics(f"t{run_id}.")
    await ensure_topics(bootstrap, [topics.training_inbound, topics.training_events])
    records, expected, reasons = _workload(seed=len(killed))
    await _publish(bootstrap, topics.training_inbound, records)

    services = {
        name: ServiceProcess(name, private_stack.infra, run_id, tmp_path, CONSUMER_BATCH_SIZE="100")
        for name in ("training", "reporting")
    }
    try:
        for process in services.values():
            await asyncio.to_thread(process.start)
        victim = services[killed]
        # reporting consumes about as many canonical events as training consumes records
        await _wait_consumed(victim, at_least=len(records) / 4, within=300)
        await asyncio.to_thread(victim.kill)
        await asyncio.to_thread(victim.start)
        seen, dead = await _drain(bootstrap, topics, expected, sum(reasons.values()))
        figures = await figures_when(
            [services["reporting"]],
            {"learners_registered": LEARNERS, "enrolments": LEARNERS, "completions": COMPLETING},
        )
    finally:
        for process in services.values():
            await asyncio.to_thread(process.stop)

    lost = set(expected) - set(seen)
    unexpected = set(seen) - set(expected)
    republished = sum(n - 1 for n in seen.values())
    print(
        f"\n[fault kill-{killed}] published={len(records)} announced={len(set(seen))} "
        f"dead-lettered={len(dead)} lost={len(lost)} unexpected={len(unexpected)} "
        f"(re-published same id, harmless: {republished}); reporting: {figures}"
    )
    assert not lost, services["training"].log_tail()
    assert not unexpected  # a fact announced under a second id would be counted twice
    assert Counter(dead) == reasons
    assert figures == {
        "learners_registered": LEARNERS,
        "enrolments": LEARNERS,
        "completions": COMPLETING,
    }, services["reporting"].log_tail()
