"""The action tracker across reviews (QiiP's view): actions by status, overdue actions by
owner and agency, completion per review, recommendations by agreement. Pure functions over
review states, so the HTTP query and the tests compute it the same way.

Each action carries the tracker's RAG as at the day asked (`shared.action_tracker`: red
overdue, amber due within four weeks or without a target date, green complete or on
track), the same rule reporting applies as at each period's end."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date
from typing import Any

from services.reviews.domain import Review, is_overdue
from shared.action_tracker import ActionRag, action_rag
from shared.codes import ActionStatus, Agreement

NOT_STATED = "not-stated"


def _has_subs(review: Review, number: str) -> bool:
    return any(r.number.startswith(number + ".") for r in review.recommendations)


def tracker(reviews: Sequence[Review], as_of: date) -> dict[str, Any]:
    by_status: Counter[str] = Counter({s.value: 0 for s in ActionStatus})
    by_agreement: Counter[str] = Counter({a.value: 0 for a in Agreement} | {NOT_STATED: 0})
    by_rag: Counter[str] = Counter({r.value: 0 for r in ActionRag})
    overdue: list[dict[str, Any]] = []
    rag_per_action: list[dict[str, Any]] = []
    completion: list[dict[str, Any]] = []
    unanswered: list[dict[str, str]] = []
    for review in sorted(reviews, key=lambda r: r.review_id):
        answered = {n for a in review.actions for n in a.recommendation_numbers}
        for rec in review.recommendations:
            # A heading whose sub-recommendations carry the agreement is not counted twice.
            if _has_subs(review, rec.number):
                continue
            by_agreement[rec.agreement.value if rec.agreement else NOT_STATED] += 1
            if rec.agreement is not Agreement.NOT_AGREED and rec.number not in answered:
                unanswered.append({"review_id": review.review_id, "number": rec.number})
        complete = 0
        late = 0
        review_rag: Counter[str] = Counter({r.value: 0 for r in ActionRag})
        for action in review.actions:
            by_status[action.status.value] += 1
            rag = action_rag(action.status, action.target_date, as_of).value
            by_rag[rag] += 1
            review_rag[rag] += 1
            rag_per_action.append(
                {
                    "review_id": review.review_id,
                    "action_id": action.action_id,
                    "owner_role": action.owner_role,
                    "owner_agency": action.owner_agency,
                    "status": action.status.value,
                    "target_date": action.target_date.isoformat() if action.target_date else None,
                    "rag": rag,
                }
            )
            complete += action.status is ActionStatus.COMPLETE
            if is_overdue(action, as_of):
                late += 1
                assert action.target_date is not None
                overdue.append(
                    {
                        "review_id": review.review_id,
                        "action_id": action.action_id,
                        "owner_role": action.owner_role,
                        "owner_agency": action.owner_agency,
                        "status": action.status.value,
                        "target_date": action.target_date.isoformat(),
                        "days_overdue": (as_of - action.target_date).days,
                    }
                )
        total = len(review.actions)
        completion.append(
            {
                "review_id": review.review_id,
                "kind": review.kind.value,
                "title": review.title,
                "stage": review.stage.value,
                "actions": total,
                "complete": complete,
                "overdue": late,
                "percent_complete": round(100 * complete / total, 1) if total else None,
                "rag": dict(review_rag),
            }
        )
    by_owner = Counter((o["owner_role"], o["owner_agency"]) for o in overdue)
    return {
        "as_of": as_of.isoformat(),
        "reviews": len(reviews),
        "actions": sum(by_status.values()),
        "actions_by_status": dict(by_status),
        "recommendations_by_agreement": dict(by_agreement),
        "overdue_actions": overdue,
        "overdue_by_owner": [
            {"owner_role": role, "owner_agency": agency, "overdue": n}
            for (role, agency), n in sorted(by_owner.items())
        ],
        "overdue_by_agency": dict(sorted(Counter(o["owner_agency"] for o in overdue).items())),
        "completion_by_review": completion,
        "actions_by_rag": dict(by_rag),
        "action_rag": rag_per_action,
        "recommendations_without_actions": unanswered,
    }
