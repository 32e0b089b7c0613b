"""Driving the reviews service through its public interfaces in integration tests."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from ops.system import Infra
from shared.events import Envelope, decode
from tests.support.kafka import read
from tests.support.services import RunningService

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "lcspr_action_plan.json"


def action_plan() -> dict[str, Any]:
    plan: dict[str, Any] = json.loads(FIXTURE.read_text())
    return plan


async def send(
    svc: RunningService,
    method: str,
    path: str,
    body: dict[str, Any],
    *,
    partnership: str = "gscp",
    key: str | None = None,
    expect: int | None = None,
) -> httpx.Response:
    headers = {"X-Partnership": partnership}
    if key:
        headers["Idempotency-Key"] = key
    response = await svc.http.request(method, path, json=body, headers=headers)
    if expect is not None:
        assert response.status_code == expect, response.text
    elif response.status_code >= 300:
        raise AssertionError(f"{method} {path}: {response.status_code} {response.text}")
    return response


async def events(
    infra: Infra, svc: RunningService, *, expect: int, settle: float = 0.0, wait_s: float = 30.0
) -> list[Envelope]:
    """The canonical events on the topic (each partition in order, not across partitions)."""
    records = await read(
        infra.kafka_bootstrap_servers,
        svc.topics.reviews_events,
        expect=expect,
        settle=settle,
        timeout=wait_s,
    )
    return [decode(r.value) for r in records]


def types(envelopes: list[Envelope]) -> Counter[str]:
    return Counter(e.type for e in envelopes)


async def load_action_plan(svc: RunningService) -> dict[str, Any]:
    """Enter the seeds' Child X action plan as the business unit would, over HTTP: the LCSPR,
    its recommendations, each owned action as planned at version 1.0, then the statuses and
    notes of the 8.0 progress update. Returns the fixture."""
    plan = action_plan()
    review = plan["review"]
    rid = review["review_id"]
    p = plan["partnership"]
    await send(svc, "POST", "/reviews", review, partnership=p)
    for rec in plan["recommendations"]:
        body = {k: v for k, v in rec.items() if v is not None} | {"recorded_on": plan["planned_on"]}
        await send(svc, "POST", f"/reviews/{rid}/recommendations", body, partnership=p)
    for action in plan["actions"]:
        body = {
            k: action[k]
            for k in (
                "action_id",
                "recommendation_numbers",
                "description",
                "owner_role",
                "owner_agency",
                "supporting_agencies",
                "target_date",
            )
        } | {"planned_on": plan["planned_on"]}
        await send(svc, "POST", f"/reviews/{rid}/actions", body, partnership=p)
    for action in plan["actions"]:
        change: dict[str, Any] = {}
        if action["status"] != "not-started":
            change["status"] = action["status"]
        if action["note"]:
            change["note"] = action["note"]
        if change:
            body = change | {"updated_on": plan["progress_update_on"]}
            await send(svc, "PATCH", f"/actions/{action['action_id']}", body, partnership=p)
    return plan
