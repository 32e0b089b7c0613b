"""Training settings (environment variables; see the README's configuration table)."""

from __future__ import annotations

from shared.settings import ServiceSettings


class TrainingSettings(ServiceSettings):
    service_name: str = "training"
    http_port: int = 8003
