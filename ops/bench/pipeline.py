"""2. The pipeline: intake and reporting as real processes, and latency at a steady rate."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import httpx

from ops.bench.payloads import Payloads, produce
from ops.bench.results import BenchError, BenchOptions, BenchResult, Latency, Rate
from ops.paths import state_dir
from ops.processes import ServiceProcess
from ops.simulate import KafkaSender
from shared.topics import Topics


def service(service: str, opts: BenchOptions, run: str) -> ServiceProcess:
    """`pulse run <service>` on the bench's own topics, group and database."""
    return ServiceProcess(
        service,
        bootstrap_servers=opts.bootstrap_servers,
        mongodb_url=opts.mongodb_url,
        name=f"bench{run}",
        log_dir=state_dir() / "bench" / run,
        LOG_LEVEL="WARNING",
        **opts.service_env,
    )


class Probe:
    """How many contacts reporting's figures count for a partnership (its internal API)."""

    def __init__(self, reporting: ServiceProcess, year: str) -> None:
        self.client = httpx.AsyncClient(base_url=reporting.url, timeout=10.0)
        self.year = year

    async def count(self, partnership: str) -> int:
        try:
            response = await self.client.get(
                f"/internal/partnerships/{partnership}/figures/{self.year}"
            )
        except httpx.TimeoutException:
            raise BenchError(
                "reporting's internal figures endpoint did not answer within 10s (is its "
                "database stuck? see the reporting log under .pulse/bench/)"
            ) from None
        if response.status_code == 404:
            return 0
        response.raise_for_status()
        values = response.json().get("values", {})
        return int(values.get("contacts_received") or 0)

    async def close(self) -> None:
        await self.client.aclose()


async def _wait_for(
    probe: Probe,
    partnership: str,
    target: int,
    opts: BenchOptions,
    on_count: Callable[[int, float], None],
) -> float:
    """Poll until reporting counts `target`; the time it did. Fails when the count stops
    moving for `stall_timeout_s`."""
    last, moved = -1, time.perf_counter()
    while True:
        count = await probe.count(partnership)
        now = time.perf_counter()
        on_count(count, now)
        if count >= target:
            return now
        if count != last:
            last, moved = count, now
        elif now - moved > opts.stall_timeout_s:
            raise BenchError(
                f"reporting counted {count:,} of {target:,} contacts and nothing moved for "
                f"{opts.stall_timeout_s:.0f}s"
            )
        await asyncio.sleep(opts.poll_interval_s)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


async def steady_latency(
    opts: BenchOptions, topic: str, data: Payloads, probe: Probe, first: int
) -> Latency:
    """Publish at `opts.rate` for `opts.latency_seconds` while polling reporting's count."""
    total = int(opts.rate * opts.latency_seconds)
    published: list[float] = []  # publication time of event i
    seen: list[float] = []  # latency of event i, filled as the count passes it
    sender = KafkaSender(opts.bootstrap_servers)
    await sender.start()
    done = asyncio.Event()

    async def publish() -> None:
        started = time.perf_counter()
        step = 0.01
        for i in range(total):
            due = started + i / opts.rate
            delay = due - time.perf_counter()
            if delay > step:
                await asyncio.sleep(delay)
            key, value = data.message(first + i)
            published.append(time.perf_counter())
            await sender.producer.send(topic, value, key=key)
        await sender.flush()
        done.set()

    def on_count(count: int, at: float) -> None:
        while len(seen) < min(count, len(published)):
            seen.append(at - published[len(seen)])

    publisher = asyncio.create_task(publish())
    try:
        await _wait_for(probe, data.partnership, total, opts, on_count)
        await publisher
    finally:
        publisher.cancel()
        await sender.stop()
    return Latency(
        rate=opts.rate,
        events=len(seen),
        p50=percentile(seen, 0.50),
        p95=percentile(seen, 0.95),
        p99=percentile(seen, 0.99),
        max=max(seen),
        what="publish -> reporting figure",
    )


async def pipeline(
    opts: BenchOptions,
    run: str,
    data: Payloads,
    latency_data: Payloads,
    year: str,
    reporting: ServiceProcess,
    tick: Callable[[str, int, int], None],
    result: BenchResult,
) -> None:
    topics = Topics(f"bench{run}.")
    probe = Probe(reporting, year)
    try:
        # Latency first, while the read models are small, at a steady rate.
        if opts.rate > 0 and opts.latency_seconds > 0:
            result.latencies.append(
                await steady_latency(opts, topics.intake_inbound, latency_data, probe, 0)
            )
        sender = KafkaSender(opts.bootstrap_servers)
        await sender.start()
        published_at: list[float] = []

        async def publish() -> None:
            started = time.perf_counter()
            chunk = 10_000
            for first in range(0, opts.events, chunk):
                await produce(
                    sender, topics.intake_inbound, data, first, min(chunk, opts.events - first)
                )
            published_at.append(time.perf_counter() - started)

        started = time.perf_counter()
        publisher = asyncio.create_task(publish())
        try:
            finished = await _wait_for(
                probe,
                data.partnership,
                opts.events,
                opts,
                lambda count, _at: tick("pipeline: reporting counts", count, opts.events),
            )
            await publisher
        finally:
            publisher.cancel()
            await sender.stop()
        result.rates.append(
            Rate(
                "pipeline: publish -> reporting",
                opts.events,
                finished - started,
                note=f"(publishing alone took {published_at[0]:.1f}s)" if published_at else "",
            )
        )
    finally:
        await probe.close()
