"""Training events: what the learning platform sends and what training publishes.

Inbound events arrive on `training_inbound` (Kafka); the same facts also arrive as xAPI
statements over HTTP (`POST /xapi/statements`), which training maps onto these models. A
learner is a pseudonymous id issued by the learning platform with an organisation and a
sector: never a name or an email address.

Canonical events go to `training_events` with `subject` = learner id and `source` =
"pulse/training"; their ids are derived from the inbound event or xAPI statement that caused
them (`derived_id(cause_id, type)`), so a re-published event is the same event. Every
canonical enrolment event carries the learner's organisation and sector and the course's
format, theme and multi-agency flag, so a subscriber can count them without asking training.

An enrolment is one *occurrence* of a course for a learner (`occurrence` 1, 2, ...): a
refresher taken after a completion is a new enrolment and a new completion. Subscribers key
enrolments by (learner, course, occurrence). Which period an enrolment and its completion
count in is `counted_at` below, the one definition training's `/totals` and reporting share.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, Field, field_validator

from shared.codes import Organisation, Sector, TrainingFormat
from shared.contracts import EventData, event
from shared.inbound_policy import ID_PATTERN as POLICY_ID_PATTERN
from shared.inbound_policy import (
    FreeText,
    Identifier,
    OccurredAt,
    check_financial_year_window,
)
from shared.workdays import LONDON

SOURCE = "pulse/training"

# Inbound (from the learning platform)
COURSE_UPSERTED = "pulse.training.course.upserted.v1"
REGISTRATION_RECORDED = "pulse.training.registration.recorded.v1"
ENROLMENT_RECORDED = "pulse.training.enrolment.recorded.v1"
COMPLETION_RECORDED = "pulse.training.completion.recorded.v1"
WITHDRAWAL_RECORDED = "pulse.training.withdrawal.recorded.v1"
WORKFORCE_RECORDED = "pulse.training.workforce.recorded.v1"

# Canonical (published by training)
REGISTERED = "pulse.training.learner.registered.v1"
ENROLLED = "pulse.training.course.enrolled.v1"
COMPLETED = "pulse.training.course.completed.v1"
WITHDRAWN = "pulse.training.enrolment.withdrawn.v1"
WORKFORCE_REPORTED = "pulse.training.workforce.reported.v1"

# Identifiers are codes, never free text: the closed format of `shared.inbound_policy`
# (letters, digits and a few separators; never a date, an NHS number or a name).
ID_PATTERN = POLICY_ID_PATTERN
LearnerId = Annotated[
    Identifier,
    Field(
        description="The learning platform's pseudonymous id for the learner (letters, digits, "
        "_ . : -); never a name or an email address.",
    ),
]
CourseId = Annotated[
    Identifier,
    Field(
        description="The course's id in the partnership's catalogue (letters, digits, _ . : -).",
    ),
]
Time = AwareDatetime
InTime = OccurredAt  # inbound: between 2000-01-01 and the end of tomorrow
FinancialYear = Annotated[
    str,
    Field(
        pattern=r"^\d{4}-\d{2}$",
        description="The financial year, April to March, e.g. 2020-21.",
        examples=["2020-21"],
    ),
]


def financial_year_of(moment: datetime) -> str:
    """The financial year (April to March, England's local time) `moment` falls in."""
    day = moment.astimezone(LONDON).date()
    start = day.year if day.month >= 4 else day.year - 1
    return f"{start}-{(start + 1) % 100:02d}"


def counted_at(enrolled_at: datetime) -> datetime:
    """When an enrolment counts, and with it its completion or withdrawal: at its start.

    The one definition of the training figures' periods, used by training's `/totals` and by
    reporting's scorecards alike. The annual report counts by the courses *started* in the
    year and gives the completion rate of those starts: "In total 9658 eLearning courses were
    started during the period with a completion rate of 80%", where the completion rate is the
    "number of staff starting and fully completing the course". So a completion counts in
    the period in which its enrolment started (a course started in March and finished in
    April is one of March's starts, completed), and the completion rate of a period is the
    share of its starts that were completed: never above 100%. A refresher is a new
    enrolment (a new occurrence), so it counts in the year it was started again.
    """
    return enrolled_at


def check_financial_year(value: str) -> str:
    start, end = int(value[:4]), int(value[5:])
    if (start + 1) % 100 != end:
        raise ValueError(f"not a financial year (e.g. {start}-{(start + 1) % 100:02d})")
    return check_financial_year_window(value)


class CourseTheme(StrEnum):
    """What a course is about: the safeguarding curriculum's themes (the rapid-review themes
    of `shared.codes.Theme`, plus the curriculum's own)."""

    CHILD_PROTECTION = "child-protection"
    NEGLECT = "neglect"
    DOMESTIC_ABUSE = "domestic-abuse"
    CHILD_SEXUAL_EXPLOITATION = "child-sexual-exploitation"
    CHILD_SEXUAL_ABUSE = "child-sexual-abuse"
    CRIMINAL_EXPLOITATION = "criminal-exploitation"
    RISK_OUTSIDE_THE_HOME = "risk-outside-the-home"
    MENTAL_HEALTH = "mental-health"
    COMPLEX_NEEDS = "complex-needs"
    VULNERABLE_BABIES = "vulnerable-babies"
    ONLINE_SAFETY = "online-safety"
    THRESHOLDS = "thresholds"
    SAFEGUARDING_IN_EDUCATION = "safeguarding-in-education"
    OTHER = "other"


class WithdrawalReason(StrEnum):
    """Why an enrolment ended without a completion."""

    WITHDRAWN = "withdrawn"
    NO_SHOW = "no-show"


class Channel(StrEnum):
    """How the fact reached training."""

    KAFKA = "kafka"
    XAPI = "xapi"
    HTTP = "http"  # the service's own routes (workforce headcounts)


# The sector an organisation of the training tables belongs to, used when an event names the
# organisation only. (A candidate for shared/codes.py next to `sector_of_source`.)
SECTOR_OF_ORGANISATION: dict[Organisation, Sector] = {
    Organisation.DISTRICTS: Sector.LOCAL_AUTHORITY,
    Organisation.CCG_GPS: Sector.HEALTH,
    Organisation.EARLY_YEARS: Sector.EDUCATION,
    Organisation.EDUCATION: Sector.EDUCATION,
    Organisation.COUNTY_COUNCIL: Sector.LOCAL_AUTHORITY,
    Organisation.ACUTE_TRUST: Sector.HEALTH,
    Organisation.COMMUNITY_HEALTH_TRUST: Sector.HEALTH,
    Organisation.PROSPECTS: Sector.OTHER,
    Organisation.VOLUNTARY: Sector.VOLUNTARY,
    Organisation.CONSTABULARY: Sector.POLICE,
}


def sector_of_organisation(organisation: Organisation) -> Sector:
    return SECTOR_OF_ORGANISATION[organisation]


# ---------------------------------------------------------------------------------------------
# Inbound


@event(
    COURSE_UPSERTED,
    service="training",
    direction="inbound",
    topic="training_inbound",
    summary="The learning platform adds a course to the catalogue or changes one "
    "(also possible over HTTP: PUT /courses/{id}).",
)
class CourseUpserted(EventData):
    """A course of the multi-agency curriculum. Replaces the previous description of the same
    course; enrolments already recorded keep the format and theme they were made under."""

    course_id: CourseId
    title: FreeText = Field(min_length=1, max_length=200, description="The course title.")
    theme: CourseTheme = Field(description="What the course is about.")
    format: TrainingFormat = Field(description="How the course is delivered.")
    multi_agency: bool = Field(
        description="True for a multi-agency course, false for a single-agency one."
    )
    activity_id: FreeText | None = Field(
        default=None,
        min_length=1,
        max_length=512,
        description="The xAPI activity IRI the learning platform uses for this course "
        "(e.g. Moodle's https://lms.example/course/view.php?id=12); statements whose "
        "object.id is this IRI are about this course.",
    )


@event(
    REGISTRATION_RECORDED,
    service="training",
    direction="inbound",
    topic="training_inbound",
    summary="The learning platform registers a learner (a practitioner with an account).",
)
class RegistrationRecorded(EventData):
    """A learner registered on the learning platform, with the organisation they work for."""

    learner_id: LearnerId
    organisation: Organisation = Field(description="The organisation the learner works for.")
    sector: Sector | None = Field(
        default=None, description="The learner's sector; when omitted, the organisation's."
    )
    registered_at: InTime = Field(description="When the learner registered.")


class _LearnerOnCourse(EventData):
    learner_id: LearnerId
    course_id: CourseId


class _OptionalLearnerFacts(EventData):
    organisation: Organisation | None = Field(
        default=None,
        description="The learner's organisation, when the platform sends it with the event; "
        "otherwise the one of the learner's registration. One of the two is required.",
    )
    sector: Sector | None = Field(
        default=None,
        description="The learner's sector; when omitted, from the learner's registration or "
        "the organisation.",
    )


@event(
    ENROLMENT_RECORDED,
    service="training",
    direction="inbound",
    topic="training_inbound",
    summary="A learner enrols on (starts) a course of the catalogue.",
)
class EnrolmentRecorded(_OptionalLearnerFacts, _LearnerOnCourse):
    """An enrolment: for eLearning, the course was started; for a virtual classroom, face to
    face or webinar, the learner booked a place."""

    enrolled_at: InTime = Field(description="When the learner enrolled.")


@event(
    COMPLETION_RECORDED,
    service="training",
    direction="inbound",
    topic="training_inbound",
    summary="A learner completes a course. Accepted without an earlier enrolment: the "
    "enrolment is then inferred and flagged.",
)
class CompletionRecorded(_OptionalLearnerFacts, _LearnerOnCourse):
    """A completion: the eLearning was finished, or the learner attended the session."""

    completed_at: InTime = Field(description="When the learner completed the course.")
    passed: bool | None = Field(
        default=None, description="True when the course has an assessment and it was passed."
    )


@event(
    WITHDRAWAL_RECORDED,
    service="training",
    direction="inbound",
    topic="training_inbound",
    summary="A learner withdraws from a course, or did not attend a booked session.",
)
class WithdrawalRecorded(_LearnerOnCourse):
    """The end of an enrolment without a completion. Refused for an unknown enrolment."""

    withdrawn_at: InTime = Field(description="When the withdrawal or no-show was recorded.")
    reason: WithdrawalReason = Field(description="Withdrawn by the learner, or a no-show.")


@event(
    WORKFORCE_RECORDED,
    service="training",
    direction="inbound",
    topic="training_inbound",
    summary="How many practitioners an organisation has in a financial year (from its "
    "section 11 return): what training representation is measured against.",
)
class WorkforceRecorded(EventData):
    """An organisation's workforce headcount for a year. A later record for the same
    organisation and year replaces it."""

    organisation: Organisation = Field(description="The organisation counted.")
    financial_year: FinancialYear
    headcount: int = Field(
        ge=1, le=1_000_000, description="Practitioners in the organisation's workforce."
    )

    _year = field_validator("financial_year")(check_financial_year)


# ---------------------------------------------------------------------------------------------
# Canonical


@event(
    REGISTERED,
    service="training",
    direction="canonical",
    topic="training_events",
    summary="A learner is known to training: registered on the platform, or first seen "
    "enrolling or completing (then `implicit`). Count distinct subjects for registered "
    "learners.",
)
class LearnerRegistered(EventData):
    """A learner and the organisation and sector they belong to. Published again when a
    registration changes the organisation."""

    learner_id: LearnerId
    organisation: Organisation = Field(description="The organisation the learner works for.")
    sector: Sector = Field(description="The learner's sector.")
    registered_at: Time = Field(
        description="When the learner registered (or was first seen, when implicit)."
    )
    implicit: bool = Field(
        default=False,
        description="True when no registration was received: the learner was first seen in an "
        "enrolment or completion.",
    )


class _Enrolment(EventData):
    """What every canonical enrolment event says about the learner and the course."""

    learner_id: LearnerId
    occurrence: int = Field(
        default=1,
        ge=1,
        le=1000,
        description="Which time the learner takes the course: 1 for the first enrolment, 2 "
        "for the first refresher after a completion or withdrawal, and so on. An enrolment is "
        "identified by (learner_id, course_id, occurrence).",
    )
    organisation: Organisation = Field(description="The learner's organisation.")
    sector: Sector = Field(description="The learner's sector.")
    course_id: CourseId
    course_format: TrainingFormat = Field(description="How the course is delivered.")
    theme: CourseTheme = Field(description="What the course is about.")
    multi_agency: bool = Field(description="True for a multi-agency course.")
    enrolled_at: Time = Field(
        description="When the learner enrolled (the completion time when the enrolment is "
        "inferred)."
    )
    channel: Channel = Field(description="How the fact reached training: Kafka or xAPI.")
    statement_id: str | None = Field(
        default=None, description="The xAPI statement id, when the fact came as a statement."
    )


@event(
    ENROLLED,
    service="training",
    direction="canonical",
    topic="training_events",
    summary="A learner enrolled on a course. Not published for an enrolment already inferred "
    "from a completion (the completion carries it).",
)
class CourseEnrolled(_Enrolment):
    """One enrolment: count these, plus completions with `inferred_enrolment`, for the
    enrolments by organisation and format."""


@event(
    COMPLETED,
    service="training",
    direction="canonical",
    topic="training_events",
    summary="A learner completed a course (the customer's 'course completed').",
)
class CourseCompleted(_Enrolment):
    """A completion of one occurrence. When `inferred_enrolment` is true no enrolment had been
    received (the platform may have enrolled the learner before the integration started, or
    sent no enrolment for a refresher): the enrolment is counted from this event, with
    `enrolled_at` = `completed_at`. It counts in the period of `enrolled_at` (`counted_at`)."""

    completed_at: Time = Field(description="When the learner completed the course.")
    inferred_enrolment: bool = Field(
        description="True when the enrolment was not received but inferred from this completion."
    )
    passed: bool | None = Field(
        default=None, description="True when an assessment was passed (xAPI verb 'passed')."
    )


@event(
    WITHDRAWN,
    service="training",
    direction="canonical",
    topic="training_events",
    summary="A learner's enrolment ended without a completion: withdrawn or a no-show.",
)
class EnrolmentWithdrawn(_Enrolment):
    """The end of an enrolment without a completion."""

    withdrawn_at: Time = Field(description="When the withdrawal or no-show was recorded.")
    reason: WithdrawalReason = Field(description="Withdrawn by the learner, or a no-show.")


@event(
    WORKFORCE_REPORTED,
    service="training",
    direction="canonical",
    topic="training_events",
    summary="An organisation's workforce headcount for a financial year (subject = the "
    "organisation); the newest one per organisation and year counts.",
)
class WorkforceReported(EventData):
    """The denominator of training representation: learners from the organisation who took a
    course, against its workforce."""

    organisation: Organisation = Field(description="The organisation counted.")
    sector: Sector = Field(description="The organisation's sector.")
    financial_year: FinancialYear
    headcount: int = Field(ge=1, description="Practitioners in the organisation's workforce.")


# contracts-ready
