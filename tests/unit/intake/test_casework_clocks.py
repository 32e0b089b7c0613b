"""The clocks after a referral, as PRODUCT.md states them ('Clocks (England)'):

    | initial child protection conference | within 15 working days of the strategy discussion |
    | assessment | within 45 working days of referral |

Working days exclude weekends and England and Wales bank holidays."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

import pytest

from services.intake import casework, domain
from services.intake.domain import ContactFile
from shared import inbound_policy
from shared.contracts.casework import (
    ASSESSMENT_COMPLETED,
    CONFERENCE_HELD,
    STRATEGY_DISCUSSION_HELD,
    AssessmentRecorded,
    ConferenceRecorded,
    StrategyDiscussionRecorded,
)
from shared.contracts.intake import ContactSubmitted
from shared.rejections import Rejected
from tests.unit.intake.factories import at, contact

NOW = at(2026, 12, 10, 12)
SKEW = timedelta(minutes=5)
MODELS: dict[str, Any] = {
    "contact": ContactSubmitted,
    "strategy": StrategyDiscussionRecorded,
    "conference": ConferenceRecorded,
    "assessment": AssessmentRecorded,
}


@pytest.fixture(autouse=True)
def _policy_clock_at_now(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inbound_policy, "_today", lambda: NOW.date())


def _record(file: ContactFile, kind: str, data: dict[str, Any]) -> ContactFile:
    return domain.record(
        file,
        event_id=f"e-{kind}",
        partnership="glos",
        data=MODELS[kind].model_validate(data),
        now=NOW,
        skew=SKEW,
    )


def test_icpc_within_15_working_days_of_the_strategy_discussion() -> None:
    """ "initial child protection conference | within 15 working days of the strategy
    discussion": from Monday 9 November 2026 the 15th working day is Monday 30 November."""
    strategy = at(2026, 11, 9, 10)
    on_time = casework.icpc_clock(strategy, at(2026, 11, 30, 16))
    late = casework.icpc_clock(strategy, at(2026, 12, 1, 9))
    assert (on_time.within_target, on_time.working_days) == (True, 15)
    assert (late.within_target, late.working_days) == (False, 16)


def test_icpc_clock_skips_christmas_bank_holidays() -> None:
    """Working days exclude bank holidays: from Monday 14 December 2026, Christmas Day, the
    Boxing Day substitute (Monday 28th) and New Year's Day do not count, so the 15th working
    day is Thursday 7 January 2027."""
    strategy = at(2026, 12, 14, 11)
    assert casework.icpc_clock(strategy, at(2027, 1, 7, 17)).within_target
    assert not casework.icpc_clock(strategy, at(2027, 1, 8, 9)).within_target


def test_assessment_within_45_working_days_of_referral() -> None:
    """ "assessment | within 45 working days of referral": a contact received on Monday
    9 November 2026 has until the end of Thursday 14 January 2027."""
    referred = at(2026, 11, 9, 10)
    assert casework.assessment_clock(referred, at(2027, 1, 14, 18)).within_target
    late = casework.assessment_clock(referred, at(2027, 1, 15, 9))
    assert (late.within_target, late.working_days) == (False, 46)


STEPS = [
    ("contact", contact(received_at=at(2026, 11, 9, 10).isoformat())),
    ("strategy", {"contact_id": "c-1", "held_at": at(2026, 11, 10, 14).isoformat()}),
    ("conference", {"contact_id": "c-1", "held_at": at(2026, 12, 2, 10).isoformat()}),
    (
        "assessment",
        {
            "contact_id": "c-1",
            "started_at": at(2026, 11, 10, 9).isoformat(),
            "completed_at": at(2026, 12, 4, 15).isoformat(),
        },
    ),
]


@pytest.mark.parametrize("order", list(itertools.permutations(range(4)))[::5])
def test_conference_and_assessment_clocks_follow_from_the_file_in_any_order(
    order: tuple[int, ...],
) -> None:
    """The strategy discussion starts the ICPC clock and the referral the assessment's,
    whatever order the front door's events arrive in."""
    file = ContactFile(contact_id="c-1")
    for i in order:
        file = _record(file, *STEPS[i])
    events = {o.type: o.data for o in domain.canonical_events(file)}
    conference = events[CONFERENCE_HELD]  # Tuesday 10 November -> Wednesday 2 December
    assert (conference.within_target, conference.working_days_taken) == (False, 16)
    assessment = events[ASSESSMENT_COMPLETED]
    assert (assessment.within_target, assessment.working_days_taken) == (True, 19)
    assert STRATEGY_DISCUSSION_HELD in events


def test_a_conference_waits_for_its_strategy_discussion_and_contact() -> None:
    file = _record(ContactFile(contact_id="c-1"), *STEPS[2])
    assert domain.canonical_events(file) == []
    file = _record(file, *STEPS[0])
    assert CONFERENCE_HELD not in {o.type for o in domain.canonical_events(file)}


def test_a_conference_before_its_strategy_discussion_is_refused() -> None:
    file = _record(ContactFile(contact_id="c-1"), *STEPS[1])
    with pytest.raises(Rejected) as refused:
        _record(file, "conference", {"contact_id": "c-1", "held_at": at(2026, 11, 9).isoformat()})
    assert refused.value.reason == "impossible-time"


def test_a_future_assessment_is_refused() -> None:
    later = (NOW + timedelta(days=1)).isoformat()
    with pytest.raises(Rejected) as refused:
        _record(
            ContactFile(contact_id="c-1"),
            "assessment",
            {"contact_id": "c-1", "completed_at": later},
        )
    assert refused.value.reason == "impossible-time"
