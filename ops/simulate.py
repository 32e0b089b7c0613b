"""`pulse simulate`: publish a simulated partnership year through the real inbound paths.

The year comes from `ops.simulation` (pure, deterministic for a seed); this module only
sends it: to the services' inbound Kafka topics with an idempotent producer, or over HTTP as an
agency without a Kafka producer would, or both (police and council systems on Kafka, everyone
else over HTTP). It returns the simulator's own totals, so reporting's figures can be checked
against what was actually sent.

Event ids are deterministic: running the same plan again re-sends the same events, which the
services recognise as already seen, so a second run does not double the scorecard. Entity
ids (contacts, reviews, actions, escalations, new learners) are unique per partnership and
year, so `--years 2020-21,2021-22,2022-23` (or one year after another) gives every year its
own complete figures; learners recur, taking refresher courses. The year is sent "as at" its
days: each contact says when it was acknowledged on the day (a trusted system may; intake
refuses it from agencies), so acknowledgement times are seconds to hours, not the years since.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from datetime import time as dtime
from pathlib import Path
from typing import Any, Literal

import httpx
from aiokafka import AIOKafkaProducer
from rich.progress import Progress, TaskID

from ops import system
from ops.simulation.model import Outbound, Plan, Totals
from ops.simulation.year import PARTS, Simulation
from shared.contracts import contract_for
from shared.events import CONTENT_TYPE, Envelope, encode
from shared.kafka import ensure_topics
from shared.topics import Topics
from shared.workdays import LONDON

__all__ = [
    "HTTP_PATHS",
    "PARTS",
    "SimulateOptions",
    "SimulationError",
    "SimulationResult",
    "default_bootstrap",
    "default_url",
    "run",
    "run_years",
    "simulate",
    "simulate_years",
    "summary",
    "topic_for",
    "years_of",
]

Via = Literal["kafka", "http", "both"]

# Where each service takes inbound CloudEvents over HTTP. Training takes xAPI statements over
# HTTP, not CloudEvents, so its events go on Kafka even with --via http (and the run says so).
HTTP_PATHS: dict[str, str | None] = {"intake": "/events", "reviews": "/commands", "training": None}
# Services whose commands depend on the ones before them: sent one at a time over HTTP.
ORDERED = frozenset({"reviews"})
PART_OF_SERVICE = {"intake": "frontdoor", "reviews": "reviews", "training": "training"}


def default_bootstrap() -> str:
    return system.infra_or_local_stack().kafka_bootstrap_servers


def default_url(service: str) -> str:
    return f"http://127.0.0.1:{system.SERVICES[service]}"


@dataclass(frozen=True)
class SimulateOptions:
    """Everything `pulse simulate` can be told."""

    seed: int = 1
    partnerships: int = 1
    scale: float = 1.0
    year: str = "2020-21"
    via: Via = "kafka"
    parts: Sequence[str] = PARTS
    bootstrap_servers: str = field(default_factory=default_bootstrap)
    topic_prefix: str = field(default_factory=lambda: os.environ.get("TOPIC_PREFIX", ""))
    intake_url: str = field(default_factory=lambda: default_url("intake"))
    reviews_url: str = field(default_factory=lambda: default_url("reviews"))
    training_url: str = field(default_factory=lambda: default_url("training"))
    api_key: str | None = field(default_factory=lambda: os.environ.get("PULSE_API_KEY"))
    http_concurrency: int = 16
    totals_out: Path | None = None

    @property
    def plan(self) -> Plan:
        return Plan(
            seed=self.seed, partnerships=self.partnerships, scale=self.scale, year=self.year
        )

    def url(self, service: str) -> str:
        return {
            "intake": self.intake_url,
            "reviews": self.reviews_url,
            "training": self.training_url,
        }[service].rstrip("/")


@dataclass
class SimulationResult:
    """What was sent, what was refused, and the simulator's own totals."""

    totals: Totals
    sent_kafka: int = 0
    sent_http: int = 0
    refused: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def sent(self) -> int:
        return self.sent_kafka + self.sent_http

    def as_dict(self) -> dict[str, Any]:
        return {
            "sent_kafka": self.sent_kafka,
            "sent_http": self.sent_http,
            "refused": dict(self.refused),
            "seconds": round(self.seconds, 2),
            "notes": self.notes,
            "totals": self.totals.as_dict(),
        }


class SimulationError(RuntimeError):
    """The simulation could not be sent; the message says why and what to do."""


