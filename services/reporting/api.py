"""Reporting over HTTP (skeleton)."""

from __future__ import annotations

from fastapi import APIRouter

from shared.service import Runtime


def router(runtime: Runtime) -> APIRouter:
    api = APIRouter(tags=["reporting"])

    @api.get("/internal/event-counts/{partnership}", summary="Events seen, by type (internal)")
    async def counts(partnership: str) -> dict[str, int]:
        cursor = await runtime.db["events"].aggregate(
            [
                {"$match": {"partnership": partnership}},
                {"$group": {"_id": "$type", "n": {"$sum": 1}}},
            ]
        )
        return {d["_id"]: d["n"] async for d in cursor}

    return api
