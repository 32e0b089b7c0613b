"""API keys, roles and source binding over HTTP."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from shared.auth import STAFF, KeyStore, check_source, current_principal, middleware, new_key_entry
from shared.rejections import Rejected


@pytest.fixture
def keys() -> tuple[KeyStore, dict[str, str]]:
    police_key, police = new_key_entry("police-ingest", "police", ["agency"])
    staff_key, staff = new_key_entry("bu-analyst", "business-unit", ["agency", STAFF])
    return KeyStore([police, staff]), {"police": police_key, "staff": staff_key}


def _app(store: KeyStore | None) -> FastAPI:
    app = FastAPI()
    app.middleware("http")(middleware(store, public_reads=["/published/"]))

    @app.post("/contacts")
    async def submit(body: dict[str, str]) -> dict[str, str]:
        check_source(body["source"])
        principal = current_principal()
        return {"by": principal.id if principal else "-"}

    @app.get("/contacts/1")
    async def read() -> dict[str, str]:
        return {"ok": "yes"}

    @app.get("/internal/figures")
    async def internal() -> dict[str, int]:
        return {"contacts": 3}

    @app.get("/published/figures")
    async def published() -> dict[str, str]:
        return {"contacts": "c"}

    @app.exception_handler(Rejected)
    async def rejected(_: object, exc: Rejected) -> object:
        from fastapi.responses import JSONResponse

        return JSONResponse({"error": exc.reason}, status_code=exc.status)

    return app


async def _call(
    app: FastAPI, method: str, path: str, key: str | None = None, body: dict[str, str] | None = None
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        return await c.request(method, path, headers=headers, json=body)


async def test_a_write_without_a_key_is_refused(keys: tuple[KeyStore, dict[str, str]]) -> None:
    response = await _call(_app(keys[0]), "POST", "/contacts", body={"source": "agency/police"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


async def test_a_wrong_key_is_refused(keys: tuple[KeyStore, dict[str, str]]) -> None:
    response = await _call(_app(keys[0]), "POST", "/contacts", "pp_guess", {"source": "x"})
    assert response.status_code == 401


async def test_an_agency_submits_as_itself(keys: tuple[KeyStore, dict[str, str]]) -> None:
    store, plain = keys
    response = await _call(
        _app(store), "POST", "/contacts", plain["police"], {"source": "agency/police"}
    )
    assert response.status_code == 200
    assert response.json() == {"by": "police-ingest"}


async def test_an_agency_cannot_submit_in_another_agencys_name(
    keys: tuple[KeyStore, dict[str, str]], caplog: pytest.LogCaptureFixture
) -> None:
    store, plain = keys
    response = await _call(
        _app(store), "POST", "/contacts", plain["police"], {"source": "agency/health-trust"}
    )
    assert response.status_code == 403
    assert response.json()["error"] == "forbidden-source"
    assert "police-ingest" in caplog.text  # refused and logged, with who tried


async def test_unsuppressed_figures_need_the_staff_role(
    keys: tuple[KeyStore, dict[str, str]],
) -> None:
    store, plain = keys
    app = _app(store)
    assert (await _call(app, "GET", "/internal/figures")).status_code == 401
    assert (await _call(app, "GET", "/internal/figures", plain["police"])).status_code == 403
    assert (await _call(app, "GET", "/internal/figures", plain["staff"])).status_code == 200


async def test_reads_need_a_key_except_the_published_ones(
    keys: tuple[KeyStore, dict[str, str]],
) -> None:
    store, plain = keys
    app = _app(store)
    assert (await _call(app, "GET", "/contacts/1")).status_code == 401
    assert (await _call(app, "GET", "/contacts/1", plain["police"])).status_code == 200
    assert (await _call(app, "GET", "/published/figures")).status_code == 200
    assert (await _call(app, "POST", "/published/figures")).status_code == 401


def test_keys_are_stored_only_as_hashes(tmp_path: Path) -> None:
    key, entry = new_key_entry("k1", "police", ["agency"])
    path = tmp_path / "keys.json"
    path.write_text(json.dumps([entry]))
    assert key not in path.read_text()
    principal = KeyStore.from_file(path).authenticate(key)
    assert principal is not None
    assert principal.agency == "police"


def test_a_key_file_with_unknown_roles_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown roles"):
        KeyStore([{"id": "x", "agency": "a", "roles": ["root"], "sha256": "00"}])
