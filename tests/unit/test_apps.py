"""Every service builds its application without touching the network, and describes itself."""

from __future__ import annotations

import importlib

import pytest

from ops.system import SERVICES


@pytest.mark.parametrize("service", list(SERVICES))
def test_app_factory_does_no_io_and_serves_health_and_metrics(service: str) -> None:
    module = importlib.import_module(f"services.{service}.main")
    # An address nothing listens on: building the app must not try to connect.
    settings = module.SETTINGS(
        kafka_bootstrap_servers="127.0.0.1:1",
        mongodb_url="mongodb://127.0.0.1:1/",
        auth_disabled=True,
    )
    app = module.create_app(settings)
    paths = app.openapi()["paths"]
    assert "/health" in paths
    assert "/metrics" in paths
    assert settings.http_port == SERVICES[service]