class KafkaSender:
    """An idempotent producer (acks=all) with a bounded number of records in flight."""

    def __init__(self, bootstrap_servers: str, window: int = 5000) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap_servers,
            client_id="pulse-simulate",
            acks="all",
            enable_idempotence=True,
            linger_ms=10,
            max_batch_size=256 * 1024,
        )
        self.window = window
        self._pending: list[asyncio.Future[Any]] = []

    async def start(self) -> None:
        try:
            await self.producer.start()
        except Exception as exc:
            await self.producer.stop()
            raise SimulationError(
                f"Kafka at {self.bootstrap_servers} does not answer ({exc}); is the stack "
                "running (`make run`)?"
            ) from None

    async def send(self, topic: str, event: Envelope, key: str) -> None:
        future = await self.producer.send(
            topic,
            encode(event),
            key=key.encode(),
            headers=[
                ("content-type", CONTENT_TYPE.encode()),
                ("ce_type", event.type.encode()),
                ("ce_partnership", event.partnership.encode()),
            ],
        )
        self._pending.append(future)
        if len(self._pending) >= self.window:
            await self.flush()

    async def flush(self) -> None:
        pending, self._pending = self._pending, []
        await asyncio.gather(*pending)

    async def stop(self) -> None:
        try:
            await self.flush()
        finally:
            await self.producer.stop()


class HttpSender:
    """CloudEvents over HTTP with a few requests in flight; refusals are counted, not fatal
    (a refused event is a finding, and the rest of the year still goes)."""

    def __init__(self, api_key: str | None, concurrency: int) -> None:
        headers = {"content-type": CONTENT_TYPE}
        if api_key:
            headers["authorization"] = f"Bearer {api_key}"
        self.client = httpx.AsyncClient(headers=headers, timeout=30.0)
        self.slots = asyncio.Semaphore(concurrency)
        self.tasks: set[asyncio.Task[None]] = set()
        self.refused: Counter[str] = Counter()
        self.failure: Exception | None = None

    async def send(self, url: str, event: Envelope, *, in_order: bool = False) -> None:
        """Post `event`; with `in_order`, wait for it (and everything before it) first, for
        commands that depend on the ones before them (reviews)."""
        if self.failure is not None:
            raise SimulationError(str(self.failure))
        if in_order:
            await asyncio.gather(*self.tasks, return_exceptions=True)
            await self.slots.acquire()
            await self._post(url, event)
            return
        await self.slots.acquire()
        task = asyncio.create_task(self._post(url, event))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _post(self, url: str, event: Envelope) -> None:
        try:
            response = await self.client.post(url, content=encode(event))
            if response.status_code >= 500:
                self.failure = SimulationError(
                    f"{url} answered {response.status_code}: {response.text[:300]}"
                )
            elif response.status_code >= 400:
                try:
                    reason = str(response.json().get("error", response.status_code))
                except ValueError:
                    reason = str(response.status_code)
                self.refused[f"{event.type}: {reason}"] += 1
        except httpx.HTTPError as exc:
            self.failure = SimulationError(f"{url} does not answer ({exc!r}); is it running?")
        finally:
            self.slots.release()

    async def stop(self) -> None:
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.client.aclose()
        if self.failure is not None:
            raise self.failure


def topic_for(topics: Topics, item: Outbound) -> str:
    """The service's bare inbound topic: the partnership's trusted systems' (the simulator
    is one). Never an agency's own topic, where intake refuses the front door's records
    (decisions, VIST receipts, casework) and agency-sent acknowledgement times."""
    return str(getattr(topics, contract_for(item.envelope.type).topic))


def _route(options: SimulateOptions, item: Outbound) -> Literal["kafka", "http"]:
    if HTTP_PATHS.get(item.service) is None or options.via == "kafka":
        return "kafka"
    if options.via == "http":
        return "http"
    return "kafka" if item.kafka_sender else "http"


async def run(options: SimulateOptions, progress: Progress | None = None) -> SimulationResult:
    """Generate the year and send it; returns the totals once everything is acknowledged."""
    plan = options.plan
    simulation = Simulation(plan, options.parts)
    result = SimulationResult(simulation.totals)
    topics = Topics(options.topic_prefix)
    if options.via != "kafka":
        for service, path in HTTP_PATHS.items():
            if path is None and PART_OF_SERVICE[service] in options.parts:
                result.notes.append(f"{service} takes no CloudEvents over HTTP: sent on Kafka")
    inbound = [topics.intake_inbound, topics.reviews_inbound, topics.training_inbound]
    started = time.monotonic()
    try:
        await ensure_topics(options.bootstrap_servers, inbound)
    except Exception as exc:
        raise SimulationError(
            f"Kafka at {options.bootstrap_servers} does not answer ({exc}); is the stack "
            "running (`make run`)?"
        ) from None
    kafka = KafkaSender(options.bootstrap_servers)
    http = HttpSender(options.api_key, options.http_concurrency)
    await kafka.start()
    year_start = datetime.combine(plan.start, dtime(0, 0), LONDON).astimezone(UTC)
    days = (plan.end - plan.start).days
    task: TaskID | None = None
    if progress is not None:
        task = progress.add_task(f"simulating {plan.year}", total=days)
    try:
        for n, item in enumerate(simulation, start=1):
            if _route(options, item) == "kafka":
                await kafka.send(topic_for(topics, item), item.envelope, item.key)
                result.sent_kafka += 1
            else:
                path = HTTP_PATHS[item.service]
                url = f"{options.url(item.service)}{path}"
                await http.send(url, item.envelope, in_order=item.service in ORDERED)
                result.sent_http += 1
            if progress is not None and task is not None and n % 500 == 0:
                day = min(days, (item.at - year_start).days)
                progress.update(task, completed=day, description=f"{plan.year}: {n:,} events")
    finally:
        await kafka.stop()
        await http.stop()
    if progress is not None and task is not None:
        progress.update(task, completed=days, description=f"{plan.year}: {result.sent:,} events")
    result.refused = http.refused
    result.totals = simulation.totals
    result.seconds = time.monotonic() - started
    if options.totals_out is not None:
        options.totals_out.write_text(json.dumps(result.as_dict(), indent=2) + "\n")
    return result


