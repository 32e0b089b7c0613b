"""Free text (a review's title, an escalation's subject) stays in reviews: the canonical events
reporting and every other subscriber read carry none."""

from __future__ import annotations

from datetime import UTC, datetime

from services.reviews import domain
from shared.codes import ReviewKind
from shared.contracts import reviews as c
from tests.unit.reviews.review_factories import P, open_cmd


def test_a_review_opened_event_carries_no_title() -> None:
    opened = domain.open_review(open_cmd(ReviewKind.MACA, title="Audit of Child X"), P, {})
    published = [data.model_dump(mode="json") for _, data in opened.events]
    assert published
    assert all("title" not in e for e in published)
    assert opened.review.title == "Audit of Child X"  # kept by reviews itself


def test_an_escalation_raised_event_carries_no_subject() -> None:
    cmd = c.RaiseEscalation(
        escalation_id="x-1",
        raised_by_agency="gcc",
        raised_about_agency="icb",
        level=2,
        subject="Threshold disagreement",
        raised_at=datetime(2024, 3, 1, 10, tzinfo=UTC),
    )
    escalation, event = domain.raise_escalation(cmd, P)
    assert "subject" not in event.model_dump(mode="json")
    assert escalation.subject == "Threshold disagreement"


def test_events_published_before_the_rule_still_decode() -> None:
    old = c.EscalationRaised.model_validate(
        {
            "escalation_id": "x-1",
            "review_id": None,
            "raised_by_agency": "gcc",
            "raised_about_agency": "icb",
            "level": 2,
            "raised_at": "2024-03-01T10:00:00Z",
            "subject": "an old subject",
        }
    )
    assert "subject" not in old.model_dump(mode="json")


def test_an_owner_role_recorded_as_a_job_title_before_is_published_as_other() -> None:
    old = c.ActionOverdue.model_validate(
        {
            "review_id": "r1",
            "kind": "lcspr",
            "action_id": "a1",
            "recommendation_numbers": ["1"],
            "owner_role": "Interim Assistant Director Commissioning",
            "owner_agency": "gcc",
            "supporting_agencies": [],
            "target_date": "2024-03-31",
            "status": "underway",
            "as_of": "2024-04-02",
            "days_overdue": 2,
        }
    )
    assert old.owner_role == "other"
