"""Training's rules: learners, enrolments, completions (with inferred enrolments) and
withdrawals, and the canonical events each raises."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from services.training import domain
from services.training.domain import Cause, Course, Learner, Outcome, Status
from shared.codes import Organisation, Sector, TrainingFormat
from shared.contracts.training import (
    Channel,
    CompletionRecorded,
    CourseCompleted,
    CourseEnrolled,
    CourseTheme,
    EnrolmentRecorded,
    EnrolmentWithdrawn,
    RegistrationRecorded,
    WithdrawalReason,
    WithdrawalRecorded,
    sector_of_organisation,
)
from shared.rejections import Rejected

T0 = datetime(2020, 9, 1, 9, tzinfo=UTC)
COURSE = Course(
    "cp-virtual", "CP", CourseTheme.CHILD_PROTECTION, TrainingFormat.VIRTUAL_CLASSROOM, True
)
LEARNER = Learner("l-1", Organisation.EDUCATION, Sector.EDUCATION, T0)
KAFKA = Cause("e-1", Channel.KAFKA)


def enrolment(at: datetime = T0) -> EnrolmentRecorded:
    return EnrolmentRecorded(learner_id="l-1", course_id="cp-virtual", enrolled_at=at)


def completion(at: datetime = T0 + timedelta(days=2), **kw: object) -> CompletionRecorded:
    return CompletionRecorded(learner_id="l-1", course_id="cp-virtual", completed_at=at, **kw)


def withdrawal(reason: WithdrawalReason = WithdrawalReason.NO_SHOW) -> WithdrawalRecorded:
    return WithdrawalRecorded(
        learner_id="l-1", course_id="cp-virtual", withdrawn_at=T0 + timedelta(days=1), reason=reason
    )


def test_an_enrolment_carries_what_reporting_counts_by() -> None:
    step = domain.enrol((), enrolment(), COURSE, LEARNER, KAFKA)
    assert step.outcome is Outcome.ENROLLED
    assert isinstance(step.event, CourseEnrolled)
    assert step.event.organisation is Organisation.EDUCATION
    assert step.event.sector is Sector.EDUCATION
    assert step.event.course_format is TrainingFormat.VIRTUAL_CLASSROOM
    assert step.event.theme is CourseTheme.CHILD_PROTECTION
    assert step.event.multi_agency is True
    assert step.event.enrolled_at == T0


def test_a_second_enrolment_on_the_same_course_is_a_duplicate_and_raises_nothing() -> None:
    first = domain.enrol((), enrolment(), COURSE, LEARNER, KAFKA)
    again = domain.enrol(
        (first.enrolment,), enrolment(T0 + timedelta(days=5)), COURSE, LEARNER, KAFKA
    )
    assert again.outcome is Outcome.DUPLICATE
    assert again.event is None
    assert again.enrolment.enrolled_at == T0


def test_a_completion_after_an_enrolment_is_not_inferred() -> None:
    enrolled = domain.enrol((), enrolment(), COURSE, LEARNER, KAFKA).enrolment
    step = domain.complete(
        (enrolled,), completion(passed=True), COURSE, LEARNER, Cause("e-2", Channel.KAFKA)
    )
    assert step.outcome is Outcome.COMPLETED
    assert isinstance(step.event, CourseCompleted)
    assert step.event.inferred_enrolment is False
    assert step.event.enrolled_at == T0
    assert step.event.passed is True
    assert step.enrolment.status is Status.COMPLETED


def test_a_completion_without_an_enrolment_is_accepted_with_an_inferred_flagged_enrolment() -> None:
    done = T0 + timedelta(days=2)
    step = domain.complete((), completion(done), COURSE, LEARNER, KAFKA)
    assert step.outcome is Outcome.COMPLETED_INFERRED
    assert isinstance(step.event, CourseCompleted)
    assert step.event.inferred_enrolment is True
    assert step.event.enrolled_at == step.event.completed_at == done
    assert step.enrolment.inferred_enrolment is True


def test_a_late_enrolment_after_an_inferred_one_is_a_duplicate() -> None:
    inferred = domain.complete((), completion(), COURSE, LEARNER, KAFKA).enrolment
    step = domain.enrol((inferred,), enrolment(), COURSE, LEARNER, KAFKA)
    assert step.outcome is Outcome.DUPLICATE
    assert step.event is None


def test_a_second_completion_is_a_duplicate() -> None:
    done = domain.complete((), completion(), COURSE, LEARNER, KAFKA).enrolment
    again = domain.complete((done,), completion(T0 + timedelta(days=9)), COURSE, LEARNER, KAFKA)
    assert again.outcome is Outcome.DUPLICATE
    assert again.event is None


def test_a_no_show_withdraws_an_enrolment() -> None:
    enrolled = domain.enrol((), enrolment(), COURSE, LEARNER, KAFKA).enrolment
    step = domain.withdraw((enrolled,), withdrawal(), KAFKA)
    assert step.outcome is Outcome.WITHDRAWN
    assert isinstance(step.event, EnrolmentWithdrawn)
    assert step.event.reason is WithdrawalReason.NO_SHOW
    assert step.enrolment.status is Status.WITHDRAWN
    assert domain.withdraw((step.enrolment,), withdrawal(), KAFKA).outcome is Outcome.DUPLICATE


def test_a_learner_who_withdrew_and_then_completed_is_counted_as_completed() -> None:
    enrolled = domain.enrol((), enrolment(), COURSE, LEARNER, KAFKA).enrolment
    withdrawn = domain.withdraw((enrolled,), withdrawal(), KAFKA).enrolment
    step = domain.complete((withdrawn,), completion(), COURSE, LEARNER, KAFKA)
    assert step.outcome is Outcome.COMPLETED
    assert step.enrolment.withdrawn_at is None


def test_withdrawing_an_unknown_or_completed_enrolment_is_a_conflict() -> None:
    with pytest.raises(Rejected) as unknown:
        domain.withdraw((), withdrawal(), KAFKA)
    assert unknown.value.status == 409
    done = domain.complete((), completion(), COURSE, LEARNER, KAFKA).enrolment
    with pytest.raises(Rejected) as completed:
        domain.withdraw((done,), withdrawal(), KAFKA)
    assert completed.value.status == 409


def test_an_unregistered_learner_without_an_organisation_is_refused() -> None:
    with pytest.raises(Rejected) as caught:
        domain.learner_for("l-9", None, None, None, T0)
    assert caught.value.reason == "unknown-learner"


def test_a_learner_first_seen_with_an_organisation_is_registered_implicitly() -> None:
    learner = domain.learner_for("l-9", None, Organisation.CONSTABULARY, None, T0)
    assert learner.implicit is True
    assert learner.sector is Sector.POLICE
    event = learner.registered_event()
    assert event.implicit is True
    assert event.registered_at == T0


def test_the_organisation_comes_from_the_registration_unless_the_fact_gives_one() -> None:
    known = domain.register(
        RegistrationRecorded(learner_id="l-1", organisation="acute-trust", registered_at=T0)
    )
    assert known.sector is Sector.HEALTH
    assert domain.learner_for("l-1", known, None, None, T0) == known
    moved = domain.learner_for("l-1", known, Organisation.VOLUNTARY, None, T0)
    assert (moved.organisation, moved.sector) == (Organisation.VOLUNTARY, Sector.VOLUNTARY)
    own_sector = domain.learner_for("l-1", known, None, Sector.OTHER, T0)
    assert own_sector.sector is Sector.OTHER


def test_every_organisation_has_a_sector() -> None:
    assert {sector_of_organisation(o) for o in Organisation} <= set(Sector)


def test_completion_rate_is_completions_per_enrolment() -> None:
    assert domain.completion_rate(9658, 7726) == pytest.approx(0.8, abs=0.001)
    assert domain.completion_rate(0, 0) is None


@pytest.mark.parametrize(
    "data",
    [
        {"learner_id": "jo@school.example", "course_id": "c", "enrolled_at": T0},
        {"learner_id": "Jo Bloggs", "course_id": "c", "enrolled_at": T0},
        {"learner_id": "l-1", "course_id": "c", "enrolled_at": "2020-09-01T09:00:00"},
        {"learner_id": "l-1", "course_id": "c", "enrolled_at": T0, "organisation": "police"},
        {"learner_id": "l-1", "course_id": "c", "enrolled_at": T0, "email": "x"},
    ],
)
def test_inbound_events_refuse_emails_names_naive_times_and_unknown_codes(
    data: dict[str, object],
) -> None:
    with pytest.raises(ValidationError):
        EnrolmentRecorded.model_validate(data)
