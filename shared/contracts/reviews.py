"""Reviews events: the business unit's commands and the canonical events reviews publishes.

Commands (inbound) arrive on `reviews_inbound` as CloudEvents, or over HTTP where the service
wraps the JSON body into the same model. Each names the review it is about in `review_id`
(escalation commands name `escalation_id`); when the envelope has a `subject`, it must be that
id. Canonical events go to `reviews_events` with `source` = "pulse/reviews" and `subject` = the
review id (the escalation id for escalations not tied to a review); their ids are
`derived_id(command event id, type)`, and the overdue sweep's ids derive from the action and
its target date, so a re-published event is the same event.

Canonical events repeat the facts reporting breaks metrics down by (kind, themes, age band,
stage, dates, whether a statutory clock was met, owner role and agency, target date), so no
subscriber has to call this service. Dates are calendar dates (Europe/London); working days
exclude weekends and England and Wales bank holidays.

Statutory clocks:
- SIN notification: within 5 working days of the council becoming aware;
- rapid review: completed within 15 working days of the SIN notification;
- LCSPR: published within 6 calendar months of the decision to hold it.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, BeforeValidator, Field, model_validator

from shared.codes import (
    ActionStatus,
    AgeBand,
    Agreement,
    NotAgreedReason,
    OwnerRole,
    ReviewKind,
    Theme,
)
from shared.contracts import EventData, event
from shared.inbound_policy import FreeText, Identifier, OccurredAt, OccurredOn, PlannedOn

SOURCE = "pulse/reviews"

# Inbound (commands)
OPEN_REQUESTED = "pulse.reviews.review.open-requested.v1"
NOTIFICATION_REPORTED = "pulse.reviews.notification.reported.v1"
RAPID_REVIEW_COMPLETION_REPORTED = "pulse.reviews.rapid-review.completion-reported.v1"
PUBLICATION_REPORTED = "pulse.reviews.publication.reported.v1"
AUDIT_COMPLETION_REPORTED = "pulse.reviews.audit.completion-reported.v1"
CLOSE_REQUESTED = "pulse.reviews.review.close-requested.v1"
RECOMMENDATION_SUBMITTED = "pulse.reviews.recommendation.submitted.v1"
ACTION_PLAN_SUBMITTED = "pulse.reviews.action.plan-submitted.v1"
ACTION_UPDATE_SUBMITTED = "pulse.reviews.action.update-submitted.v1"
ESCALATION_SUBMITTED = "pulse.reviews.escalation.submitted.v1"
ESCALATION_RESOLUTION_SUBMITTED = "pulse.reviews.escalation.resolution-submitted.v1"

# Canonical
OPENED = "pulse.reviews.review.opened.v1"
STAGE_CHANGED = "pulse.reviews.review.stage-changed.v1"
RECOMMENDATION_RECORDED = "pulse.reviews.recommendation.recorded.v1"
ACTION_PLANNED = "pulse.reviews.action.planned.v1"
ACTION_UPDATED = "pulse.reviews.action.updated.v1"
ACTION_COMPLETED = "pulse.reviews.action.completed.v1"
ACTION_OVERDUE = "pulse.reviews.action.overdue.v1"
CLOCK_BREACHED = "pulse.reviews.review.clock-breached.v1"
ESCALATION_RAISED = "pulse.reviews.escalation.raised.v1"
ESCALATION_RESOLVED = "pulse.reviews.escalation.resolved.v1"

# Identifiers are codes, never free text: the closed format of `shared.inbound_policy`
# (letters, digits and a few separators; never a date, an NHS number or a name).
ReviewId = Annotated[
    Identifier,
    Field(description="The review's id, unique within the service (letters, digits, _ . : -)."),
]
ActionId = Annotated[
    Identifier,
    Field(description="The action's id, unique within the service (letters, digits, _ . : -)."),
]
EscalationId = Annotated[
    Identifier, Field(description="The escalation's id, unique within the service.")
]
AgencyCode = Annotated[
    Identifier, Field(description="Code of an agency (e.g. 'gcc', 'icb', 'glos-police', 'gscp').")
]
RecommendationNumber = Annotated[
    str,
    Field(
        pattern=r"^[1-9][0-9]{0,2}(\.[1-9][0-9]{0,2})?$",
        description="The recommendation's number in the plan: '3' for a recommendation, "
        "'3.1' for its first sub-recommendation.",
    ),
]
Text = Annotated[FreeText, Field(min_length=1, max_length=4000)]


def _role_code(value: object) -> object:
    # Actions planned before owner roles became codes hold a job title as free text: it is
    # published (and read back) as 'other', so no free text reaches the topic and old events
    # still decode.
    known = {role.value for role in OwnerRole}
    return value if not isinstance(value, str) or value in known else OwnerRole.OTHER.value


PublishedOwnerRole = Annotated[OwnerRole, BeforeValidator(_role_code)]


class ReviewStage(StrEnum):
    """Where a review is in its lifecycle. Which stages a kind passes through:
    SIN open -> notified -> closed; rapid review open -> completed -> closed;
    LCSPR, SCR and joint DHR open -> published -> closed; MACA, MATA and section 11 audit
    open -> completed -> closed."""

    OPEN = "open"
    NOTIFIED = "notified"
    COMPLETED = "completed"
    PUBLISHED = "published"
    CLOSED = "closed"


class Clock(StrEnum):
    """The statutory clocks reviews keeps."""

    SIN_NOTIFICATION = "sin-notification"  # 5 working days from awareness
    RAPID_REVIEW = "rapid-review"  # 15 working days from notification
    LCSPR_PUBLICATION = "lcspr-publication"  # 6 months from the decision


# ---------------------------------------------------------------------------------------------
# Inbound


@event(
    OPEN_REQUESTED,
    service="reviews",
    direction="inbound",
    topic="reviews_inbound",
    summary="The business unit opens a review: a serious incident notification (SIN), a rapid "
    "review, an LCSPR, an SCR, a joint DHR, a multi-agency case or thematic audit, or a "
    "section 11 audit.",
)
class OpenReview(EventData):
    """A new review. A rapid review names the SIN it follows (`origin_review_ids`, whose
    notification date starts its clock) or gives `notified_on`; an LCSPR names the rapid
    review(s) that decided it (a thematic LCSPR may come from several) or gives `decided_on`.
    No personal data: the child is described by age band only."""

    review_id: ReviewId
    kind: ReviewKind = Field(description="The kind of review.")
    title: FreeText = Field(
        min_length=1, max_length=200, description="Title, e.g. 'Child X LCSPR' (no names)."
    )
    opened_on: OccurredOn = Field(description="When the review was opened.")
    themes: list[Theme] = Field(
        default_factory=list, max_length=9, description="Themes (national panel code list)."
    )
    age_band: AgeBand | None = Field(
        default=None, description="The child's age band, where the review is about one child."
    )
    independent_chair: bool = Field(
        default=False, description="Whether an independent chair leads the review."
    )
    aware_agency: AgencyCode | None = Field(
        default=None, description="SIN: the agency that became aware of the incident."
    )
    aware_on: OccurredOn | None = Field(
        default=None,
        description="SIN: when the council became aware (starts the 5-working-day clock). "
        "Required for a SIN.",
    )
    origin_review_ids: list[ReviewId] = Field(
        default_factory=list,
        max_length=20,
        description="Reviews this one follows from: the SIN of a rapid review, the rapid "
        "review(s) that decided an LCSPR. Each is linked back to this review.",
    )
    notified_on: OccurredOn | None = Field(
        default=None,
        description="Rapid review without an origin SIN: when the SIN was notified "
        "(starts the 15-working-day clock).",
    )
    decided_on: OccurredOn | None = Field(
        default=None,
        description="LCSPR: when the decision to hold it was made (starts the 6-month clock); "
        "defaults to the latest decision of its origin rapid reviews.",
    )

    @model_validator(mode="after")
    def _consistent(self) -> OpenReview:
        if len(set(self.themes)) != len(self.themes):
            raise ValueError("themes: each theme at most once")
        if self.review_id in self.origin_review_ids:
            raise ValueError("origin_review_ids: a review cannot follow from itself")
        kind = self.kind
        if kind is ReviewKind.SIN and self.aware_on is None:
            raise ValueError("aware_on: required for a SIN")
        if kind is not ReviewKind.SIN and (self.aware_on or self.aware_agency):
            raise ValueError("aware_on, aware_agency: only for a SIN")
        if self.origin_review_ids and kind not in (ReviewKind.RAPID_REVIEW, ReviewKind.LCSPR):
            raise ValueError("origin_review_ids: only a rapid review or an LCSPR follows another")
        if kind is ReviewKind.RAPID_REVIEW:
            if len(self.origin_review_ids) > 1:
                raise ValueError("origin_review_ids: a rapid review follows one SIN")
            if bool(self.origin_review_ids) == (self.notified_on is not None):
                raise ValueError("origin_review_ids or notified_on: exactly one is required")
        elif self.notified_on is not None:
            raise ValueError("notified_on: only for a rapid review")
        if kind is ReviewKind.LCSPR:
            if not self.origin_review_ids and self.decided_on is None:
                raise ValueError("origin_review_ids or decided_on: one is required")
        elif self.decided_on is not None:
            raise ValueError("decided_on: only for an LCSPR")
        return self


@event(
    NOTIFICATION_REPORTED,
    service="reviews",
    direction="inbound",
    topic="reviews_inbound",
    summary="The council notified a serious incident to the national panel (a SIN's "
    "notification; target 5 working days from awareness).",
)
class RecordNotification(EventData):
    """The SIN was notified to the Child Safeguarding Practice Review Panel."""

    review_id: ReviewId
    notified_on: OccurredOn = Field(description="When the national panel was notified.")


@event(
    RAPID_REVIEW_COMPLETION_REPORTED,
    service="reviews",
    direction="inbound",
    topic="reviews_inbound",
    summary="A rapid review was completed with its decision: an LCSPR or not, and why "
    "(target 15 working days from the notification).",
)
class CompleteRapidReview(EventData):
    """The rapid review's completion and decision."""

    review_id: ReviewId
    completed_on: OccurredOn = Field(description="When the rapid review was completed.")
    lcspr_required: bool = Field(description="Whether the rapid review decided to hold an LCSPR.")
    rationale: FreeText = Field(
        min_length=1, max_length=2000, description="Why (or why not) an LCSPR is held."
    )


