"""Shared steps of intake's integration tests."""

from __future__ import annotations

from typing import Any

from ops.system import Infra
from shared.events import Envelope, decode
from tests.support.kafka import Record, eventually, read
from tests.support.services import RunningService

# Tests drive the overdue sweep themselves, with a fixed 'now'.
NO_SWEEP = {"overdue_sweep_enabled": False}


async def canonical(
    infra: Infra, svc: RunningService, *, expect: int, settle: float = 1.0
) -> list[Envelope]:
    records: list[Record] = await read(
        infra.kafka_bootstrap_servers, svc.topics.intake_events, expect=expect, settle=settle
    )
    return [decode(r.value) for r in records]


def by_type(events: list[Envelope]) -> dict[str, list[Envelope]]:
    out: dict[str, list[Envelope]] = {}
    for e in events:
        out.setdefault(e.type, []).append(e)
    return out


async def stored(svc: RunningService, contact_id: str, status: str | None = None) -> Any:
    """The contact as GET /contacts/{id} shows it, once it exists (and has `status`)."""

    async def check() -> Any:
        r = await svc.http.get(f"/contacts/{contact_id}")
        if r.status_code != 200:
            return None
        body = r.json()
        return body if status is None or body["status"] == status else None

    return await eventually(check)
