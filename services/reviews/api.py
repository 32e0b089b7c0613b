"""Reviews over HTTP: the business unit's commands (REST-style routes that wrap the JSON body
into the same command as on Kafka) and the queries (a review with its plan, its version
history, the tracker, the escalation log).

Every command route takes the partnership in the `X-Partnership` header and, optionally, an
`Idempotency-Key` header that becomes the command's event id: sending the same request twice
with the same key applies it once and answers with the same events.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, HTTPException, Path, Query, Request
from pydantic import ValidationError

from services.reviews import domain, tracker
from services.reviews.handlers import ACCEPTED, execute, store_of, today_in_london
from services.reviews.store import Version
from shared.auth import (
    check_acting_agency,
    check_partnership,
    current_principal,
    note_accepted,
    partnership_scope,
    sees_partnership,
)
from shared.codes import ReviewKind
from shared.contracts import Inbound, check_agency, contract_for, decode_inbound, parse_data
from shared.contracts import reviews as c
from shared.contracts.reviews import ReviewStage
from shared.events import Envelope, new_event, rejection
from shared.inbound_policy import Identifier, PartnershipId, check_moment
from shared.rejections import Conflict, Rejected
from shared.service import Runtime

HTTP_SOURCE = "pulse/reviews/http"
# Headers, path ids and queries follow the inbound policy's closed formats (a name, a date or
# an NHS number in any of them is refused 422 without being repeated).
Partnership = Annotated[
    PartnershipId, Header(alias="X-Partnership", description="The partnership the command is for.")
]
PartnershipQuery = Annotated[PartnershipId | None, Query(description="The partnership.")]
ReviewIdPath = Annotated[Identifier, Path(description="The review's id.")]
IdempotencyKey = Annotated[
    Identifier | None,
    Header(
        alias="Idempotency-Key",
        description="Becomes the command's event id; a repeated key is applied once.",
    ),
]
OfPartnership = Annotated[
    PartnershipId | None,
    Query(
        description="The review's partnership; needed only where two partnerships use the "
        "same review id."
    ),
]
JsonBody = Annotated[dict[str, Any], Body(description="The command's fields (see the catalogue).")]


def _command(
    type_: str, body: dict[str, Any], partnership: str, key: str | None, **ids: str
) -> Inbound:
    """The HTTP request as the same inbound event a Kafka producer would send."""
    for name, value in ids.items():
        if body.setdefault(name, value) != value:
            raise Rejected("subject-mismatch", f"{name} in the body is not the one in the path")
    check_partnership(partnership)
    subject = next(iter(ids.values()), None) or body.get("review_id") or body.get("escalation_id")
    # The caller's agency when authentication is on, so the audit trail names who sent it.
    principal = current_principal()
    source = HTTP_SOURCE if principal is None else principal.source
    try:
        envelope = new_event(
            id=key or str(uuid.uuid4()),
            type=type_,
            source=source,
            partnership=partnership,
            subject=subject if isinstance(subject, str) else None,
            data=body,
        )
    except ValidationError as exc:
        raise rejection(exc, "invalid-envelope") from None
    inbound = Inbound(envelope, parse_data(envelope, ACCEPTED))
    check_agency(envelope, inbound.data)
    _check_raised_by(inbound)
    note_accepted(envelope.id, source)
    return inbound


def _check_raised_by(inbound: Inbound) -> Inbound:
    """An agency's key raises escalations as itself (staff record them for any agency)."""
    check_acting_agency(getattr(inbound.data, "raised_by_agency", None), "raised_by_agency")
    return inbound


def _inline(schema: Any, defs: dict[str, Any]) -> Any:
    """A JSON schema with its `$defs` references replaced by their definitions, so it stands
    on its own inside the OpenAPI document."""
    if isinstance(schema, dict):
        if "$ref" in schema:
            target = defs[schema["$ref"].rsplit("/", 1)[-1]]
            rest = {k: v for k, v in schema.items() if k != "$ref"}
            return _inline(target, defs) | rest
        return {k: _inline(v, defs) for k, v in schema.items() if k != "$defs"}
    if isinstance(schema, list):
        return [_inline(v, defs) for v in schema]
    return schema


def body_of(type_: str, *from_path: str) -> dict[str, Any]:
    """OpenAPI `requestBody` for a command route: the command's schema without the ids the
    path gives."""
    schema = contract_for(type_).model.model_json_schema()
    inlined = _inline(schema, schema.get("$defs", {}))
    inlined["properties"] = {k: v for k, v in inlined["properties"].items() if k not in from_path}
    inlined["required"] = [r for r in inlined.get("required", []) if r not in from_path]
    content = {"application/json": {"schema": inlined}}
    return {"requestBody": {"required": True, "content": content}}


