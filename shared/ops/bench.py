"""`pulse bench`: how fast the system is, next to the raw Kafka ceiling, in one run on one
machine.

1. Raw ceiling: aiokafka producing (acks=all, idempotent, the simulator's producer settings)
   and then consuming the same payloads as the pipeline's contacts, doing nothing with them.
2. Pipeline: intake and reporting started as real processes (`pulse run ...`) on a topic
   prefix and databases of their own; N contacts published on intake's inbound topic; the
   clock stops when reporting's figures (its internal HTTP API) count all N. Before that,
   latency at a steady rate: contacts published at a fixed rate for a while, reporting's
   count polled; each event's latency is the time from its publication to the first poll that
   counts it (count-based: assumes events become visible roughly in publication order,
   and the poll interval bounds the resolution).
3. Rebuild: reporting stopped, `services.reporting.rebuild.rebuild` replays its canonical
   topics into fresh read models; events per second replayed. Beside it, the peer: a plain
   dataframe recount of the same canonical events (`bench_peer`), and the rebuild's share
   of its speed.

Every figure is printed with its ratio to the raw ceiling and written to docs/benchmarks.md
between the `bench:begin`/`bench:end` markers, with the machine, date and command.
Nothing here asserts a timing: it measures and reports.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import os
import platform
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from pymongo import AsyncMongoClient
from rich.progress import Progress

from shared.contracts.intake import SUBMITTED, ContactSubmitted
from shared.events import encode, new_event
from shared.kafka import ensure_topics
from shared.ops import system
from shared.ops.bench_peer import dataframe_recount
from shared.ops.paths import REPO, state_dir
from shared.ops.simulate import KafkaSender
from shared.ops.simulation.frontdoor import FrontDoor
from shared.ops.simulation.model import Plan, Totals
from shared.topics import Topics
from shared.workdays import LONDON

# Replaced by the message's sequence number as `00012.34567`: a run of ten digits would look
# like an NHS number, and intake rightly refuses those.
PLACEHOLDER = b"ZZZZZ.ZZZZZ"
DOC = REPO / "docs" / "benchmarks.md"
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"


class BenchError(RuntimeError):
    """A phase could not run; the message says why."""


@dataclass(frozen=True)
class BenchOptions:
    """What `pulse bench` measures, and how much."""

    events: int = 100_000  # pipeline and raw phases (the real figure: 1,000,000)
    rate: int = 1000  # latency phase: events per second
    latency_seconds: float = 30.0
    raw: bool = True
    pipeline: bool = True
    rebuild: bool = True
    poll_interval_s: float = 0.05
    stall_timeout_s: float = 120.0  # give up when reporting's count stops moving this long
    bootstrap_servers: str = field(
        default_factory=lambda: system.infra_or_local_stack().kafka_bootstrap_servers
    )
    mongodb_url: str = field(default_factory=lambda: system.infra_or_local_stack().mongodb_url)
    service_env: dict[str, str] = field(default_factory=dict)  # e.g. RECOMPUTE_MAX_DELAY_S
    keep: bool = False  # keep the bench's topics and databases afterwards
    doc: Path | None = DOC
    command: str = "pulse bench"


@dataclass(frozen=True)
class Machine:
    cpus: int
    memory_gib: float
    cpu_model: str
    system: str
    python: str

    @classmethod
    def this(cls) -> Machine:
        model, mem_kib = "unknown", 0
        with contextlib.suppress(OSError):
            for line in Path("/proc/cpuinfo").read_text().splitlines():
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
        with contextlib.suppress(OSError, ValueError, IndexError):
            for line in Path("/proc/meminfo").read_text().splitlines():
                if line.startswith("MemTotal"):
                    mem_kib = int(line.split()[1])
        return cls(
            cpus=len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 0,
            memory_gib=round(mem_kib / 1024 / 1024, 1),
            cpu_model=model,
            system=f"{platform.system()} {platform.release()}",
            python=platform.python_version(),
        )


@dataclass
class Rate:
    """`events` in `seconds`; the ratio is to the raw ceiling."""

    name: str
    events: int
    seconds: float
    note: str = ""

    @property
    def per_second(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0


@dataclass
class Latency:
    rate: int
    events: int
    p50: float
    p95: float
    p99: float
    max: float
    what: str


@dataclass
class BenchResult:
    machine: Machine
    started: datetime
    options: BenchOptions
    rates: list[Rate] = field(default_factory=list)
    latencies: list[Latency] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    payload_bytes: float = 0.0

    @property
    def ceiling(self) -> float | None:
        raw = [r.per_second for r in self.rates if r.name.startswith("raw")]
        return min(raw) if raw else None

    def ratio(self, rate: Rate) -> str:
        ceiling = self.ceiling
        return f"{rate.per_second / ceiling:.1%}" if ceiling else "-"

    def lines(self) -> list[str]:
        out = []
        for r in self.rates:
            out.append(
                f"{r.name:<34} {r.per_second:>10,.0f} events/s  ({r.events:,} in "
                f"{r.seconds:.1f}s)  {self.ratio(r)} of the raw ceiling  {r.note}".rstrip()
            )
        for lat in self.latencies:
            out.append(
                f"latency {lat.what} at {lat.rate:,}/s: p50 {lat.p50 * 1000:,.0f} ms, p95 "
                f"{lat.p95 * 1000:,.0f} ms, p99 {lat.p99 * 1000:,.0f} ms, max "
                f"{lat.max * 1000:,.0f} ms ({lat.events:,} events)"
            )
        out.extend(f"not measured: {f}" for f in self.failures)
        return out


# ---------------------------------------------------------------------------------------------
# Payloads: the simulator's contacts, so sizes and shapes are the pipeline's own


@dataclass(frozen=True)
class Payloads:
    templates: list[bytes]
    partnership: str

    def message(self, n: int) -> tuple[bytes, bytes]:
        """The n-th contact: a unique event id and contact id; (key, value)."""
        digits = b"%05d.%05d" % divmod(n, 100_000)
        value = self.templates[n % len(self.templates)].replace(PLACEHOLDER, digits)
        return f"{self.partnership}-".encode() + digits, value

    @property
    def mean_size(self) -> float:
        return sum(len(t) for t in self.templates) / len(self.templates)


def payloads(partnership: str, received_at: datetime, count: int = 200) -> Payloads:
    """`count` distinct contact submissions from the simulator, re-addressed to `partnership`
    and received at `received_at` (now: old contacts would all be overdue at once and turn
    the benchmark into one of intake's overdue sweep)."""
    plan = Plan(seed=1, scale=0.05)
    templates: list[bytes] = []
    for item in FrontDoor(plan, "p01", 1.0, Totals(plan)):
        if item.envelope.type != SUBMITTED:
            continue
        contact = f"{partnership}-{PLACEHOLDER.decode()}"
        data = {**item.envelope.data, "contact_id": contact, "received_at": received_at}
        submitted = ContactSubmitted.model_validate(data)
        envelope = new_event(
            id=f"{partnership}-e-{PLACEHOLDER.decode()}",
            type=SUBMITTED,
            source=item.envelope.source,
            partnership=partnership,
            subject=contact,
            time=received_at,
            data=submitted.model_dump(mode="json"),
        )
        templates.append(encode(envelope))
        if len(templates) == count:
            break
    return Payloads(templates, partnership)


def financial_year_label(moment: datetime) -> str:
    local = moment.astimezone(LONDON)
    start = local.year if local.month >= 4 else local.year - 1
    return f"{start}-{(start + 1) % 100:02d}"


# ---------------------------------------------------------------------------------------------
# 1. The raw ceiling


async def _produce(sender: KafkaSender, topic: str, data: Payloads, first: int, n: int) -> None:
    producer = sender.producer
    pending = []
    for i in range(first, first + n):
        key, value = data.message(i)
        pending.append(await producer.send(topic, value, key=key))
        if len(pending) >= sender.window:
            await asyncio.gather(*pending)
            pending = []
    await asyncio.gather(*pending)


async def raw_ceiling(
    opts: BenchOptions, run: str, data: Payloads, tick: Callable[[str, int, int], None]
) -> list[Rate]:
    topic = f"bench{run}.raw"
    await ensure_topics(opts.bootstrap_servers, [topic])
    sender = KafkaSender(opts.bootstrap_servers)
    await sender.start()
    try:
        # A consumer's topics() does not fill the metadata partitions_for_topic reads; the
        # producer's partitions_for fetches it, and waits until the new topic is known: done
        # before the clock starts, so the ceiling does not include the topic's creation.
        partitions = [TopicPartition(topic, p) for p in await sender.producer.partitions_for(topic)]
        started = time.perf_counter()
        chunk = 10_000
        for first in range(0, opts.events, chunk):
            await _produce(sender, topic, data, first, min(chunk, opts.events - first))
            tick("raw: producing", min(first + chunk, opts.events), opts.events)
        produced = time.perf_counter() - started
    finally:
        await sender.stop()

    # No consumer group: a group join waits out the broker's initial rebalance delay, which
    # is not consumption. Partitions are assigned by hand and read from the start.
    consumer = AIOKafkaConsumer(
        bootstrap_servers=opts.bootstrap_servers, enable_auto_commit=False, client_id="bench-raw"
    )
    await consumer.start()
    try:
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        seen = 0
        started = time.perf_counter()
        while seen < opts.events:
            batch = await consumer.getmany(timeout_ms=1000, max_records=500)
            seen += sum(len(records) for records in batch.values())
            tick("raw: consuming", seen, opts.events)
        consumed = time.perf_counter() - started
    finally:
        await consumer.stop()
    return [
        Rate("raw ceiling: produce (acks=all)", opts.events, produced),
        Rate("raw ceiling: consume", opts.events, consumed),
    ]


# ---------------------------------------------------------------------------------------------
# 2. The pipeline: real service processes


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServiceProcess:
    """`pulse run <service>` as a child process on a port, topic prefix and database of the
    bench's own. Stopped by its own pid only."""

    def __init__(self, service: str, opts: BenchOptions, run: str) -> None:
        self.service = service
        self.port = _free_port()
        self.database = f"bench{run}_{service}"
        logs = state_dir() / "bench"
        logs.mkdir(parents=True, exist_ok=True)
        self.log = logs / f"{run}-{service}.log"
        self.env = {
            **os.environ,
            "KAFKA_BOOTSTRAP_SERVERS": opts.bootstrap_servers,
            "MONGODB_URL": opts.mongodb_url,
            "TOPIC_PREFIX": f"bench{run}.",
            "MONGODB_DATABASE": self.database,
            "CONSUMER_GROUP": f"bench{run}-{service}",
            "HTTP_PORT": str(self.port),
            "LOG_LEVEL": "WARNING",
            "AUTH_DISABLED": "true",
            **opts.service_env,
        }
        self.env.pop("API_KEYS_FILE", None)
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 90.0) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "shared.ops.cli", "run", self.service],
                cwd=REPO,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BenchError(f"{self.service} exited at start:\n{self.tail()}")
            if system.health(self.port, timeout=1.0):
                return
            time.sleep(0.3)
        raise BenchError(f"{self.service} not healthy within {timeout:.0f}s:\n{self.tail()}")

    def stop(self, timeout: float = 40.0) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)

    def tail(self, lines: int = 25) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        return ""


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


