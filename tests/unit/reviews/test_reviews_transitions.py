"""Every lifecycle command against every kind of review in every stage it can reach: the
allowed ones move it on, the rest are refused with Conflict and change nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from services.reviews import domain
from shared.codes import ReviewKind
from shared.contracts import reviews as c
from shared.contracts.reviews import ReviewStage
from shared.rejections import Conflict, Rejected
from tests.unit.reviews.review_factories import (
    DAY,
    in_stage,
    open_cmd,
    opened,
    recommendation,
    rr_completion,
)

Command = Callable[[domain.Review], domain.Outcome]
COMMANDS: dict[str, Command] = {
    "notify": lambda r: domain.record_notification(
        r, c.RecordNotification(review_id="r1", notified_on=DAY)
    ),
    "complete-rapid-review": lambda r: domain.complete_rapid_review(r, rr_completion()),
    "publish": lambda r: domain.publish_report(
        r, c.PublishReport(review_id="r1", published_on=DAY)
    ),
    "complete-audit": lambda r: domain.complete_audit(
        r, c.CompleteAudit(review_id="r1", completed_on=DAY)
    ),
    "close": lambda r: domain.close_review(r, c.CloseReview(review_id="r1", closed_on=DAY)),
    "recommend": lambda r: domain.record_recommendation(r, recommendation("9.1")),
}
PUBLISHED = {ReviewKind.LCSPR, ReviewKind.SCR, ReviewKind.JOINT_DHR}
AUDITS = {ReviewKind.MACA, ReviewKind.MATA, ReviewKind.SECTION_11_AUDIT}
END = {ReviewKind.SIN: ReviewStage.NOTIFIED, ReviewKind.RAPID_REVIEW: ReviewStage.COMPLETED}
END |= dict.fromkeys(PUBLISHED, ReviewStage.PUBLISHED) | dict.fromkeys(
    AUDITS, ReviewStage.COMPLETED
)


def allowed(command: str, kind: ReviewKind, stage: ReviewStage) -> ReviewStage | None:
    """The stage the command leads to, or None when it must be refused."""
    is_open = stage is ReviewStage.OPEN
    if command == "notify":
        return ReviewStage.NOTIFIED if kind is ReviewKind.SIN and is_open else None
    if command == "complete-rapid-review":
        return ReviewStage.COMPLETED if kind is ReviewKind.RAPID_REVIEW and is_open else None
    if command == "publish":
        return ReviewStage.PUBLISHED if kind in PUBLISHED and is_open else None
    if command == "complete-audit":
        return ReviewStage.COMPLETED if kind in AUDITS and is_open else None
    if command == "close":
        return ReviewStage.CLOSED if stage is END[kind] else None
    # recommendations: any review with an action plan (not a SIN) until it is closed
    return stage if kind is not ReviewKind.SIN and stage is not ReviewStage.CLOSED else None


CASES = [
    (command, kind, stage)
    for command in COMMANDS
    for kind in ReviewKind
    for stage in (ReviewStage.OPEN, END[kind], ReviewStage.CLOSED)
]


@pytest.mark.parametrize(("command", "kind", "stage"), CASES)
def test_lifecycle_command(command: str, kind: ReviewKind, stage: ReviewStage) -> None:
    review = in_stage(kind, stage)
    before = review.model_dump()
    expected = allowed(command, kind, stage)
    if expected is None:
        with pytest.raises(Conflict) as refused:
            COMMANDS[command](review)
        assert refused.value.status == 409
        assert review.model_dump() == before  # nothing changed
    else:
        outcome = COMMANDS[command](review)
        assert outcome.review.stage is expected
        assert outcome.events
        assert review.model_dump() == before  # the old state is not mutated either


def test_close_stage_change_event_has_no_clock() -> None:
    done = in_stage(ReviewKind.RAPID_REVIEW, ReviewStage.COMPLETED)
    [(type_, event)] = COMMANDS["close"](done).events
    assert type_ == c.STAGE_CHANGED
    assert isinstance(event, c.ReviewStageChanged)
    assert (event.previous_stage, event.stage, event.clock, event.within_target) == (
        ReviewStage.COMPLETED,
        ReviewStage.CLOSED,
        None,
        None,
    )


def test_dates_before_the_clock_started_are_rejected() -> None:
    sin = opened(ReviewKind.SIN, aware_on=date(2024, 6, 7))
    with pytest.raises(Rejected) as bad:
        domain.record_notification(
            sin, c.RecordNotification(review_id="r1", notified_on=date(2024, 6, 6))
        )
    assert (bad.value.reason, bad.value.status) == ("invalid-date", 422)


# -- opening and linking ----------------------------------------------------------------------


def test_rapid_review_takes_its_clock_from_the_notified_sin_and_links_back() -> None:
    sin = in_stage(ReviewKind.SIN, ReviewStage.NOTIFIED)
    cmd = open_cmd(ReviewKind.RAPID_REVIEW, "rr1", origin_review_ids=["r1"])
    outcome = domain.open_review(cmd, "glos", {"r1": sin})
    assert outcome.review.notified_on == DAY
    assert outcome.review.origin_review_ids == ["r1"]
    [linked] = outcome.linked
    assert linked.follow_up_review_ids == ["rr1"]


def test_rapid_review_of_a_sin_not_yet_notified_is_refused() -> None:
    sin = opened(ReviewKind.SIN)
    cmd = open_cmd(ReviewKind.RAPID_REVIEW, "rr1", origin_review_ids=["r1"])
    with pytest.raises(Conflict, match="not been notified"):
        domain.open_review(cmd, "glos", {"r1": sin})


def test_lcspr_needs_rapid_reviews_that_decided_one() -> None:
    no = domain.complete_rapid_review(
        opened(ReviewKind.RAPID_REVIEW, "rr1"), rr_completion("rr1", lcspr=False)
    ).review
    yes = domain.complete_rapid_review(
        opened(ReviewKind.RAPID_REVIEW, "rr2"), rr_completion("rr2", date(2024, 3, 25))
    ).review
    still_open = opened(ReviewKind.RAPID_REVIEW, "rr3")
    for origin in (no, still_open):
        cmd = open_cmd(ReviewKind.LCSPR, "l1", origin_review_ids=[origin.review_id])
        with pytest.raises(Conflict, match="has not decided"):
            domain.open_review(cmd, "glos", {origin.review_id: origin})
    cmd = open_cmd(ReviewKind.LCSPR, "l1", origin_review_ids=["rr2"])
    outcome = domain.open_review(cmd, "glos", {"rr2": yes})
    assert outcome.review.decided_on == date(2024, 3, 25)  # the clock runs from the decision
    assert outcome.linked[0].follow_up_review_ids == ["l1"]


def test_thematic_lcspr_follows_several_rapid_reviews_from_the_latest_decision() -> None:
    origins = {
        rid: domain.complete_rapid_review(
            opened(ReviewKind.RAPID_REVIEW, rid), rr_completion(rid, on)
        ).review
        for rid, on in (("rr1", date(2024, 3, 20)), ("rr2", date(2024, 4, 2)))
    }
    cmd = open_cmd(ReviewKind.LCSPR, "l1", origin_review_ids=["rr1", "rr2"])
    outcome = domain.open_review(cmd, "glos", dict(origins))
    assert outcome.review.decided_on == date(2024, 4, 2)
    assert sorted(r.review_id for r in outcome.linked) == ["rr1", "rr2"]


def test_a_rapid_review_leads_to_one_lcspr_only() -> None:
    rr = domain.complete_rapid_review(opened(ReviewKind.RAPID_REVIEW, "rr1"), rr_completion("rr1"))
    linked = rr.review.model_copy(update={"follow_up_review_ids": ["l1"]})
    cmd = open_cmd(ReviewKind.LCSPR, "l2", origin_review_ids=["rr1"])
    with pytest.raises(Conflict, match="already led to LCSPR l1"):
        domain.open_review(cmd, "glos", {"rr1": linked})
    # ...but opening l1 again from it is the same link (a redelivery), not a second one.
    again = domain.open_review(
        open_cmd(ReviewKind.LCSPR, "l1", origin_review_ids=["rr1"]), "glos", {"rr1": linked}
    )
    assert again.linked[0].follow_up_review_ids == ["l1"]


@pytest.mark.parametrize(
    ("origin", "problem"),
    [
        (None, "does not exist"),
        ("other-partnership", "another partnership"),
        ("wrong-kind", "follows a SIN"),
    ],
)
def test_bad_origins_are_refused(origin: str | None, problem: str) -> None:
    found: dict[str, Any] = {
        None: None,
        "other-partnership": in_stage(ReviewKind.SIN, ReviewStage.NOTIFIED).model_copy(
            update={"partnership": "elsewhere"}
        ),
        "wrong-kind": opened(ReviewKind.MACA),
    }
    cmd = open_cmd(ReviewKind.RAPID_REVIEW, "rr1", origin_review_ids=["r1"])
    with pytest.raises(Conflict, match=problem):
        domain.open_review(cmd, "glos", {"r1": found[origin]})