@event(
    PUBLICATION_REPORTED,
    service="reviews",
    direction="inbound",
    topic="reviews_inbound",
    summary="An LCSPR, SCR or joint DHR report was published (LCSPR target: 6 months from the "
    "decision).",
)
class PublishReport(EventData):
    """Publication of a review's report."""

    review_id: ReviewId
    published_on: OccurredOn = Field(description="When the report was published.")


@event(
    AUDIT_COMPLETION_REPORTED,
    service="reviews",
    direction="inbound",
    topic="reviews_inbound",
    summary="A multi-agency case or thematic audit or a section 11 audit was completed.",
)
class CompleteAudit(EventData):
    """Completion of an audit."""

    review_id: ReviewId
    completed_on: OccurredOn = Field(description="When the audit was completed.")


@event(
    CLOSE_REQUESTED,
    service="reviews",
    direction="inbound",
    topic="reviews_inbound",
    summary="The business unit closes a review once notified, completed or published.",
)
class CloseReview(EventData):
    """Closure of a review; a closed review takes no further changes."""

    review_id: ReviewId
    closed_on: OccurredOn = Field(description="When the review was closed.")


@event(
    RECOMMENDATION_SUBMITTED,
    service="reviews",
    direction="inbound",
    topic="reviews_inbound",
    summary="A recommendation (or sub-recommendation) of a review and the partnership's "
    "agreement with it. Submitting the same number again revises it; every revision is kept.",
)
class RecordRecommendation(EventData):
    """A numbered recommendation and its agreement. A heading recommendation ('1') whose
    sub-recommendations carry the agreement may leave `agreement` empty."""

    review_id: ReviewId
    number: RecommendationNumber
    text: Text = Field(description="The recommendation as worded in the report.")
    agreement: Agreement | None = Field(
        default=None, description="Agreed, Partly Agreed or Not Agreed."
    )
    not_agreed_reason: NotAgreedReason | None = Field(
        default=None,
        description="Why not (fully) agreed: commissioning, policy, operational or "
        "affordability. Required when Not Agreed, allowed when Partly Agreed.",
    )
    recorded_on: OccurredOn = Field(description="When the plan recorded this (revision of it).")

    @model_validator(mode="after")
    def _reason(self) -> RecordRecommendation:
        if self.agreement is Agreement.NOT_AGREED and self.not_agreed_reason is None:
            raise ValueError("not_agreed_reason: required when the recommendation is not agreed")
        if self.not_agreed_reason is not None and self.agreement in (None, Agreement.AGREED):
            raise ValueError("not_agreed_reason: only when partly or not agreed")
        return self


