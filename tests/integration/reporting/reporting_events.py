"""Canonical events of the other services, as reporting receives them, for the tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from shared.codes import Organisation
from shared.contracts import intake, reviews, training
from shared.events import Envelope, new_event

T0 = datetime(2020, 5, 4, 9, tzinfo=UTC)  # a Monday in May 2020: 2020-21, Q1


def _event(type_: str, partnership: str, subject: str, data: dict[str, Any]) -> Envelope:
    source = type_.split(".")[1]
    return new_event(
        type=type_, source=f"pulse/{source}", partnership=partnership, subject=subject, data=data
    )


def _contact(cid: str, source: str, sector: str) -> dict[str, Any]:
    return {
        "contact_id": cid,
        "agency": f"agency-{sector}",
        "sector": sector,
        "source": source,
        "channel": "marf",
        "age_band": "5-9",
        "received_at": T0.isoformat(),
    }


def received(p: str, cid: str, source: str, sector: str, wishes: bool = True) -> Envelope:
    data = {
        **_contact(cid, source, sector),
        "child_ref": f"ref-{cid}",
        "unborn": False,
        "factors": ["3A"],
        "consent": "obtained",
        "consent_reason": None,
        "wishes_and_feelings_recorded": wishes,
    }
    return _event(intake.RECEIVED, p, cid, data)


def decided(p: str, cid: str, source: str, sector: str, outcome: str, within: bool) -> Envelope:
    decided_at = T0 + timedelta(hours=2 if within else 60)
    data = {
        **_contact(cid, source, sector),
        "outcome": outcome,
        "level": 3,
        "converted_to_referral": outcome in ("social-care-assessment", "strategy-discussion-s47"),
        "decided_at": decided_at.isoformat(),
        "deadline": (T0 + timedelta(days=1)).isoformat(),
        "within_target": within,
        "working_days_taken": 0 if within else 2,
        "working_hours_taken": 2.0 if within else 60.0,
        "wishes_and_feelings_recorded": True,
    }
    return _event(intake.DECIDED, p, cid, data)


def overdue(p: str, cid: str, source: str, sector: str) -> Envelope:
    data = {**_contact(cid, source, sector), "deadline": (T0 + timedelta(days=1)).isoformat()}
    return _event(intake.DECISION_OVERDUE, p, cid, data)


def front_door_set(p: str) -> list[Envelope]:
    """11 contacts: police 8 (7 decided, 6 referrals, 1 late, 1 overdue), A&E 2 (no further
    action), schools 1 (strategy discussion)."""
    events: list[Envelope] = []
    for i in range(1, 9):
        events.append(received(p, f"c{i}", "6", "police"))
    for i in range(1, 7):
        events.append(decided(p, f"c{i}", "6", "police", "social-care-assessment", True))
    events.append(decided(p, "c7", "6", "police", "no-further-action", False))
    events.append(overdue(p, "c8", "6", "police"))
    for i in (1, 2):
        events.append(received(p, f"h{i}", "3E", "health"))
        events.append(decided(p, f"h{i}", "3E", "health", "no-further-action", True))
    events.append(received(p, "s1", "2A", "education"))
    events.append(decided(p, "s1", "2A", "education", "strategy-discussion-s47", True))
    return events


# --- reviews ----------------------------------------------------------------------------------


def _review(
    rid: str, kind: str, themes: list[str], age_band: str | None, stage: str
) -> dict[str, Any]:
    return {
        "review_id": rid,
        "kind": kind,
        "title": f"Review {rid}",
        "themes": themes,
        "age_band": age_band,
        "stage": stage,
        "opened_on": date(2020, 6, 1).isoformat(),
    }


def review_opened(p: str, rid: str, kind: str, themes: list[str], age_band: str | None) -> Envelope:
    data = {
        **_review(rid, kind, themes, age_band, "open"),
        "independent_chair": False,
        "aware_agency": None,
        "aware_on": None,
        "notified_on": date(2020, 5, 29).isoformat() if kind == "rapid-review" else None,
        "decided_on": None,
        "origin_review_ids": [],
        "clock": None,
    }
    return _event(reviews.OPENED, p, rid, data)


def rapid_review_completed(
    p: str, rid: str, themes: list[str], age_band: str | None, within: bool, lcspr: bool
) -> Envelope:
    data = {
        **_review(rid, "rapid-review", themes, age_band, "completed"),
        "previous_stage": "open",
        "changed_on": date(2020, 6, 10 if within else 30).isoformat(),
        "clock": {
            "clock": "rapid-review",
            "starts_on": date(2020, 5, 29).isoformat(),
            "deadline": date(2020, 6, 19).isoformat(),
        },
        "within_target": within,
        "days_taken": 8 if within else 22,
        "lcspr_required": lcspr,
        "follow_up_review_ids": [],
    }
    return _event(reviews.STAGE_CHANGED, p, rid, data)


def _action(rid: str, aid: str, owner: str, status: str, target: date | None) -> dict[str, Any]:
    return {
        "review_id": rid,
        "kind": "lcspr",
        "action_id": aid,
        "recommendation_numbers": ["1"],
        "owner_role": owner,
        "owner_agency": "gcc",
        "supporting_agencies": [],
        "target_date": target.isoformat() if target else None,
        "status": status,
    }


def action_planned(p: str, rid: str, aid: str, owner: str, target: date) -> Envelope:
    data = {**_action(rid, aid, owner, "not-started", target), "planned_on": "2020-07-01"}
    return _event(reviews.ACTION_PLANNED, p, rid, data)


def action_updated(
    p: str, rid: str, aid: str, owner: str, target: date, status: str, on: date
) -> Envelope:
    data = {
        **_action(rid, aid, owner, status, target),
        "updated_on": on.isoformat(),
        "previous_status": "not-started",
        "previous_target_date": target.isoformat(),
    }
    return _event(reviews.ACTION_UPDATED, p, rid, data)


def action_overdue(p: str, rid: str, aid: str, owner: str, target: date) -> Envelope:
    data = {
        **_action(rid, aid, owner, "not-started", target),
        "as_of": (target + timedelta(days=3)).isoformat(),
        "days_overdue": 3,
    }
    return _event(reviews.ACTION_OVERDUE, p, rid, data)


# --- training ---------------------------------------------------------------------------------


def enrolment(
    p: str, learner: str, course: str, org: str, fmt: str, completed: bool
) -> list[Envelope]:
    base = {
        "learner_id": learner,
        "organisation": org,
        "sector": training.sector_of_organisation(Organisation(org)).value,
        "course_id": course,
        "course_format": fmt,
        "theme": "child-protection",
        "multi_agency": True,
        "enrolled_at": T0.isoformat(),
        "channel": "kafka",
        "statement_id": None,
    }
    events = [_event(training.ENROLLED, p, learner, base)]
    if completed:
        done = {
            **base,
            "completed_at": (T0 + timedelta(days=2)).isoformat(),
            "inferred_enrolment": False,
            "passed": None,
        }
        events.append(_event(training.COMPLETED, p, learner, done))
    return events


def workforce(p: str, org: str, headcount: int, at: datetime | None = None) -> Envelope:
    data = {
        "organisation": org,
        "sector": training.sector_of_organisation(Organisation(org)).value,
        "financial_year": "2020-21",
        "headcount": headcount,
    }
    e = _event(training.WORKFORCE_REPORTED, p, org, data)
    return e.model_copy(update={"time": at}) if at is not None else e
