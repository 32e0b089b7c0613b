"""Training's application factory: `pulse run training`, or uvicorn with --factory."""

from __future__ import annotations

from fastapi import FastAPI

from services.training import handlers
from services.training.settings import TrainingSettings
from shared.service import ServiceSpec, build_app
from shared.settings import load_settings
from shared.topics import Topics

SETTINGS = TrainingSettings


def spec(topics: Topics) -> ServiceSpec:
    return ServiceSpec(
        title="Partnership Pulse — training",
        description="The multi-agency curriculum: learners, enrolments, completions.",
        consumes=[topics.training_inbound],
        produces=[topics.training_events],
        setup=handlers.setup,
    )


def create_app(settings: TrainingSettings | None = None) -> FastAPI:
    settings = settings or load_settings(TrainingSettings)
    return build_app(spec(Topics(settings.topic_prefix)), settings)
