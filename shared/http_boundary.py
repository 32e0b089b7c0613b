"""The HTTP side of the inbound policy: what a request body must be before any route reads it,
and validation errors answered without repeating the input.

A body (POST, PUT, PATCH) must be declared `application/json` or
`application/cloudevents+json` (415 otherwise), at most 1 MiB (413), UTF-8 JSON nested at most
32 deep with finite numbers within int64 and no lone surrogates (422) — all checked on the
raw bytes by `shared.inbound_policy.check_json_document` before FastAPI parses them.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.events import describe_errors
from shared.inbound_policy import MAX_BODY_BYTES, PERSONAL_DATA, check_json_document
from shared.rejections import Rejected

log = logging.getLogger("pulse.inbound")

BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
JSON_TYPES = frozenset({"application/json", "application/cloudevents+json"})


def _refusal(reason: str, detail: str, status: int) -> tuple[int, bytes]:
    return status, json.dumps({"error": reason, "detail": detail}).encode()


class BodyGuard:
    """ASGI middleware applying the body rules; the checked bytes are handed on unchanged."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        refused = None
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            refused = _refusal("too-large", f"at most {self.max_bytes} bytes are accepted", 413)
        body = b""
        if refused is None:
            body, too_large = await _read(receive, self.max_bytes)
            if too_large:
                refused = _refusal("too-large", f"at most {self.max_bytes} bytes are accepted", 413)
        if refused is None and body:
            media = headers.get("content-type", "").split(";")[0].strip().lower()
            if media not in JSON_TYPES:
                refused = _refusal(
                    "unsupported-media-type",
                    "the body must be application/json or application/cloudevents+json",
                    415,
                )
            else:
                try:
                    check_json_document(body, max_bytes=self.max_bytes)
                except Rejected as exc:
                    refused = _refusal(exc.reason, exc.detail, exc.status)
        if refused is not None:
            status, payload = refused
            # The path is not logged: a path segment could be what was refused.
            log.info("refused a %s body: %d", scope["method"], status)
            await send(
                {
                    "type": "http.response.start",
                    "status": status,
                    "headers": [(b"content-type", b"application/json")],
                }
            )
            await send({"type": "http.response.body", "body": payload})
            return
        await self.app(scope, _replay(body, receive), send)


async def _read(receive: Receive, limit: int) -> tuple[bytes, bool]:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return b"", True
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks), False


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def install(app: FastAPI) -> None:
    """The body guard, and request validation errors answered 422 naming each bad field and
    never the value (FastAPI's default repeats the input, and fails on NaN)."""
    app.add_middleware(BodyGuard)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors: list[Any] = [
            {"loc": err.get("loc", ()), "msg": err.get("msg", "invalid"), "type": err.get("type")}
            for err in exc.errors()
        ]
        personal = [e for e in errors if e["type"] == PERSONAL_DATA]
        reason = "personal-data" if personal else "schema"
        return JSONResponse(
            {"error": reason, "detail": describe_errors(personal or errors)}, status_code=422
        )
