"""Acknowledgement "as at" the day, for contacts a trusted system loads after the day.

PRODUCT.md, Clocks: "acknowledge a submitted contact | at once (the inspection found portal
acknowledgements late)". Intake acknowledges an agency's contact when it stores it; a contact
back-loaded or simulated for a past year was acknowledged on its own day, which only the
partnership's trusted systems may say (an agency must never back-date its acknowledgement).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from services.intake import domain
from services.intake.domain import ContactFile
from shared.contracts.intake import ACKNOWLEDGED, ContactAcknowledged, ContactSubmitted
from shared.rejections import Rejected
from tests.unit.intake.factories import at, contact

NOW = at(2026, 11, 12, 12)
RECEIVED = at(2026, 11, 9, 10)
SKEW = timedelta(minutes=5)


def _record(data: dict[str, object]) -> ContactFile:
    return domain.record(
        ContactFile("c-1"),
        event_id="e-1",
        partnership="glos",
        data=ContactSubmitted.model_validate(data),
        now=NOW,
        skew=SKEW,
    )


def _acknowledgement(file: ContactFile) -> ContactAcknowledged:
    [ack] = [o.data for o in domain.canonical_events(file) if o.type == ACKNOWLEDGED]
    assert isinstance(ack, ContactAcknowledged)
    return ack


def test_a_back_loaded_contact_is_acknowledged_when_it_was_on_the_day() -> None:
    """The acknowledgement time of a contact loaded three days later is the day's, not the
    load's: minutes, not the days the load took."""
    sent = contact(acknowledged_at=(RECEIVED + timedelta(minutes=4)).isoformat())
    ack = _acknowledgement(_record(sent))
    assert ack.acknowledged_at == RECEIVED + timedelta(minutes=4)
    assert ack.acknowledgement_seconds == 240


def test_without_it_intake_acknowledges_when_it_stores_the_contact() -> None:
    ack = _acknowledgement(_record(contact()))
    assert ack.acknowledged_at == NOW


def test_only_a_trusted_system_may_say_when_a_contact_was_acknowledged() -> None:
    """ "acknowledge a submitted contact: at once" — an agency cannot claim it was."""
    sent = ContactSubmitted.model_validate(
        contact(acknowledged_at=(RECEIVED + timedelta(minutes=1)).isoformat())
    )
    with pytest.raises(Rejected) as refused:
        domain.check_acknowledgement_source(sent, trusted=False)
    assert refused.value.reason == "untrusted-acknowledgement"
    assert refused.value.status == 403
    domain.check_acknowledgement_source(sent, trusted=True)
    domain.check_acknowledgement_source(ContactSubmitted.model_validate(contact()), trusted=False)


def test_an_acknowledgement_before_receipt_or_in_the_future_is_refused() -> None:
    with pytest.raises(ValidationError):
        ContactSubmitted.model_validate(
            contact(acknowledged_at=(RECEIVED - timedelta(minutes=1)).isoformat())
        )
    with pytest.raises(Rejected) as future:
        _record(contact(acknowledged_at=(NOW + timedelta(hours=1)).isoformat()))
    assert future.value.reason == "impossible-time"
