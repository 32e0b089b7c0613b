"""API keys bound to an agency, its partnerships and its roles; source, role and partnership
checks over HTTP; refusals logged without the key."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from shared.auth import (
    DECIDE,
    STAFF,
    SUBMIT,
    TRUSTED_SYSTEM,
    KeyStore,
    agency_scope,
    check_partnership,
    check_source,
    current_principal,
    middleware,
    new_key_entry,
    only_one_partnership,
    require_role,
    sees_partnership,
)
from shared.rejections import Rejected

Keys = tuple[KeyStore, dict[str, str]]


@pytest.fixture
def keys() -> Keys:
    made = {
        "police": new_key_entry("police-ingest", "police", [SUBMIT], partnerships=["p01"]),
        "council": new_key_entry("front-door", "council", [SUBMIT, DECIDE], partnerships=["p01"]),
        "staff": new_key_entry("bu-analyst", "business-unit", [STAFF], partnerships=["p01"]),
        "staff2": new_key_entry("bu-two", "business-unit", [STAFF], partnerships=["p02"]),
        "system": new_key_entry("simulator", "partnership", [TRUSTED_SYSTEM], partnerships=["*"]),
    }
    return KeyStore([e for _, e in made.values()]), {name: k for name, (k, _) in made.items()}


def _app(store: KeyStore | None) -> FastAPI:
    app = FastAPI()
    app.middleware("http")(middleware(store, public_reads=["/published/"]))

    @app.post("/contacts")
    async def submit(body: dict[str, str]) -> dict[str, object]:
        check_source(body["source"])
        check_partnership(body.get("partnership", "p01"))
        principal = current_principal()
        return {"by": principal.id if principal else "-", "own_agency_only": agency_scope()}

    @app.post("/decisions")
    async def decide() -> dict[str, str]:
        require_role([DECIDE], "record MASH decisions")
        return {"ok": "yes"}

    @app.get("/contacts/{contact_id}")
    async def read(contact_id: str, partnership: str = "p01") -> dict[str, str]:
        if not sees_partnership(partnership):
            raise Rejected("not-found", "no contact", status=404)
        return {"ok": contact_id, "default": only_one_partnership() or "-"}

    @app.get("/internal/figures")
    async def internal() -> dict[str, int]:
        return {"contacts": 3}

    @app.get("/internal/partnerships/{partnership}/figures")
    async def internal_of(partnership: str) -> dict[str, str]:
        return {"partnership": partnership}

    @app.get("/published/figures")
    async def published() -> dict[str, str]:
        return {"contacts": "c"}

    @app.exception_handler(Rejected)
    async def rejected(_: object, exc: Rejected) -> JSONResponse:
        return JSONResponse({"error": exc.reason, "detail": exc.detail}, status_code=exc.status)

    return app


async def _call(
    app: FastAPI, method: str, path: str, key: str | None = None, body: dict[str, str] | None = None
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        return await c.request(method, path, headers=headers, json=body)


async def test_a_write_without_a_key_is_refused(keys: Keys) -> None:
    response = await _call(_app(keys[0]), "POST", "/contacts", body={"source": "agency/police"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


async def test_a_wrong_key_is_refused(keys: Keys) -> None:
    response = await _call(_app(keys[0]), "POST", "/contacts", "pp_guess", {"source": "x"})
    assert response.status_code == 401


async def test_an_agency_submits_as_itself(keys: Keys) -> None:
    store, plain = keys
    response = await _call(
        _app(store), "POST", "/contacts", plain["police"], {"source": "agency/police"}
    )
    assert response.status_code == 200
    assert response.json() == {"by": "police-ingest", "own_agency_only": "police"}


async def test_an_agency_cannot_submit_in_another_agencys_name(
    keys: Keys, caplog: pytest.LogCaptureFixture
) -> None:
    store, plain = keys
    response = await _call(
        _app(store), "POST", "/contacts", plain["police"], {"source": "agency/health-trust"}
    )
    assert response.status_code == 403
    assert response.json()["error"] == "forbidden-source"
    assert "police-ingest" in caplog.text  # refused and logged, with who tried
    assert "health-trust" not in caplog.text  # but not what they sent


async def test_a_trusted_system_submits_for_any_agency_and_the_front_door_sees_all(
    keys: Keys,
) -> None:
    store, plain = keys
    app = _app(store)
    as_system = await _call(
        app, "POST", "/contacts", plain["system"], {"source": "agency/health", "partnership": "p7"}
    )
    assert as_system.status_code == 200
    assert as_system.json()["own_agency_only"] is None
    as_council = await _call(
        app, "POST", "/contacts", plain["council"], {"source": "agency/council"}
    )
    assert as_council.json()["own_agency_only"] is None


async def test_only_the_decide_role_records_decisions(
    keys: Keys, caplog: pytest.LogCaptureFixture
) -> None:
    store, plain = keys
    app = _app(store)
    refused = await _call(app, "POST", "/decisions", plain["police"])
    assert refused.status_code == 403
    assert refused.json()["error"] == "forbidden-role"
    assert "decide" in refused.json()["detail"]
    assert (await _call(app, "POST", "/decisions", plain["council"])).status_code == 200
    assert (await _call(app, "POST", "/decisions", plain["system"])).status_code == 403
    assert "principal=police-ingest POST /decisions reason=forbidden-role" in caplog.text


async def test_a_write_into_another_partnership_is_refused(keys: Keys) -> None:
    store, plain = keys
    response = await _call(
        _app(store),
        "POST",
        "/contacts",
        plain["police"],
        {"source": "agency/police", "partnership": "p02"},
    )
    assert response.status_code == 403
    assert response.json()["error"] == "forbidden-partnership"


async def test_another_partnerships_records_are_not_there(keys: Keys) -> None:
    store, plain = keys
    app = _app(store)
    own = await _call(app, "GET", "/contacts/c-1?partnership=p01", plain["police"])
    assert own.json() == {"ok": "c-1", "default": "p01"}
    assert (
        await _call(app, "GET", "/contacts/c-1?partnership=p02", plain["police"])
    ).status_code == 404
    assert (
        await _call(app, "GET", "/contacts/c-1?partnership=p02", plain["system"])
    ).status_code == 200


async def test_unsuppressed_figures_need_the_staff_role_of_that_partnership(keys: Keys) -> None:
    store, plain = keys
    app = _app(store)
    assert (await _call(app, "GET", "/internal/figures")).status_code == 401
    assert (await _call(app, "GET", "/internal/figures", plain["police"])).status_code == 403
    assert (await _call(app, "GET", "/internal/figures", plain["staff"])).status_code == 200
    p01 = "/internal/partnerships/p01/figures"
    assert (await _call(app, "GET", p01, plain["staff"])).status_code == 200
    assert (await _call(app, "GET", p01, plain["staff2"])).status_code == 403


async def test_reads_need_a_key_except_the_published_ones(keys: Keys) -> None:
    store, plain = keys
    app = _app(store)
    assert (await _call(app, "GET", "/contacts/1")).status_code == 401
    assert (await _call(app, "GET", "/contacts/1", plain["police"])).status_code == 200
    assert (await _call(app, "GET", "/published/figures")).status_code == 200
    assert (await _call(app, "POST", "/published/figures")).status_code == 401


async def test_refusals_are_logged_with_the_route_and_never_the_key_or_the_path(
    keys: Keys, caplog: pytest.LogCaptureFixture
) -> None:
    store, plain = keys
    app = _app(store)
    caplog.set_level(logging.WARNING, logger="pulse.auth")
    await _call(app, "GET", "/contacts/jane-doe-2015-03-04", "pp_a-wrong-key")
    await _call(app, "GET", "/contacts/jane-doe-2015-03-04")
    await _call(app, "GET", "/internal/figures", plain["police"])
    lines = [r.getMessage() for r in caplog.records if r.name == "pulse.auth"]
    assert lines == [
        "refused (401) principal=- GET /contacts/{contact_id} reason=API key not recognised",
        "refused (401) principal=- GET /contacts/{contact_id} reason=no API key presented",
        "refused (403) principal=police-ingest GET /internal/figures reason=staff role needed",
    ]
    assert not any(key in caplog.text for key in [*plain.values(), "pp_a-wrong-key"])
    assert "jane" not in caplog.text


def test_keys_are_stored_only_as_hashes(tmp_path: Path) -> None:
    key, entry = new_key_entry("k1", "police", [SUBMIT], partnerships=["p01"])
    path = tmp_path / "keys.json"
    path.write_text(json.dumps([entry]))
    assert key not in path.read_text()
    principal = KeyStore.from_file(path).authenticate(key)
    assert principal is not None
    assert (principal.agency, principal.partnerships) == ("police", frozenset({"p01"}))


def test_a_key_file_with_unknown_roles_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown roles"):
        KeyStore(
            [{"id": "x", "agency": "a", "partnerships": ["p1"], "roles": ["root"], "sha256": "0"}]
        )


def test_a_key_without_partnerships_is_refused_naming_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    path.write_text(json.dumps([{"id": "x", "agency": "a", "roles": ["submit"], "sha256": "0"}]))
    with pytest.raises(
        ValueError, match=r"key x names no partnerships.*\"partnerships\": \[\"p01\"\]"
    ):
        KeyStore.from_file(path)
    with pytest.raises(ValueError, match="names no partnerships"):
        KeyStore(
            [{"id": "x", "agency": "a", "partnerships": [], "roles": ["submit"], "sha256": "0"}]
        )


def test_every_partnership_is_only_for_a_trusted_system() -> None:
    with pytest.raises(ValueError, match="only for a trusted-system key"):
        new_key_entry("x", "a", [STAFF], partnerships=["*"])
    with pytest.raises(ValueError, match="do not match"):
        new_key_entry("x", "a", [STAFF], partnerships=["P 01"])


def test_roles_of_older_key_files_are_mapped_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    store = KeyStore(
        [
            {
                "id": "old",
                "agency": "police",
                "partnerships": ["p1"],
                "roles": ["agency"],
                "sha256": "a",
            },
            {
                "id": "sim",
                "agency": "x",
                "partnerships": ["*"],
                "roles": ["service"],
                "sha256": "b",
            },
        ]
    )
    assert store._by_hash["a"].roles == {SUBMIT}
    assert store._by_hash["b"].roles == {TRUSTED_SYSTEM}
    assert "key old uses the roles of an older key file; read as: agency -> submit" in caplog.text
    assert "service -> trusted-system" in caplog.text


def test_new_keys_take_only_the_current_roles() -> None:
    with pytest.raises(ValueError, match="unknown roles"):
        new_key_entry("x", "police", ["agency"], partnerships=["p01"])
