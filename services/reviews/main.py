"""Reviews's application factory: `pulse run reviews`, or uvicorn with --factory."""

from __future__ import annotations

from fastapi import FastAPI

from services.reviews import handlers
from services.reviews.settings import ReviewsSettings
from shared.service import ServiceSpec, build_app
from shared.settings import load_settings
from shared.topics import Topics

SETTINGS = ReviewsSettings


def spec(topics: Topics) -> ServiceSpec:
    return ServiceSpec(
        title="Partnership Pulse — reviews",
        description="Serious incidents, rapid reviews, practice reviews, audits, action plans.",
        consumes=[topics.reviews_inbound],
        produces=[topics.reviews_events],
        setup=handlers.setup,
    )


def create_app(settings: ReviewsSettings | None = None) -> FastAPI:
    settings = settings or load_settings(ReviewsSettings)
    return build_app(spec(Topics(settings.topic_prefix)), settings)