def _answer(envelopes: list[Envelope]) -> dict[str, Any]:
    return {
        "subject": envelopes[0].subject if envelopes else None,
        "events": [{"id": e.id, "type": e.type} for e in envelopes],
    }


def router(runtime: Runtime) -> APIRouter:
    api = APIRouter(tags=["reviews"])

    async def run(
        type_: str, body: dict[str, Any], partnership: str, key: str | None, **ids: str
    ) -> dict[str, Any]:
        return _answer(await execute(runtime, _command(type_, body, partnership, key, **ids)))

    # -- commands ------------------------------------------------------------------------

    @api.post("/commands", status_code=200, summary="Any reviews command, as a CloudEvent")
    async def command(request: Request) -> dict[str, Any]:
        inbound = _check_raised_by(decode_inbound(await request.body(), ACCEPTED))
        return _answer(await execute(runtime, inbound))

    @api.post(
        "/reviews",
        status_code=201,
        summary="Open a review (SIN, rapid review, LCSPR, ...)",
        openapi_extra=body_of(c.OPEN_REQUESTED),
    )
    async def open_review(
        body: JsonBody, partnership: Partnership, key: IdempotencyKey = None
    ) -> dict[str, Any]:
        return await run(c.OPEN_REQUESTED, body, partnership, key)

    stage_routes = {
        "notification": (c.NOTIFICATION_REPORTED, "Record a SIN's notification to the panel"),
        "rapid-review-decision": (
            c.RAPID_REVIEW_COMPLETION_REPORTED,
            "Complete a rapid review with its decision",
        ),
        "publication": (c.PUBLICATION_REPORTED, "Record a review report's publication"),
        "audit-completion": (c.AUDIT_COMPLETION_REPORTED, "Record an audit's completion"),
        "closure": (c.CLOSE_REQUESTED, "Close a review"),
        "recommendations": (c.RECOMMENDATION_SUBMITTED, "Record or revise a recommendation"),
        "actions": (c.ACTION_PLAN_SUBMITTED, "Plan an action"),
    }

    def review_command(type_: str) -> Any:
        async def route(
            review_id: ReviewIdPath,
            body: JsonBody,
            partnership: Partnership,
            key: IdempotencyKey = None,
        ) -> dict[str, Any]:
            return await run(type_, body, partnership, key, review_id=review_id)

        return route

    for path, (type_, summary) in stage_routes.items():
        api.add_api_route(
            f"/reviews/{{review_id}}/{path}",
            review_command(type_),
            methods=["POST"],
            status_code=201,
            summary=summary,
            openapi_extra=body_of(type_, "review_id"),
            name=f"review_{path.replace('-', '_')}",
        )

    @api.patch(
        "/actions/{action_id}",
        summary="A dated update to an action",
        openapi_extra=body_of(c.ACTION_UPDATE_SUBMITTED, "review_id", "action_id"),
    )
    async def update_action(
        action_id: Annotated[Identifier, Path()],
        body: JsonBody,
        partnership: Partnership,
        key: IdempotencyKey = None,
    ) -> dict[str, Any]:
        check_partnership(partnership)  # before looking anything up in it
        review_id = body.get("review_id") or await store_of(runtime).review_with_action(
            partnership, action_id
        )
        if review_id is None:
            raise Conflict(f"no action {action_id}")
        return await run(
            c.ACTION_UPDATE_SUBMITTED,
            body,
            partnership,
            key,
            review_id=str(review_id),
            action_id=action_id,
        )

    @api.post(
        "/escalations",
        status_code=201,
        summary="Raise an escalation",
        openapi_extra=body_of(c.ESCALATION_SUBMITTED),
    )
    async def raise_escalation(
        body: JsonBody, partnership: Partnership, key: IdempotencyKey = None
    ) -> dict[str, Any]:
        return await run(c.ESCALATION_SUBMITTED, body, partnership, key)

    @api.post(
        "/escalations/{escalation_id}/resolution",
        status_code=201,
        summary="Resolve it",
        openapi_extra=body_of(c.ESCALATION_RESOLUTION_SUBMITTED, "escalation_id"),
    )
    async def resolve_escalation(
        escalation_id: Annotated[Identifier, Path()],
        body: JsonBody,
        partnership: Partnership,
        key: IdempotencyKey = None,
    ) -> dict[str, Any]:
        return await run(
            c.ESCALATION_RESOLUTION_SUBMITTED, body, partnership, key, escalation_id=escalation_id
        )

    # -- queries -------------------------------------------------------------------------

    # Reads see only the caller's partnerships: another partnership's reviews and escalations
    # do not exist for it (lists leave them out, a review of one is 404 like an unknown id).

    async def visible_states(aggregates: Any, partnership: str | None) -> list[dict[str, Any]]:
        if partnership is not None and not sees_partnership(partnership):
            return []
        scope = partnership_scope()
        states: list[dict[str, Any]] = await aggregates.latest_states(partnership)
        return [s for s in states if scope is None or s.get("partnership") in scope]

    async def reviews(partnership: str | None) -> list[domain.Review]:
        states = await visible_states(store_of(runtime).reviews, partnership)
        return [domain.Review.model_validate(s) for s in states]

    async def latest(review_id: str, partnership: str | None) -> Version:
        found = [
            doc
            for doc in await store_of(runtime).reviews.find(review_id, partnership)
            if sees_partnership(doc["partnership"])
        ]
        if not found:
            raise HTTPException(404, f"no review {review_id}")
        if len(found) > 1:
            raise Rejected(
                "ambiguous", "several partnerships have this review id: name ?partnership="
            )
        [doc] = found
        return Version(doc["version"], doc["state"], {"partnership": doc["partnership"]})

    @api.get("/reviews", summary="Reviews, newest first")
    async def list_reviews(
        partnership: PartnershipQuery = None,
        kind: ReviewKind | None = None,
        stage: ReviewStage | None = None,
    ) -> list[dict[str, Any]]:
        return [
            _summary(r)
            for r in sorted(
                await reviews(partnership), key=lambda r: (r.opened_on, r.review_id), reverse=True
            )
            if (kind is None or r.kind is kind) and (stage is None or r.stage is stage)
        ]

    @api.get("/reviews/{review_id}", summary="A review with its recommendations and actions")
    async def get_review(
        review_id: ReviewIdPath,
        partnership: OfPartnership = None,
        as_of: Annotated[date | None, Query(description="Overdue as at (default today)")] = None,
    ) -> dict[str, Any]:
        found = await latest(review_id, partnership)
        return _view(domain.Review.model_validate(found.state), found.number, as_of)

    @api.get("/reviews/{review_id}/history", summary="The plan's versions, oldest first")
    async def history(
        review_id: ReviewIdPath, partnership: OfPartnership = None
    ) -> list[dict[str, Any]]:
        found = await latest(review_id, partnership)
        key = (found.meta["partnership"], review_id)
        return [
            {"version": v.number, **v.meta} for v in await store_of(runtime).reviews.history(key)
        ]

    @api.get(
        "/reviews/{review_id}/versions/{version}",
        summary="The review and its plan as they stood at a version",
    )
    async def version(
        review_id: ReviewIdPath,
        version: Annotated[int, Path(ge=1, le=1_000_000)],
        partnership: OfPartnership = None,
    ) -> dict[str, Any]:
        latest_one = await latest(review_id, partnership)
        key = (latest_one.meta["partnership"], review_id)
        found = [v for v in await store_of(runtime).reviews.history(key) if v.number == version]
        if not found:
            raise HTTPException(404, f"review {review_id} has no version {version}")
        [at] = found
        return _view(domain.Review.model_validate(at.state), at.number, None) | {
            "summary": at.meta.get("summary"),
            "at": at.meta.get("at"),
        }

    @api.get("/tracker", summary="Actions by status, overdue by owner and agency, completion")
    async def get_tracker(
        partnership: PartnershipQuery = None,
        as_of: Annotated[date | None, Query(description="Overdue as at (default today)")] = None,
    ) -> dict[str, Any]:
        today = as_of or today_in_london()
        check_moment(datetime(today.year, today.month, today.day))
        return tracker.tracker(await reviews(partnership), today)

    @api.get("/escalations", summary="The escalation log")
    async def escalations(
        partnership: PartnershipQuery = None, open_only: bool = False
    ) -> list[dict[str, Any]]:
        states = await visible_states(store_of(runtime).escalations, partnership)
        return sorted(
            (s for s in states if not (open_only and s.get("resolved_at"))),
            key=lambda s: str(s["raised_at"]),
        )

    return api


def _view(review: domain.Review, version: int, as_of: date | None) -> dict[str, Any]:
    today = as_of or today_in_london()
    check_moment(datetime(today.year, today.month, today.day))
    clock = domain.running_clock(review)
    return review.model_dump(mode="json") | {
        "version": version,
        "running_clock": None if clock is None else clock.model_dump(mode="json"),
        "clock_breached": domain.clock_breach(review, today) is not None,
        "overdue_action_ids": [a.action_id for a in review.actions if domain.is_overdue(a, today)],
    }


def _summary(review: domain.Review) -> dict[str, Any]:
    return review.model_dump(mode="json", exclude={"recommendations", "actions", "rationale"}) | {
        "recommendations": len(review.recommendations),
        "actions": len(review.actions),
    }
