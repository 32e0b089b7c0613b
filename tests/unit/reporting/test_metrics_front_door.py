"""Front-door figures from intake's canonical events, whatever order they arrive in."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta
from typing import Any

from services.reporting import facts
from services.reporting.metrics import compute_year
from shared.contracts import intake
from shared.events import Envelope, new_event

T0 = datetime(2020, 5, 4, 9, tzinfo=UTC)  # a Monday in 2020-21 Q1


def _base(cid: str, source: str = "6", sector: str = "police") -> dict[str, Any]:
    return {
        "contact_id": cid,
        "agency": "police",
        "sector": sector,
        "source": source,
        "channel": "vist",
        "age_band": "5-9",
        "received_at": T0.isoformat(),
    }


def received(cid: str, wishes: bool = True, **kw: Any) -> Envelope:
    data = {
        **_base(cid, **kw),
        "child_ref": "r1",
        "unborn": False,
        "factors": [],
        "consent": "obtained",
        "consent_reason": None,
        "wishes_and_feelings_recorded": wishes,
    }
    return new_event(type=intake.RECEIVED, source="pulse/intake", partnership="p", data=data)


def decided(cid: str, outcome: str, within: bool, **kw: Any) -> Envelope:
    data = {
        **_base(cid, **kw),
        "outcome": outcome,
        "level": 3,
        "converted_to_referral": outcome in ("social-care-assessment",),
        "decided_at": (T0 + timedelta(hours=3)).isoformat(),
        "deadline": (T0 + timedelta(days=1)).isoformat(),
        "within_target": within,
        "working_days_taken": 0 if within else 2,
        "working_hours_taken": 3.0,
        "wishes_and_feelings_recorded": True,
    }
    return new_event(type=intake.DECIDED, source="pulse/intake", partnership="p", data=data)


def overdue(cid: str) -> Envelope:
    data = {**_base(cid), "deadline": (T0 + timedelta(days=1)).isoformat()}
    return new_event(
        type=intake.DECISION_OVERDUE, source="pulse/intake", partnership="p", data=data
    )


def _docs(events: list[Envelope]) -> dict[str, list[dict[str, Any]]]:
    docs: dict[tuple[str, str], dict[str, Any]] = {}
    for e in events:
        model = facts.model_for(e.type)
        assert model is not None
        facts.merge(docs, facts.facts_of(e, model.model_validate(e.data)))
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for (kind, _), doc in docs.items():
        by_kind.setdefault(kind, []).append(facts.resolve(doc))
    return by_kind


EVENTS = [
    received("c1"),
    decided("c1", "social-care-assessment", True),
    received("c2", source="3E", sector="health", wishes=False),
    decided("c2", "no-further-action", False, source="3E", sector="health"),
    received("c3"),
    overdue("c3"),
    overdue("c4"),
    decided("c4", "early-help", True),  # decided after the overdue notice
]


def test_front_door_figures() -> None:
    year = compute_year("2020-21", _docs(EVENTS))
    v = year["2020-21"].values
    assert v["contacts_received"] == 4
    assert v["contacts_decided"] == 3
    assert v["referrals"] == 1
    assert v["conversion_rate"] == 25.0  # 1 referral of 4 contacts received (not 3 decided)
    assert v["decisions_within_target_rate"] == 66.7
    assert v["decisions_overdue_now"] == 1
    assert v["wishes_and_feelings_rate"] == 75.0
    b = year["2020-21"].breakdowns
    assert b["contacts_by_source"] == {"6": 3, "3E": 1}
    assert b["referrals_by_source"] == {"6": 1}
    assert b["decisions_by_outcome"] == {
        "social-care-assessment": 1,
        "no-further-action": 1,
        "early-help": 1,
    }
    # the same figures in the quarter and month; none elsewhere in the year (but for the
    # open early-help wait, which is a stock as at each period's end: older at the year's end)
    stocks = {"early_help_waiting_over_10_weeks", "early_help_waiting_days_max"}
    flows = {k: x for k, x in v.items() if k not in stocks}
    assert {k: x for k, x in year["2020-21-Q1"].values.items() if k not in stocks} == flows
    assert {k: x for k, x in year["2020-05"].values.items() if k not in stocks} == flows
    assert year["2020-21-Q1"].values["early_help_waiting_days_max"] == 57
    assert v["early_help_waiting_days_max"] == 331
    assert year["2020-06"].values["contacts_received"] == 0
    assert year["2020-06"].values["conversion_rate"] is None


def test_order_and_duplicates_do_not_change_figures() -> None:
    expected = compute_year("2020-21", _docs(EVENTS))["2020-21"]
    rng = random.Random(7)
    for _ in range(20):
        shuffled = EVENTS + rng.sample(EVENTS, 3)
        rng.shuffle(shuffled)
        assert compute_year("2020-21", _docs(shuffled))["2020-21"] == expected


def test_a_late_older_decision_does_not_overwrite_a_newer_one() -> None:
    first = decided("c9", "no-further-action", True)
    later = decided("c9", "social-care-assessment", True)
    later_data = {**later.data, "decided_at": (T0 + timedelta(days=1)).isoformat()}
    later = later.model_copy(update={"data": later_data})
    for order in itertools.permutations([first, later]):
        v = compute_year("2020-21", _docs(list(order)))["2020-21"].values
        assert v["referrals"] == 1
