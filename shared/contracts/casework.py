"""What the council front door records after a referral, for the statutory clocks that follow
it (PRODUCT.md, 'Clocks (England)'):

- initial child protection conference (ICPC): within 15 working days of the strategy
  discussion;
- assessment: within 45 working days of referral (the contact's receipt).

Inbound events arrive on `intake_inbound` (Kafka) or `POST /events` like every other contact
event, name the contact in `contact_id` and go through the inbound policy (identifiers in
closed formats, no free text, times between 2000 and tomorrow). Intake records each in the
contact's file and publishes the canonical event once the contact (and, for the conference,
its strategy discussion) is known, with the clock worked out in working days (weekends and
England and Wales bank holidays excluded).
"""

from __future__ import annotations

from pydantic import AwareDatetime, Field

from shared.contracts import EventData, event
from shared.contracts.intake import AgencyCode, ContactId
from shared.inbound_policy import OccurredAt

# Inbound
STRATEGY_DISCUSSION_RECORDED = "pulse.intake.strategy-discussion.recorded.v1"
CONFERENCE_RECORDED = "pulse.intake.child-protection-conference.recorded.v1"
ASSESSMENT_RECORDED = "pulse.intake.assessment.recorded.v1"

# Canonical
STRATEGY_DISCUSSION_HELD = "pulse.intake.strategy-discussion.held.v1"
CONFERENCE_HELD = "pulse.intake.child-protection-conference.held.v1"
ASSESSMENT_COMPLETED = "pulse.intake.assessment.completed.v1"

ICPC_TARGET_WORKING_DAYS = 15
ASSESSMENT_TARGET_WORKING_DAYS = 45


@event(
    STRATEGY_DISCUSSION_RECORDED,
    service="intake",
    direction="inbound",
    topic="intake_inbound",
    summary="The council front door records a strategy discussion (S47) held about a contact.",
)
class StrategyDiscussionRecorded(EventData):
    """A strategy discussion: when it was held. Starts the ICPC clock."""

    contact_id: ContactId
    held_at: OccurredAt = Field(description="When the strategy discussion was held.")


@event(
    CONFERENCE_RECORDED,
    service="intake",
    direction="inbound",
    topic="intake_inbound",
    summary="The council front door records the initial child protection conference (ICPC) "
    "held after a strategy discussion.",
)
class ConferenceRecorded(EventData):
    """An initial child protection conference: when it was held."""

    contact_id: ContactId
    held_at: OccurredAt = Field(description="When the ICPC was held.")


@event(
    ASSESSMENT_RECORDED,
    service="intake",
    direction="inbound",
    topic="intake_inbound",
    summary="The council front door records a completed social care assessment of a referral.",
)
class AssessmentRecorded(EventData):
    """A completed assessment (the clock runs from the referral, the contact's receipt)."""

    contact_id: ContactId
    started_at: OccurredAt | None = Field(
        default=None, description="When the assessment started, if known."
    )
    completed_at: OccurredAt = Field(description="When the assessment was completed.")


class _Clocked(EventData):
    contact_id: ContactId
    agency: AgencyCode
    deadline: AwareDatetime = Field(description="End of the last working day within target.")
    within_target: bool = Field(description="Held or completed by the deadline.")
    working_days_taken: int = Field(
        ge=0, description="Working days after the clock's start day up to the day it stopped."
    )


@event(
    STRATEGY_DISCUSSION_HELD,
    service="intake",
    direction="canonical",
    topic="intake_events",
    summary="A strategy discussion was held about a received contact; starts the 15-working-day "
    "ICPC clock.",
)
class StrategyDiscussionHeld(EventData):
    """A strategy discussion about a received contact."""

    contact_id: ContactId
    agency: AgencyCode
    received_at: AwareDatetime = Field(description="When the front door received the contact.")
    held_at: AwareDatetime = Field(description="When the strategy discussion was held.")
    icpc_deadline: AwareDatetime = Field(description="End of the 15th working day after it.")


@event(
    CONFERENCE_HELD,
    service="intake",
    direction="canonical",
    topic="intake_events",
    summary="An initial child protection conference was held; carries the working days since "
    "the strategy discussion against the 15-working-day target.",
)
class ConferenceHeld(_Clocked):
    """An ICPC and its clock."""

    strategy_discussion_at: AwareDatetime = Field(description="When the strategy discussion was.")
    held_at: AwareDatetime = Field(description="When the ICPC was held.")


@event(
    ASSESSMENT_COMPLETED,
    service="intake",
    direction="canonical",
    topic="intake_events",
    summary="A social care assessment was completed; carries the working days since referral "
    "against the 45-working-day target.",
)
class AssessmentCompleted(_Clocked):
    """A completed assessment and its clock."""

    referred_at: AwareDatetime = Field(description="The referral: when the contact was received.")
    completed_at: AwareDatetime = Field(description="When the assessment was completed.")
