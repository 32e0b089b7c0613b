"""The bench's peer: what a plain batch script does with the same canonical events that
reporting's rebuild replays. Read the canonical topics with aiokafka, decode with orjson,
count contacts received per partnership and financial year with polars. The rebuild has to
do more than this (every figure, every period, stored read models), but a batch recount is
what a user would reach for if the live system were slower than a script."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from shared.contracts.intake import RECEIVED
from shared.topics import Topics

BATCH = 5_000
LONDON_TZ = "Europe/London"  # financial years are London dates


@dataclass(frozen=True)
class Recount:
    events: int
    seconds: float
    contacts_by_year: dict[tuple[str, str], int]  # (partnership, "2020-21") -> contacts


async def dataframe_recount(
    bootstrap_servers: str, topics: Topics, tick: Callable[[str, int, int], None]
) -> Recount:
    """Read every canonical topic from its first offset to its end, then count with polars."""
    import orjson
    import polars as pl

    started = time.perf_counter()
    parts = await _partitions(
        bootstrap_servers, [topics.intake_events, topics.reviews_events, topics.training_events]
    )
    rows: dict[str, list[str]] = {"partnership": [], "subject": [], "received_at": []}
    events = 0
    if not parts:
        return Recount(0, time.perf_counter() - started, {})
    # No consumer group: partitions assigned by hand and read from the start, as a script would.
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers, enable_auto_commit=False, max_poll_records=BATCH
    )
    await consumer.start()
    try:
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        ends = await consumer.end_offsets(parts)
        total = sum(ends.values())
        remaining = {tp for tp, end in ends.items() if end > 0}
        while remaining:
            fetched = await consumer.getmany(*remaining, timeout_ms=1000, max_records=BATCH)
            for tp, records in fetched.items():
                for record in records:
                    event = orjson.loads(record.value)
                    events += 1
                    if event["type"] == RECEIVED:
                        rows["partnership"].append(event["partnership"])
                        rows["subject"].append(event["subject"])
                        rows["received_at"].append(event["data"]["received_at"])
                if records and records[-1].offset + 1 >= ends[tp]:
                    remaining.discard(tp)
            tick("dataframe recount", events, total)
    finally:
        await consumer.stop()
    frame = pl.DataFrame(rows).with_columns(
        pl.col("received_at")
        .str.to_datetime(time_zone="UTC")
        .dt.convert_time_zone(LONDON_TZ)
        .alias("at")
    )
    # The financial year starts on 1 April: shift back three months and take the year.
    counted = (
        frame.unique(subset=["partnership", "subject"])
        .with_columns(pl.col("at").dt.offset_by("-3mo").dt.year().alias("fy"))
        .group_by("partnership", "fy")
        .len()
    )
    by_year = {(p, f"{fy}-{(fy + 1) % 100:02d}"): n for p, fy, n in counted.iter_rows()}
    return Recount(events, time.perf_counter() - started, by_year)


async def _partitions(bootstrap_servers: str, names: list[str]) -> list[TopicPartition]:
    """The partitions of those of `names` that exist."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        described = await admin.describe_topics(names)
    finally:
        await admin.close()
    return [
        TopicPartition(topic["topic"], part["partition"])
        for topic in described
        if topic.get("error_code", 0) == 0
        for part in topic["partitions"]
    ]
