"""Reviews events: commands from the business unit and what reviews publishes."""

from __future__ import annotations

from pydantic import Field

from shared.contracts import EventData, event

OPEN_REQUESTED = "pulse.reviews.review.open-requested.v1"
OPENED = "pulse.reviews.review.opened.v1"


@event(
    OPEN_REQUESTED,
    service="reviews",
    direction="inbound",
    topic="reviews_inbound",
    summary="The business unit opens a review (placeholder shape).",
)
class ReviewOpenRequested(EventData):
    review_id: str = Field(min_length=1, max_length=64)
    kind: str = Field(min_length=1, max_length=32)


@event(
    OPENED,
    service="reviews",
    direction="canonical",
    topic="reviews_events",
    summary="A review was opened.",
)
class ReviewOpened(EventData):
    review_id: str
    kind: str
