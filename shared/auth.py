"""Who is calling: API keys that name an agency, its partnerships and its roles, stored only as
SHA-256 hashes.

A key file (JSON, path in `API_KEYS_FILE`) lists principals:

    [{"id": "police-ingest", "agency": "police", "partnerships": ["p01"],
      "roles": ["submit"], "sha256": "<hex>"}]

`pulse keys create` makes a key, prints it once and stores only its hash. Every request over
HTTP needs a key (header `Authorization: Bearer <key>` or `X-API-Key`) except health, metrics,
the API docs and the reads a service declares public (reporting's published,
disclosure-controlled figures).

Roles (README, "Who may read and write what"):

- `submit`: an agency's system submitting contacts, notifications and reviews data, only as
  itself (`source` = `agency/<its agency>`, `data.agency` = its agency).
- `decide`: the MASH / council front door; the only role that records MASH decisions,
  early-help allocations and VIST receipts, and it reads every agency's contacts.
- `staff`: the partnership's own staff; reads unsuppressed `/internal/...` figures and
  case-level records of every agency of its partnerships.
- `trusted-system`: a system of the partnership (the simulator, a training platform) that
  may submit on behalf of any agency and reads every agency's records.

Every key names its partnerships: a write naming another partnership (envelope, header
`X-Partnership`, `?partnership=`) is refused 403; to a read, another partnership's records do
not exist (404, as an unknown id). `"*"` (every partnership) is allowed only for
`trusted-system` keys. Entries without partnerships are refused when the file is loaded;
entries with the roles of older key files (`agency`, `service`) are read as `submit` and
`trusted-system`, with a warning saying so.

Every 401 and 403 is logged with the principal's id (if known), the route (its template, so
no identifier of a path) and the reason; never the key.
"""

from __future__ import annotations

import contextvars
import hashlib
import hmac
import json
import logging
import re
import secrets
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from shared.inbound_policy import PARTNERSHIP_PATTERN
from shared.rejections import Rejected

log = logging.getLogger("pulse.auth")

SUBMIT = "submit"
DECIDE = "decide"
STAFF = "staff"
TRUSTED_SYSTEM = "trusted-system"
ROLES = frozenset({SUBMIT, DECIDE, STAFF, TRUSTED_SYSTEM})
# Roles of key files written before keys named partnerships, and what they now mean.
LEGACY_ROLES = {"agency": SUBMIT, "service": TRUSTED_SYSTEM}
# Roles that read every agency's case-level records (within the key's partnerships).
SEES_EVERY_AGENCY = frozenset({DECIDE, STAFF, TRUSTED_SYSTEM})
EVERY_PARTNERSHIP = "*"
OPEN_PATHS = frozenset(
    {"/", "/health", "/metrics", "/docs", "/openapi.json", "/docs/oauth2-redirect"}
)
_AGENCY = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_PARTNERSHIP = re.compile(PARTNERSHIP_PATTERN)


@dataclass(frozen=True)
class Principal:
    id: str
    agency: str
    roles: frozenset[str] = field(default_factory=frozenset)
    partnerships: frozenset[str] = field(default_factory=frozenset)

    @property
    def source(self) -> str:
        """The CloudEvents `source` this principal may submit as."""
        return f"agency/{self.agency}"

    def in_partnership(self, partnership: str | None) -> bool:
        if EVERY_PARTNERSHIP in self.partnerships:
            return True
        return partnership is not None and partnership in self.partnerships

    @property
    def sees_every_agency(self) -> bool:
        return bool(self.roles & SEES_EVERY_AGENCY)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _roles_of(entry: dict[str, Any], key_id: str) -> frozenset[str]:
    given = entry.get("roles")
    if not isinstance(given, list) or not given or not all(isinstance(r, str) for r in given):
        raise ValueError(
            f"key {key_id}: 'roles' must list one or more of {sorted(ROLES)} (in API_KEYS_FILE)"
        )
    legacy = sorted(set(given) & LEGACY_ROLES.keys())
    if legacy:
        mapped = ", ".join(f"{r} -> {LEGACY_ROLES[r]}" for r in legacy)
        log.warning(
            "key %s uses the roles of an older key file; read as: %s (rewrite the entry with "
            "the new role names to silence this)",
            key_id,
            mapped,
        )
    roles = frozenset(str(LEGACY_ROLES.get(r, r)) for r in given)
    unknown = roles - ROLES
    if unknown:
        raise ValueError(
            f"key {key_id}: unknown roles {sorted(unknown)}; roles are {sorted(ROLES)}"
        )
    return roles


