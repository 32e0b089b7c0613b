"""Intake's application factory: `pulse run intake`, or uvicorn with --factory."""

from __future__ import annotations

from fastapi import FastAPI

from services.intake import api, handlers, overdue
from services.intake.settings import IntakeSettings
from shared.service import ServiceSpec, build_app, load_bank_holidays
from shared.settings import load_settings
from shared.topics import Topics

SETTINGS = IntakeSettings


def spec(topics: Topics) -> ServiceSpec:
    return ServiceSpec(
        title="Partnership Pulse — intake",
        description="The front door (MASH): contacts about children, their acknowledgement, "
        "MASH decisions and the front-door clocks.",
        consumes=[topics.intake_inbound],
        produces=[topics.intake_events],
        setup=handlers.setup,
        routers=[api.router],
        on_start=[handlers.create_indexes, load_bank_holidays],
        background=[overdue.sweep_forever],
    )


def create_app(settings: IntakeSettings | None = None) -> FastAPI:
    settings = settings or load_settings(IntakeSettings)
    return build_app(spec(Topics(settings.topic_prefix)), settings)
