"""Training rules, free of Kafka, HTTP and MongoDB: what a registration, an enrolment, a
completion or a withdrawal does to a learner's enrolment on a course, and which canonical
event it raises.

An enrolment is a learner on one *occurrence* of a course: occurrences of one (learner,
course) are numbered 1, 2, ... in the order they start. Safeguarding training is refreshed
(the annual report counts "number of times the e-learning courses/virtual courses have been
accessed and completed"), so a learner who takes a course again after finishing it is a new
enrolment and, once done, a new completion. The rules, for the learner's latest occurrence
of the course:

- an enrolment while that occurrence is still open (enrolled), or dated no later than its
  end (a late-arriving enrolment of an occurrence already completed or withdrawn), is a
  duplicate and raises nothing; dated after a completion or a withdrawal, it starts the
  next occurrence;
- a completion attaches to the open (latest uncompleted) occurrence; with none open, it
  repeats the latest completion when it falls in the same financial year (the platform's
  "completed" then "passed" for one attempt), and otherwise is a new occurrence whose
  enrolment is inferred, flagged and dated at the completion (the platform may have
  enrolled the learner before the integration started, or sent no enrolment for a
  refresher); a completion with no occurrence at all is inferred the same way;
- a withdrawal ends the open occurrence; it repeats a withdrawal already recorded, and is
  refused when there is nothing open to withdraw from.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from shared.codes import Organisation, Sector, TrainingFormat
from shared.contracts import EventData
from shared.contracts.training import (
    Channel,
    CompletionRecorded,
    CourseCompleted,
    CourseEnrolled,
    CourseTheme,
    CourseUpserted,
    EnrolmentRecorded,
    EnrolmentWithdrawn,
    LearnerRegistered,
    RegistrationRecorded,
    WithdrawalReason,
    WithdrawalRecorded,
    financial_year_of,
    sector_of_organisation,
)
from shared.rejections import Conflict, Rejected


@dataclass(frozen=True)
class Course:
    """A course of the catalogue."""

    course_id: str
    title: str
    theme: CourseTheme
    format: TrainingFormat
    multi_agency: bool
    activity_id: str | None = None

    @classmethod
    def from_event(cls, upserted: CourseUpserted) -> Course:
        return cls(
            course_id=upserted.course_id,
            title=upserted.title,
            theme=upserted.theme,
            format=upserted.format,
            multi_agency=upserted.multi_agency,
            activity_id=upserted.activity_id,
        )


@dataclass(frozen=True)
class Learner:
    """A pseudonymous learner and where they work."""

    learner_id: str
    organisation: Organisation
    sector: Sector
    registered_at: datetime
    implicit: bool = False

    def registered_event(self) -> LearnerRegistered:
        return LearnerRegistered(
            learner_id=self.learner_id,
            organisation=self.organisation,
            sector=self.sector,
            registered_at=self.registered_at,
            implicit=self.implicit,
        )


def register(fact: RegistrationRecorded) -> Learner:
    """A registration from the platform: it sets (or changes) the learner's organisation."""
    return Learner(
        learner_id=fact.learner_id,
        organisation=fact.organisation,
        sector=fact.sector or sector_of_organisation(fact.organisation),
        registered_at=fact.registered_at,
    )


def learner_for(
    learner_id: str,
    known: Learner | None,
    organisation: Organisation | None,
    sector: Sector | None,
    at: datetime,
) -> Learner:
    """The learner an enrolment or completion is about: organisation and sector given with the
    fact win over the registration's; a learner never seen before is registered implicitly."""
    if organisation is None:
        if known is None:
            raise Rejected(
                "unknown-learner",
                f"learner {learner_id!r} is not registered and no organisation was given: "
                "register the learner first or send the organisation with the event",
            )
        return known if sector is None else replace(known, sector=sector)
    if sector is None:
        same = known is not None and known.organisation == organisation
        sector = (
            known.sector if same and known is not None else sector_of_organisation(organisation)
        )
    if known is None:
        return Learner(learner_id, organisation, sector, registered_at=at, implicit=True)
    return replace(known, organisation=organisation, sector=sector)


class Status(StrEnum):
    ENROLLED = "enrolled"
    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"


class Outcome(StrEnum):
    """What a fact did to an enrolment (kept in the enrolment's history)."""

    ENROLLED = "enrolled"
    COMPLETED = "completed"
    COMPLETED_INFERRED = "completed-with-inferred-enrolment"
    WITHDRAWN = "withdrawn"
    DUPLICATE = "duplicate"


@dataclass(frozen=True)
class Cause:
    """Where a fact came from: its inbound event id or xAPI statement id, and the channel."""

    id: str
    channel: Channel
    statement_id: str | None = None


@dataclass(frozen=True)
class Enrolment:
    """A learner on one occurrence of a course. Organisation, sector and the course's format
    and theme are those at enrolment, so later changes do not move past enrolments between
    table cells."""

    learner_id: str
    course_id: str
    organisation: Organisation
    sector: Sector
    course_format: TrainingFormat
    theme: CourseTheme
    multi_agency: bool
    status: Status
    enrolled_at: datetime
    inferred_enrolment: bool
    channel: Channel
    statement_id: str | None = None
    completed_at: datetime | None = None
    passed: bool | None = None
    withdrawn_at: datetime | None = None
    withdrawal_reason: WithdrawalReason | None = None
    occurrence: int = 1

    @property
    def ended_at(self) -> datetime | None:
        """When the occurrence was completed or withdrawn from (None while open)."""
        if self.status is Status.COMPLETED:
            return self.completed_at
        if self.status is Status.WITHDRAWN:
            return self.withdrawn_at
        return None

    def _common(self) -> dict[str, object]:
        return {
            "learner_id": self.learner_id,
            "occurrence": self.occurrence,
            "organisation": self.organisation,
            "sector": self.sector,
            "course_id": self.course_id,
            "course_format": self.course_format,
            "theme": self.theme,
            "multi_agency": self.multi_agency,
            "enrolled_at": self.enrolled_at,
            "channel": self.channel,
            "statement_id": self.statement_id,
        }


