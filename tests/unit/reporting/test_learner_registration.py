"""A learner first seen in a completion (registered implicitly) and then registered by the
learning platform is a registered learner, whichever of the two events reporting sees first:
the completion often comes over xAPI before the registration on Kafka, dated days later."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

from services.reporting.fact_state import FactState, stored
from services.reporting.facts import facts_of
from shared.contracts.training import REGISTERED, SOURCE, LearnerRegistered
from shared.events import new_event

REGISTERED_AT = datetime(2026, 6, 1, 9, tzinfo=UTC)
COMPLETED_AT = datetime(2026, 6, 4, 9, tzinfo=UTC)


def _registered(event_id: str, at: datetime, *, implicit: bool, organisation: str) -> list[object]:
    data = LearnerRegistered(
        learner_id="l0001",
        organisation=organisation,
        sector="education" if organisation == "education" else "health",
        registered_at=at,
        implicit=implicit,
    )
    envelope = new_event(
        id=event_id,
        type=REGISTERED,
        source=SOURCE,
        partnership="p1",
        subject="l0001",
        time=at,
        data=data.model_dump(mode="json"),
    )
    return [stored("p1", u) for u in facts_of(envelope, data)]


def test_the_platforms_registration_wins_over_an_implicit_one_in_any_order() -> None:
    implicit = _registered("by-completion", COMPLETED_AT, implicit=True, organisation="acute-trust")
    explicit = _registered("by-platform", REGISTERED_AT, implicit=False, organisation="education")
    for order in itertools.permutations([implicit, explicit]):
        state = FactState()
        for updates in order:
            state.apply(updates)
        [learner] = state.year("p1", "2026-27")["learners"]
        assert learner["implicit"] is False
        assert learner["organisation"] == "education"


def test_among_the_platforms_registrations_the_newest_wins() -> None:
    first = _registered("reg-1", REGISTERED_AT, implicit=False, organisation="education")
    moved = _registered("reg-2", COMPLETED_AT, implicit=False, organisation="acute-trust")
    for order in itertools.permutations([first, moved]):
        state = FactState()
        for updates in order:
            state.apply(updates)
        [learner] = state.year("p1", "2026-27")["learners"]
        assert learner["organisation"] == "acute-trust"
