"""Exceptions are announced once per status change, with ids that survive redelivery and
rebuilds; snapshots are disclosure-controlled and identified by their content."""

from __future__ import annotations

from datetime import UTC, datetime

from services.reporting import domain
from services.reporting.metrics import Figures
from services.reporting.targets import DEFAULT_TARGETS, Rag

TARGETS = {"decisions_within_target_rate": DEFAULT_TARGETS["decisions_within_target_rate"]}


def _figures(rate: float | None, decided: int = 40) -> dict[str, Figures]:
    within = round((rate or 0) * decided / 100)
    values = {
        "decisions_within_target_rate": rate,
        "contacts_decided": decided,
        "decisions_within_target": within,
    }
    return {"2020-21": Figures(values, {})}


def _changes(rate: float | None, published: dict) -> list[domain.StatusChange]:  # type: ignore[type-arg]
    figures = _figures(rate)
    statuses = domain.evaluate(figures, TARGETS)
    return domain.status_changes("p1", figures, TARGETS, statuses, published)


def test_a_first_green_is_recorded_not_announced() -> None:
    [change] = _changes(97.5, {})
    assert change.event_id is None
    assert change.data.status == "green"


def test_a_first_red_is_announced_and_the_same_change_has_the_same_id() -> None:
    [first] = _changes(80.0, {})
    assert first.event_id is not None
    assert (first.data.status, first.data.previous, first.data.change) == ("red", None, 1)
    [again] = _changes(80.0, {})
    assert again.event_id == first.event_id


def test_no_change_no_event_and_each_later_change_gets_a_new_id() -> None:
    published = {("decisions_within_target_rate", "2020-21"): {"status": "red", "changes": 1}}
    assert _changes(85.0, published) == []
    [amber] = _changes(92.0, published)
    assert (amber.data.previous, amber.data.status, amber.changes) == ("red", "amber", 2)
    # red -> amber -> red: the second red is a new change, not the first one again
    published = {("decisions_within_target_rate", "2020-21"): {"status": "amber", "changes": 2}}
    [red_again] = _changes(70.0, published)
    first_red = domain.exception_id("p1", "decisions_within_target_rate", "2020-21", Rag.RED, 1)
    assert red_again.event_id != first_red


def test_a_figure_with_nothing_to_measure_keeps_its_status() -> None:
    published = {("decisions_within_target_rate", "2020-21"): {"status": "red", "changes": 1}}
    assert _changes(None, published) == []


def test_exception_value_is_disclosure_controlled() -> None:
    figures = _figures(66.7, decided=3)
    statuses = domain.evaluate(figures, TARGETS)
    [change] = domain.status_changes("p1", figures, TARGETS, statuses, {})
    assert change.data.value == "c"


def test_snapshot_id_follows_content_not_time() -> None:
    figures = _figures(92.0)
    statuses = domain.evaluate(figures, TARGETS)
    one, digest1 = domain.snapshot("2020-21", figures, statuses, datetime(2021, 1, 1, tzinfo=UTC))
    _, digest2 = domain.snapshot("2020-21", figures, statuses, datetime(2021, 2, 1, tzinfo=UTC))
    assert digest1 == digest2
    assert one.statuses == {"2020-21": {"decisions_within_target_rate": "amber"}}
    assert one.figures["2020-21"]["contacts_decided"] == 40
    _, digest3 = domain.snapshot("2020-21", _figures(99.0), statuses, datetime.now(UTC))
    assert digest3 != digest1
