"""Hostile bodies at every write endpoint of every service, running against the real broker
and database: each gets a clear 4xx (or is accepted), never a 5xx, and the service stays
healthy afterwards."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ops.system import SERVICES, Infra
from tests.support.services import running

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=15), inner, max_size=4)
    ),
    max_leaves=20,
)
bodies = (
    json_values.map(lambda v: json.dumps(v).encode())
    | st.binary(max_size=500)
    | st.just(b"{" * 10_000)
    | st.just(json.dumps({"data": "x" * 1_000_000}).encode())
)


def _write_routes(openapi: dict[str, Any]) -> list[tuple[str, str]]:
    routes = []
    for path, methods in openapi["paths"].items():
        for method in methods:
            if method.upper() in ("POST", "PUT", "PATCH"):
                routes.append((method.upper(), re.sub(r"\{[^}]+\}", "fuzz-1", path)))
    return routes


@pytest.mark.parametrize("service", list(SERVICES))
async def test_write_endpoints_answer_hostile_bodies_with_4xx(
    infra: Infra, run_id: str, service: str
) -> None:
    async with running(service, infra, run_id) as svc:
        routes = _write_routes(svc.app.openapi())
        failures: list[str] = []
        loop = asyncio.get_running_loop()

        @settings(
            max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        @given(body=bodies, route=st.sampled_from(routes) if routes else st.nothing())
        def probe(body: bytes, route: tuple[str, str]) -> None:
            method, path = route
            future = asyncio.run_coroutine_threadsafe(
                svc.http.request(
                    method, path, content=body, headers={"content-type": "application/json"}
                ),
                loop,
            )
            response = future.result(timeout=30)
            if response.status_code >= 500:
                failures.append(f"{method} {path} -> {response.status_code}: {body[:80]!r}")

        if routes:
            await asyncio.to_thread(probe)
        assert failures == []
        assert (await svc.http.get("/health")).status_code == 200
