"""Valid intake payloads for tests, with one place to vary a field. Times are in the week of
Monday 9 November 2026 (in the past, so intake does not refuse them as future times)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.contracts.intake import (
    DECISION_RECORDED,
    EARLY_HELP_ALLOCATION_RECORDED,
    ENCOMPASS_NOTIFICATION_SENT,
    SUBMITTED,
    VIST_SUBMITTED,
)
from shared.events import Envelope, new_event
from shared.inbound_policy import identifier_problem
from shared.workdays import LONDON


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A London wall-clock time."""
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


def contact(contact_id: str = "c-1", **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "contact_id": contact_id,
        "agency": "glos-police",
        "source": "6",
        "channel": "vist",
        "received_at": at(2026, 11, 9, 10).isoformat(),
        "child_ref": "P-000123",
        "age_years": 7,
        "factors": ["3A", "3B"],
        "consent": "dispensed-with",
        "consent_reason": "risk-of-significant-harm",
        "wishes_and_feelings_recorded": True,
    }
    data.update(overrides)
    return data


def decision(contact_id: str = "c-1", **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "contact_id": contact_id,
        "outcome": "social-care-assessment",
        "level": 4,
        "decided_at": at(2026, 11, 9, 15).isoformat(),
    }
    data.update(overrides)
    return data


def early_help(contact_id: str = "c-1", **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "contact_id": contact_id,
        "allocated_at": at(2026, 11, 23, 9).isoformat(),
    }
    data.update(overrides)
    return data


def vist(contact_id: str = "c-1", **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "contact_id": contact_id,
        "incident_at": at(2026, 11, 8, 23).isoformat(),
        "submitted_at": at(2026, 11, 9, 9).isoformat(),
    }
    data.update(overrides)
    return data


def encompass(contact_id: str = "c-1", **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "contact_id": contact_id,
        "incident_at": at(2026, 11, 8, 23).isoformat(),
        "notified_at": at(2026, 11, 9, 8).isoformat(),
    }
    data.update(overrides)
    return data


TYPES = {
    "contact": SUBMITTED,
    "decision": DECISION_RECORDED,
    "early_help": EARLY_HELP_ALLOCATION_RECORDED,
    "vist": VIST_SUBMITTED,
    "encompass": ENCOMPASS_NOTIFICATION_SENT,
}


def inbound(kind: str, data: dict[str, Any], *, id: str | None = None, **attrs: Any) -> Envelope:
    return new_event(
        type=TYPES[kind],
        # An agency submits as itself: a contact comes from the agency it names.
        source=attrs.pop("source", f"agency/{data.get('agency') or 'test'}"),
        partnership=attrs.pop("partnership", "glos"),
        # A contact id the policy refuses is tested in `data`, not in the envelope's subject.
        subject=attrs.pop(
            "subject",
            data["contact_id"] if identifier_problem(str(data["contact_id"])) is None else None,
        ),
        data=data,
        id=id,
        **attrs,
    )
