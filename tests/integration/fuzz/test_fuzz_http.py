"""Hostile bodies at every write endpoint of every service, running against the real broker
and database: each gets a clear 4xx (or is accepted), never a 5xx, and the service stays
healthy afterwards."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ops.system import SERVICES, Infra
from shared.auth import DECIDE, STAFF, SUBMIT, new_key_entry
from shared.contracts import intake as i
from shared.contracts import reviews as r
from shared.contracts import training as t
from tests.support.inbound_examples import (
    EVENT_DATA,
    STATEMENT,
    dumps,
    envelope,
    hostile_scalars,
    hostile_values,
    mutated,
)
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


# -- every route, with real keys (an agency's and a member of staff's) ------------------------

_REVIEW_ROUTES = {
    "notification": r.NOTIFICATION_REPORTED,
    "rapid-review-decision": r.RAPID_REVIEW_COMPLETION_REPORTED,
    "publication": r.PUBLICATION_REPORTED,
    "audit-completion": r.AUDIT_COMPLETION_REPORTED,
    "closure": r.CLOSE_REQUESTED,
    "recommendations": r.RECOMMENDATION_SUBMITTED,
    "actions": r.ACTION_PLAN_SUBMITTED,
}


def _template(method: str, path: str) -> dict[str, Any] | list[Any] | None:
    """A body the route accepts, to start the mutations from (None: the route takes none)."""
    if method == "GET":
        return None
    fixed: dict[tuple[str, str], Any] = {
        ("POST", "/contacts"): envelope(i.SUBMITTED, EVENT_DATA[i.SUBMITTED]),
        ("POST", "/events"): envelope(i.DECISION_RECORDED, EVENT_DATA[i.DECISION_RECORDED]),
        ("POST", "/commands"): envelope(r.OPEN_REQUESTED, EVENT_DATA[r.OPEN_REQUESTED]),
        ("POST", "/reviews"): EVENT_DATA[r.OPEN_REQUESTED],
        ("PATCH", "/actions/{action_id}"): EVENT_DATA[r.ACTION_UPDATE_SUBMITTED],
        ("POST", "/escalations"): EVENT_DATA[r.ESCALATION_SUBMITTED],
        ("POST", "/escalations/{escalation_id}/resolution"): {
            k: v
            for k, v in EVENT_DATA[r.ESCALATION_RESOLUTION_SUBMITTED].items()
            if k != "escalation_id"
        },
        ("POST", "/xapi/statements"): STATEMENT,
        ("PUT", "/courses/{course_id}"): {
            k: v for k, v in EVENT_DATA[t.COURSE_UPSERTED].items() if k != "course_id"
        },
        ("PUT", "/workforce/{organisation}/{financial_year}"): {"headcount": 120},
    }
    if (method, path) in fixed:
        return dict(fixed[(method, path)])
    last = path.rsplit("/", 1)[-1]
    if path.startswith("/reviews/{review_id}/") and last in _REVIEW_ROUTES:
        data = EVENT_DATA[_REVIEW_ROUTES[last]]
        return {k: v for k, v in data.items() if k != "review_id"}
    return {}


_VALID_PATH = {
    "review_id": "r-1",
    "action_id": "a-1",
    "escalation_id": "x-1",
    "course_id": "k-1",
    "contact_id": "c-1",
    "learner_id": "u-1",
    "organisation": "education",
    "financial_year": "2020-21",
    "partnership": "p1",
    "period": "2020-21",
    "table_name": "contacts-by-source",
    "version": "1",
}


def _plain(value: Any) -> str:
    """A hostile value as it can travel in a URL or a header (no lone surrogates, no CR/LF)."""
    text = value if isinstance(value, str) else json.dumps(value, allow_nan=True)
    return text.encode("utf-8", "replace").decode("utf-8").replace("\r", "").replace("\n", "")


def _routes(openapi: dict[str, Any]) -> list[tuple[str, str, list[str]]]:
    routes = []
    for path, methods in openapi["paths"].items():
        if path in ("/health", "/metrics"):
            continue
        for method, spec in methods.items():
            query = [p["name"] for p in spec.get("parameters", []) if p["in"] == "query"]
            routes.append((method.upper(), path, query))
    return routes


@pytest.mark.parametrize("service", list(SERVICES))
# The service runs on the event loop while Hypothesis draws in a thread; its own use of
# `random` (ids, jitter) is not the strategies'.
@pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning")
async def test_every_route_with_real_keys_never_answers_5xx(
    infra: Infra, run_id: str, service: str, tmp_path: Path
) -> None:
    # Keys of the partnership the examples name, so bodies reach the routes' own checks.
    agency_key, agency = new_key_entry("police-ingest", "police", [SUBMIT], partnerships=["p1"])
    staff_key, staff = new_key_entry("business-unit", "gscp", [STAFF, DECIDE], partnerships=["p1"])
    keys_file = tmp_path / "keys.json"
    keys_file.write_text(json.dumps([agency, staff]))
    options: dict[str, Any] = {"auth_disabled": False, "api_keys_file": str(keys_file)}
    if service == "training":
        options["default_partnership"] = "p1"
    async with running(service, infra, run_id, **options) as svc:
        routes = _routes(svc.app.openapi())
        failures: list[str] = []
        loop = asyncio.get_running_loop()
        sent: list[int] = []

        @settings(
            max_examples=120, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        @given(data=st.data())
        def probe(data: st.DataObject) -> None:
            method, path, query_names = data.draw(st.sampled_from(routes))
            key = data.draw(st.sampled_from([agency_key, staff_key]))
            segments = {}
            for name in re.findall(r"\{([^}]+)\}", path):
                value = data.draw(
                    st.sampled_from([_VALID_PATH.get(name, "x-1")]) | hostile_values.map(_plain)
                )
                segments[name] = quote(value, safe="") or "x"
            url = re.sub(r"\{([^}]+)\}", lambda m: segments[m.group(1)], path)
            params = {
                name: _plain(data.draw(hostile_values))
                for name in query_names
                if data.draw(st.booleans())
            }
            headers = {"Authorization": f"Bearer {key}", "X-Partnership": "p1"}
            if data.draw(st.booleans()):
                headers["X-Partnership"] = _plain(data.draw(hostile_scalars))
            if data.draw(st.booleans()):
                headers["Idempotency-Key"] = _plain(data.draw(hostile_scalars))
            headers = {k: v.encode("ascii", "ignore").decode() for k, v in headers.items()}
            template = _template(method, path)
            content = None
            if template is not None:
                body = data.draw(st.just(template) | mutated(template)) if template else template
                if template and "data" in template and data.draw(st.booleans()):
                    body = dict(template) | {"data": data.draw(mutated(template["data"]))}
                content = dumps(body)
            future = asyncio.run_coroutine_threadsafe(
                svc.http.request(method, url, params=params, content=content, headers=headers),
                loop,
            )
            response = future.result(timeout=60)
            sent.append(response.status_code)
            if response.status_code >= 500:
                failures.append(
                    f"{method} {url} {params} -> {response.status_code}: {content!r:.200}"
                )

        await asyncio.to_thread(probe)
        assert failures == []
        assert len(sent) >= 100
        assert (await svc.http.get("/health")).status_code == 200
