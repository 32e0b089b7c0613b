"""Training settings (environment variables; see the README's configuration table)."""

from __future__ import annotations

from pydantic import Field

from shared.settings import ServiceSettings


class TrainingSettings(ServiceSettings):
    service_name: str = "training"
    http_port: int = 8003
    default_partnership: str = Field(
        default="",
        pattern=r"^[A-Za-z0-9_.-]{0,64}$",
        description="partnership of xAPI statements without the partnership extension, and of "
        "queries without ?partnership=; empty: both must name it",
    )
