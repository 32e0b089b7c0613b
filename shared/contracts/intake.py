"""Intake (the front door) events: what agencies submit and what intake publishes."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from shared.contracts import EventData, event

SUBMITTED = "pulse.intake.contact.submitted.v1"
RECEIVED = "pulse.intake.contact.received.v1"


@event(
    SUBMITTED,
    service="intake",
    direction="inbound",
    topic="intake_inbound",
    summary="An agency submits a contact about a child (placeholder shape).",
)
class ContactSubmitted(EventData):
    contact_id: str = Field(min_length=1, max_length=64)
    agency: str = Field(min_length=1, max_length=64)
    received_at: datetime


@event(
    RECEIVED,
    service="intake",
    direction="canonical",
    topic="intake_events",
    summary="Intake has stored a contact.",
)
class ContactReceived(EventData):
    contact_id: str
    agency: str
    received_at: datetime
