"""RAG statuses against targets, with the amber band on the tolerated side of the target."""

from __future__ import annotations

import pytest

from services.reporting.targets import DEFAULT_TARGETS, Rag, Target, resolve_targets
from shared.rejections import Rejected


def test_at_least_target_with_amber_band() -> None:
    t = Target("decisions_within_target_rate", 95.0, amber=5.0)
    assert [t.status(v) for v in (100, 95, 94.9, 90, 89.9)] == [
        Rag.GREEN,
        Rag.GREEN,
        Rag.AMBER,
        Rag.AMBER,
        Rag.RED,
    ]
    assert t.status(None) is None


def test_at_most_target_with_amber_band() -> None:
    t = Target("actions_overdue", 0, "at_most", amber=2)
    assert [t.status(v) for v in (0, 1, 2, 3)] == [Rag.GREEN, Rag.AMBER, Rag.AMBER, Rag.RED]


def test_the_issue_targets_are_the_defaults() -> None:
    assert DEFAULT_TARGETS["decisions_within_target_rate"].target == 95
    assert DEFAULT_TARGETS["rapid_reviews_within_15_working_days_rate"].target == 100
    assert DEFAULT_TARGETS["completion_rate"].target == 80


def test_configuration_overrides_adds_and_removes_targets() -> None:
    targets = resolve_targets(
        {
            "completion_rate": {"target": 85},
            "vist_same_day_rate": None,
            "contacts_received": {"target": 10, "direction": "at_most", "amber": 0},
        }
    )
    assert targets["completion_rate"].target == 85
    assert targets["completion_rate"].amber == 5
    assert "vist_same_day_rate" not in targets
    assert targets["contacts_received"].status(11) is Rag.RED


@pytest.mark.parametrize(
    "bad", [{"x": {"target": "high"}}, {"x": {"tgt": 1}}, {"x": {"direction": "up"}}]
)
def test_bad_overrides_are_refused(bad: dict[str, dict[str, object]]) -> None:
    with pytest.raises(Rejected):
        resolve_targets(bad)