def _percentile(values: list[float], q: float) -> float:
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
        p50=_percentile(seen, 0.50),
        p95=_percentile(seen, 0.95),
        p99=_percentile(seen, 0.99),
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
                await _produce(
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


# ---------------------------------------------------------------------------------------------
# 3. Rebuild


async def rebuild_speed(
    opts: BenchOptions, run: str, reporting: ServiceProcess, tick: Callable[[str, int, int], None]
) -> Rate:
    try:
        module = importlib.import_module("services.reporting.rebuild")
        settings_module = importlib.import_module("services.reporting.settings")
    except ModuleNotFoundError as exc:
        raise BenchError(f"reporting has no rebuild yet ({exc})") from None
    settings = settings_module.ReportingSettings(
        kafka_bootstrap_servers=opts.bootstrap_servers,
        mongodb_url=opts.mongodb_url,
        mongodb_database=reporting.database,
        topic_prefix=f"bench{run}.",
        auth_disabled=True,
    )
    reporting.stop()  # the rebuild must not race the live consumer
    outcome = await module.rebuild(settings, lambda done, total: tick("rebuild", done, total))
    return Rate("reporting rebuild (replay)", int(outcome.events), float(outcome.seconds))


# ---------------------------------------------------------------------------------------------
# Clean-up, the run, the document


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
def _services(opts: BenchOptions, run: str) -> Iterator[dict[str, ServiceProcess]]:
    procs = {name: ServiceProcess(name, opts, run) for name in ("intake", "reporting")}
    try:
        for proc in procs.values():
            proc.start()
        yield procs
    finally:
        for proc in procs.values():
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
                with _services(opts, run_id) as procs:
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
                            rebuilt.note = f"({share:.0%} of the dataframe recount)"
                        result.rates.extend([recount, rebuilt])
            except (BenchError, httpx.HTTPError) as exc:
                result.failures.append(f"pipeline/rebuild: {exc}")
    finally:
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


def render(result: BenchResult) -> str:
    m, o = result.machine, result.options
    rows = [
        "| measurement | events | seconds | events/s | vs raw ceiling |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for r in result.rates:
        rows.append(
            f"| {r.name} {r.note} | {r.events:,} | {r.seconds:.1f} | {r.per_second:,.0f} | "
            f"{result.ratio(r)} |"
        )
    lat = [
        f"- latency {x.what} at {x.rate:,} events/s ({x.events:,} events): p50 "
        f"{x.p50 * 1000:,.0f} ms, p95 {x.p95 * 1000:,.0f} ms, p99 {x.p99 * 1000:,.0f} ms, "
        f"max {x.max * 1000:,.0f} ms"
        for x in result.latencies
    ]
    failed = [f"- not measured: {f.splitlines()[0]}" for f in result.failures]
    return "\n".join(
        [
            BEGIN,
            f"Run {result.started.strftime('%Y-%m-%d %H:%M UTC')}: `{o.command}`",
            "",
            f"Machine: {m.cpus} CPUs ({m.cpu_model}), {m.memory_gib} GiB memory, {m.system}, "
            f"Python {m.python}; Kafka {o.bootstrap_servers}, MongoDB-compatible "
            f"{o.mongodb_url}. Mean payload {result.payload_bytes:,.0f} bytes.",
            "",
            *rows,
            "",
            *lat,
            *failed,
            END,
        ]
    )


def write_doc(result: BenchResult, path: Path) -> None:
    """Replace the generated section of the document (or append one)."""
    block = render(result)
    text = path.read_text() if path.exists() else "# Benchmarks\n\n"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        tail = rest.split(END, 1)[1]
        text = head + block + tail
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.write_text(text)
