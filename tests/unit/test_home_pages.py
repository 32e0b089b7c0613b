"""A person who opens a service in a browser gets a page naming it, with links to its API
docs, health and metrics, without a key (not a JSON 401)."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import httpx
import pytest

from ops.system import SERVICES
from shared.auth import new_key_entry


@pytest.mark.parametrize("service", [s for s in SERVICES if s != "reporting"])
async def test_each_service_answers_slash_with_a_page_about_itself(
    service: str, tmp_path: Path
) -> None:
    _, entry = new_key_entry("someone", "police", ["submit"], partnerships=["p01"])
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps([entry]))
    module = importlib.import_module(f"services.{service}.main")
    settings = module.SETTINGS(
        kafka_bootstrap_servers="127.0.0.1:1",
        mongodb_url="mongodb://127.0.0.1:1/",
        api_keys_file=str(keys),
    )
    app = module.create_app(settings)  # no lifespan: the page needs neither Kafka nor database
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://x") as c:
        page = await c.get("/")
        other = await c.get("/anything-else")  # `/` is open, not every path under it
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert f"Partnership Pulse — {service}" in page.text
    for link in ("/docs", "/health", "/metrics"):
        assert f'href="{link}"' in page.text
    assert other.status_code == 401
