"""Assurance events owned by reviews (the partnership's assurance and audit owner): section 11
and section 175 safeguarding self-assessment returns, and the child death (CDOP) and ALTE
review cases the partnership oversees.

Inbound commands arrive on `reviews_inbound` (Kafka) or over HTTP (`POST /assurance/events`)
and go through the inbound policy like every other command: identifiers in closed formats,
codes instead of free text, dates bounded. Reviews records each one and publishes a canonical
event (`source` = "pulse/reviews", id derived from the command's id) on `reviews_events`.

Seeds: the annual report 2020/21 ("The four s11 standards assessed for the S11 audit are: ...";
"the annual Section 175 ... Safeguarding Audit was sent out to all educational settings ...
(933 settings in total)", "100% return rate"; "There were a total of 32 child deaths ...
11 Unexpected ... 4 Expected ... 17 Neonatal"; "Gloucestershire reviewed six cases for ALTE").
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated

from pydantic import Field, field_validator, model_validator

from shared.contracts import EventData, event
from shared.contracts.training import FinancialYear, check_financial_year
from shared.inbound_policy import Identifier, OccurredOn

SOURCE = "pulse/reviews"

# Inbound (commands)
AUDIT_REQUESTED = "pulse.reviews.assurance-audit.requested.v1"
SECTION_11_RETURN_SUBMITTED = "pulse.reviews.section-11-return.submitted.v1"
SECTION_175_RETURN_SUBMITTED = "pulse.reviews.section-175-return.submitted.v1"
CHILD_DEATH_NOTIFIED = "pulse.reviews.child-death.notified.v1"
ALTE_REVIEW_SUBMITTED = "pulse.reviews.alte-review.submitted.v1"

# Canonical
AUDIT_OPENED = "pulse.reviews.assurance-audit.opened.v1"
SECTION_11_RETURN_RECORDED = "pulse.reviews.section-11-return.recorded.v1"
SECTION_175_RETURN_RECORDED = "pulse.reviews.section-175-return.recorded.v1"
CHILD_DEATH_RECORDED = "pulse.reviews.child-death.recorded.v1"
ALTE_REVIEW_RECORDED = "pulse.reviews.alte-review.recorded.v1"

AgencyCode = Annotated[
    Identifier, Field(description="Code of the agency making the return (e.g. 'glos-police').")
]
SettingId = Annotated[
    Identifier,
    Field(description="The education setting's code (e.g. its DfE URN or the LA's own code)."),
]
CaseId = Annotated[
    Identifier,
    Field(description="The review case's id (CDOP/ALTE case reference; never a name or date)."),
]
AuditId = Annotated[Identifier, Field(description="The audit round's id, e.g. 's175-2020-21'.")]


class AssuranceAudit(StrEnum):
    """The statutory safeguarding self-assessments the partnership collects."""

    SECTION_11 = "section-11"  # Children Act 2004: partner and relevant agencies
    SECTION_175 = "section-175"  # Education Act 2002 (s175/157): education settings


class Section11Standard(StrEnum):
    """The four s11 standards assessed for the S11 audit (annual report 2020/21)."""

    LEADERSHIP_AND_ACCOUNTABILITY = "leadership-and-accountability"
    SAFE_RECRUITMENT_AND_TRAINING = "safe-recruitment-induction-training-development"
    POLICIES_AND_PROCEDURES = "policies-and-procedures"
    LISTENING_TO_CHILDREN = "listening-to-children"


class Section11Rating(StrEnum):
    """The panel's judgement of an agency's evidence against one standard."""

    MET = "met"
    PARTLY_MET = "partly-met"
    NOT_MET = "not-met"


class ChildDeathCategory(StrEnum):
    """The annual report's categories of child deaths reviewed by the CDOP."""

    UNEXPECTED = "unexpected"
    EXPECTED = "expected"
    NEONATAL = "neonatal"


class StandardRating(EventData):
    """An agency's rating against one section 11 standard."""

    standard: Section11Standard = Field(description="The section 11 standard.")
    rating: Section11Rating = Field(description="The judgement against it.")


# ---------------------------------------------------------------------------------------------
# Inbound


@event(
    AUDIT_REQUESTED,
    service="reviews",
    direction="inbound",
    topic="reviews_inbound",
    summary="The business unit sends out a section 11 or section 175 audit for a year, to a "
    "number of agencies or settings (what '% returned' is measured against).",
)
class RequestAudit(EventData):
    """An audit round. A later request for the same audit and year replaces the number asked."""

    audit_id: AuditId
    audit: AssuranceAudit = Field(description="Which self-assessment.")
    financial_year: FinancialYear
    requested_on: OccurredOn = Field(description="When the audit was sent out.")
    asked: int = Field(ge=1, le=100_000, description="Agencies or settings asked to return it.")

    _year = field_validator("financial_year")(check_financial_year)


