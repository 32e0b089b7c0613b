"""Corrections and Operation Encompass coverage in reporting's figures, whatever order the
events arrive in. Issue 15: "every figure reflects the current version"; the inspection
letter: "Some VISTs are delayed and a few not submitted at all"."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

from services.reporting import facts
from services.reporting.metrics import compute_year
from shared.contracts import intake
from shared.events import Envelope, new_event
from tests.unit.reporting.test_metrics_front_door import T0, _docs, decided, received


def _corrected(cid: str, outcome: str, sequence: int, hours: float) -> Envelope:
    """A decision as intake re-publishes it after a correction: a new event, a higher sequence."""
    base = decided(cid, outcome, True)
    data = {
        **base.data,
        "decided_at": (T0 + timedelta(hours=hours)).isoformat(),
        "sequence": sequence,
        "correction": {
            "reason": "wrong-outcome",
            "corrected_at": (T0 + timedelta(days=1)).isoformat(),
            "corrected_by": "glos-mash",
        },
    }
    return base.model_copy(update={"data": data})


def _values(events: list[Envelope]) -> dict[str, Any]:
    return compute_year("2020-21", _docs(events))["2020-21"].values


def test_a_corrected_decision_counts_once_as_corrected_in_any_order() -> None:
    """A keying error (no further action instead of an assessment) no longer stays in the
    conversion figure once corrected, whichever of the two events reporting sees last."""
    first = decided("c1", "no-further-action", True)
    fix = _corrected("c1", "social-care-assessment", 2, hours=3)
    for order in itertools.permutations([received("c1"), first, fix]):
        v = _values(list(order))
        assert v["contacts_decided"] == 1
        assert v["referrals"] == 1
        assert v["conversion_rate"] == 100.0


def test_the_correction_sequence_wins_over_the_event_time() -> None:
    """A correction that moves the decision time back (a wrong time keyed) is still current;
    the superseded version, even delivered late, does not come back."""
    first = decided("c1", "no-further-action", True)
    earlier_time = _corrected("c1", "social-care-assessment", 2, hours=1)
    for order in itertools.permutations([received("c1"), first, earlier_time]):
        assert _values(list(order))["referrals"] == 1
    third = _corrected("c1", "no-further-action", 3, hours=0.5)
    for order in itertools.permutations([first, earlier_time, third]):
        assert _values([received("c1"), *order])["referrals"] == 0


def test_a_correction_wins_over_a_version_stored_before_sequences_existed() -> None:
    """Facts stored by an earlier release keyed their versions by time only."""
    first = decided("c1", "no-further-action", True)
    docs = _docs([received("c1"), first])
    [contact] = docs["contacts"]
    old_key = facts.order_key(T0 + timedelta(days=30), first.id).replace(".", "_")
    stored = {**contact, facts.VERSIONS: {"decision": {old_key: {"converted": False}}}}
    fix = _corrected("c1", "social-care-assessment", 2, hours=3)
    merged: dict[tuple[str, str], dict[str, Any]] = {("contacts", "c1"): stored}
    facts.merge(merged, facts.facts_of(fix, intake.ContactDecided.model_validate(fix.data)))
    assert facts.resolve(merged[("contacts", "c1")])["converted"] is True


def _due(cid: str) -> Envelope:
    data = {
        "contact_id": cid,
        "incident_at": T0.isoformat(),
        "attended_at": (T0 + timedelta(minutes=20)).isoformat(),
        "deadline": (T0 + timedelta(hours=23)).isoformat(),
    }
    return new_event(type=intake.ENCOMPASS_DUE, source="pulse/intake", partnership="p", data=data)


def _notified(cid: str, on_time: bool, sequence: int = 1) -> Envelope:
    data = {
        "contact_id": cid,
        "incident_at": T0.isoformat(),
        "attended_at": (T0 + timedelta(minutes=20)).isoformat(),
        "notified_at": (T0 + timedelta(hours=20 if on_time else 30)).isoformat(),
        "deadline": (T0 + timedelta(hours=23)).isoformat(),
        "on_time": on_time,
        "hours_after_incident": 20.0 if on_time else 30.0,
        "incident_recorded": True,
        "sequence": sequence,
    }
    return new_event(
        type=intake.ENCOMPASS_NOTIFIED, source="pulse/intake", partnership="p", data=data
    )


def test_incidents_never_notified_show_against_notifications_sent() -> None:
    """Coverage: police domestic abuse incidents with a child present against notifications
    sent, so "a few not submitted at all" are visible: 8 incidents, 6 notified (5 on time),
    2 not notified; and a notification without an incident record still counts as sent."""
    events = [_due(f"c{n}") for n in range(8)]
    events += [_notified(f"c{n}", on_time=n != 0) for n in range(6)]
    events += [_notified("x1", on_time=True)]
    for order in (events, list(reversed(events))):
        v = _values(order)
        assert v["encompass_incidents"] == 8
        assert v["encompass_incidents_notified"] == 6
        assert v["encompass_incidents_not_notified"] == 2
        assert v["encompass_incidents_notified_on_time"] == 5
        assert v["encompass_coverage_rate"] == 75.0
        assert v["encompass_incidents_on_time_rate"] == 62.5
        assert v["encompass_notifications"] == 7
        assert v["encompass_on_time"] == 6


def test_a_corrected_notification_replaces_the_first() -> None:
    late, fixed = _notified("c1", on_time=False), _notified("c1", on_time=True, sequence=2)
    for order in itertools.permutations([_due("c1"), late, fixed]):
        v = _values(list(order))
        assert (v["encompass_notifications"], v["encompass_on_time"]) == (1, 1)
