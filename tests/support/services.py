"""A service running in the test's event loop, against the real broker and database, with an
HTTP client on its ASGI app. Each use gets its own topics, consumer group and database."""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI
from pymongo import AsyncMongoClient

from ops.system import Infra
from shared.events import CONTENT_TYPE
from shared.service import Runtime
from shared.settings import ServiceSettings
from shared.topics import Topics


@dataclass
class RunningService:
    app: FastAPI
    http: httpx.AsyncClient
    settings: ServiceSettings
    topics: Topics

    @property
    def runtime(self) -> Runtime:
        runtime: Runtime = self.app.state.runtime
        return runtime


def settings_for(service: str, infra: Infra, run_id: str, **overrides: Any) -> ServiceSettings:
    module = importlib.import_module(f"services.{service}.main")
    values: dict[str, Any] = {
        "kafka_bootstrap_servers": infra.kafka_bootstrap_servers,
        "mongodb_url": infra.mongodb_url,
        "topic_prefix": f"t{run_id}.",
        "mongodb_database": f"t{run_id}_{service}",
        "consumer_group": f"t{run_id}-{service}",
        "graceful_timeout_s": 10.0,
        "auth_disabled": True,
        **overrides,
    }
    settings: ServiceSettings = module.SETTINGS(**values)
    return settings


@contextlib.asynccontextmanager
async def running(
    service: str, infra: Infra, run_id: str, **overrides: Any
) -> AsyncIterator[RunningService]:
    module = importlib.import_module(f"services.{service}.main")
    settings = settings_for(service, infra, run_id, **overrides)
    app: FastAPI = module.create_app(settings)
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app),
                base_url=f"http://{service}",
                # Bodies must be declared JSON; the tests post CloudEvents as agencies do.
                headers={"content-type": CONTENT_TYPE},
            ) as http,
        ):
            yield RunningService(app, http, settings, Topics(settings.topic_prefix))
    finally:
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(infra.mongodb_url)
        with contextlib.suppress(Exception):
            await client.drop_database(settings.database_name())
        await client.close()
