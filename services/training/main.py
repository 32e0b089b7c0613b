"""Training's application factory: `pulse run training`, or uvicorn with --factory."""

from __future__ import annotations

from fastapi import FastAPI

from services.training import api, handlers
from services.training.settings import TrainingSettings
from shared.service import Runtime, ServiceSpec, build_app
from shared.settings import load_settings
from shared.topics import Topics

SETTINGS = TrainingSettings


async def create_indexes(runtime: Runtime) -> None:
    await handlers.store_of(runtime).create_indexes()


def spec(topics: Topics) -> ServiceSpec:
    return ServiceSpec(
        title="Partnership Pulse — training",
        description="The multi-agency curriculum: courses, learners (by organisation and "
        "sector), enrolments and completions, from learning-platform events on Kafka and xAPI "
        "statements over HTTP.",
        consumes=[topics.training_inbound],
        produces=[topics.training_events],
        setup=handlers.setup,
        routers=[api.router],
        on_start=[create_indexes],
    )


def create_app(settings: TrainingSettings | None = None) -> FastAPI:
    settings = settings or load_settings(TrainingSettings)
    return build_app(spec(Topics(settings.topic_prefix)), settings)
