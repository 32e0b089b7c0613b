"""Reviews and training figures from their canonical events, and the tables built on them."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime
from typing import Any

from services.reporting import facts
from services.reporting.metrics import compute_year
from services.reporting.publication import TABLES
from shared.events import Envelope
from tests.integration.reporting import reporting_events as ev


def _year(events: list[Envelope]) -> dict[str, Any]:
    docs: dict[tuple[str, str], dict[str, Any]] = {}
    for e in events:
        model = facts.model_for(e.type)
        assert model is not None, e.type
        facts.merge(docs, facts.facts_of(e, model.model_validate(e.data)))
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for (kind, _), doc in docs.items():
        by_kind.setdefault(kind, []).append(facts.resolve(doc))
    return compute_year("2020-21", by_kind)


def review_events() -> list[Envelope]:
    events = []
    for i, (themes, band, within, lcspr) in enumerate(
        [
            (["neglect"], "under-1", True, False),
            (["neglect", "domestic-abuse"], "under-1", True, True),
            (["child-sexual-exploitation"], "10-15", False, True),
        ]
    ):
        events.append(ev.review_opened("p", f"rr{i}", "rapid-review", themes, band))
        events.append(ev.rapid_review_completed("p", f"rr{i}", themes, band, within, lcspr))
    t = date(2020, 9, 30)
    events += [
        ev.action_planned("p", "lcspr1", "a1", "head-of-service", t),
        ev.action_planned("p", "lcspr1", "a2", "head-of-service", t),
        ev.action_planned("p", "lcspr1", "a3", "named-professional", t),
        ev.action_updated("p", "lcspr1", "a1", "head-of-service", t, "complete", date(2020, 9, 1)),
        ev.action_updated(
            "p", "lcspr1", "a3", "named-professional", t, "underway", date(2020, 9, 1)
        ),
        ev.action_overdue("p", "lcspr1", "a2", "head-of-service", t),
        ev.action_overdue("p", "lcspr1", "a3", "named-professional", t),
    ]
    return events


def test_rapid_reviews_by_theme_age_band_and_clock() -> None:
    fig = _year(review_events())["2020-21"]
    v = fig.values
    assert v["rapid_reviews"] == 3
    assert v["rapid_reviews_lcspr_required"] == 2
    assert v["rapid_reviews_within_15_working_days_rate"] == 66.7
    assert fig.breakdowns["rapid_reviews_by_theme"] == {
        "neglect": 2,
        "domestic-abuse": 1,
        "child-sexual-exploitation": 1,
    }
    assert fig.breakdowns["rapid_reviews_by_age_band"] == {"under-1": 2, "10-15": 1}


def test_action_tracker_by_review_and_owner() -> None:
    year = _year(review_events())
    fig = year["2020-21"]
    assert fig.values["actions"] == 3
    assert fig.values["actions_overdue"] == 2
    assert fig.values["actions_completion_rate"] == 33.3
    assert fig.breakdowns["overdue_actions_by_owner"] == {
        "head-of-service": 1,
        "named-professional": 1,
    }
    tracker = TABLES["action-tracker"](fig, False)
    assert tracker["by_review"]["rows"]["lcspr1"] == {
        "not-started": 1,
        "underway": 1,
        "partially": 0,
        "complete": 1,
    }
    assert tracker["completion_by_review"] == {"lcspr1": 33.3}
    published = TABLES["action-tracker"](fig, True)
    assert published["by_review"]["rows"]["lcspr1"]["complete"] == "c"
    # actions count in the quarter they were planned in (July 2020: Q2)
    assert year["2020-21-Q2"].values["actions"] == 3
    assert year["2020-21-Q1"].values["actions"] == 0


def test_an_action_back_on_track_after_a_new_target_date_is_not_overdue() -> None:
    """Overdue as at each period's end: overdue at the end of October (due 30 September),
    back on track from its new target date in November."""
    t, later = date(2020, 9, 30), date(2021, 6, 30)
    events = [
        ev.action_planned("p", "r", "a1", "other", t),
        ev.action_overdue("p", "r", "a1", "other", t),
        ev.action_updated("p", "r", "a1", "other", later, "underway", date(2020, 11, 5)),
    ]
    for _ in range(5):
        random.shuffle(events)
        year = _year(events)
        assert year["2020-10"].values["actions_overdue"] == 1
        assert year["2020-11"].values["actions_overdue"] == 0
        assert year["2020-21"].values["actions_overdue"] == 0


def test_training_enrolments_completions_and_rate() -> None:
    events: list[Envelope] = []
    for i in range(10):
        events += ev.enrolment("p", f"l{i}", "el-1", "education", "elearning", completed=i < 8)
    events += ev.enrolment("p", "l0", "cp-virtual", "acute-trust", "virtual-classroom", False)
    fig = _year(events)["2020-21"]
    assert fig.values["enrolments"] == 11
    assert fig.values["completions"] == 8
    assert fig.values["completion_rate"] == 72.7
    table = TABLES["training-by-organisation-and-format"](fig, False)
    assert table["enrolments"]["rows"]["education"]["elearning"] == 10
    assert table["completion_rate_by_format"]["elearning"] == 80.0
    published = TABLES["training-by-organisation-and-format"](fig, True)
    # acute trust's single enrolment is hidden, and with it enough cells that it cannot be
    # recovered from the totals
    assert published["enrolments"]["rows"]["acute-trust"]["virtual-classroom"] == "c"
    assert published["enrolments"]["total"] == 11


def test_representation_against_each_organisations_workforce() -> None:
    events: list[Envelope] = []
    for i in range(40):  # 40 education learners, 10 of them on a second course
        events += ev.enrolment("p", f"e{i}", "el-1", "education", "elearning", completed=True)
        if i < 10:
            events += ev.enrolment("p", f"e{i}", "el-2", "education", "elearning", False)
    for i in range(3):
        events += ev.enrolment("p", f"s{i}", "el-1", "county-council", "elearning", False)
    events += ev.enrolment("p", "g0", "el-1", "ccg-gps", "elearning", False)  # no headcount
    events += [
        ev.workforce("p", "education", 999, at=datetime(2020, 5, 1, tzinfo=UTC)),
        ev.workforce("p", "education", 400, at=datetime(2020, 6, 1, tzinfo=UTC)),  # newer
        ev.workforce("p", "county-council", 600),
        ev.workforce("p", "constabulary", 1200),
    ]
    random.Random(3).shuffle(events)
    year = _year(events)
    fig = year["2020-21"]
    assert fig.values["learners_reached"] == 44  # distinct learners, all organisations
    assert fig.values["workforce_reported"] == 2200
    assert fig.values["workforce_reached"] == 43  # only where a headcount is known
    assert fig.values["workforce_reached_rate"] == 2.0
    # The year's headcounts stand for its quarters too.
    assert year["2020-21-Q1"].breakdowns["workforce_by_organisation"]["constabulary"] == 1200

    table = TABLES["training-representation"](fig, False)
    assert list(table["rows"]) == ["education", "county-council", "constabulary"]
    assert table["rows"]["education"] == {
        "workforce": 400,
        "learners_reached": 40,
        "reached_rate": 10.0,
    }
    assert table["rows"]["constabulary"]["reached_rate"] == 0.0
    published = TABLES["training-representation"](fig, True)
    # three county council learners are hidden, with their rate and the total they'd leave
    assert published["rows"]["county-council"]["learners_reached"] == "c"
    assert published["rows"]["county-council"]["reached_rate"] == "c"
    assert published["rows"]["education"]["learners_reached"] == "c"
    assert published["total"]["learners_reached"] == 43
    assert published["rows"]["constabulary"]["workforce"] == 1200