@dataclass(frozen=True)
class Step:
    """The occurrence a fact was about as it now stands, what happened, and the canonical
    event to publish (none for a duplicate)."""

    enrolment: Enrolment
    outcome: Outcome
    event: EventData | None


def after(past: Sequence[Enrolment], step: Step) -> tuple[Enrolment, ...]:
    """The occurrences of a (learner, course), oldest first, once `step` is applied."""
    changed = step.enrolment
    kept = [e for e in past if e.occurrence != changed.occurrence]
    return tuple(sorted([*kept, changed], key=lambda e: e.occurrence))


def _new(
    course: Course,
    learner: Learner,
    at: datetime,
    cause: Cause,
    *,
    inferred: bool,
    occurrence: int,
) -> Enrolment:
    return Enrolment(
        learner_id=learner.learner_id,
        course_id=course.course_id,
        organisation=learner.organisation,
        sector=learner.sector,
        course_format=course.format,
        theme=course.theme,
        multi_agency=course.multi_agency,
        status=Status.ENROLLED,
        enrolled_at=at,
        inferred_enrolment=inferred,
        channel=cause.channel,
        statement_id=cause.statement_id,
        occurrence=occurrence,
    )


def _latest(past: Sequence[Enrolment]) -> Enrolment | None:
    return max(past, key=lambda e: e.occurrence) if past else None


def enrol(
    past: Sequence[Enrolment],
    fact: EnrolmentRecorded,
    course: Course,
    learner: Learner,
    cause: Cause,
) -> Step:
    """`past`: the learner's occurrences of the course so far (any order)."""
    latest = _latest(past)
    if latest is not None:
        ended = latest.ended_at
        if ended is None or fact.enrolled_at <= ended:
            return Step(latest, Outcome.DUPLICATE, None)
    occurrence = latest.occurrence + 1 if latest is not None else 1
    enrolment = _new(
        course, learner, fact.enrolled_at, cause, inferred=False, occurrence=occurrence
    )
    return Step(enrolment, Outcome.ENROLLED, CourseEnrolled.model_validate(enrolment._common()))


def _open_for_completion(latest: Enrolment | None, at: datetime) -> Enrolment | bool | None:
    """The occurrence a completion at `at` completes: the latest if open (or withdrawn in the
    same financial year); None for a new, inferred occurrence; False for a duplicate."""
    if latest is None:
        return None
    if latest.status is Status.ENROLLED:
        return latest
    ended = latest.ended_at
    same_year = ended is not None and financial_year_of(ended) == financial_year_of(at)
    if latest.status is Status.WITHDRAWN:
        return latest if same_year else None
    return False if same_year else None


def complete(
    past: Sequence[Enrolment],
    fact: CompletionRecorded,
    course: Course,
    learner: Learner,
    cause: Cause,
) -> Step:
    """`past`: the learner's occurrences of the course so far (any order)."""
    latest = _latest(past)
    target = _open_for_completion(latest, fact.completed_at)
    if target is False:
        assert latest is not None
        return Step(latest, Outcome.DUPLICATE, None)
    current = target if isinstance(target, Enrolment) else None
    inferred = current is None
    if current is not None:
        occurrence = current.occurrence
    else:
        occurrence = latest.occurrence + 1 if latest is not None else 1
    base = current or _new(
        course, learner, fact.completed_at, cause, inferred=True, occurrence=occurrence
    )
    enrolment = replace(
        base,
        status=Status.COMPLETED,
        completed_at=fact.completed_at,
        passed=fact.passed,
        withdrawn_at=None,
        withdrawal_reason=None,
        channel=cause.channel,
        statement_id=cause.statement_id,
    )
    event = CourseCompleted.model_validate(
        {
            **enrolment._common(),
            "completed_at": fact.completed_at,
            "inferred_enrolment": enrolment.inferred_enrolment,
            "passed": fact.passed,
        }
    )
    return Step(enrolment, Outcome.COMPLETED_INFERRED if inferred else Outcome.COMPLETED, event)


def withdraw(past: Sequence[Enrolment], fact: WithdrawalRecorded, cause: Cause) -> Step:
    """`past`: the learner's occurrences of the course so far (any order)."""
    where = f"learner {fact.learner_id!r} on course {fact.course_id!r}"
    current = _latest(past)
    if current is None:
        raise Conflict(f"no enrolment of {where} to withdraw")
    if current.status is Status.WITHDRAWN:
        return Step(current, Outcome.DUPLICATE, None)
    if current.status is Status.COMPLETED:
        raise Conflict(f"the enrolment of {where} is already completed")
    enrolment = replace(
        current,
        status=Status.WITHDRAWN,
        withdrawn_at=fact.withdrawn_at,
        withdrawal_reason=fact.reason,
        channel=cause.channel,
        statement_id=cause.statement_id,
    )
    event = EnrolmentWithdrawn.model_validate(
        {**enrolment._common(), "withdrawn_at": fact.withdrawn_at, "reason": fact.reason}
    )
    return Step(enrolment, Outcome.WITHDRAWN, event)


def completion_rate(enrolments: int, completions: int) -> float | None:
    """Completions per enrolment, as the learning platform reports it (None without any)."""
    if enrolments == 0:
        return None
    return round(completions / enrolments, 4)