@event(
    ACTION_PLAN_SUBMITTED,
    service="reviews",
    direction="inbound",
    topic="reviews_inbound",
    summary="An action planned in response to one or more recommendations, with its owner "
    "(role and agency), target date and status.",
)
class PlanAction(EventData):
    """A new action in a review's action plan."""

    review_id: ReviewId
    action_id: ActionId
    recommendation_numbers: list[RecommendationNumber] = Field(
        min_length=1, max_length=20, description="The recommendations this action answers."
    )
    description: Text = Field(description="The action planned.")
    owner_role: OwnerRole = Field(description="The lead owner's role (a code of the role list).")
    owner_agency: AgencyCode = Field(description="The lead owner's agency.")
    supporting_agencies: list[AgencyCode] = Field(
        default_factory=list, max_length=20, description="Other agencies sharing the action."
    )
    target_date: PlannedOn | None = Field(default=None, description="When it should be complete.")
    status: ActionStatus = Field(default=ActionStatus.NOT_STARTED, description="Its status.")
    planned_on: OccurredOn = Field(description="When the action was planned.")


@event(
    ACTION_UPDATE_SUBMITTED,
    service="reviews",
    direction="inbound",
    topic="reviews_inbound",
    summary="A dated update to an action: progress note, status, new target date or owner. "
    "Every update is kept.",
)
class UpdateAction(EventData):
    """A dated update; fields left out keep their value. A complete action takes no further
    updates."""

    review_id: ReviewId
    action_id: ActionId
    updated_on: OccurredOn = Field(description="The date of the update.")
    status: ActionStatus | None = Field(default=None, description="New status.")
    target_date: PlannedOn | None = Field(
        default=None, description="New target date (the action can become overdue again)."
    )
    owner_role: OwnerRole | None = Field(default=None, description="New lead owner's role.")
    owner_agency: AgencyCode | None = Field(default=None, description="New lead owner's agency.")
    note: Text | None = Field(default=None, description="Progress note ('Action Update').")

    @model_validator(mode="after")
    def _changes_something(self) -> UpdateAction:
        if all(
            v is None
            for v in (self.status, self.target_date, self.owner_role, self.owner_agency, self.note)
        ):
            raise ValueError("an update needs a status, target_date, owner or note")
        return self


