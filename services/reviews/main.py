"""Reviews's application factory: `pulse run reviews`, or uvicorn with --factory."""

from __future__ import annotations

from fastapi import FastAPI

from services.reviews import api, handlers
from services.reviews.settings import ReviewsSettings
from shared.service import ServiceSpec, build_app, load_bank_holidays
from shared.settings import load_settings
from shared.topics import Topics

SETTINGS = ReviewsSettings


def spec(topics: Topics) -> ServiceSpec:
    return ServiceSpec(
        title="Partnership Pulse — reviews",
        description="Serious incidents, rapid reviews, practice reviews, audits, their action "
        "plans and the escalation log; raises 'action overdue' and statutory-clock breaches.",
        consumes=[topics.reviews_inbound],
        produces=[topics.reviews_events],
        setup=handlers.setup,
        routers=[api.router],
        on_start=[handlers.create_indexes, load_bank_holidays],
        background=[handlers.sweeper],
    )


def create_app(settings: ReviewsSettings | None = None) -> FastAPI:
    settings = settings or load_settings(ReviewsSettings)
    return build_app(spec(Topics(settings.topic_prefix)), settings)