@event(
    SECTION_11_RETURN_SUBMITTED,
    service="reviews",
    direction="inbound",
    topic="reviews_inbound",
    summary="An agency's section 11 return for a year, rated against each of the four "
    "standards. A later return from the same agency for the same year replaces it.",
)
class SubmitSection11Return(EventData):
    """A section 11 return: one rating per standard, all four standards."""

    agency: AgencyCode
    financial_year: FinancialYear
    returned_on: OccurredOn = Field(description="When the return was submitted.")
    ratings: list[StandardRating] = Field(
        min_length=4, max_length=4, description="One rating for each of the four standards."
    )

    _year = field_validator("financial_year")(check_financial_year)

    @model_validator(mode="after")
    def _each_standard_once(self) -> SubmitSection11Return:
        if {r.standard for r in self.ratings} != set(Section11Standard):
            raise ValueError("ratings: one rating for each of the four section 11 standards")
        return self


@event(
    SECTION_175_RETURN_SUBMITTED,
    service="reviews",
    direction="inbound",
    topic="reviews_inbound",
    summary="An education setting's section 175/157 safeguarding audit return for a year.",
)
class SubmitSection175Return(EventData):
    """A section 175 return. Sent again for the same setting and year, it replaces the first."""

    setting_id: SettingId
    financial_year: FinancialYear
    returned_on: OccurredOn = Field(description="When the return was submitted.")

    _year = field_validator("financial_year")(check_financial_year)


@event(
    CHILD_DEATH_NOTIFIED,
    service="reviews",
    direction="inbound",
    topic="reviews_inbound",
    summary="A child death notified to the Child Death Overview Panel (CDOP), by category.",
)
class NotifyChildDeath(EventData):
    """A child death case. Never the child's name or date of birth, nor the date of death:
    the case is placed by the date the CDOP was notified."""

    case_id: CaseId
    notified_on: OccurredOn = Field(description="When the CDOP was notified.")
    category: ChildDeathCategory = Field(description="Unexpected, expected or neonatal.")


@event(
    ALTE_REVIEW_SUBMITTED,
    service="reviews",
    direction="inbound",
    topic="reviews_inbound",
    summary="An acute life-threatening event (ALTE) case reviewed by the partnership.",
)
class SubmitAlteReview(EventData):
    """An ALTE review; `rapid_review` records whether it met the threshold for a rapid review."""

    case_id: CaseId
    reviewed_on: OccurredOn = Field(description="When the case was reviewed.")
    rapid_review: bool = Field(
        default=False, description="Whether it met the threshold for a rapid review."
    )


# ---------------------------------------------------------------------------------------------
# Canonical: the command as recorded (the same fields; `recorded_on` is reviews' own date)


class _Recorded(EventData):
    recorded_on: date = Field(description="When reviews recorded it (London date).")


@event(
    AUDIT_OPENED,
    service="reviews",
    direction="canonical",
    topic="reviews_events",
    summary="A section 11 or section 175 audit round was sent out.",
)
class AuditOpened(RequestAudit, _Recorded):
    """An audit round as recorded."""


@event(
    SECTION_11_RETURN_RECORDED,
    service="reviews",
    direction="canonical",
    topic="reviews_events",
    summary="An agency's section 11 return was recorded, with its rating per standard.",
)
class Section11ReturnRecorded(SubmitSection11Return, _Recorded):
    """A section 11 return as recorded."""


@event(
    SECTION_175_RETURN_RECORDED,
    service="reviews",
    direction="canonical",
    topic="reviews_events",
    summary="An education setting's section 175 return was recorded.",
)
class Section175ReturnRecorded(SubmitSection175Return, _Recorded):
    """A section 175 return as recorded."""


@event(
    CHILD_DEATH_RECORDED,
    service="reviews",
    direction="canonical",
    topic="reviews_events",
    summary="A child death case was recorded for the CDOP figures.",
)
class ChildDeathRecorded(NotifyChildDeath, _Recorded):
    """A child death case as recorded."""


@event(
    ALTE_REVIEW_RECORDED,
    service="reviews",
    direction="canonical",
    topic="reviews_events",
    summary="An ALTE review was recorded.",
)
class AlteReviewRecorded(SubmitAlteReview, _Recorded):
    """An ALTE review as recorded."""


INBOUND_TO_CANONICAL: dict[type[EventData], tuple[str, type[EventData]]] = {
    RequestAudit: (AUDIT_OPENED, AuditOpened),
    SubmitSection11Return: (SECTION_11_RETURN_RECORDED, Section11ReturnRecorded),
    SubmitSection175Return: (SECTION_175_RETURN_RECORDED, Section175ReturnRecorded),
    NotifyChildDeath: (CHILD_DEATH_RECORDED, ChildDeathRecorded),
    SubmitAlteReview: (ALTE_REVIEW_RECORDED, AlteReviewRecorded),
}
