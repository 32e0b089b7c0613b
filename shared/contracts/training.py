"""Training events: what the learning platform sends and what training publishes."""

from __future__ import annotations

from pydantic import Field

from shared.contracts import EventData, event

REGISTRATION = "pulse.training.learner.registration.v1"
REGISTERED = "pulse.training.learner.registered.v1"


@event(
    REGISTRATION,
    service="training",
    direction="inbound",
    topic="training_inbound",
    summary="The learning platform registers a learner (placeholder shape).",
)
class LearnerRegistration(EventData):
    learner_id: str = Field(min_length=1, max_length=64)
    organisation: str = Field(min_length=1, max_length=64)


@event(
    REGISTERED,
    service="training",
    direction="canonical",
    topic="training_events",
    summary="A learner was registered.",
)
class LearnerRegistered(EventData):
    learner_id: str
    organisation: str
