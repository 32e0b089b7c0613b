"""Reporting's folded facts: a function of the set of fact updates, whatever their order or
the number of times each arrives."""

from __future__ import annotations

import itertools

from services.reporting.fact_state import FactState, stored
from services.reporting.facts import FactUpdate, Versioned


def _upd(key: str, fy: str, status: str, order: str) -> list[object]:
    return stored(
        "p1",
        FactUpdate(
            "actions",
            key,
            {"fy": fy, "action_id": key},
            Versioned("status", order, {"status": status}),
        ),
    )


def test_the_fold_is_the_same_in_any_order_and_with_redeliveries() -> None:
    updates = [
        _upd("a1", "2020-21", "open", "2020-05-01"),
        _upd("a1", "2020-21", "done", "2020-09-01"),
        _upd("a2", "2021-22", "open", "2021-05-01"),
    ]
    results = []
    for order in itertools.permutations(updates):
        state = FactState()
        state.apply(order)
        state.apply(order[:1])  # a redelivery
        results.append({fy: state.year("p1", fy)["actions"] for fy in ("2020-21", "2021-22")})
    assert all(r == results[0] for r in results)
    assert [d["status"] for d in results[0]["2020-21"]] == ["done"]


def test_a_fact_that_moves_year_leaves_the_old_one_and_both_are_touched() -> None:
    state = FactState()
    state.apply([stored("p1", FactUpdate("reviews", "r1", {"fy": "2020-21"}))])
    touched = state.apply([stored("p1", FactUpdate("reviews", "r1", {"fy": "2021-22"}))])
    assert touched == {("p1", "2020-21"), ("p1", "2021-22")}
    assert state.year("p1", "2020-21")["reviews"] == []
    assert len(state.year("p1", "2021-22")["reviews"]) == 1


def test_compacted_facts_fold_back_into_the_same_facts() -> None:
    state = FactState()
    state.apply(
        [
            _upd("a1", "2020-21", "open", "2020-05-01"),
            _upd("a1", "2020-21", "done", "2020-09-01"),
            stored("p2", FactUpdate("contacts", "c1", {"fy": "2020-21", "agency": "police"})),
        ]
    )
    again = FactState()
    again.apply(state.compacted())
    for p in ("p1", "p2"):
        assert again.year(p, "2020-21") == state.year(p, "2020-21")


def test_an_erased_fact_is_removed_and_never_comes_back() -> None:
    state = FactState()
    received = stored("p1", FactUpdate("contacts", "c1", {"fy": "2020-21"}))
    state.apply([received])
    assert state.forbid("p1", ["contacts", "vists"], ["c1"]) == {("p1", "2020-21")}
    state.apply([received])  # a batch written before the erasure, delivered after it
    assert state.year("p1", "2020-21")["contacts"] == []


def test_positions_only_move_forward() -> None:
    state = FactState()
    state.advance("t|0", 10)
    state.advance("t|0", 4)
    assert state.position("t|0") == 10
    assert state.position("t|1") is None
