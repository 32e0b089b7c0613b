"""Reporting's application factory: `pulse run reporting`, or uvicorn with --factory."""

from __future__ import annotations

from fastapi import FastAPI

from services.reporting import api, handlers
from services.reporting.settings import ReportingSettings
from shared.service import ServiceSpec, build_app
from shared.settings import load_settings
from shared.topics import Topics

SETTINGS = ReportingSettings


def spec(topics: Topics) -> ServiceSpec:
    return ServiceSpec(
        title="Partnership Pulse — reporting",
        description="Partnership metrics: scorecards, exceptions, annual-report tables.",
        consumes=list(topics.canonical),
        produces=[topics.reporting_snapshots, topics.reporting_exceptions],
        setup=handlers.setup,
        routers=[api.router],
    )


def create_app(settings: ReportingSettings | None = None) -> FastAPI:
    settings = settings or load_settings(ReportingSettings)
    return build_app(spec(Topics(settings.topic_prefix)), settings)
