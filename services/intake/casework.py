"""The clocks after a referral (PRODUCT.md, 'Clocks (England)'), free of Kafka and MongoDB:

- "initial child protection conference | within 15 working days of the strategy discussion";
- "assessment | within 45 working days of referral" (the referral: the contact's receipt).

A clock is met when the conference is held, or the assessment completed, by the end of the
n-th working day after the (London) day the clock started; working days exclude weekends and
England and Wales bank holidays (`shared.workdays`). The contact file records the strategy
discussion, the conference and the assessment in their own slots (see `domain.SLOTS`); the
canonical events follow from the whole file, so arrival order does not matter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from shared.contracts.casework import (
    ASSESSMENT_COMPLETED,
    ASSESSMENT_TARGET_WORKING_DAYS,
    CONFERENCE_HELD,
    ICPC_TARGET_WORKING_DAYS,
    STRATEGY_DISCUSSION_HELD,
    AssessmentCompleted,
    ConferenceHeld,
    StrategyDiscussionHeld,
)
from shared.events import derived_id
from shared.rejections import Rejected
from shared.workdays import local_date, working_day_deadline, working_days_between

if TYPE_CHECKING:
    from services.intake.domain import ContactFile, Outgoing

SLOT_NAMES = ("strategy_discussion", "conference", "assessment")


@dataclass(frozen=True)
class Clock:
    deadline: datetime
    within_target: bool
    working_days: int


def working_day_clock(start: datetime, stop: datetime, target_days: int) -> Clock:
    """Met when `stop` falls before the end of the `target_days`-th working day after the day
    of `start` (London time)."""
    deadline = working_day_deadline(start, target_days)
    return Clock(
        deadline=deadline,
        within_target=stop < deadline,
        working_days=working_days_between(local_date(start), local_date(stop)),
    )


def icpc_clock(strategy_discussion_at: datetime, held_at: datetime) -> Clock:
    """ICPC within 15 working days of the strategy discussion."""
    return working_day_clock(strategy_discussion_at, held_at, ICPC_TARGET_WORKING_DAYS)


def assessment_clock(referred_at: datetime, completed_at: datetime) -> Clock:
    """Assessment within 45 working days of referral."""
    return working_day_clock(referred_at, completed_at, ASSESSMENT_TARGET_WORKING_DAYS)


def _impossible(detail: str) -> Rejected:
    return Rejected("impossible-time", detail)


def check_times(file: ContactFile, now: datetime, skew: timedelta) -> None:
    """Nothing in the future; a conference not before its strategy discussion; a strategy
    discussion or an assessment not before the contact's receipt."""
    received = file.contact.data.received_at if file.contact else None
    strategy = file.strategy_discussion.data.held_at if file.strategy_discussion else None
    moments: list[tuple[str, datetime | None, str, datetime | None]] = [
        ("strategy discussion held_at", strategy, "received_at", received),
    ]
    if file.conference:
        moments.append(
            (
                "conference held_at",
                file.conference.data.held_at,
                "the strategy discussion",
                strategy,
            )
        )
    if file.assessment:
        a = file.assessment.data
        moments.append(("completed_at", a.completed_at, "received_at", received))
        moments.append(("completed_at", a.completed_at, "started_at", a.started_at))
        moments.append(("started_at", a.started_at, "received_at", received))
    for label, later, earlier_label, earlier in moments:
        if later is None:
            continue
        if later > now + skew:
            raise _impossible(f"{label}: {later.isoformat()} is in the future")
        if earlier is not None and later < earlier - skew:
            raise _impossible(
                f"{label}: {later.isoformat()} is before {earlier_label} {earlier.isoformat()}"
            )


def canonical_events(file: ContactFile, outgoing: type[Outgoing]) -> list[Outgoing]:
    """The canonical events of the file's casework slots (each once its contact is known)."""
    out: list[Outgoing] = []
    contact = file.contact
    if contact is None:
        return out
    c = contact.data
    strategy = file.strategy_discussion
    if strategy is not None:
        s = strategy.data
        out.append(
            outgoing(
                STRATEGY_DISCUSSION_HELD,
                derived_id(strategy.event_id, STRATEGY_DISCUSSION_HELD),
                s.held_at,
                StrategyDiscussionHeld(
                    contact_id=c.contact_id,
                    agency=c.agency,
                    received_at=c.received_at,
                    held_at=s.held_at,
                    icpc_deadline=working_day_deadline(s.held_at, ICPC_TARGET_WORKING_DAYS),
                ),
                frozenset({contact.event_id, strategy.event_id}),
            )
        )
        if file.conference is not None:
            held = file.conference.data.held_at
            clock = icpc_clock(s.held_at, held)
            out.append(
                outgoing(
                    CONFERENCE_HELD,
                    derived_id(file.conference.event_id, CONFERENCE_HELD),
                    held,
                    ConferenceHeld(
                        **_clocked(c, clock),
                        strategy_discussion_at=s.held_at,
                        held_at=held,
                    ),
                    frozenset({contact.event_id, strategy.event_id, file.conference.event_id}),
                )
            )
    if file.assessment is not None:
        done = file.assessment.data.completed_at
        clock = assessment_clock(c.received_at, done)
        out.append(
            outgoing(
                ASSESSMENT_COMPLETED,
                derived_id(file.assessment.event_id, ASSESSMENT_COMPLETED),
                done,
                AssessmentCompleted(
                    **_clocked(c, clock), referred_at=c.received_at, completed_at=done
                ),
                frozenset({contact.event_id, file.assessment.event_id}),
            )
        )
    return out


def _clocked(c: Any, clock: Clock) -> dict[str, Any]:
    return {
        "contact_id": c.contact_id,
        "agency": c.agency,
        "deadline": clock.deadline,
        "within_target": clock.within_target,
        "working_days_taken": clock.working_days,
    }
