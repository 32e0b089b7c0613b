"""What a request body must be before any route reads it: declared JSON, at most 1 MiB,
within the JSON bounds; and validation errors that never repeat the input."""

from __future__ import annotations

from typing import Annotated, Any

import pytest
from fastapi import FastAPI, Query, Request
from fastapi.testclient import TestClient
from pydantic import BaseModel

from shared import http_boundary
from shared.inbound_policy import MAX_BODY_BYTES, FreeText, PartnershipId


class Body(BaseModel):
    title: FreeText
    headcount: int


def _client() -> TestClient:
    app = FastAPI()
    http_boundary.install(app)

    @app.post("/raw")
    async def raw(request: Request) -> dict[str, Any]:
        return {"bytes": len(await request.body())}

    @app.put("/typed")
    async def typed(body: Body) -> dict[str, Any]:
        return body.model_dump()

    @app.get("/query")
    async def query(partnership: Annotated[PartnershipId, Query()]) -> dict[str, Any]:
        return {"partnership": partnership}

    return TestClient(app)


def test_a_json_body_within_bounds_reaches_the_route() -> None:
    with _client() as client:
        answer = client.post(
            "/raw", content=b'{"a": 1}', headers={"content-type": "application/json"}
        )
        assert answer.status_code == 200
        assert answer.json() == {"bytes": 8}
        ce = client.post(
            "/raw", content=b"{}", headers={"content-type": "application/cloudevents+json"}
        )
        assert ce.status_code == 200


@pytest.mark.parametrize("media", [None, "text/plain", "application/x-www-form-urlencoded"])
def test_a_body_of_another_type_is_refused_415(media: str | None) -> None:
    headers = {"content-type": media} if media else {}
    with _client() as client:
        answer = client.post("/raw", content=b'{"a": 1}', headers=headers)
    assert answer.status_code == 415


def test_a_body_over_one_mib_is_refused_413() -> None:
    body = b'{"a": "' + b"x" * MAX_BODY_BYTES + b'"}'
    with _client() as client:
        answer = client.post("/raw", content=body, headers={"content-type": "application/json"})
    assert answer.status_code == 413


@pytest.mark.parametrize(
    "body",
    [b"[" * 50_000 + b"]" * 50_000, b'{"title": "\\ud800", "headcount": 1}', b'{"headcount": NaN}'],
)
def test_hostile_json_is_refused_4xx_not_5xx(body: bytes) -> None:
    with _client() as client:
        answer = client.put("/typed", content=body, headers={"content-type": "application/json"})
    assert 400 <= answer.status_code < 500


def test_a_validation_error_names_the_field_and_never_the_value() -> None:
    with _client() as client:
        answer = client.put(
            "/typed",
            json={"title": "Jane Doe, GL1 2AB", "headcount": 3},
        )
        assert answer.status_code == 422
        assert answer.json()["error"] == "personal-data"
        assert "title" in answer.json()["detail"]
        assert "GL1 2AB" not in answer.text
        bad_query = client.get("/query", params={"partnership": "Jane Doe 04/03/2015"})
        assert bad_query.status_code == 422
        assert "Jane" not in bad_query.text
        wrong_type = client.put("/typed", json={"title": "ok", "headcount": "Jane Doe"})
        assert wrong_type.status_code == 422
        assert "Jane" not in wrong_type.text
