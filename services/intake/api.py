"""Intake over HTTP, for agencies that cannot run a Kafka producer, and the queries an agency
uses to see that its contact arrived and what was decided.

Bodies of the POST routes are CloudEvents in structured JSON mode, exactly what would be
published on the inbound topic; they go through the same decoding and rules as Kafka records,
and a bad one is answered 4xx `{"error": reason, "detail": ...}` naming each bad field.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field

from services.intake import domain
from services.intake.handlers import ACCEPTED, FRONT_DOOR_TYPES, Receipt, ingest, store_of
from services.intake.store import SLOT_MODELS, contact_key
from shared.auth import (
    DECIDE,
    SUBMIT,
    TRUSTED_SYSTEM,
    agency_scope,
    current_principal,
    partnership_scope,
    require_role,
    sees_agency,
    sees_partnership,
)
from shared.contracts import Inbound, decode_inbound
from shared.contracts.intake import SUBMITTED
from shared.events import CONTENT_TYPE, Envelope
from shared.inbound_policy import MAX_PAGE, Identifier, PartnershipId, QueryMoment
from shared.mongo import Document
from shared.rejections import Conflict, Rejected
from shared.service import Runtime

MAX_PAGE_SIZE = 200
_INBOUND_LIST = ", ".join(f"`{t}`" for t in sorted(ACCEPTED))
# The body is read raw (decoding is shared with Kafka), so OpenAPI is told its shape here;
# each type's `data` is documented in the event catalogue and the AsyncAPI document.
_CLOUDEVENT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            media: {"schema": Envelope.model_json_schema()}
            for media in (CONTENT_TYPE, "application/json")
        },
    }
}


class Acknowledgement(BaseModel):
    event_id: str = Field(description="Id of the `contact acknowledged` event.")
    acknowledged_at: datetime = Field(description="When intake stored the contact.")


class ReceiptOut(BaseModel):
    """The answer to an accepted submission."""

    contact_id: str
    event_id: str = Field(description="Id of the event submitted.")
    type: str = Field(description="Type of the event submitted.")
    status: str = Field(
        description="The contact's status now: awaiting-contact, awaiting-decision, "
        "decision-overdue or decided."
    )
    acknowledgement: Acknowledgement | None = Field(
        description="The contact's acknowledgement, once the contact itself is stored."
    )

    @classmethod
    def of(cls, receipt: Receipt) -> ReceiptOut:
        ack = None
        if receipt.acknowledgement_id and receipt.acknowledged_at:
            ack = Acknowledgement(
                event_id=receipt.acknowledgement_id, acknowledged_at=receipt.acknowledged_at
            )
        return cls(
            contact_id=receipt.contact_id,
            event_id=receipt.event_id,
            type=receipt.type,
            status=receipt.status,
            acknowledgement=ack,
        )


class TimelineEntry(BaseModel):
    event_id: str
    type: str = Field(description="Event type (inbound, or intake's own milestone).")
    at: datetime | None = Field(description="When it happened.")
    recorded_at: datetime = Field(description="When intake recorded it.")
    data: dict[str, Any] | None = None
    revision: int | None = Field(
        default=None,
        description="Of an inbound record: 1 for the first of its kind for the contact, 2 for "
        "the next (a correction)...",
    )
    current: bool | None = Field(
        default=None,
        description="Of an inbound record: false once a correction has superseded it (figures "
        "use the current version only).",
    )
    source: str | None = Field(default=None, description="Who sent it (`agency/<code>`).")
    principal: str | None = Field(
        default=None, description="The API key it was sent with (HTTP only)."
    )


class ContactSummary(BaseModel):
    contact_id: str
    partnership: str | None
    status: str
    agency: str | None = None
    received_at: datetime | None = None
    decision_due_at: datetime | None = None
    decided_at: datetime | None = None


class ContactView(ContactSummary):
    """A contact's status, the current version of what is recorded about it, and its
    timeline (by time of event) with every version, corrected ones included."""

    contact: dict[str, Any] | None = None
    decision: dict[str, Any] | None = None
    early_help: dict[str, Any] | None = None
    vist: dict[str, Any] | None = None
    encompass: dict[str, Any] | None = None
    incident: dict[str, Any] | None = None
    strategy_discussion: dict[str, Any] | None = None
    conference: dict[str, Any] | None = None
    assessment: dict[str, Any] | None = None
    timeline: list[TimelineEntry]


class ContactPage(BaseModel):
    items: list[ContactSummary]
    page: int
    page_size: int
    total: int = Field(description="Contacts matching, on all pages.")


def _summary(doc: Document) -> dict[str, Any]:
    return {
        "contact_id": doc["contact_id"],
        "partnership": doc.get("partnership"),
        "status": doc["status"],
        "agency": doc.get("agency"),
        "received_at": doc.get("received_at"),
        "decision_due_at": doc.get("decision_due_at"),
        "decided_at": doc.get("decided_at"),
    }


def _view(doc: Document) -> ContactView:
    slots = {slot: doc[slot]["data"] for slot in SLOT_MODELS if doc.get(slot)}
    timeline = sorted(
        doc.get("timeline", []), key=lambda e: (e.get("at") or e["recorded_at"], e["recorded_at"])
    )
    return ContactView(**_summary(doc), **slots, timeline=timeline)


def _trusted() -> bool:
    """A caller with the trusted-system role (the partnership's own systems), or no authentication
    at all (a local run), as for `check_source`."""
    principal = current_principal()
    return principal is None or TRUSTED_SYSTEM in principal.roles


def _id_taken() -> Rejected:
    """The answer when a contact id of the partnership is another agency's: the same whoever
    holds it, naming no agency, event, status or time (no existence oracle beyond "in use")."""
    return Rejected(
        "contact-id-taken",
        "this contact id is already in use in the partnership; send the contact under a new id",
        status=409,
    )


def router(runtime: Runtime) -> APIRouter:
    api = APIRouter(tags=["contacts"])

    async def held_by_another_agency(item: Inbound) -> bool:
        """Whether the contact this event names is another agency's (only asked for a caller
        that sees its own agency's contacts only)."""
        contact_id = getattr(item.data, "contact_id", None)
        if not isinstance(contact_id, str):
            return False
        docs = await store_of(runtime).find(contact_id, item.envelope.partnership)
        return any(d.get("agency") is not None and not sees_agency(d["agency"]) for d in docs)

    async def accept(item: Inbound) -> ReceiptOut:
        """Record an event sent over HTTP, if the caller's key may send it."""
        if item.envelope.type in FRONT_DOOR_TYPES:
            require_role(
                [DECIDE],
                "record MASH decisions, early-help allocations, VIST receipts and casework",
            )
        else:
            require_role([SUBMIT, TRUSTED_SYSTEM], "submit contacts and notifications")
        own_only = agency_scope() is not None
        if own_only and await held_by_another_agency(item):
            raise _id_taken()
        try:
            [receipt] = await ingest(runtime, [item])
        except Conflict:
            # Another agency's contact stored since the check above: its event ids are not
            # this caller's to see.
            if own_only and await held_by_another_agency(item):
                raise _id_taken() from None
            raise
        return ReceiptOut.of(receipt)

    @api.post(
        "/contacts",
        status_code=202,
        response_model=ReceiptOut,
        summary="Submit a contact",
        description=f"Body: a CloudEvent (JSON) of type `{SUBMITTED}`. Answers at once with "
        "the contact id and its acknowledgement. Re-sending the same event id is harmless.",
        openapi_extra=_CLOUDEVENT_BODY,
    )
    async def submit(request: Request) -> ReceiptOut:
        item = decode_inbound(await request.body(), frozenset({SUBMITTED}))
        domain.check_acknowledgement_source(item.data, trusted=_trusted())
        return await accept(item)

    @api.post(
        "/events",
        status_code=202,
        response_model=ReceiptOut,
        summary="Submit any intake event (decision, early help, VIST, Encompass, police "
        "incident, contact), or a correction of one",
        description="Body: a CloudEvent (JSON) of one of the types accepted on the inbound "
        f"topic: {_INBOUND_LIST}. `data.contact_id` names the contact; an event may arrive "
        "before its contact. A second decision, allocation, VIST, Encompass notification or "
        "police incident for a contact needs `data.correction` (reason code and time): it "
        "then supersedes the earlier one (409 without it). MASH decisions, early-help "
        "allocations and VIST receipts need a key with the `decide` role (403 otherwise). An "
        "event naming another agency's contact is refused 409 `contact-id-taken`, without "
        "saying whose.",
        openapi_extra=_CLOUDEVENT_BODY,
    )
    async def submit_event(request: Request) -> ReceiptOut:
        item = decode_inbound(await request.body(), ACCEPTED)
        domain.check_acknowledgement_source(item.data, trusted=_trusted())
        return await accept(item)

    @api.get(
        "/contacts/{contact_id}",
        response_model=ContactView,
        summary="A contact's status and timeline",
    )
    async def get(
        contact_id: Annotated[Identifier, Path()],
        partnership: Annotated[
            PartnershipId | None,
            Query(
                description="The contact's partnership; needed only where two "
                "partnerships use the same contact id."
            ),
        ] = None,
    ) -> ContactView:
        # Another agency's contact, or another partnership's, is not there as far as this
        # caller is concerned.
        docs = [
            d
            for d in await store_of(runtime).find(contact_id, partnership)
            if sees_agency(d.get("agency")) and sees_partnership(d.get("partnership"))
        ]
        if not docs:
            raise Rejected("not-found", f"no contact {contact_id}", status=404)
        if len(docs) > 1:
            raise Rejected(
                "ambiguous", "several partnerships have this contact id: name ?partnership="
            )
        view = await store_of(runtime).view(contact_key(docs[0]["partnership"], contact_id))
        if view is None:  # erased since the read model was read
            raise Rejected("not-found", f"no contact {contact_id}", status=404)
        return _view(view)

    @api.get(
        "/contacts",
        response_model=ContactPage,
        summary="Contacts by agency and period of receipt, oldest first, paged",
        description="An agency's key lists only that agency's contacts; the front door, staff "
        "and trusted systems list every agency's. Only the key's partnerships are listed.",
    )
    async def list_contacts(
        agency: Annotated[Identifier | None, Query(description="Sending agency code.")] = None,
        partnership: Annotated[
            PartnershipId | None, Query(description="Only this partnership's contacts.")
        ] = None,
        received_from: Annotated[
            QueryMoment | None, Query(alias="from", description="Received at or after.")
        ] = None,
        received_to: Annotated[
            QueryMoment | None, Query(alias="to", description="Received before.")
        ] = None,
        page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
        page_size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 50,
    ) -> ContactPage:
        agency = agency or agency_scope()  # an agency's key: its own contacts
        if not sees_agency(agency):
            raise Rejected("forbidden", "an agency's key lists only its own contacts", status=403)
        scope = partnership_scope()
        if partnership is not None:
            # Another partnership's contacts are not there for this caller: an empty page.
            scope = frozenset({partnership}) if sees_partnership(partnership) else frozenset()
        total, docs = await store_of(runtime).page(
            agency=agency,
            partnerships=scope,
            received_from=received_from,
            received_to=received_to,
            skip=(page - 1) * page_size,
            limit=page_size,
        )
        return ContactPage(
            items=[ContactSummary(**_summary(d)) for d in docs],
            page=page,
            page_size=page_size,
            total=total,
        )

    return api
