"""The contact file: what it accepts in any order, impossible times, and the canonical events
it gives rise to."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from services.intake import domain
from services.intake.domain import ContactFile
from shared import inbound_policy
from shared.codes import AgeBand, MashOutcome, Sector
from shared.contracts.intake import (
    ACKNOWLEDGED,
    DECIDED,
    DECISION_OVERDUE,
    EARLY_HELP_ALLOCATED,
    ENCOMPASS_NOTIFIED,
    RECEIVED,
    VIST_RECORDED,
    ContactDecided,
    ContactSubmitted,
    DecisionRecorded,
    EarlyHelpAllocated,
    EarlyHelpAllocationRecorded,
    EncompassNotificationSent,
    EncompassNotified,
    VistRecorded,
    VistSubmitted,
)
from shared.events import derived_id
from shared.rejections import Rejected
from tests.unit.intake.factories import at, contact, decision, early_help, encompass, vist

NOW = at(2026, 12, 10, 12)
SKEW = timedelta(minutes=5)


@pytest.fixture(autouse=True)
def _policy_clock_at_now(monkeypatch: pytest.MonkeyPatch) -> None:
    # The inbound policy's date window ends tomorrow; these cases are set around NOW.
    monkeypatch.setattr(inbound_policy, "_today", lambda: NOW.date())


MODELS: dict[str, Any] = {
    "contact": ContactSubmitted,
    "decision": DecisionRecorded,
    "early_help": EarlyHelpAllocationRecorded,
    "vist": VistSubmitted,
    "encompass": EncompassNotificationSent,
}


def _record(file: ContactFile, kind: str, data: dict[str, Any], **kw: Any) -> ContactFile:
    return domain.record(
        file,
        event_id=kw.get("event_id", f"e-{kind}"),
        partnership=kw.get("partnership", "glos"),
        data=MODELS[kind].model_validate(data),
        now=kw.get("now", NOW),
        skew=SKEW,
    )


def _types(file: ContactFile) -> list[str]:
    return [o.type for o in domain.canonical_events(file)]


def test_a_stored_contact_is_received_and_acknowledged_at_once() -> None:
    file = _record(ContactFile("c-1"), "contact", contact())
    assert file.status == "awaiting-decision"
    received, acknowledged = domain.canonical_events(file)
    assert (received.type, acknowledged.type) == (RECEIVED, ACKNOWLEDGED)
    assert received.id == derived_id("e-contact", RECEIVED)
    assert received.data.model_dump()["sector"] is Sector.POLICE  # from source 6
    assert received.data.model_dump()["age_band"] is AgeBand.AGE_5_9
    assert acknowledged.time == NOW


def test_a_decision_alone_waits_for_its_contact() -> None:
    file = _record(ContactFile("c-1"), "decision", decision())
    assert file.status == "awaiting-contact"
    assert _types(file) == []


@pytest.mark.parametrize("order", [("contact", "decision"), ("decision", "contact")])
def test_contact_decided_follows_from_both_in_either_order(order: tuple[str, str]) -> None:
    payloads = {"contact": contact(), "decision": decision()}
    file = ContactFile("c-1")
    for kind in order:
        file = _record(file, kind, payloads[kind])
    assert file.status == "decided"
    [decided] = [o for o in domain.canonical_events(file) if o.type == DECIDED]
    assert decided.id == derived_id("e-decision", DECIDED)
    assert decided.causes == {"e-contact", "e-decision"}
    data = decided.data
    assert isinstance(data, ContactDecided)
    assert data.within_target
    assert data.working_days_taken == 0
    assert data.converted_to_referral
    assert data.wishes_and_feelings_recorded


def test_early_help_is_announced_once_contact_decision_and_allocation_are_known() -> None:
    file = _record(ContactFile("c-1"), "early_help", early_help())
    file = _record(file, "contact", contact())
    assert EARLY_HELP_ALLOCATED not in _types(file)
    file = _record(file, "decision", decision(outcome="early-help", level=2))
    [allocated] = [o.data for o in domain.canonical_events(file) if o.type == EARLY_HELP_ALLOCATED]
    assert isinstance(allocated, EarlyHelpAllocated)
    assert allocated.outcome is MashOutcome.EARLY_HELP
    assert (allocated.wait_days, allocated.wait_working_days) == (14, 10)


def test_vist_and_encompass_are_announced_without_waiting_for_the_contact() -> None:
    file = _record(ContactFile("c-1"), "vist", vist())
    file = _record(file, "encompass", encompass())
    events = {o.type: o.data for o in domain.canonical_events(file)}
    assert set(events) == {VIST_RECORDED, ENCOMPASS_NOTIFIED}
    vist_event, encompass_event = events[VIST_RECORDED], events[ENCOMPASS_NOTIFIED]
    assert isinstance(vist_event, VistRecorded)
    assert vist_event.delay_days == 1
    assert isinstance(encompass_event, EncompassNotified)
    assert encompass_event.on_time


def test_recording_the_same_event_again_changes_nothing() -> None:
    file = _record(ContactFile("c-1"), "contact", contact())
    assert _record(file, "contact", contact()) is file


def test_a_second_decision_without_a_correction_is_a_conflict() -> None:
    file = _record(ContactFile("c-1"), "decision", decision())
    with pytest.raises(Rejected) as caught:
        _record(file, "decision", decision(level=2), event_id="other")
    assert caught.value.status == 409


def test_another_partnership_cannot_add_to_a_contact() -> None:
    file = _record(ContactFile("c-1"), "contact", contact())
    with pytest.raises(Rejected) as caught:
        _record(file, "decision", decision(), partnership="wilts")
    assert caught.value.status == 409


@pytest.mark.parametrize(
    ("first", "second"),
    [
        # decision more than the skew before receipt, whichever arrives second
        (
            ("contact", contact()),
            ("decision", decision(decided_at=at(2026, 11, 9, 9).isoformat())),
        ),
        (
            ("decision", decision(decided_at=at(2026, 11, 9, 9).isoformat())),
            ("contact", contact()),
        ),
        # allocation before the decision
        (
            ("decision", decision()),
            ("early_help", early_help(allocated_at=at(2026, 11, 6).isoformat())),
        ),
    ],
)
def test_impossible_order_of_times_is_rejected(
    first: tuple[str, dict[str, Any]], second: tuple[str, dict[str, Any]]
) -> None:
    file = _record(ContactFile("c-1"), *first)
    with pytest.raises(Rejected) as caught:
        _record(file, *second)
    assert caught.value.reason == "impossible-time"


def test_a_decision_a_little_before_receipt_is_within_clock_skew() -> None:
    file = _record(ContactFile("c-1"), "contact", contact())
    file = _record(file, "decision", decision(decided_at=at(2026, 11, 9, 9, 57).isoformat()))
    [decided] = [o.data for o in domain.canonical_events(file) if o.type == DECIDED]
    assert isinstance(decided, ContactDecided)
    assert decided.working_hours_taken == 0


@pytest.mark.parametrize(
    ("kind", "data"),
    [
        ("contact", contact(received_at=at(2026, 12, 11).isoformat())),
        ("decision", decision(decided_at=at(2026, 12, 11).isoformat())),
        ("vist", vist(submitted_at=at(2026, 11, 8, 20).isoformat())),  # before the incident
        ("encompass", encompass(notified_at=at(2026, 11, 8, 20).isoformat())),
        (
            "vist",
            vist(
                incident_at=at(2026, 12, 11).isoformat(),
                submitted_at=at(2026, 12, 11, 1).isoformat(),
            ),
        ),
    ],
)
def test_future_times_and_notices_before_the_incident_are_rejected(
    kind: str, data: dict[str, Any]
) -> None:
    with pytest.raises(Rejected) as caught:
        _record(ContactFile("c-1"), kind, data)
    assert caught.value.reason == "impossible-time"


def test_a_contact_is_overdue_from_its_deadline_until_decided_or_announced() -> None:
    file = _record(ContactFile("c-1"), "contact", contact())
    assert not domain.is_overdue(file, at(2026, 11, 10, 23, 59))
    assert domain.is_overdue(file, at(2026, 11, 11))
    event = domain.overdue_event(file)
    assert event.type == DECISION_OVERDUE
    assert event.id == derived_id("e-contact", DECISION_OVERDUE)
    assert event.time == at(2026, 11, 11)
    assert domain.overdue_event(file) == event  # deterministic: every sweep, every instance
    decided = _record(file, "decision", decision())
    assert not domain.is_overdue(decided, NOW)
