"""Reporting settings (environment variables; see the README's configuration table)."""

from __future__ import annotations

from shared.settings import ServiceSettings


class ReportingSettings(ServiceSettings):
    service_name: str = "reporting"
    http_port: int = 8004