@event(
    ESCALATION_SUBMITTED,
    service="reviews",
    direction="inbound",
    topic="reviews_inbound",
    summary="One agency escalates a concern about another (the escalation log).",
)
class RaiseEscalation(EventData):
    """An escalation of professional concern between agencies."""

    escalation_id: EscalationId
    review_id: ReviewId | None = Field(
        default=None, description="The review the escalation arose from, if any."
    )
    raised_by_agency: AgencyCode = Field(description="The agency raising the concern.")
    raised_about_agency: AgencyCode = Field(description="The agency the concern is about.")
    level: int = Field(
        ge=1, le=5, description="Escalation level (1 practitioner ... 5 partnership executive)."
    )
    subject: FreeText = Field(
        min_length=1, max_length=200, description="What the escalation is about (no names)."
    )
    raised_at: OccurredAt = Field(description="When it was raised.")

    @model_validator(mode="after")
    def _two_agencies(self) -> RaiseEscalation:
        if self.raised_by_agency == self.raised_about_agency:
            raise ValueError("raised_about_agency: an agency does not escalate about itself")
        return self


@event(
    ESCALATION_RESOLUTION_SUBMITTED,
    service="reviews",
    direction="inbound",
    topic="reviews_inbound",
    summary="An escalation was resolved.",
)
class ResolveEscalation(EventData):
    """Resolution of an open escalation."""

    escalation_id: EscalationId
    resolved_at: OccurredAt = Field(description="When it was resolved.")
    outcome: FreeText | None = Field(
        default=None, max_length=2000, description="How it was resolved."
    )


