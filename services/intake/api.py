"""Intake over HTTP, for agencies that cannot run a Kafka producer."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request

from services.intake.handlers import ACCEPTED, ingest
from services.intake.store import ContactStore
from shared.contracts import decode_inbound
from shared.service import Runtime


def router(runtime: Runtime) -> APIRouter:
    api = APIRouter(prefix="/contacts", tags=["contacts"])

    @api.post("", status_code=202, summary="Submit a contact as a CloudEvent (JSON)")
    async def submit(request: Request) -> dict[str, Any]:
        item = decode_inbound(await request.body(), ACCEPTED)
        [received] = await ingest(runtime, [item])
        return {"contact_id": received.subject, "event_id": received.id}

    @api.get("/{contact_id}", summary="A contact's status and timeline")
    async def get(contact_id: str) -> dict[str, Any]:
        doc = await ContactStore(runtime.db).get(contact_id)
        if doc is None:
            raise HTTPException(404, f"no contact {contact_id}")
        return doc

    return api
