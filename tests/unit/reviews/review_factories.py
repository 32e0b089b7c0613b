"""Commands and review states for the reviews unit tests."""

from __future__ import annotations

from datetime import date
from typing import Any

from services.reviews import domain
from shared.codes import ActionStatus, Agreement, ReviewKind
from shared.contracts import reviews as c
from shared.contracts.reviews import ReviewStage

P = "glos"


def open_cmd(kind: ReviewKind, review_id: str = "r1", **fields: Any) -> c.OpenReview:
    base: dict[str, Any] = {
        "review_id": review_id,
        "kind": kind,
        "title": f"{kind} under test",
        "opened_on": date(2024, 3, 1),
    }
    if kind is ReviewKind.SIN:
        base |= {"aware_on": date(2024, 3, 1), "aware_agency": "gcc"}
    if kind is ReviewKind.RAPID_REVIEW and "origin_review_ids" not in fields:
        base["notified_on"] = date(2024, 3, 5)
    if kind is ReviewKind.LCSPR and "origin_review_ids" not in fields:
        base["decided_on"] = date(2024, 3, 1)
    return c.OpenReview(**(base | fields))


def opened(kind: ReviewKind, review_id: str = "r1", **fields: Any) -> domain.Review:
    return domain.open_review(open_cmd(kind, review_id, **fields), P, {}).review


def in_stage(kind: ReviewKind, stage: ReviewStage) -> domain.Review:
    """A review of `kind` brought to `stage` through the domain's own transitions."""
    review = opened(kind)
    if stage is ReviewStage.OPEN:
        return review
    review = end_stage(review)
    if stage is ReviewStage.CLOSED:
        review = domain.close_review(review, c.CloseReview(review_id="r1", closed_on=DAY)).review
    assert review.stage is stage
    return review


DAY = date(2024, 3, 20)


def end_stage(review: domain.Review) -> domain.Review:
    kind = review.kind
    rid = review.review_id
    if kind is ReviewKind.SIN:
        return domain.record_notification(
            review, c.RecordNotification(review_id=rid, notified_on=DAY)
        ).review
    if kind is ReviewKind.RAPID_REVIEW:
        return domain.complete_rapid_review(review, rr_completion(rid)).review
    if kind in domain.PUBLISHED_KINDS:
        return domain.publish_report(
            review, c.PublishReport(review_id=rid, published_on=DAY)
        ).review
    return domain.complete_audit(review, c.CompleteAudit(review_id=rid, completed_on=DAY)).review


def rr_completion(
    review_id: str = "r1", on: date = DAY, *, lcspr: bool = True
) -> c.CompleteRapidReview:
    return c.CompleteRapidReview(
        review_id=review_id, completed_on=on, lcspr_required=lcspr, rationale="learning"
    )


def recommendation(
    number: str = "1.1", agreement: Agreement | None = Agreement.AGREED, **fields: Any
) -> c.RecordRecommendation:
    return c.RecordRecommendation(
        review_id=fields.pop("review_id", "r1"),
        number=number,
        text=f"recommendation {number}",
        agreement=agreement,
        recorded_on=fields.pop("recorded_on", date(2024, 3, 2)),
        **fields,
    )


def plan(action_id: str = "a1", numbers: tuple[str, ...] = ("1.1",), **fields: Any) -> c.PlanAction:
    base: dict[str, Any] = {
        "review_id": "r1",
        "action_id": action_id,
        "recommendation_numbers": list(numbers),
        "description": "do the thing",
        "owner_role": "head-of-quality",
        "owner_agency": "gcc",
        "target_date": date(2024, 6, 30),
        "planned_on": date(2024, 3, 3),
    }
    return c.PlanAction(**(base | fields))


def update(action_id: str = "a1", **fields: Any) -> c.UpdateAction:
    base: dict[str, Any] = {
        "review_id": "r1",
        "action_id": action_id,
        "updated_on": date(2024, 4, 1),
    }
    return c.UpdateAction(**(base | fields))


def with_action(
    status: ActionStatus = ActionStatus.NOT_STARTED, kind: ReviewKind = ReviewKind.LCSPR
) -> domain.Review:
    review = opened(kind)
    review = domain.record_recommendation(review, recommendation()).review
    return domain.plan_action(review, plan(status=status)).review
