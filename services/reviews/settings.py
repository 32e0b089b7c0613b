"""Reviews settings (environment variables; see the README's configuration table)."""

from __future__ import annotations

from shared.settings import ServiceSettings


class ReviewsSettings(ServiceSettings):
    service_name: str = "reviews"
    http_port: int = 8002
