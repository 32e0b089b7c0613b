"""The shape every service process shares: settings, broker, database, metrics, HTTP.

A service module describes itself as a `ServiceSpec` (its subscriptions, HTTP routers,
background jobs, indexes); `build_app` turns that into a FastAPI application whose lifespan
opens the database and Kafka connections and closes them on shutdown. Nothing here does I/O
until the application starts, so building an app (for docs, for tests) is free.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse
from faststream.kafka import KafkaBroker
from prometheus_client import CollectorRegistry
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from shared import audit, collector, consumer_lag, http_boundary, workdays
from shared.auth import KeyStore, Principal, middleware
from shared.consumer import DeadLetters, Delivery
from shared.events import Envelope
from shared.kafka import EventProducer, create_broker, ensure_topics, sasl
from shared.mongo import Document, create_client
from shared.observability import PlumbingMetrics, health_router, metrics_router
from shared.rejections import Rejected
from shared.settings import ServiceSettings
from shared.topics import Topics, dlq

log = logging.getLogger(__name__)
BACKGROUND_STOP_S = 5.0  # how long a stopping service waits for its background jobs


class Runtime:
    """What handlers and routes use at run time. The database exists only while the app runs."""

    def __init__(self, settings: ServiceSettings) -> None:
        self.settings = settings
        self.service = settings.service_name
        self.topics = Topics(settings.topic_prefix)
        self.registry = CollectorRegistry()
        self.metrics = PlumbingMetrics(self.registry)
        self.consumer_lag = consumer_lag.ConsumerLag(self.registry, self.service)
        self.broker: KafkaBroker = create_broker(
            settings.kafka_bootstrap_servers,
            client_id=self.service,
            registry=self.registry,
            graceful_timeout=settings.graceful_timeout_s,
            security=sasl(
                settings.kafka_sasl_mechanism, settings.kafka_username, settings.kafka_password
            ),
        )
        self.dead_letters = DeadLetters(self.broker, self.service, self.metrics)
        self.events_out = EventProducer(
            settings.kafka_bootstrap_servers, client_id=self.service, **settings.kafka_options()
        )
        self._client: AsyncMongoClient[Document] | None = None

    @property
    def db(self) -> AsyncDatabase[Document]:
        if self._client is None:
            raise RuntimeError("the database is opened when the service starts")
        return self._client[self.settings.database_name()]

    async def audit_http(self, principal: Principal, accepted: list[tuple[str, str]]) -> None:
        await audit.record(
            self.db,
            [
                audit.entry(eid, principal.agency, principal.id, "http", self.service)
                for eid, _ in accepted
            ],
        )

    async def audit_kafka(self, batch: Sequence[Delivery[Any]]) -> None:
        """Audit accepted inbound records: the writer is the agency whose topic it is, or the
        event's own source on the partnership's trusted bare topic."""
        entries = []
        for delivery in batch:
            envelope = getattr(delivery.item, "envelope", None)
            if envelope is None:
                continue
            topic = delivery.record.topic
            agency = envelope.source.removeprefix("agency/")
            entries.append(
                audit.entry(envelope.id, agency, f"kafka:{topic}", "kafka", self.service)
            )
        await audit.record(self.db, entries)

    async def publish(self, topic: str, events: Sequence[Envelope]) -> None:
        published = await self.events_out.publish(topic, events)
        if published:
            self.metrics.published.labels(self.service, topic).inc(published)

    async def open_database(self) -> None:
        self._client = create_client(self.settings.mongodb_url, app_name=self.service)
        await self._client.admin.command("ping")

    async def close_database(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None


Job = Callable[[Runtime], Coroutine[Any, Any, None]]


async def load_bank_holidays(runtime: Runtime) -> None:
    """An `on_start` job of the services that count working days."""
    workdays.load_bank_holidays()


def _home_page(title: str) -> Callable[[], Coroutine[Any, Any, HTMLResponse]]:
    """`/` for a person who opens the service in a browser: what it is and where to look."""
    name = html.escape(title)
    body = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f'<title>{name}</title><link rel="icon" href="data:,"></head>'
        f"<body><main><h1>{name}</h1><ul>"
        '<li><a href="/docs">API documentation</a></li>'
        '<li><a href="/health">Health</a></li>'
        '<li><a href="/metrics">Prometheus metrics</a></li>'
        "</ul></main></body></html>"
    )

    async def home() -> HTMLResponse:
        return HTMLResponse(body)

    return home


@dataclass
class ServiceSpec:
    """Everything that makes one service different from another."""

    title: str
    description: str
    consumes: Sequence[str] = ()
    produces: Sequence[str] = ()
    setup: Callable[[Runtime], None] | None = None  # registers subscribers on runtime.broker
    routers: Sequence[Callable[[Runtime], APIRouter]] = ()
    on_start: Sequence[Job] = ()  # e.g. index creation, after the database is open
    background: Sequence[Job] = ()  # long-running loops (sweeps), cancelled on shutdown
    public_reads: Sequence[str] = ()  # path prefixes anyone may GET (published figures)
    extra: dict[str, Any] = field(default_factory=dict)


def build_app(spec: ServiceSpec, settings: ServiceSettings) -> FastAPI:
    runtime = Runtime(settings)
    if spec.setup is not None:
        spec.setup(runtime)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        collector.tune()
        await runtime.open_database()
        for job in spec.on_start:
            await job(runtime)
        topics = [*spec.consumes, *spec.produces, *(dlq(t) for t in spec.consumes)]
        await ensure_topics(
            settings.kafka_bootstrap_servers, topics, admin_options=settings.kafka_options()
        )
        await runtime.events_out.start()
        await runtime.broker.start()
        if settings.auth_disabled:
            log.warning("%s: authentication is OFF (AUTH_DISABLED=true)", runtime.service)
        tasks = [asyncio.create_task(job(runtime)) for job in spec.background]
        if spec.consumes:
            lag = consumer_lag.watch(
                runtime.consumer_lag,
                settings.kafka_bootstrap_servers,
                settings.group_id(),
                list(spec.consumes),
                settings.kafka_options(),
                settings.consumer_lag_interval_s,
            )
            tasks.append(asyncio.create_task(lag))
        log.info("%s started: consuming %s", runtime.service, ", ".join(spec.consumes) or "-")
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            # Bounded: a job cancelled inside a Kafka client's start or stop can wait on it
            # for good (seen with aiokafka), and must not keep the service from stopping.
            if tasks:
                _, stuck = await asyncio.wait(tasks, timeout=BACKGROUND_STOP_S)
                if stuck:
                    log.warning(
                        "%s: %d background job(s) did not stop", runtime.service, len(stuck)
                    )
            # Stops fetching, waits up to graceful_timeout for the batch in hand, commits it.
            await runtime.broker.stop()
            await runtime.events_out.stop()  # after the last batch in hand has published
            await runtime.close_database()
            log.info("%s stopped", runtime.service)

    app = FastAPI(title=spec.title, description=spec.description, lifespan=lifespan)
    app.state.runtime = runtime
    # Bodies are checked (type, size, nesting, numbers) inside authentication, before routes.
    http_boundary.install(app)
    # Without a key file (AUTH_DISABLED, local development) every caller is let through.
    keys = None if settings.auth_disabled else KeyStore.from_file(Path(settings.api_keys_file))
    app.middleware("http")(middleware(keys, runtime.audit_http, spec.public_reads))

    async def database_answers() -> object:
        return await runtime.db.command("ping")

    async def kafka_answers() -> object:
        return await runtime.broker.ping(timeout=2.0)

    app.include_router(health_router({"kafka": kafka_answers, "database": database_answers}))
    app.include_router(metrics_router(runtime.registry))
    for make_router in spec.routers:
        app.include_router(make_router(runtime))
    if not any(getattr(route, "path", None) == "/" for route in app.routes):
        app.add_api_route("/", _home_page(spec.title), include_in_schema=False)

    @app.exception_handler(Rejected)
    async def rejected(request: Request, exc: Rejected) -> JSONResponse:
        return JSONResponse({"error": exc.reason, "detail": exc.detail}, status_code=exc.status)

    return app
