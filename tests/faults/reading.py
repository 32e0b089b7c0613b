"""Reading what the services under test published, until it is all there."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from aiokafka import AIOKafkaConsumer, ConsumerRecord

from shared.events import Envelope, decode
from tests.support.processes import ServiceProcess


async def read_until(
    bootstrap: str,
    topics: list[str],
    done: Callable[[], bool],
    handle: Callable[[str, ConsumerRecord[bytes, bytes]], None],
    within: float = 600,
) -> None:
    """Hand every record of `topics` (from the beginning) to `handle` until `done()` and a
    second without anything new (late extras would show), or `within` seconds."""
    consumer: AIOKafkaConsumer = AIOKafkaConsumer(
        *topics,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        metadata_max_age_ms=1000,
    )
    await consumer.start()
    try:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            finished = done()
            batches = await consumer.getmany(timeout_ms=1000 if finished else 300)
            if finished and not batches:
                return
            for tp, messages in batches.items():
                for m in messages:
                    handle(tp.topic, m)
    finally:
        await consumer.stop()


def dead_letter(record: ConsumerRecord[bytes, bytes]) -> tuple[str, str]:
    """(where the record came from, why it was dead-lettered): a record dead-lettered twice
    (its batch redelivered) is one record."""
    h = {k: v.decode() for k, v in record.headers}
    return f"{h['dlq.partition']}:{h['dlq.offset']}", h["dlq.reason"]


@dataclass
class Announced:
    """What a service announced on its canonical topic (each event by id as first seen, with
    how many copies: a copy under the same id is a harmless re-publication) and what it
    dead-lettered (where the record came from -> why)."""

    events: dict[str, Envelope] = field(default_factory=dict)
    copies: Counter[str] = field(default_factory=Counter)
    dead: dict[str, str] = field(default_factory=dict)
    # Ids re-published saying something else than their first copy: a subscriber deduping by
    # id keeps whichever it saw first.
    changed: set[str] = field(default_factory=set)

    def of_type(self, type_: str) -> list[Envelope]:
        return [e for e in self.events.values() if e.type == type_]

    @property
    def republished(self) -> int:
        return sum(n - 1 for n in self.copies.values())


async def announced(
    bootstrap: str,
    topic: str,
    dead_letters: str,
    done: Callable[[Announced], bool],
    within: float = 600,
) -> Announced:
    """Read `topic` and its dead-letter topic from the beginning until `done(seen)` (then a
    second of quiet, so late extras show) or `within` seconds."""
    seen = Announced()

    def handle(from_topic: str, record: ConsumerRecord[bytes, bytes]) -> None:
        if from_topic == dead_letters:
            where, reason = dead_letter(record)
            seen.dead[where] = reason
            return
        event = decode(record.value)
        first = seen.events.setdefault(event.id, event)
        if first.data != event.data:
            seen.changed.add(event.id)
        seen.copies[event.id] += 1

    await read_until(bootstrap, [topic, dead_letters], lambda: done(seen), handle, within)
    return seen


def financial_year(day: date) -> str:
    """'2026-27' for any day from 1 April 2026 to 31 March 2027."""
    start = day.year if day.month >= 4 else day.year - 1
    return f"{start}-{(start + 1) % 100:02d}"


async def figures_when(
    reporting: Sequence[ServiceProcess],
    want: Mapping[str, int],
    *,
    partnership: str = "p1",
    period: str = "2026-27",
    within: float = 300,
) -> dict[str, int]:
    """Reporting's unsuppressed figures named in `want`, asked of each instance in turn, once
    they reach `want` (then looked at again a moment later: a double count would show as a
    figure above it), or whatever they are at the deadline."""

    def fetch(svc: ServiceProcess) -> dict[str, int]:
        url = f"{svc.url}/internal/partnerships/{partnership}/figures/{period}"
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                values = json.loads(r.read())["values"]
        except (OSError, KeyError, ValueError):
            return {}
        return {k: int(values.get(k) or 0) for k in want}

    got: dict[str, int] = {}
    deadline = time.monotonic() + within
    turn = 0
    while time.monotonic() < deadline:
        svc = reporting[turn % len(reporting)]
        turn += 1
        got = await asyncio.to_thread(fetch, svc)
        if got and all(got[k] >= v for k, v in want.items()):
            await asyncio.sleep(3)
            return await asyncio.to_thread(fetch, reporting[turn % len(reporting)])
        await asyncio.sleep(1)
    return got