# ---------------------------------------------------------------------------------------------
# Canonical


class _ReviewFacts(EventData):
    """What every review-level canonical event repeats, for breakdowns without a call back."""

    review_id: ReviewId
    kind: ReviewKind = Field(description="The kind of review.")
    # Free text stays in reviews: the title is never published. Read (and dropped) only so
    # events published before this rule still decode.
    title: str | None = Field(default=None, exclude=True)
    themes: list[Theme] = Field(description="Themes of the review.")
    age_band: AgeBand | None = Field(description="The child's age band, where relevant.")
    stage: ReviewStage = Field(description="The review's stage after this event.")
    opened_on: date = Field(description="When the review was opened.")


class ClockFacts(EventData):
    """A statutory clock of a review."""

    clock: Clock = Field(description="Which statutory clock.")
    starts_on: date = Field(description="The date the clock runs from.")
    deadline: date = Field(description="The last day on which the target is met.")


@event(
    OPENED,
    service="reviews",
    direction="canonical",
    topic="reviews_events",
    summary="A review was opened (the customer's 'review opened').",
)
class ReviewOpened(_ReviewFacts):
    """A new review and the statutory clock it starts, if any."""

    independent_chair: bool = Field(description="Whether an independent chair leads it.")
    aware_agency: AgencyCode | None = Field(description="SIN: the agency that became aware.")
    aware_on: date | None = Field(description="SIN: when the council became aware.")
    notified_on: date | None = Field(description="Rapid review: when the SIN was notified.")
    decided_on: date | None = Field(description="LCSPR: when it was decided.")
    origin_review_ids: list[ReviewId] = Field(description="Reviews this one follows from.")
    clock: ClockFacts | None = Field(description="The statutory clock now running, if any.")


@event(
    STAGE_CHANGED,
    service="reviews",
    direction="canonical",
    topic="reviews_events",
    summary="A review moved stage: SIN notified, rapid review or audit completed, report "
    "published, review closed. Carries whether the stage's statutory clock was met.",
)
class ReviewStageChanged(_ReviewFacts):
    """A stage change and, where a statutory clock ends with it, the result."""

    previous_stage: ReviewStage = Field(description="The stage before.")
    changed_on: date = Field(description="The date of the change (notified, completed, ...).")
    clock: ClockFacts | None = Field(description="The statutory clock this stage ends, if any.")
    within_target: bool | None = Field(description="The clock's target was met (None: no clock).")
    days_taken: int | None = Field(
        description="Working days (SIN, rapid review) or calendar days (LCSPR) the clock ran."
    )
    lcspr_required: bool | None = Field(description="Rapid review: whether it decided an LCSPR.")
    follow_up_review_ids: list[ReviewId] = Field(
        description="Reviews that followed from this one (e.g. the LCSPR of a rapid review)."
    )


@event(
    RECOMMENDATION_RECORDED,
    service="reviews",
    direction="canonical",
    topic="reviews_events",
    summary="A recommendation was recorded or revised, with its agreement.",
)
class RecommendationRecorded(EventData):
    """A recommendation as now recorded (`revision` counts from 1)."""

    review_id: ReviewId
    kind: ReviewKind = Field(description="The kind of review.")
    number: RecommendationNumber
    is_sub_recommendation: bool = Field(description="A numbered sub-recommendation ('3.1').")
    agreement: Agreement | None = Field(description="Agreed, Partly Agreed or Not Agreed.")
    not_agreed_reason: NotAgreedReason | None = Field(description="Why not (fully) agreed.")
    revision: int = Field(ge=1, description="1 when first recorded, then 2, 3, ...")
    recorded_on: date = Field(description="When this revision was recorded.")