def _partnerships_of(entry: dict[str, Any], key_id: str, roles: frozenset[str]) -> frozenset[str]:
    given = entry.get("partnerships")
    if not isinstance(given, list) or not given or not all(isinstance(p, str) for p in given):
        raise ValueError(
            f"key {key_id} names no partnerships: every key is bound to the partnerships it "
            'acts for; add e.g. "partnerships": ["p01"] to its entry in API_KEYS_FILE, or make '
            "a new key with `pulse keys create --partnership p01 ...`"
        )
    partnerships = frozenset(given)
    if EVERY_PARTNERSHIP in partnerships and TRUSTED_SYSTEM not in roles:
        raise ValueError(
            f'key {key_id}: "*" (every partnership) is only for a trusted-system key; '
            "name the partnerships"
        )
    bad = sorted(p for p in partnerships - {EVERY_PARTNERSHIP} if not _PARTNERSHIP.match(p))
    if bad:
        raise ValueError(f"key {key_id}: partnership ids {bad} do not match {PARTNERSHIP_PATTERN}")
    return partnerships


def principal_of(entry: dict[str, Any]) -> Principal:
    """The principal a key file entry describes, or `ValueError` saying what to fix."""
    key_id = str(entry.get("id") or "").strip()
    if not key_id:
        raise ValueError("a key in API_KEYS_FILE has no 'id'")
    agency = entry.get("agency")
    if not isinstance(agency, str) or not _AGENCY.match(agency):
        raise ValueError(f"key {key_id}: 'agency' must be an agency code such as 'police'")
    if not isinstance(entry.get("sha256"), str):
        raise ValueError(f"key {key_id}: 'sha256' (the key's hash) is missing")
    roles = _roles_of(entry, key_id)
    return Principal(key_id, agency, roles, _partnerships_of(entry, key_id, roles))


class KeyStore:
    def __init__(self, entries: Iterable[dict[str, Any]]) -> None:
        self._by_hash: dict[str, Principal] = {}
        for entry in entries:
            if not isinstance(entry, dict):
                raise ValueError("API_KEYS_FILE must be a JSON list of key entries (objects)")
            principal = principal_of(entry)
            self._by_hash[str(entry["sha256"])] = principal

    @classmethod
    def from_file(cls, path: Path) -> KeyStore:
        try:
            entries = json.loads(path.read_text())
        except FileNotFoundError:
            raise ValueError(f"API_KEYS_FILE {path} does not exist") from None
        except json.JSONDecodeError as exc:
            raise ValueError(f"API_KEYS_FILE {path} is not JSON: {exc}") from None
        if not isinstance(entries, list):
            raise ValueError(f"API_KEYS_FILE {path} must be a JSON list of key entries")
        try:
            return cls(entries)
        except ValueError as exc:
            raise ValueError(f"API_KEYS_FILE {path}: {exc}") from None

    def authenticate(self, key: str) -> Principal | None:
        digest = hash_key(key)
        # Compare against every stored hash so the time taken says nothing about which matched.
        found = None
        for stored, principal in self._by_hash.items():
            if hmac.compare_digest(stored, digest):
                found = principal
        return found


def new_key_entry(
    key_id: str, agency: str, roles: Iterable[str], *, partnerships: Iterable[str]
) -> tuple[str, dict[str, Any]]:
    """A fresh random key and the entry to store for it (the key itself is not stored).
    Raises `ValueError` for an entry the services would refuse to load."""
    unknown = set(roles) - ROLES
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}; roles are {sorted(ROLES)}")
    key = f"pp_{secrets.token_urlsafe(32)}"
    entry = {
        "id": key_id,
        "agency": agency,
        "partnerships": sorted(partnerships),
        "roles": sorted(roles),
        "sha256": hash_key(key),
    }
    principal_of(entry)  # refuse now what the services would refuse at start
    return key, entry


