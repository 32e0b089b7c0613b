"""`pulse bench`: every phase asked for, in one run, and clean-up after it."""

from __future__ import annotations

import asyncio
import contextlib
import resource
import signal
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
from aiokafka.admin import AIOKafkaAdminClient
from pymongo import AsyncMongoClient
from rich.progress import Progress

from ops.bench.payloads import financial_year_label, payloads
from ops.bench.peer import dataframe_recount
from ops.bench.pipeline import pipeline, service
from ops.bench.raw import raw_ceiling
from ops.bench.rebuild import rebuild_speed
from ops.bench.report import write_doc
from ops.bench.results import BenchError, BenchOptions, BenchResult, Machine, Rate
from ops.processes import ProcessError, ServiceProcess
from shared.topics import Topics


async def _clean(opts: BenchOptions, run: str) -> None:
    prefix = f"bench{run}."
    admin = AIOKafkaAdminClient(bootstrap_servers=opts.bootstrap_servers)
    await admin.start()
    try:
        mine = [t for t in await admin.list_topics() if t.startswith(prefix)]
        if mine:
            await admin.delete_topics(mine)
    finally:
        await admin.close()
    # Bounded: a database that stopped answering must not keep the bench from ending.
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        opts.mongodb_url, serverSelectionTimeoutMS=5000, socketTimeoutMS=30000
    )
    try:
        for name in await client.list_database_names():
            if name.startswith(f"bench{run}_"):
                await client.drop_database(name)
    finally:
        await client.close()


@contextlib.contextmanager
def _services(
    opts: BenchOptions, run: str, result: BenchResult
) -> Iterator[dict[str, ServiceProcess]]:
    procs = {name: service(name, opts, run) for name in ("intake", "reporting")}
    try:
        for proc in procs.values():
            proc.start()
        yield procs
    finally:
        for name, proc in procs.items():
            peak = proc.peak_rss_mib()  # before it stops: /proc forgets it then
            if peak is not None:
                result.peak_rss_mib[name] = peak
            proc.stop()


async def run(opts: BenchOptions, progress: Progress | None = None) -> BenchResult:
    """Every phase asked for; a phase that cannot run is reported, not fatal."""
    run_id = uuid.uuid4().hex[:8]
    now = datetime.now(UTC)
    result = BenchResult(Machine.this(), now, opts)
    year = financial_year_label(now)
    data = payloads(f"bench-{run_id}", now)
    latency_data = payloads(f"bench-{run_id}-lat", now)
    result.payload_bytes = data.mean_size
    tasks: dict[str, Any] = {}

    def tick(what: str, done: int, total: int) -> None:
        if progress is None:
            return
        if what not in tasks:
            tasks[what] = progress.add_task(what, total=total)
        progress.update(tasks[what], completed=done, total=total)

    try:
        if opts.raw:
            result.rates.extend(await raw_ceiling(opts, run_id, data, tick))
        if opts.pipeline or opts.rebuild:
            try:
                with _services(opts, run_id, result) as procs:
                    if opts.pipeline:
                        await pipeline(
                            opts, run_id, data, latency_data, year, procs["reporting"], tick, result
                        )
                    if opts.rebuild:
                        peer = await dataframe_recount(
                            opts.bootstrap_servers, Topics(f"bench{run_id}."), tick
                        )
                        recount = Rate(
                            "dataframe recount (orjson + polars)", peer.events, peer.seconds
                        )
                        rebuilt = await rebuild_speed(opts, run_id, procs["reporting"], tick)
                        if recount.per_second:
                            share = rebuilt.per_second / recount.per_second
                            rebuilt.note = f"({share:.0%} of the dataframe recount) {rebuilt.note}"
                        result.rates.extend([recount, rebuilt])
            except (BenchError, ProcessError, httpx.HTTPError) as exc:
                result.failures.append(f"pipeline/rebuild: {exc}")
    finally:
        # This process produced every phase's events and ran the rebuild and the recount.
        result.peak_rss_mib["bench (producer, rebuild, recount)"] = (
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        )
        if not opts.keep:
            try:
                await asyncio.wait_for(_clean(opts, run_id), timeout=60)
            except Exception as exc:
                result.failures.append(
                    f"clean-up: could not drop topics/databases bench{run_id}* ({exc!r})"
                )
    if opts.doc is not None:
        write_doc(result, opts.doc)
    return result


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def bench(opts: BenchOptions, progress: Progress | None = None) -> BenchResult:
    """`pulse bench`: the synchronous entry point for the CLI. SIGTERM is treated like Ctrl-C,
    so the service processes it started are stopped and its topics and databases dropped."""
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        return asyncio.run(run(opts, progress))
    finally:
        signal.signal(signal.SIGTERM, previous)
