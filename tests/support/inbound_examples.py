"""A valid example of every inbound event's `data` and of every write route's body, for fuzz
suites that start from something the services accept and change one value at a time."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import strategies as st

from shared.contracts import assurance as a
from shared.contracts import casework as cw
from shared.contracts import intake as i
from shared.contracts import reviews as r
from shared.contracts import training as t

AT = (datetime.now(UTC) - timedelta(days=20)).replace(microsecond=0)
TS = AT.isoformat()
DAY = AT.date().isoformat()
LATER = (AT + timedelta(days=2)).isoformat()

EVENT_DATA: dict[str, dict[str, Any]] = {
    i.SUBMITTED: {
        "contact_id": "c-1",
        "agency": "police",
        "source": "6",
        "channel": "vist",
        "received_at": TS,
        "child_ref": "police-000123",
        "age_years": 7,
        "factors": ["3A"],
        "consent": "obtained",
        "wishes_and_feelings_recorded": True,
    },
    i.DECISION_RECORDED: {
        "contact_id": "c-1",
        "outcome": "early-help",
        "level": 2,
        "decided_at": LATER,
    },
    i.EARLY_HELP_ALLOCATION_RECORDED: {"contact_id": "c-1", "allocated_at": LATER},
    i.VIST_SUBMITTED: {"contact_id": "c-1", "incident_at": TS, "submitted_at": LATER},
    i.ENCOMPASS_NOTIFICATION_SENT: {"contact_id": "c-1", "incident_at": TS, "notified_at": LATER},
    i.DA_INCIDENT_ATTENDED: {"contact_id": "c-1", "incident_at": TS, "attended_at": LATER},
    cw.STRATEGY_DISCUSSION_RECORDED: {"contact_id": "c-1", "held_at": LATER},
    cw.CONFERENCE_RECORDED: {"contact_id": "c-1", "held_at": LATER},
    cw.ASSESSMENT_RECORDED: {"contact_id": "c-1", "started_at": TS, "completed_at": LATER},
    a.AUDIT_REQUESTED: {
        "audit_id": "s175-2020-21",
        "audit": "section-175",
        "financial_year": "2020-21",
        "requested_on": DAY,
        "asked": 933,
    },
    a.SECTION_11_RETURN_SUBMITTED: {
        "agency": "police",
        "financial_year": "2020-21",
        "returned_on": DAY,
        "ratings": [{"standard": s.value, "rating": "met"} for s in a.Section11Standard],
    },
    a.SECTION_175_RETURN_SUBMITTED: {
        "setting_id": "urn-115678",
        "financial_year": "2020-21",
        "returned_on": DAY,
    },
    a.CHILD_DEATH_NOTIFIED: {"case_id": "cdop-21-001", "notified_on": DAY, "category": "neonatal"},
    a.ALTE_REVIEW_SUBMITTED: {"case_id": "alte-21-001", "reviewed_on": DAY, "rapid_review": False},
    r.OPEN_REQUESTED: {"review_id": "r-1", "kind": "maca", "title": "Audit", "opened_on": DAY},
    r.NOTIFICATION_REPORTED: {"review_id": "r-1", "notified_on": DAY},
    r.RAPID_REVIEW_COMPLETION_REPORTED: {
        "review_id": "r-1",
        "completed_on": DAY,
        "lcspr_required": True,
        "rationale": "Learning for the partnership",
    },
    r.PUBLICATION_REPORTED: {"review_id": "r-1", "published_on": DAY},
    r.AUDIT_COMPLETION_REPORTED: {"review_id": "r-1", "completed_on": DAY},
    r.CLOSE_REQUESTED: {"review_id": "r-1", "closed_on": DAY},
    r.RECOMMENDATION_SUBMITTED: {
        "review_id": "r-1",
        "number": "1",
        "text": "Review the thresholds",
        "agreement": "agreed",
        "recorded_on": DAY,
    },
    r.ACTION_PLAN_SUBMITTED: {
        "review_id": "r-1",
        "action_id": "a-1",
        "recommendation_numbers": ["1"],
        "description": "Audit the panel",
        "owner_role": "head-of-service",
        "owner_agency": "gcc",
        "target_date": DAY,
        "planned_on": DAY,
    },
    r.ACTION_UPDATE_SUBMITTED: {
        "review_id": "r-1",
        "action_id": "a-1",
        "updated_on": DAY,
        "status": "underway",
        "note": "On track",
    },
    r.ESCALATION_SUBMITTED: {
        "escalation_id": "x-1",
        "raised_by_agency": "gcc",
        "raised_about_agency": "icb",
        "level": 2,
        "subject": "Threshold disagreement",
        "raised_at": TS,
    },
    r.ESCALATION_RESOLUTION_SUBMITTED: {
        "escalation_id": "x-1",
        "resolved_at": LATER,
        "outcome": "Agreed",
    },
    t.COURSE_UPSERTED: {
        "course_id": "k-1",
        "title": "Neglect",
        "theme": "neglect",
        "format": "webinar",
        "multi_agency": True,
        "activity_id": "https://lms.example/course/view.php?id=1",
    },
    t.REGISTRATION_RECORDED: {
        "learner_id": "u-1",
        "organisation": "education",
        "registered_at": TS,
    },
    t.ENROLMENT_RECORDED: {
        "learner_id": "u-1",
        "course_id": "k-1",
        "organisation": "education",
        "enrolled_at": TS,
    },
    t.COMPLETION_RECORDED: {
        "learner_id": "u-1",
        "course_id": "k-1",
        "organisation": "education",
        "completed_at": LATER,
    },
    t.WITHDRAWAL_RECORDED: {
        "learner_id": "u-1",
        "course_id": "k-1",
        "withdrawn_at": LATER,
        "reason": "withdrawn",
    },
    t.WORKFORCE_RECORDED: {
        "organisation": "education",
        "financial_year": "2020-21",
        "headcount": 120,
    },
}


def envelope(event_type: str, data: Any, **attrs: Any) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": "e-1",
        "source": "agency/police",
        "type": event_type,
        "time": TS,
        "partnership": "p1",
        "data": data,
    } | attrs


STATEMENT: dict[str, Any] = {
    "actor": {"account": {"homePage": "https://lms.example", "name": "u-1"}, "name": "Learner"},
    "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
    "object": {"id": "https://lms.example/course/view.php?id=1"},
    "timestamp": TS,
}

# Values that once answered 5xx, or that the policy must refuse, plus anything Hypothesis finds.
HOSTILE_TEXT = [
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-14:00",
    "0999-03-01",
    "9999-12-31",
    "\ud800",
    "Jessica Marlowe 04/03/2015",
    "jessica.marlowe.2015-03-04",
    "943.476.5919",
    "943\u00a0476\u00a05919",
    "GL1 2AB",
    "x" * 300,
    "",
    " ",
]
hostile_scalars = st.one_of(
    st.sampled_from(HOSTILE_TEXT),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([2**63, -(2**63) - 1, 10**18, -1, 0]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.none(),
    st.booleans(),
)
hostile_values = st.recursive(
    hostile_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3)
    ),
    max_leaves=8,
)


@st.composite
def mutated(draw: st.DrawFn, template: dict[str, Any]) -> dict[str, Any]:
    """`template` with one field replaced by a hostile value, removed, or a field added."""
    body = dict(template)
    action = draw(st.sampled_from(["replace", "replace", "replace", "remove", "add"]))
    if action == "add" or not body:
        body[draw(st.text(max_size=12))] = draw(hostile_values)
    else:
        key = draw(st.sampled_from(sorted(body)))
        if action == "remove":
            del body[key]
        else:
            body[key] = draw(hostile_values)
    return body


def dumps(value: Any) -> bytes:
    """JSON as a hostile sender writes it: NaN and Infinity as bare tokens, lone surrogates
    escaped."""
    return json.dumps(value, allow_nan=True).encode()