_current: contextvars.ContextVar[Principal | None] = contextvars.ContextVar(
    "pulse_principal", default=None
)
# Event ids accepted while handling the current HTTP request: (event id, source).
_accepted: contextvars.ContextVar[list[tuple[str, str]] | None] = contextvars.ContextVar(
    "pulse_accepted", default=None
)
# Why the current HTTP request was refused 403, for the middleware's log line (a list the
# route appends to: the middleware runs the route in another task, so a value set there
# would not come back).
_refusals: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar(
    "pulse_refusals", default=None
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


def forbid(reason: str, detail: str) -> Rejected:
    """A 403 to raise, noted for the request's log line (or logged here, outside a request).
    `detail` goes to the caller and the log: it names rules, never a value the caller sent."""
    refusals = _refusals.get()
    if refusals is not None:
        refusals.append(f"{reason}: {detail}")
    else:
        principal = _current.get()
        log.warning(
            "refused (403) principal=%s reason=%s: %s",
            principal.id if principal else "-",
            reason,
            detail,
        )
    return Rejected(reason, detail, status=403)


# -- agencies ---------------------------------------------------------------------------------


def agency_scope() -> str | None:
    """The one agency whose records the caller may read, or None for every agency (decide,
    staff, trusted systems, or no caller because authentication is off)."""
    principal = _current.get()
    if principal is None or principal.sees_every_agency:
        return None
    return principal.agency


def sees_agency(agency: str | None) -> bool:
    """Whether the caller may read a record sent by `agency`."""
    scope = agency_scope()
    return scope is None or agency == scope


def check_source(source: str) -> None:
    """Refuse an HTTP submission whose `source` is not the calling agency (no-op on Kafka,
    where the topic names the agency instead, and for trusted systems)."""
    principal = _current.get()
    if principal is None or TRUSTED_SYSTEM in principal.roles:
        return
    if source != principal.source:
        raise forbid(
            "forbidden-source",
            f"{principal.id} may submit only as {principal.source!r} (the event's source)",
        )


def check_acting_agency(agency: object, field_name: str) -> None:
    """Refuse data naming another agency as the one acting (e.g. who raised an escalation)
    from a key that acts only as its own agency; staff and trusted systems record for any."""
    principal = _current.get()
    if principal is None or not isinstance(agency, str):
        return
    if principal.roles & {STAFF, TRUSTED_SYSTEM} or agency == principal.agency:
        return
    raise forbid("forbidden-source", f"{field_name} must be the key's agency")


def require_role(roles: Iterable[str], action: str) -> None:
    """Refuse the request unless the caller holds one of `roles` (no-op without a caller:
    Kafka, or authentication off)."""
    principal = _current.get()
    wanted = frozenset(roles)
    if principal is None or principal.roles & wanted:
        return
    raise forbid(
        "forbidden-role",
        f"only a key with the role {' or '.join(sorted(wanted))} may {action}; "
        f"{principal.id} has {', '.join(sorted(principal.roles))}",
    )


# -- partnerships -----------------------------------------------------------------------------


def partnership_scope() -> frozenset[str] | None:
    """The partnerships the caller may read and write, or None for every one (a trusted
    system with "*", or no caller)."""
    principal = _current.get()
    if principal is None or EVERY_PARTNERSHIP in principal.partnerships:
        return None
    return principal.partnerships


def sees_partnership(partnership: str | None) -> bool:
    """Whether the caller may read records of `partnership`: to everyone else they do not
    exist."""
    principal = _current.get()
    return principal is None or principal.in_partnership(partnership)


def only_one_partnership() -> str | None:
    """The caller's partnership when its key names exactly one (a default for `?partnership=`)."""
    scope = partnership_scope()
    if scope is not None and len(scope) == 1:
        return next(iter(scope))
    return None


def check_partnership(partnership: str | None) -> None:
    """Refuse a write into a partnership the caller's key does not name."""
    principal = _current.get()
    if principal is None or principal.in_partnership(partnership):
        return
    raise forbid(
        "forbidden-partnership",
        f"{principal.id} may write only in its partnerships "
        f"({', '.join(sorted(principal.partnerships))})",
    )


# -- HTTP -------------------------------------------------------------------------------------

_INTERNAL_PARTNERSHIP = re.compile(r"^/internal/partnerships/([^/]+)")


def _presented_key(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return request.headers.get("x-api-key") or None


def _route_templates(app: Any) -> list[tuple[re.Pattern[str], str]]:
    """The app's route templates (from its OpenAPI document, and its plain routes), each with
    a pattern matching the paths it serves; made once per app."""
    cached: list[tuple[re.Pattern[str], str]] | None = getattr(app.state, "route_templates", None)
    if cached is not None:
        return cached
    templates: list[str] = []
    openapi = getattr(app, "openapi", None)
    if callable(openapi):
        templates.extend(openapi().get("paths", {}))
    templates.extend(str(r.path) for r in getattr(app, "routes", []) if getattr(r, "path", None))
    found = []
    for template in dict.fromkeys(templates):
        pattern = re.sub(r"\\\{[^}:]+:path\\\}", ".+", re.escape(template))
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", pattern)
        found.append((re.compile(f"^{pattern}$"), template))
    # The most literal template first: `/contacts/export` before `/contacts/{contact_id}`.
    found.sort(key=lambda pair: (pair[1].count("{"), -len(pair[1])))
    app.state.route_templates = found
    return found


def _route_of(request: Request) -> str:
    """The route template the request is for (`/contacts/{contact_id}`), so a log line holds
    no identifier, name or date a caller put in the path."""
    try:
        for pattern, template in _route_templates(request.app):
            if pattern.match(request.url.path):
                return template
    except Exception:  # a log line must not fail the request
        log.debug("no route templates", exc_info=True)
    return "(unknown route)"


def _refused(request: Request, status: int, principal: Principal | None, reason: str) -> None:
    log.warning(
        "refused (%d) principal=%s %s %s reason=%s",
        status,
        principal.id if principal else "-",
        request.method,
        _route_of(request),
        reason,
    )


def middleware(
    keys: KeyStore | None,
    on_accepted: OnAccepted | None = None,
    public_reads: Sequence[str] = (),
) -> Callable[[Request, Callable[[Request], Awaitable[Response]]], Awaitable[Response]]:
    """HTTP middleware: every request needs a key but the open paths and reads (GET, HEAD)
    under a `public_reads` prefix; `/internal/` paths need the staff role, and
    `/internal/partnerships/<p>/...` a key of partnership p. With `keys=None`
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
            reason = "no API key presented" if presented is None else "API key not recognised"
            _refused(request, 401, None, reason)
            return JSONResponse(
                {"error": "unauthenticated", "detail": "an API key is required"},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        if needs_staff:
            internal = _INTERNAL_PARTNERSHIP.match(path)
            if STAFF not in principal.roles:
                _refused(request, 403, principal, "staff role needed")
                return JSONResponse(
                    {"error": "forbidden", "detail": "partnership staff role required"},
                    status_code=403,
                )
            if internal is not None and not principal.in_partnership(internal.group(1)):
                _refused(request, 403, principal, "staff of another partnership")
                return JSONResponse(
                    {"error": "forbidden", "detail": "staff of this partnership only"},
                    status_code=403,
                )
        accepted: list[tuple[str, str]] = []
        refusals: list[str] = []
        tokens = (_current.set(principal), _accepted.set(accepted), _refusals.set(refusals))
        try:
            response = await call_next(request)
        finally:
            _current.reset(tokens[0])
            _accepted.reset(tokens[1])
            _refusals.reset(tokens[2])
        if response.status_code == 403:
            _refused(request, 403, principal, "; ".join(refusals) or "forbidden")
        if on_accepted is not None and accepted and response.status_code < 300:
            await on_accepted(principal, accepted)
        return response

    return authenticate
