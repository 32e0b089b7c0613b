"""Metrics and health: one Prometheus registry per service, FastStream's Kafka metrics and
our own on it, `/metrics` and `/health` over HTTP."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, generate_latest


@dataclass
class PlumbingMetrics:
    """Counters every service keeps. Labels are bounded: service, topic, reason, never an id."""

    registry: CollectorRegistry
    consumed: Counter = field(init=False)
    dead_lettered: Counter = field(init=False)
    published: Counter = field(init=False)
    retried: Counter = field(init=False)

    def __post_init__(self) -> None:
        self.consumed = Counter(
            "pulse_consumed",
            "Records taken from a topic and handled (applied or found already applied)",
            ["service", "topic"],
            registry=self.registry,
        )
        self.dead_lettered = Counter(
            "pulse_dead_lettered",
            "Records sent to a dead-letter topic, by reason",
            ["service", "topic", "reason"],
            registry=self.registry,
        )
        self.published = Counter(
            "pulse_published_events",
            "Canonical events this service published (confirmed by Kafka), by topic",
            ["service", "topic"],
            registry=self.registry,
        )
        self.retried = Counter(
            "pulse_handler_retries",
            "Handler attempts repeated after an error",
            ["service", "topic", "kind"],
            registry=self.registry,
        )


def metrics_router(registry: CollectorRegistry) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/metrics", response_class=Response, summary="Prometheus metrics")
    async def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return router


Check = Callable[[], Awaitable[object]]


def health_router(checks: dict[str, Check], timeout: float = 3.0) -> APIRouter:
    """`/health` answers 200 only when every dependency answers within `timeout`."""
    router = APIRouter(tags=["operations"])
    log = logging.getLogger("pulse.health")

    @router.get("/health", summary="200 when Kafka and the database answer, 503 otherwise")
    async def health() -> JSONResponse:
        results: dict[str, str] = {}
        ok = True
        for name, check in checks.items():
            try:
                answer = await asyncio.wait_for(check(), timeout)
                if answer is False:
                    raise RuntimeError("did not answer")
                results[name] = "ok"
            except Exception as exc:
                ok = False
                results[name] = f"unavailable: {type(exc).__name__}"
                log.warning("health check %s failed: %r", name, exc)
        status = "ok" if ok else "unavailable"
        return JSONResponse({"status": status, "checks": results}, status_code=200 if ok else 503)

    return router