class _ActionFacts(EventData):
    """What every action-level canonical event repeats."""

    review_id: ReviewId
    kind: ReviewKind = Field(description="The kind of review the action belongs to.")
    action_id: ActionId
    recommendation_numbers: list[RecommendationNumber] = Field(
        description="The recommendations this action answers."
    )
    owner_role: PublishedOwnerRole = Field(
        description="The lead owner's role (a code of the role list)."
    )
    owner_agency: AgencyCode = Field(description="The lead owner's agency.")
    supporting_agencies: list[AgencyCode] = Field(description="Other agencies sharing it.")
    target_date: date | None = Field(description="When it should be complete.")
    status: ActionStatus = Field(description="Its status after this event.")


@event(
    ACTION_PLANNED,
    service="reviews",
    direction="canonical",
    topic="reviews_events",
    summary="An action was added to a review's action plan.",
)
class ActionPlanned(_ActionFacts):
    """A new action."""

    planned_on: date = Field(description="When it was planned.")


@event(
    ACTION_UPDATED,
    service="reviews",
    direction="canonical",
    topic="reviews_events",
    summary="An action was updated (status, target date, owner or progress note); carries "
    "the action as it now stands.",
)
class ActionUpdated(_ActionFacts):
    """An action after a dated update."""

    updated_on: date = Field(description="The date of the update.")
    previous_status: ActionStatus = Field(description="The status before.")
    previous_target_date: date | None = Field(description="The target date before.")


@event(
    ACTION_COMPLETED,
    service="reviews",
    direction="canonical",
    topic="reviews_events",
    summary="An action became complete (published together with its 'action updated').",
)
class ActionCompleted(_ActionFacts):
    """A completed action and whether it was on time."""

    completed_on: date = Field(description="When it was completed.")
    on_time: bool | None = Field(description="Completed by its target date (None: no target).")


@event(
    ACTION_OVERDUE,
    service="reviews",
    direction="canonical",
    topic="reviews_events",
    summary="An action is past its target date and not complete (the customer's 'action "
    "overdue'). Once per action per target date: a new target date can become overdue again.",
)
class ActionOverdue(_ActionFacts):
    """An overdue action; `id` derives from the action id and the target date."""

    as_of: date = Field(description="The date the sweep found it overdue.")
    days_overdue: int = Field(ge=1, description="Calendar days past the target date.")


@event(
    CLOCK_BREACHED,
    service="reviews",
    direction="canonical",
    topic="reviews_events",
    summary="A review is past a statutory deadline with its stage not reached (SIN not "
    "notified, rapid review not completed, LCSPR not published). Once per review and clock.",
)
class ReviewClockBreached(_ReviewFacts):
    """A breached statutory clock; `id` derives from the review id and the clock."""

    clock: ClockFacts = Field(description="The clock that ran out.")
    as_of: date = Field(description="The date the sweep found the breach.")


class _EscalationFacts(EventData):
    escalation_id: EscalationId
    review_id: ReviewId | None = Field(description="The review it arose from, if any.")
    raised_by_agency: AgencyCode = Field(description="The agency raising the concern.")
    raised_about_agency: AgencyCode = Field(description="The agency the concern is about.")
    level: int = Field(ge=1, le=5, description="Escalation level.")
    raised_at: AwareDatetime = Field(description="When it was raised.")


@event(
    ESCALATION_RAISED,
    service="reviews",
    direction="canonical",
    topic="reviews_events",
    summary="An agency escalated a concern about another.",
)
class EscalationRaised(_EscalationFacts):
    """A new escalation. Its subject (free text) stays in reviews."""

    # Never published; read (and dropped) only so events published before still decode.
    subject: str | None = Field(default=None, exclude=True)


@event(
    ESCALATION_RESOLVED,
    service="reviews",
    direction="canonical",
    topic="reviews_events",
    summary="An escalation was resolved, with how long it was open.",
)
class EscalationResolved(_EscalationFacts):
    """A resolved escalation."""

    resolved_at: AwareDatetime = Field(description="When it was resolved.")
    days_open: float = Field(ge=0, description="Days from raised to resolved.")
    working_days_open: int = Field(ge=0, description="Working days from raised to resolved.")


# contracts-ready
