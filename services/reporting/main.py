"""Reporting's application factory: `pulse run reporting`, or uvicorn with --factory."""

from __future__ import annotations

from fastapi import FastAPI

from services.reporting import api, handlers
from services.reporting.settings import ReportingSettings
from services.reporting.web import router as web
from shared.service import ServiceSpec, build_app
from shared.settings import load_settings
from shared.topics import Topics

SETTINGS = ReportingSettings


def spec(topics: Topics) -> ServiceSpec:
    return ServiceSpec(
        title="Partnership Pulse — reporting",
        description="Partnership metrics: scorecards, exceptions against targets and the "
        "annual report's tables. Published figures are disclosure-controlled (counts 1-5 "
        "shown as 'c', with secondary suppression); the unsuppressed figures are only under "
        "/internal, for the partnership's own staff.",
        consumes=list(topics.canonical),
        produces=[topics.reporting_snapshots, topics.reporting_exceptions],
        setup=handlers.setup,
        routers=[api.router, web.router],  # the website after the API: its routes win
        on_start=[handlers.create_indexes, handlers.load_disclosure_solver],
        background=[handlers.recompute_loop, handlers.snapshot_loop],
        # Published figures (disclosure-controlled) and the website's assets are for anyone;
        # /internal needs staff.
        public_reads=["/partnerships/", "/assets/"],
    )


def create_app(settings: ReportingSettings | None = None) -> FastAPI:
    settings = settings or load_settings(ReportingSettings)
    return build_app(spec(Topics(settings.topic_prefix)), settings)
