"""Intake settings (environment variables; see the README's configuration table)."""

from __future__ import annotations

from pydantic import Field, field_validator

from shared.school_calendar import CalendarError, load_calendars
from shared.settings import ServiceSettings


class IntakeSettings(ServiceSettings):
    service_name: str = "intake"
    http_port: int = 8001
    clock_skew_s: float = Field(
        default=300.0,
        ge=0,
        description="how far two agencies' clocks may disagree before a time is impossible "
        "(e.g. a decision before its contact's receipt)",
    )
    overdue_sweep_enabled: bool = Field(
        default=True, description="run the overdue sweep in this process (tests drive it directly)"
    )
    overdue_sweep_interval_s: float = Field(
        default=30.0, gt=0, description="seconds between sweeps for overdue MASH decisions"
    )
    overdue_full_sweep_every: int = Field(
        default=10,
        ge=1,
        description="every how many sweeps the read model is asked for candidates, besides "
        "the first sweep and the first after a rebalance (the others take the open contacts "
        "this process knows; 1: always)",
    )
    overdue_sweep_batch: int = Field(
        default=500, ge=1, description="most overdue contacts announced by one sweep"
    )
    school_calendars: str = Field(
        default="",
        description="partnerships' school term dates for the Operation Encompass clock, as "
        "partnership=path[,partnership=path]: each a JSON or CSV file of the local authority's "
        "published terms and INSET days (see shared/school_calendar.py); a partnership not "
        "named, or a year its file does not cover, has typical English terms",
    )

    @field_validator("school_calendars")
    @classmethod
    def _calendars_load(cls, value: str) -> str:
        try:
            load_calendars(value)  # at start-up: a bad file stops the service, naming it
        except CalendarError as exc:
            raise ValueError(str(exc)) from None
        return value
