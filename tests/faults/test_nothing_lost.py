"""Nothing lost, nothing counted twice: intake as a real process under faults.

Each scenario publishes a known set of valid contacts with invalid records mixed in, injects
a fault while the service is consuming, lets it recover, and then checks that every valid
contact was announced on intake's canonical topic under exactly one event id and every
invalid record sits in the dead-letter topic with its reason. Counts are printed.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import signal
import time
import urllib.request
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from shared.contracts.intake import RECEIVED, SUBMITTED, ContactSubmitted
from shared.events import decode, encode, new_event
from shared.kafka import ensure_topics
from shared.topics import Topics, dlq
from tests.faults.conftest import PrivateStack
from tests.support.processes import ServiceProcess

VALID = 1500
INVALID = 45
BATCH = 100


def _valid(i: int) -> bytes:
    data = ContactSubmitted.model_validate(
        {
            "contact_id": f"c{i:05d}",
            "agency": "police",
            "source": "6",
            "channel": "vist",
            "received_at": (datetime(2026, 11, 2, 9, tzinfo=UTC) + timedelta(minutes=i % 20_000)),
            "child_ref": f"child-{i:05d}",
            "age_years": i % 18,
            "consent": "obtained",
            "wishes_and_feelings_recorded": i % 3 == 0,
        }
    ).model_dump(mode="json", exclude_none=True)
    event = new_event(
        id=f"sub-{i:05d}",
        type=SUBMITTED,
        source="agency/police",
        partnership="p1",
        subject=data["contact_id"],
        data=data,
    )
    return encode(event)


def _invalid(i: int) -> tuple[bytes, str]:
    kind = i % 3
    if kind == 0:
        return b"\x00\xff garbage " + str(i).encode(), "undecodable"
    if kind == 1:
        body = json.loads(_valid(100_000 + i))
        body["data"]["child_name"] = "x"
        body["data"].pop("child_ref")
        body["id"] = f"bad-{i}"
        return json.dumps(body).encode(), "personal-data"
    body = json.loads(_valid(100_000 + i))
    body["data"]["channel"] = "carrier-pigeon"
    body["id"] = f"bad-{i}"
    return json.dumps(body).encode(), "schema"


def _workload(seed: int) -> tuple[list[bytes], Counter[str]]:
    records = [_valid(i) for i in range(VALID)]
    reasons: Counter[str] = Counter()
    for i in range(INVALID):
        raw, reason = _invalid(i)
        records.append(raw)
        reasons[reason] += 1
    random.Random(seed).shuffle(records)
    return records, reasons


async def _publish(bootstrap: str, topic: str, records: list[bytes], times: int = 1) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        for _ in range(times):
            futures = [
                await producer.send(topic, raw, key=str(i % 97).encode())
                for i, raw in enumerate(records)
            ]
            await asyncio.gather(*futures)
    finally:
        await producer.stop()


def _consumed(svc: ServiceProcess) -> float:
    try:
        with urllib.request.urlopen(f"{svc.url}/metrics", timeout=2) as r:
            text = r.read().decode()
    except OSError:
        return 0.0
    return sum(float(m) for m in re.findall(r"^pulse_consumed_total\{[^}]*\} (\S+)$", text, re.M))


async def _wait_consumed(svc: ServiceProcess, at_least: float, within: float = 180) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if await asyncio.to_thread(_consumed, svc) >= at_least:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"service consumed fewer than {at_least} records in {within}s")


async def _drain(
    bootstrap: str, topics: Topics, expect_valid: int, expect_dead: int, within: float = 600
) -> tuple[dict[str, set[str]], list[str], int]:
    """Read the canonical and dead-letter topics until every valid contact and every invalid
    record is accounted for (or the deadline): contact id -> received-event ids, DLQ reasons,
    and how many canonical records were re-publications of an id already seen."""
    consumer = AIOKafkaConsumer(
        topics.intake_events,
        dlq(topics.intake_inbound),
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        metadata_max_age_ms=1000,
    )
    await consumer.start()
    received: dict[str, set[str]] = {}
    dead_offsets: dict[str, str] = {}
    republished = 0
    try:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if len(received) >= expect_valid and len(dead_offsets) >= expect_dead:
                # keep reading a little to catch late extras
                extra = await consumer.getmany(timeout_ms=1000)
                if not extra:
                    break
                batches = extra
            else:
                batches = await consumer.getmany(timeout_ms=300)
            for tp, messages in batches.items():
                for m in messages:
                    if tp.topic.endswith(".dlq"):
                        headers = {k: v.decode() for k, v in m.headers}
                        # a record dead-lettered twice (batch redelivered) is one record
                        dead_offsets[f"{headers['dlq.partition']}:{headers['dlq.offset']}"] = (
                            headers["dlq.reason"]
                        )
                        continue
                    event = decode(m.value)
                    if event.type != RECEIVED:
                        continue
                    ids = received.setdefault(str(event.subject), set())
                    if event.id in ids:
                        republished += 1
                    ids.add(event.id)
    finally:
        await consumer.stop()
    return received, list(dead_offsets.values()), republished


async def _reported_contacts(reporting: ServiceProcess, expect: int, within: float = 240) -> int:
    """Reporting's unsuppressed count of contacts received in the workload's financial year,
    once it reaches `expect` (or whatever it is at the deadline)."""
    url = f"{reporting.url}/internal/partnerships/p1/figures/2026-27"

    def fetch() -> int:
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                return int(json.loads(r.read())["values"].get("contacts_received") or 0)
        except (OSError, KeyError, ValueError):
            return -1

    deadline = time.monotonic() + within
    count = -1
    while time.monotonic() < deadline:
        count = await asyncio.to_thread(fetch)
        if count >= expect:
            # Keep looking a moment: a double count would show up as a figure above `expect`.
            await asyncio.sleep(3)
            return await asyncio.to_thread(fetch)
        await asyncio.sleep(1)
    return count


def _report(
    name: str, published: int, received: dict[str, set[str]], dead: list[str], republished: int
) -> tuple[int, int]:
    lost = VALID - len(received)
    duplicated = sum(len(ids) - 1 for ids in received.values())
    print(
        f"\n[fault {name}] published={published} delivered={len(received)} "
        f"dead-lettered={len(dead)} lost={lost} duplicated={duplicated} "
        f"(re-published same id, harmless: {republished})"
    )
    return lost, duplicated


Fault = Callable[[PrivateStack, ServiceProcess, list[ServiceProcess], Path], None]


def _sigkill(
    stack: PrivateStack, svc: ServiceProcess, extra: list[ServiceProcess], _: Path
) -> None:
    svc.kill()
    svc.start()


def _sigterm(
    stack: PrivateStack, svc: ServiceProcess, extra: list[ServiceProcess], _: Path
) -> None:
    # uvicorn re-raises SIGTERM after its graceful shutdown, so the exit status is -SIGTERM;
    # what matters is that the service finished its batch and closed before exiting.
    assert svc.terminate() in (0, -signal.SIGTERM), svc.log_tail()
    assert "intake stopped" in svc.log_tail(), svc.log_tail()
    svc.start()


def _broker_restart(
    stack: PrivateStack, svc: ServiceProcess, extra: list[ServiceProcess], _: Path
) -> None:
    stack.stop("kafka")
    time.sleep(3)  # the outage itself: the service must ride it out, not a wait for a result
    stack.up()


def _database_restart(
    stack: PrivateStack, svc: ServiceProcess, extra: list[ServiceProcess], _: Path
) -> None:
    stack.stop("ferretdb")
    time.sleep(3)  # the outage itself
    stack.up()


def _rebalance(
    stack: PrivateStack, svc: ServiceProcess, extra: list[ServiceProcess], log_dir: Path
) -> None:
    second = ServiceProcess(
        "intake",
        stack.infra,
        svc.env["TOPIC_PREFIX"][1:-1],
        log_dir,
        CONSUMER_BATCH_SIZE=str(BATCH),
    )
    extra.append(second.start())


SCENARIOS: dict[str, Fault | None] = {
    "sigkill-mid-batch": _sigkill,
    "sigterm-while-busy": _sigterm,
    "broker-restart": _broker_restart,
    "database-restart": _database_restart,
    "second-instance-rebalance": _rebalance,
    "published-twice": None,
}


@pytest.mark.timeout(1200)  # a scenario on a busy 2-core machine can take several minutes
@pytest.mark.parametrize("scenario", list(SCENARIOS))
async def test_every_valid_event_once_every_invalid_one_dead_lettered(
    private_stack: PrivateStack, run_id: str, tmp_path: Path, scenario: str
) -> None:
    bootstrap = private_stack.infra.kafka_bootstrap_servers
    topics = Topics(f"t{run_id}.")
    await ensure_topics(bootstrap, [topics.intake_inbound])
    records, reasons = _workload(seed=len(scenario))
    times = 2 if scenario == "published-twice" else 1
    await _publish(bootstrap, topics.intake_inbound, records, times)

    svc = ServiceProcess(
        "intake", private_stack.infra, run_id, tmp_path, CONSUMER_BATCH_SIZE=str(BATCH)
    )
    # Reporting counts what intake announces: the figure users see is the final judge.
    reporting = ServiceProcess(
        "reporting", private_stack.infra, run_id, tmp_path, RECOMPUTE_DEBOUNCE_S="1"
    )
    extra: list[ServiceProcess] = []
    try:
        await asyncio.to_thread(reporting.start)
        await asyncio.to_thread(svc.start)
        fault = SCENARIOS[scenario]
        if fault is not None:
            await _wait_consumed(svc, at_least=len(records) * times / 4)
            await asyncio.to_thread(fault, private_stack, svc, extra, tmp_path)
        received, dead, republished = await _drain(bootstrap, topics, VALID, INVALID * times)
        in_reporting = await _reported_contacts(reporting, expect=VALID)
    finally:
        for process in [svc, *extra, reporting]:
            await asyncio.to_thread(process.stop)

    lost, duplicated = _report(scenario, len(records) * times, received, dead, republished)
    print(f"[fault {scenario}] contacts counted by reporting: {in_reporting} of {VALID}")
    assert lost == 0, svc.log_tail()
    assert duplicated == 0
    # Each copy of an invalid record is a record of its own, dead-lettered with its reason.
    assert Counter(dead) == Counter({reason: n * times for reason, n in reasons.items()})
    assert in_reporting == VALID, reporting.log_tail()
