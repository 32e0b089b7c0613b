"""Running figures: a year's figures kept from its changes equal the figures computed afresh
from all its facts, whatever the changes were (fields changed, facts moved between years,
versioned groups, erasures) and whenever the figures were asked for on the way."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from services.reporting import facts as f
from services.reporting.fact_state import FactState, Stored
from services.reporting.facts import placed
from services.reporting.metrics import _Period, compute_year

P = "p1"
YEARS = ("2021-22", "2022-23")
AS_AT = datetime(2023, 2, 14, 12, tzinfo=UTC)  # during 2022-23: its later months not begun


def _when(rng: random.Random) -> datetime:
    start = datetime(2021, 4, 1, tzinfo=UTC)
    return start + timedelta(days=rng.randrange(0, 700), hours=rng.randrange(24))


def _contact_fields(rng: random.Random) -> dict[str, Any]:
    received = _when(rng)
    fields: dict[str, Any] = {
        **placed(received),
        "source": rng.choice(["1", "6", "9"]),
        "sector": rng.choice(["police", "health", "education"]),
        "agency": rng.choice(["police", "health", "school.x"]),
        "age_band": rng.choice(["0-4", "5-9", None]),
    }
    if rng.random() < 0.7:
        fields["acknowledgement_seconds"] = rng.choice([30, 45.5, 3600, 86400])
    if rng.random() < 0.5:
        fields["wishes"] = rng.random() < 0.6
    if rng.random() < 0.6:
        decided = received + timedelta(hours=rng.randrange(1, 80))
        outcome = rng.choice(["early-help", "social-care-assessment", "nfa"])
        fields |= {
            "decided": True,
            "decided_at": decided,
            "outcome": outcome,
            "level": rng.choice([2, 3, 4]),
            "within_target": rng.random() < 0.8,
            "converted": outcome == "social-care-assessment",
        }
        if outcome == "early-help" and rng.random() < 0.5:
            allocated = decided + timedelta(days=rng.randrange(1, 120))
            fields |= {
                "early_help_allocated": True,
                "early_help_allocated_at": allocated,
                "early_help_wait_days": (allocated - decided).days,
                "early_help_wait_working_days": (allocated - decided).days * 5 // 7,
            }
    elif rng.random() < 0.3:
        fields["overdue"] = True
    return fields


def _update(rng: random.Random, key: str) -> Stored:
    kind = rng.choice(
        [f.CONTACTS] * 5
        + [f.VISTS, f.REVIEWS, f.LEARNERS, f.CONFERENCES, f.CDOP_CASES, f.ACTIONS, f.ENROLMENTS]
    )
    when = placed(_when(rng))
    fields: dict[str, Any]
    if kind == f.CONTACTS:
        fields = _contact_fields(rng)
    elif kind == f.VISTS:
        fields = {**when, "same_day": rng.random() < 0.5, "delay_days": rng.randrange(3)}
    elif kind == f.REVIEWS:
        fields = {
            **when,
            "kind": rng.choice(["sin", "rapid-review", "lcspr"]),
            "themes": rng.sample(["neglect", "online", "housing"], k=rng.randrange(3)),
            "lcspr_required": rng.random() < 0.3,
            "clock_rapid_review_met": rng.choice([True, False, None]),
        }
    elif kind == f.LEARNERS:
        fields = {**when, "organisation": rng.choice(["a", "b"]), "implicit": rng.random() < 0.2}
    elif kind == f.CONFERENCES:
        fields = {**when, "within_target": rng.random() < 0.7, "working_days": rng.randrange(20)}
    elif kind == f.CDOP_CASES:
        fields = {**when, "case": rng.choice(["death", "alte"]), "rapid_review": True}
    elif kind == f.ENROLMENTS:
        fields = {
            **when,
            "organisation": rng.choice(["a", "b"]),
            "learner_id": f"l{rng.randrange(5)}",
            "format": "online",
            "completed": rng.random() < 0.5,
        }
    else:
        fields = {**when, "action_id": key, "review_id": "r1", "owner_role": "lead"}
    # Some updates set a few fields only, as later events of the same entity do.
    if rng.random() < 0.3:
        fields = dict(rng.sample(sorted(fields.items()), k=max(1, len(fields) // 3)))
    update: Stored = {"k": kind, "p": P, "i": key, "f": fields}
    if kind in (f.ACTIONS, f.REVIEWS) and rng.random() < 0.7:
        day = _when(rng).date().isoformat()
        status = rng.choice(["open", "complete", "in-progress"])
        group = "state" if kind == f.ACTIONS else "outcome"
        values = {"status": status, "target_date": day} if kind == f.ACTIONS else {"kind": "sin"}
        update |= {"g": group, "o": f"{day}|{rng.randrange(9)}", "x": values}
    return update


def _fresh(state: FactState, fy: str) -> dict[str, Any]:
    return compute_year(fy, state.year(P, fy), as_at=AS_AT)


@pytest.mark.parametrize("seed", range(12))
def test_running_figures_equal_a_fresh_computation(seed: int) -> None:
    rng = random.Random(seed)
    state = FactState()
    keys = [f"k{i}" for i in range(60)]  # few keys: most updates change a fact seen before
    for _ in range(40):
        state.apply([_update(rng, rng.choice(keys)) for _ in range(rng.randrange(1, 12))])
        if rng.random() < 0.1:
            state.forbid(P, [f.CONTACTS], [rng.choice(keys)])  # an erasure
        fy = rng.choice(YEARS)
        assert state.figures(P, fy, as_at=AS_AT) == _fresh(state, fy)
    for fy in YEARS:
        assert state.figures(P, fy, as_at=AS_AT) == _fresh(state, fy)


def test_a_reset_forgets_the_running_sums() -> None:
    rng = random.Random(99)
    state = FactState()
    state.apply([_update(rng, f"k{i}") for i in range(30)])
    before = state.figures(P, YEARS[0], as_at=AS_AT)
    state.reset(None)
    emptied = state.figures(P, YEARS[0], as_at=AS_AT)
    assert emptied != before
    assert emptied == compute_year(YEARS[0], {}, as_at=AS_AT)


def test_running_figures_are_not_built_for_a_year_nobody_asked_for() -> None:
    """Applying facts costs nothing for the years whose figures were never asked for."""
    state = FactState()
    state.apply([{"k": f.CONTACTS, "p": P, "i": "c1", "f": placed(date(2021, 5, 1))}])
    assert state.figures(P, "2021-22", as_at=AS_AT)["2021-22"].values["contacts_received"] == 1
    state.apply([{"k": f.CONTACTS, "p": P, "i": "c2", "f": placed(date(2021, 6, 1))}])
    state.apply([{"k": f.CONTACTS, "p": P, "i": "c1", "f": placed(date(2022, 6, 1))}])
    assert state.figures(P, "2021-22", as_at=AS_AT)["2021-22"].values["contacts_received"] == 1
    assert state.figures(P, "2022-23", as_at=AS_AT)["2022-23"].values["contacts_received"] == 1


def test_merging_accumulators_adds_every_sum_and_unites_learners_reached() -> None:
    a, b = _Period(), _Period()
    a.count("contacts_received")
    a.sample("acknowledgement_seconds", 30)
    a.breakdown("contacts_by_source", "1")
    a.reached["police"].add("l1")
    b.count("contacts_received")
    b.sample("acknowledgement_seconds", 30)
    b.breakdown("contacts_by_source", "6")
    b.reached["police"].update({"l1", "l2"})
    a.merge(b)
    assert a.counts["contacts_received"] == 2
    assert a.samples["acknowledgement_seconds"] == {30: 2}
    assert a.by["contacts_by_source"] == {"1": 1, "6": 1}
    assert a.reached["police"] == {"l1", "l2"}