def simulate(options: SimulateOptions, progress: Progress | None = None) -> SimulationResult:
    """`pulse simulate`: the synchronous entry point for the CLI."""
    return asyncio.run(run(options, progress))


def years_of(text: str) -> list[str]:
    """'2020-21,2021-22' -> the years in order, each checked (`ValueError` says what is
    wrong); a year named twice is run once."""
    years = [y.strip() for y in text.split(",") if y.strip()]
    if not years:
        raise ValueError("--years: name at least one financial year, e.g. 2020-21,2021-22")
    for year in years:
        Plan(year=year)  # validates
    return sorted(dict.fromkeys(years))


async def run_years(
    options: SimulateOptions, years: Sequence[str], progress: Progress | None = None
) -> dict[str, SimulationResult]:
    """Each year in turn (oldest first), every one with its own ids and complete figures;
    `totals_out` gets every year's result, by year."""
    results: dict[str, SimulationResult] = {}
    for year in sorted(years):
        results[year] = await run(
            dataclasses.replace(options, year=year, totals_out=None), progress
        )
    if options.totals_out is not None:
        combined = {year: r.as_dict() for year, r in results.items()}
        options.totals_out.write_text(json.dumps(combined, indent=2) + "\n")
    return results


def simulate_years(
    options: SimulateOptions, years: Sequence[str], progress: Progress | None = None
) -> dict[str, SimulationResult]:
    """`pulse simulate --years`: the synchronous entry point for the CLI."""
    return asyncio.run(run_years(options, years, progress))


def summary(result: SimulationResult) -> list[str]:
    """A few lines for the terminal: what was sent and the headline figures per partnership."""
    lines = [
        f"sent {result.sent:,} events ({result.sent_kafka:,} on Kafka, {result.sent_http:,} over "
        f"HTTP) in {result.seconds:.1f}s",
        *result.notes,
    ]
    for reason, n in sorted(result.refused.items()):
        lines.append(f"refused over HTTP: {n:,} x {reason}")
    for pid, t in sorted(result.totals.partnerships.items()):
        within = t.decisions_within_target / t.decisions if t.decisions else 0.0
        conversion = t.referrals / t.contacts if t.contacts else 0.0
        rate = t.completions / t.enrolments if t.enrolments else 0.0
        lines.append(
            f"{pid} {result.totals.plan.year}: {t.contacts:,} contacts, {conversion:.0%} became "
            f"referrals, {within:.0%} decided within 1 working day; {t.rapid_reviews} rapid "
            f"reviews, {t.lcsprs} LCSPR, {t.actions} actions; {t.learners_registered:,} "
            f"learners, {t.enrolments:,} enrolments ({t.refresher_enrolments:,} refreshers), "
            f"{rate:.0%} completed"
        )
        notified = (
            t.encompass_incidents_notified / t.encompass_incidents if t.encompass_incidents else 0.0
        )
        returned = (
            t.section_175_returns / t.section_175_settings_asked
            if t.section_175_settings_asked
            else 0.0
        )
        lines.append(
            f"{pid} {result.totals.plan.year}: {t.encompass_incidents:,} domestic-abuse incidents "
            f"with a child present, {notified:.0%} notified to schools; {t.icpcs:,} ICPCs "
            f"({t.icpcs_within_15_working_days:,} within 15 working days), "
            f"{t.assessments_completed:,} assessments ({t.assessments_within_45_working_days:,} "
            f"within 45); S175 {returned:.0%} returned of {t.section_175_settings_asked:,}; "
            f"{t.child_deaths} child deaths, {t.alte_reviews} ALTE reviews"
        )
    return lines
