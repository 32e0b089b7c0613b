"""Overdue actions and the tracker's RAG as at each period's end, the conversion rate over all
contacts received, and the rapid-reviews-by-theme total counting reviews (issue 15, items 3
and 6)."""

from __future__ import annotations

import json
import random
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from services.reporting import facts
from services.reporting.metrics import Figures, compute_year, period_bounds
from services.reporting.publication import TABLES, _record, publish
from services.reporting.targets import DEFAULT_TARGETS, Rag
from services.reporting.web.sheets import sections
from shared.contracts import reviews
from shared.events import Envelope, new_event
from tests.integration.reporting import reporting_events as ev

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "lcspr_action_plan.json"
TODAY = date(2026, 12, 2)


def _event(type_: str, subject: str, data: dict[str, Any]) -> Envelope:
    return new_event(
        type=type_, source="pulse/reviews", partnership="gscp", subject=subject, data=data
    )


def child_x_events() -> list[Envelope]:
    """The Child X plan as reviews publishes it: each action planned at version 1.0
    (23/08/2023), then the statuses of the 8.0 progress update (26/02/2024)."""
    plan = json.loads(FIXTURE.read_text())
    rid = plan["review"]["review_id"]
    out = []
    for a in plan["actions"]:
        base = {
            "review_id": rid,
            "kind": "lcspr",
            "action_id": a["action_id"],
            "recommendation_numbers": a["recommendation_numbers"],
            "owner_role": a["owner_role"],
            "owner_agency": a["owner_agency"],
            "supporting_agencies": a["supporting_agencies"],
            "target_date": a["target_date"],
        }
        planned = {**base, "status": "not-started", "planned_on": plan["planned_on"]}
        out.append(_event(reviews.ACTION_PLANNED, rid, planned))
        if a["status"] != "not-started":
            on = plan["progress_update_on"]
            updated = {
                **base,
                "status": a["status"],
                "updated_on": on,
                "previous_status": "not-started",
                "previous_target_date": a["target_date"],
            }
            out.append(_event(reviews.ACTION_UPDATED, rid, updated))
            if a["status"] == "complete":
                done = {**base, "status": "complete", "completed_on": on, "on_time": True}
                out.append(_event(reviews.ACTION_COMPLETED, rid, done))
    return out


def _docs(events: list[Envelope]) -> dict[str, list[dict[str, Any]]]:
    docs: dict[tuple[str, str], dict[str, Any]] = {}
    for e in events:
        model = facts.model_for(e.type)
        assert model is not None, e.type
        facts.merge(docs, facts.facts_of(e, model.model_validate(e.data)))
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for (kind, _), doc in docs.items():
        by_kind.setdefault(kind, []).append(facts.resolve(doc))
    return by_kind


def _years(events: list[Envelope], *years: str) -> dict[str, Figures]:
    docs = _docs(events)
    out: dict[str, Figures] = {}
    for fy in years:
        out.update(compute_year(fy, docs, today=TODAY))
    return out


def test_overdue_actions_count_in_the_periods_in_which_they_are_overdue() -> None:
    """Issue 15: overdue actions are "counted in the period in which they are overdue (as at
    each period's end, and now for the current period)": the Child X plan, planned in
    2023-24, has nothing overdue at that year's end (its first targets are 31 March 2024),
    six actions overdue by the end of June 2024 (targets March and April 2024, not
    complete), all eleven not complete by the end of 2024-25 and still today, in 2026-27."""
    f = _years(child_x_events(), "2023-24", "2024-25", "2026-27")
    overdue = {p: fig.values["actions_overdue"] for p, fig in f.items()}
    assert overdue["2023-24"] == 0
    assert overdue["2024-04"] == 4  # the four due on 31 March 2024
    assert overdue["2024-05"] == overdue["2024-25-Q1"] == 6
    assert overdue["2024-25"] == 11
    assert overdue["2026-27"] == overdue["2026-27-Q3"] == overdue["2026-12"] == 11
    assert overdue["2027-01"] == 0  # a period not yet begun
    assert f["2026-27"].breakdowns["overdue_actions_by_agency"] == {"gcc": 11}
    # the actions themselves still count where they were planned
    assert f["2023-24"].values["actions"] == 13
    assert f["2026-27"].values["actions"] == 0


def test_the_current_years_scorecard_goes_red_while_the_tracker_has_not_progressed() -> None:
    """Scrutineer (seeds/000): "progress against the actions on this tracker had not
    progressed as quickly as intended"; issue 15: "the current year's scorecard stays
    green"."""
    f = _years(child_x_events(), "2026-27")
    assert DEFAULT_TARGETS["actions_overdue"].status(f["2026-27"].values["actions_overdue"]) == (
        Rag.RED
    )


def test_the_tracker_rag_as_at_each_periods_end() -> None:
    """The seeds' action plan (seeds/003): actions "with the owner and timescale of each step
    clearly identified", monitored by QiiP. As at 31 March 2024: 2 complete (green), 4 due
    that day (amber), 7 due from 30 April (green); as at today all 11 not complete are red;
    the two completed in February 2024 are off the tracker from 2024-25."""
    f = _years(child_x_events(), "2023-24", "2024-25", "2026-27")
    assert f["2023-24"].breakdowns["actions_by_rag"] == {"green": 9, "amber": 4}
    assert f["2023-24"].values["actions_on_tracker"] == 13
    assert f["2026-27"].breakdowns["actions_by_rag"] == {"red": 11}
    assert f["2026-27"].values["actions_on_tracker"] == 11
    tracker = TABLES["action-tracker"](f["2026-27"], False)
    assert tracker["by_rag"]["rows"] == {"red": 11, "amber": 0, "green": 0}
    assert tracker["by_review_rag"]["rows"]["childx-lcspr-2023"]["red"] == 11
    assert tracker["overdue_by_owner"]["total"] == 11


