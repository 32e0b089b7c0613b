"""`pulse reporting rebuild`: the read models again from the canonical topics.

Replays every canonical topic from its first offset up to the end offsets captured at the
start (a consumer of its own: no group, no commits, so the running service's position is
untouched) and folds each event, through the same fact mapping as the live consumer, into
facts held in memory. Only when the replay is done are the old read models swapped for the
new ones: the fact log is dropped and written again compacted (one entry per fact, plus each
partition's end offset, so the service resumes after them), and every year's figures are
recomputed. The figures are a function of the facts, and the facts of the set of events, so
they end identical to the incremental ones.

Decoding and validating the records is most of a replay's work, so a large replay
(`PARALLEL_ABOVE` records) decodes in worker processes, one per core: each turns a chunk of
raw records into fact updates, returned as the value the log stores them in, and this process
fetches the records and folds the updates in.

It refuses when a canonical topic no longer starts at offset 0 (`HistoryCut`): events have
been deleted, and figures replayed from what is left would be wrong without saying so.

Run it with the reporting service stopped: its consumer would otherwise write facts while
they are dropped. So the rebuild first asks the broker for the members of reporting's
consumer group and refuses while any is there (`force` skips the check: a service known to
be idle, or members a killed process left until their session times out). What was
published (statuses, exceptions, snapshot hashes) is kept: when the service starts again it
compares the rebuilt figures with what it published and announces only real changes.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from services.reporting.erasure import Erased, erased_contacts
from services.reporting.fact_state import FactState, stored, stream_of
from services.reporting.handlers import Canonical, decode_canonical, fact_updates
from services.reporting.recompute import recompute_year
from services.reporting.store import Batch, ReportingStore
from shared import collector
from shared.mongo import create_client, from_opaque, opaque
from shared.rejections import Rejected
from shared.settings import ServiceSettings
from shared.topics import Topics
from shared.workdays import LONDON

Progress = Callable[[int, int], None]
# Records in a replay above which it decodes in worker processes: starting them (a second
# or so) costs more than it saves on a small one.
PARALLEL_ABOVE = 50_000


async def _partitions(settings: ServiceSettings, names: tuple[str, ...]) -> list[TopicPartition]:
    """Every partition of the topics that exist (a service that never published has none)."""
    admin = _admin(settings)
    await admin.start()
    try:
        described = await admin.describe_topics(list(names))
    finally:
        await admin.close()
    return [
        TopicPartition(t["topic"], p["partition"])
        for t in described
        if t.get("error_code") == 0
        for p in sorted(t.get("partitions", []), key=lambda p: p["partition"])
    ]


class ReportingRunning(RuntimeError):
    """The reporting service is consuming: a rebuild now would race it."""


class HistoryCut(RuntimeError):
    """A canonical topic no longer starts at offset 0: its first events were deleted
    (retention, or records deleted by hand), so a replay would build figures from part of the
    history."""


def check_history(beginnings: Mapping[TopicPartition, int]) -> None:
    """Refuse a replay of canonical topics whose log has been cut."""
    cut = sorted(
        f"{tp.topic}[{tp.partition}] starts at offset {first}"
        for tp, first in beginnings.items()
        if first != 0
    )
    if cut:
        raise HistoryCut(
            "the canonical topics no longer hold the whole history: "
            + "; ".join(cut)
            + ". Their earlier events were deleted (a retention limit, or records deleted by "
            "hand), so a rebuild would compute figures from part of the history. Nothing was "
            "dropped. Keep canonical topics with retention.ms=-1 (README, 'Retention') and "
            "restore the events before rebuilding."
        )


def _admin(settings: ServiceSettings) -> AIOKafkaAdminClient:
    return AIOKafkaAdminClient(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        client_id="reporting-rebuild",
        **settings.kafka_options(),
    )


async def _live_members(settings: ServiceSettings, group: str) -> int:
    """How many consumers are members of `group` now (0 for an empty or unknown group)."""
    admin = _admin(settings)
    await admin.start()
    try:
        responses = await admin.describe_consumer_groups([group])
    finally:
        await admin.close()
    # DescribeGroups: (error_code, group, state, protocol_type, protocol, members, ...)
    return sum(
        len(g[5]) for response in responses for g in response.groups if g[1] == group and g[0] == 0
    )


@dataclass(frozen=True)
class RebuildResult:
    database: str
    events: int  # records read
    unusable: int  # records that would have been dead-lettered (not decodable / schema)
    years: int  # (partnership, financial year) pairs recomputed
    seconds: float
    # Where the time went: replaying into memory, writing the new log, computing figures.
    phases: dict[str, float] = field(default_factory=dict)

    def describe_phases(self) -> str:
        return ", ".join(f"{name} {secs:.1f}s" for name, secs in self.phases.items())


async def rebuild(
    settings: ServiceSettings,
    progress: Progress,
    *,
    batch_size: int = 1000,
    force: bool = False,
    workers: int | None = None,
) -> RebuildResult:
    """Rebuild reporting's read models; `workers` processes decode the records (default: one
    per core for a replay of more than `PARALLEL_ABOVE` records, else none)."""
    started = time.monotonic()
    collector.tune()
    group = settings.group_id()
    if not force and (members := await _live_members(settings, group)):
        raise ReportingRunning(
            f"reporting is running: its consumer group {group!r} has {members} member(s). "
            "Stop the reporting service first (pulse stop reporting, or docker compose stop "
            "reporting); a process that was killed leaves its members until their session "
            "times out (about 10 s). --force rebuilds anyway."
        )
    topics = Topics(settings.topic_prefix)
    client = create_client(settings.mongodb_url, app_name="reporting-rebuild")
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        client_id="reporting-rebuild",
        **settings.kafka_options(),
    )
    await consumer.start()
    pool: Executor | None = None
    try:
        partitions = await _partitions(settings, topics.canonical)
        consumer.assign(partitions)
        begin = await consumer.beginning_offsets(partitions)
        check_history(begin)  # before anything is dropped
        end = await consumer.end_offsets(partitions)
        total = sum(end[tp] - begin[tp] for tp in partitions)
        progress(0, total)
        if workers is None:
            workers = (os.cpu_count() or 1) if total > PARALLEL_ABOVE else 0
        if workers > 0:
            pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))

        store = ReportingStore(client[settings.database_name()])
        erased = await erased_contacts(store.db)  # tombstones survive the drop
        state = FactState()
        today = datetime.now(LONDON).date()

        for tp in partitions:
            consumer.seek(tp, begin[tp])
        remaining = {tp for tp in partitions if end[tp] > begin[tp]}
        done = unusable = 0
        touched: set[tuple[str, str]] = set()
        # Chunks being decoded by the workers, oldest first; at most two per worker.
        decoding: deque[asyncio.Future[tuple[bytes, int]]] = deque()

        def fold(decoded: tuple[bytes, int]) -> None:
            nonlocal unusable, touched
            updates, bad = decoded
            unusable += bad
            touched |= state.apply(from_opaque(updates), today)

        while remaining:
            batch = await consumer.getmany(*remaining, timeout_ms=1000, max_records=batch_size)
            raws = [
                record.value
                for tp, records in batch.items()
                for record in records
                if record.offset < end[tp]
            ]
            done += len(raws)
            if pool is None:
                fold(decode_records(raws, erased))
            else:
                decoding.append(
                    asyncio.get_running_loop().run_in_executor(pool, decode_records, raws, erased)
                )
                while len(decoding) > 2 * workers:
                    fold(await decoding.popleft())
            for tp in list(remaining):
                if await consumer.position(tp) >= end[tp]:
                    remaining.discard(tp)
            progress(min(done, total), total)
        while decoding:
            fold(await decoding.popleft())

        phases = {"replay": time.monotonic() - started}
        # The swap: the old read models stayed readable during the replay.
        await store.drop_read_models()
        await store.create_indexes()
        positions = [
            Batch(stream_of(tp.topic, tp.partition), begin[tp], end[tp], []) for tp in partitions
        ]
        compacted = Batch("rebuild", 0, 0, list(state.compacted()))
        # While the database writes the log, this process makes each year's running sums
        # (in a thread: nothing else touches the state until the log is written).
        await asyncio.gather(
            store.write_log([compacted, *positions]),
            asyncio.to_thread(_make_running, state, touched),
        )
        # What was folded is what the log now holds (the same values, read back as stored):
        # the store takes it over instead of reading the log back.
        await store.adopt(state, {b.stream: b.next for b in positions})
        phases["swap"] = time.monotonic() - started - sum(phases.values())
        for partnership, fy in sorted(touched):
            await recompute_year(store, partnership, fy)
        phases["figures"] = time.monotonic() - started - sum(phases.values())
        progress(total, total)
        return RebuildResult(
            database=settings.database_name(),
            events=done,
            unusable=unusable,
            years=len(touched),
            seconds=round(time.monotonic() - started, 2),
            phases=phases,
        )
    finally:
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        await consumer.stop()
        await client.close()


def _make_running(state: FactState, years: set[tuple[str, str]]) -> None:
    for partnership, fy in sorted(years):
        state.running(partnership, fy)


def decode_records(raws: Sequence[bytes | None], erased: Erased) -> tuple[bytes, int]:
    """Canonical records to their fact updates, as the value a log entry stores them in,
    and how many records were unusable (they would have been dead-lettered). Pure: run in a
    worker process for a large replay."""
    collector.tune()  # a worker process starts with the default thresholds
    items: list[Canonical] = []
    unusable = 0
    for raw in raws:
        try:
            items.append(decode_canonical(raw))
        except Rejected:
            unusable += 1
    updates = [stored(partnership, u) for partnership, u in fact_updates(items, erased)]
    return opaque(updates), unusable
