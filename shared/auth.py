"""Who is calling: API keys that name an agency, stored only as SHA-256 hashes.

A key file (JSON, path in `API_KEYS_FILE`) lists principals:

    [{"id": "police-ingest", "agency": "police", "roles": ["agency"], "sha256": "<hex>"}]

`pulse keys create` makes a key, prints it once and stores only its hash. Every request over
HTTP needs a key (header `Authorization: Bearer <key>` or `X-API-Key`) except health, metrics,
the API docs and the reads a service declares public (reporting's published,
disclosure-controlled figures); reading unsuppressed figures (`/internal/...`) needs the
`staff` role. An agency may submit only as itself: an event whose `source` is not
`agency/<its agency>` is refused with 403 and logged. Services narrow case-level reads
further (`agency_scope`, `sees_agency`).
"""

from __future__ import annotations

import contextvars
import hashlib
import hmac
import json
import logging
import secrets
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from shared.rejections import Rejected

log = logging.getLogger("pulse.auth")

AGENCY = "agency"
STAFF = "staff"
SERVICE = "service"
ROLES = frozenset({AGENCY, STAFF, SERVICE})
OPEN_PATHS = frozenset(
    {"/", "/health", "/metrics", "/docs", "/openapi.json", "/docs/oauth2-redirect"}
)


@dataclass(frozen=True)
class Principal:
    id: str
    agency: str
    roles: frozenset[str] = field(default_factory=frozenset)

    @property
    def source(self) -> str:
        """The CloudEvents `source` this principal may submit as."""
        return f"agency/{self.agency}"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class KeyStore:
    def __init__(self, entries: Iterable[dict[str, Any]]) -> None:
        self._by_hash: dict[str, Principal] = {}
        for entry in entries:
            roles = frozenset(entry.get("roles", [AGENCY]))
            unknown = roles - ROLES
            if unknown:
                raise ValueError(f"key {entry.get('id')}: unknown roles {sorted(unknown)}")
            self._by_hash[str(entry["sha256"])] = Principal(
                str(entry["id"]), str(entry["agency"]), roles
            )

    @classmethod
    def from_file(cls, path: Path) -> KeyStore:
        try:
            entries = json.loads(path.read_text())
        except FileNotFoundError:
            raise ValueError(f"API_KEYS_FILE {path} does not exist") from None
        except json.JSONDecodeError as exc:
            raise ValueError(f"API_KEYS_FILE {path} is not JSON: {exc}") from None
        return cls(entries)

    def authenticate(self, key: str) -> Principal | None:
        digest = hash_key(key)
        # Compare against every stored hash so the time taken says nothing about which matched.
        found = None
        for stored, principal in self._by_hash.items():
            if hmac.compare_digest(stored, digest):
                found = principal
        return found


def new_key_entry(key_id: str, agency: str, roles: Iterable[str]) -> tuple[str, dict[str, Any]]:
    """A fresh random key and the entry to store for it (the key itself is not stored)."""
    key = f"pp_{secrets.token_urlsafe(32)}"
    return key, {"id": key_id, "agency": agency, "roles": sorted(roles), "sha256": hash_key(key)}


_current: contextvars.ContextVar[Principal | None] = contextvars.ContextVar(
    "pulse_principal", default=None
)
# Event ids accepted while handling the current HTTP request: (event id, source).
_accepted: contextvars.ContextVar[list[tuple[str, str]] | None] = contextvars.ContextVar(
    "pulse_accepted", default=None
)
OnAccepted = Callable[[Principal, list[tuple[str, str]]], Awaitable[None]]


def note_accepted(event_id: str, source: str) -> None:
    """Called by the inbound decoder for each event accepted in an HTTP request, so the
    request's principal can be written to the audit trail once the request succeeds."""
    accepted = _accepted.get()
    if accepted is not None:
        accepted.append((event_id, source))


def current_principal() -> Principal | None:
    return _current.get()


def agency_scope() -> str | None:
    """The one agency whose records the caller may read, or None for every agency (staff,
    services, or no caller because authentication is off)."""
    principal = _current.get()
    if principal is None or principal.roles & {STAFF, SERVICE}:
        return None
    return principal.agency


def sees_agency(agency: str | None) -> bool:
    """Whether the caller may read a record sent by `agency`."""
    scope = agency_scope()
    return scope is None or agency == scope


def check_source(source: str) -> None:
    """Refuse an HTTP submission whose `source` is not the calling agency (no-op on Kafka,
    where the topic names the agency instead)."""
    principal = _current.get()
    if principal is None or SERVICE in principal.roles:
        return
    if source != principal.source:
        log.warning(
            "refused submission as %r by principal %s of agency %s",
            source,
            principal.id,
            principal.agency,
        )
        raise Rejected(
            "forbidden-source",
            f"{principal.id} may submit only as {principal.source!r}, not {source!r}",
            status=403,
        )


def _presented_key(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return request.headers.get("x-api-key") or None


def middleware(
    keys: KeyStore | None,
    on_accepted: OnAccepted | None = None,
    public_reads: Sequence[str] = (),
) -> Callable[[Request, Callable[[Request], Awaitable[Response]]], Awaitable[Response]]:
    """HTTP middleware: every request needs a key but the open paths and reads (GET, HEAD)
    under a `public_reads` prefix; `/internal/` paths need the staff role. With `keys=None`
    (authentication switched off for local development) every caller is let through
    unnamed."""

    async def authenticate(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        path = request.url.path
        needs_staff = path.startswith("/internal/") or "/internal/" in path
        public = request.method in {"GET", "HEAD"} and path.startswith(tuple(public_reads))
        if keys is None or path in OPEN_PATHS or (public and not needs_staff):
            return await call_next(request)
        presented = _presented_key(request)
        principal = keys.authenticate(presented) if presented else None
        if principal is None:
            return JSONResponse(
                {"error": "unauthenticated", "detail": "an API key is required"},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        if needs_staff and STAFF not in principal.roles:
            log.warning(
                "principal %s refused %s %s: staff role needed", principal.id, request.method, path
            )
            return JSONResponse(
                {"error": "forbidden", "detail": "partnership staff role required"},
                status_code=403,
            )
        accepted: list[tuple[str, str]] = []
        token, token_accepted = _current.set(principal), _accepted.set(accepted)
        try:
            response = await call_next(request)
        finally:
            _current.reset(token)
            _accepted.reset(token_accepted)
        if on_accepted is not None and accepted and response.status_code < 300:
            await on_accepted(principal, accepted)
        return response

    return authenticate