def test_figures_as_at_do_not_depend_on_the_order_events_arrive_in() -> None:
    events = child_x_events()
    expected = {p: fig.values for p, fig in _years(events, "2024-25").items()}
    for _ in range(3):
        random.shuffle(events)
        assert {p: fig.values for p, fig in _years(events, "2024-25").items()} == expected


def test_a_change_to_an_action_touches_every_year_since_it_was_planned() -> None:
    assert facts.action_years("2023-24", TODAY) == ["2023-24", "2024-25", "2025-26", "2026-27"]
    assert facts.action_years("2026-27", TODAY) == ["2026-27"]
    assert facts.action_years(None, TODAY) == []


@pytest.mark.parametrize(
    ("period", "bounds"),
    [
        ("2020-21", (date(2020, 4, 1), date(2021, 3, 31))),
        ("2020-21-Q3", (date(2020, 10, 1), date(2020, 12, 31))),
        ("2020-21-Q4", (date(2021, 1, 1), date(2021, 3, 31))),
        ("2024-02", (date(2024, 2, 1), date(2024, 2, 29))),
    ],
)
def test_period_bounds(period: str, bounds: tuple[date, date]) -> None:
    assert period_bounds(period) == bounds


def test_overdue_counts_are_linked_year_to_last_quarter_to_last_month() -> None:
    """A year's overdue count is its last quarter's and that its last month's (all as at 31
    March), not the sum of its quarters: disclosure control links them, so hiding one and
    showing another gives nothing away."""
    f = _years(child_x_events(), "2024-25")
    assert f["2024-25"].values["actions_overdue"] == f["2024-25-Q4"].values["actions_overdue"]
    assert f["2024-25-Q4"].values["actions_overdue"] == f["2025-03"].values["actions_overdue"]
    lines = {(ln.total, ln.parts) for ln in _record(f).lines}
    cell = ("values", "actions_overdue")
    assert (("2024-25", *cell), (("2024-25-Q4", *cell),)) in lines
    assert (("2024-25-Q2", *cell), (("2024-09", *cell),)) in lines
    red = ("actions_by_rag", "red")
    assert (("2024-25", *red), (("2024-25-Q4", *red),)) in lines
    assert publish(f).values("2024-25")["actions_overdue"] == 11


def test_conversion_rate_is_referrals_out_of_all_contacts_received() -> None:
    """Scrutineer (annual report, seeds/000): "a significant number of contacts to the MASH
    do not result in conversion to social care referrals": referrals out of ALL contacts
    received, not out of the contacts decided so far."""
    events = [
        *(ev.received("p", f"c{i}", "6", "police") for i in range(10)),
        *(ev.decided("p", f"c{i}", "6", "police", "social-care-assessment", True) for i in (0, 1)),
        *(ev.decided("p", f"c{i}", "6", "police", "no-further-action", True) for i in (2, 3)),
    ]
    fig = compute_year("2020-21", _docs(events), today=TODAY)["2020-21"]
    assert (fig.values["contacts_received"], fig.values["referrals"]) == (10, 2)
    assert fig.values["conversion_rate"] == 20.0  # not 2 of 4 decided (50%)
    table = TABLES["contacts-by-source"](fig, False)
    assert table["rows"]["6"]["conversion_rate"] == table["total"]["conversion_rate"] == 20.0


def test_rapid_reviews_by_theme_total_counts_reviews_not_theme_mentions() -> None:
    """Issue 15: "the rapid-reviews-by-theme total counts theme mentions (10) rather than
    reviews (6)"; the annual report counts reviews: "The Partnership undertook nine Rapid
    Reviews"."""
    themes = [
        ["neglect", "domestic-abuse"],
        ["neglect", "mental-health"],
        ["child-sexual-exploitation", "criminal-exploitation"],
        ["child-sexual-exploitation", "risk-outside-the-home"],
        ["vulnerable-babies-nai"],
        ["complex-needs"],
    ]
    events = [
        ev.review_opened("p", f"rr{i}", "rapid-review", t, "10-15") for i, t in enumerate(themes)
    ]
    fig = compute_year("2020-21", _docs(events), today=TODAY)["2020-21"]
    table = TABLES["rapid-reviews-by-theme"](fig, False)
    assert table["total"] == fig.values["rapid_reviews"] == 6
    assert table["theme_mentions"] == sum(table["rows"].values()) == 10
    # published: every row is 1 or 2 and hidden; the reviews' total alone says nothing more
    assert TABLES["rapid-reviews-by-theme"](fig, True)["total"] == 6


def test_the_theme_sheet_shows_reviews_as_its_total_and_the_mentions_beside() -> None:
    """The website's and spreadsheet's view of the table: 'Total' is the reviews."""
    table = {"rows": {"neglect": 2, "mental-health": 1}, "total": 2, "theme_mentions": 3}
    [section] = sections("rapid-reviews-by-theme", table)
    assert section.rows[-2:] == [("Total", [2]), ("Theme mentions", [3])]
