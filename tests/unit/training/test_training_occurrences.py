"""Enrolments per (learner, course, occurrence): refresher training is a new enrolment and a new
completion; completions attach to the open occurrence; redelivery changes nothing; and the one
definition of the period an enrolment and its completion count in.

The annual report 2020/21 (seeds/000): "The number of user completions i.e. number of times
the e-learning courses/virtual courses have been accessed and completed has reached more than
12,000" — times, not people: a learner who takes a course again is counted again.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.training import domain
from services.training.domain import Cause, Course, Enrolment, Learner, Outcome, Status
from services.training.handlers import Fact, plan
from services.training.store import (
    KnownEnrolment,
    TrainingFolding,
    TrainingState,
    enrolment_key,
)
from shared.codes import Organisation, Sector, TrainingFormat
from shared.contracts.training import (
    ENROLLED,
    Channel,
    CompletionRecorded,
    CourseCompleted,
    CourseEnrolled,
    CourseTheme,
    EnrolmentRecorded,
    WithdrawalReason,
    WithdrawalRecorded,
    counted_at,
    financial_year_of,
)
from shared.records import EntityCache, MemoryRecordStore, Repository, UnitOfWork
from shared.rejections import Rejected

Y1 = datetime(2020, 9, 1, 9, tzinfo=UTC)  # 2020-21
Y2 = datetime(2021, 9, 1, 9, tzinfo=UTC)  # 2021-22
COURSE = Course("el-cp", "CP", CourseTheme.CHILD_PROTECTION, TrainingFormat.ELEARNING, True)
LEARNER = Learner("l-1", Organisation.EDUCATION, Sector.EDUCATION, Y1)


def cause(n: int) -> Cause:
    return Cause(f"e-{n}", Channel.KAFKA)


def enrolment(at: datetime) -> EnrolmentRecorded:
    return EnrolmentRecorded(
        learner_id="l-1", course_id="el-cp", enrolled_at=at, organisation=Organisation.EDUCATION
    )


def completion(at: datetime) -> CompletionRecorded:
    return CompletionRecorded(
        learner_id="l-1", course_id="el-cp", completed_at=at, organisation=Organisation.EDUCATION
    )


def withdrawal(at: datetime) -> WithdrawalRecorded:
    return WithdrawalRecorded(
        learner_id="l-1", course_id="el-cp", withdrawn_at=at, reason=WithdrawalReason.WITHDRAWN
    )


def run(
    *facts: EnrolmentRecorded | CompletionRecorded | WithdrawalRecorded,
) -> tuple[tuple[Enrolment, ...], list[domain.Step]]:
    """Apply facts in order to one learner's occurrences of the course."""
    past: tuple[Enrolment, ...] = ()
    steps = []
    for n, fact in enumerate(facts):
        if isinstance(fact, EnrolmentRecorded):
            step = domain.enrol(past, fact, COURSE, LEARNER, cause(n))
        elif isinstance(fact, CompletionRecorded):
            step = domain.complete(past, fact, COURSE, LEARNER, cause(n))
        else:
            step = domain.withdraw(past, fact, cause(n))
        past = domain.after(past, step)
        steps.append(step)
    return past, steps


def test_a_refresher_in_a_later_year_is_a_new_enrolment_and_a_new_completion() -> None:
    """Issue 15: "a refresher in a later year is a new enrolment and completion"; the annual
    report counts "number of times the e-learning courses/virtual courses have been accessed
    and completed"."""
    past, steps = run(
        enrolment(Y1),
        completion(Y1 + timedelta(days=3)),
        enrolment(Y2),
        completion(Y2 + timedelta(days=2)),
    )
    assert [s.outcome for s in steps] == [
        Outcome.ENROLLED,
        Outcome.COMPLETED,
        Outcome.ENROLLED,
        Outcome.COMPLETED,
    ]
    assert [e.occurrence for e in past] == [1, 2]
    assert all(e.status is Status.COMPLETED for e in past)
    refresher = steps[2].event
    assert isinstance(refresher, CourseEnrolled)
    assert refresher.occurrence == 2
    assert refresher.enrolled_at == Y2
    second = steps[3].event
    assert isinstance(second, CourseCompleted)
    assert (second.occurrence, second.inferred_enrolment, second.enrolled_at) == (2, False, Y2)
    # The first occurrence is untouched: it still counts in 2020-21.
    assert past[0].completed_at == Y1 + timedelta(days=3)


def test_a_completion_attaches_to_the_open_enrolment_even_in_the_next_year() -> None:
    """The annual report's completion rate is the "number of staff starting and fully
    completing the course": a course started in March and finished in April completes the
    March start, it is not a new one."""
    march = datetime(2021, 3, 30, 9, tzinfo=UTC)
    past, steps = run(enrolment(march), completion(march + timedelta(days=5)))
    assert [e.occurrence for e in past] == [1]
    assert steps[1].outcome is Outcome.COMPLETED
    assert past[0].enrolled_at == march


def test_an_enrolment_while_one_is_open_is_a_duplicate() -> None:
    """ "9658 eLearning courses were started": a course already started (open) is not started
    again by a second enrolment message."""
    past, steps = run(enrolment(Y1), enrolment(Y1 + timedelta(days=4)))
    assert steps[1].outcome is Outcome.DUPLICATE
    assert steps[1].event is None
    assert [e.enrolled_at for e in past] == [Y1]


def test_a_late_enrolment_of_an_occurrence_already_completed_is_a_duplicate() -> None:
    """A completion that arrived before its enrolment (inferred) is not followed by a second
    occurrence when the enrolment turns up: it is dated before the completion."""
    past, steps = run(completion(Y1 + timedelta(days=3)), enrolment(Y1))
    assert steps[0].outcome is Outcome.COMPLETED_INFERRED
    assert steps[1].outcome is Outcome.DUPLICATE
    assert len(past) == 1


def test_a_second_completion_in_the_same_year_repeats_the_first() -> None:
    """Moodle sends 'completed' and then 'passed' for one attempt: one completion."""
    past, steps = run(
        enrolment(Y1), completion(Y1 + timedelta(days=1)), completion(Y1 + timedelta(days=2))
    )
    assert steps[2].outcome is Outcome.DUPLICATE
    assert len(past) == 1


def test_a_completion_in_a_later_year_without_an_enrolment_is_an_inferred_refresher() -> None:
    past, steps = run(enrolment(Y1), completion(Y1 + timedelta(days=1)), completion(Y2))
    assert steps[2].outcome is Outcome.COMPLETED_INFERRED
    event = steps[2].event
    assert isinstance(event, CourseCompleted)
    assert (event.occurrence, event.inferred_enrolment, event.enrolled_at) == (2, True, Y2)
    assert [e.occurrence for e in past] == [1, 2]


def test_a_new_enrolment_after_a_withdrawal_is_a_new_occurrence_and_withdrawals_end_it() -> None:
    """ "number of times the e-learning courses/virtual courses have been accessed": starting
    again after withdrawing is another time; a completed course cannot be withdrawn from."""
    past, steps = run(
        enrolment(Y1),
        withdrawal(Y1 + timedelta(days=1)),
        enrolment(Y1 + timedelta(days=30)),
        withdrawal(Y1 + timedelta(days=31)),
    )
    assert [s.outcome for s in steps] == [
        Outcome.ENROLLED,
        Outcome.WITHDRAWN,
        Outcome.ENROLLED,
        Outcome.WITHDRAWN,
    ]
    assert [(e.occurrence, e.status) for e in past] == [
        (1, Status.WITHDRAWN),
        (2, Status.WITHDRAWN),
    ]
    with pytest.raises(Rejected):
        run(enrolment(Y1), completion(Y1 + timedelta(days=1)), withdrawal(Y2))


def test_completions_count_in_the_period_their_enrolment_started() -> None:
    """The one definition (training's /totals and reporting): "In total 9658 eLearning courses
    were started during the period with a completion rate of 80%" (annual report 2020/21)."""
    march = datetime(2021, 3, 30, 9, tzinfo=UTC)
    assert counted_at(march) == march
    assert financial_year_of(counted_at(march)) == "2020-21"
    # 31 March 2021 23:30 UTC is 1 April 00:30 in England: the next financial year.
    assert financial_year_of(datetime(2021, 3, 31, 23, 30, tzinfo=UTC)) == "2021-22"


# -- redelivery through the planner, on the in-memory record store ---------------------------


class _Courses:
    """The one store method the planner reads: the catalogue."""

    async def courses_by_id(self, partnership: str, ids: Any) -> dict[str, Course]:
        return {COURSE.course_id: COURSE}


async def _apply(repository: Repository[TrainingState], facts: list[Fact]) -> Any:
    uow: UnitOfWork[TrainingState] = UnitOfWork(repository)
    planned = await plan(uow, _Courses(), facts, Y2)  # type: ignore[arg-type]
    assert await uow.commit() == set()
    return planned


def _fact(event_id: str, data: Any) -> Fact:
    return Fact(Cause(event_id, Channel.KAFKA), "p1", data)


async def test_redelivered_facts_of_a_refresher_change_nothing_and_announce_the_same_events() -> (
    None
):
    """Redelivery is idempotent: the record store carries the applied event ids."""
    repository: Repository[TrainingState] = Repository(
        MemoryRecordStore(), TrainingFolding(), EntityCache()
    )
    facts = [
        _fact("in-1", enrolment(Y1)),
        _fact("in-2", completion(Y1 + timedelta(days=2))),
        _fact("in-3", enrolment(Y2)),
    ]
    first = await _apply(repository, facts[:2])
    second = await _apply(repository, facts[2:])
    assert first.errors == second.errors == []
    refresher_events = [e for o in second.outcomes for e in o.events if e.type == ENROLLED]
    assert [e.data["occurrence"] for e in refresher_events] == [2]

    again = await _apply(repository, facts)  # everything delivered once more
    assert again.seen_before
    assert again.enrolments == {}  # nothing written
    first_ids = {e.id for o in first.outcomes for e in o.events}
    second_ids = {e.id for o in second.outcomes for e in o.events}
    assert {e.id for o in again.outcomes for e in o.events} == first_ids | second_ids

    key = enrolment_key("p1", "l-1", "el-cp")
    state = (await repository.load([key]))[key].state
    assert isinstance(state, KnownEnrolment)
    assert [(e.occurrence, e.status) for e in state.occurrences] == [
        (1, Status.COMPLETED),
        (2, Status.ENROLLED),
    ]


async def test_records_written_before_occurrences_fold_to_occurrence_one() -> None:
    """An enrolment record from before occurrences existed has no occurrence: the first
    (so a learner's "courses started" are not counted twice after the upgrade)."""
    folding = TrainingFolding()
    store = MemoryRecordStore()
    repository: Repository[TrainingState] = Repository(store, folding, EntityCache())
    await _apply(repository, [_fact("in-1", enrolment(Y1))])
    key = enrolment_key("p1", "l-1", "el-cp")
    [record] = store.records[key]
    for change in record.changes:
        change["enrolment"].pop("occurrence")
        for entry in change["history"]:
            entry.pop("occurrence")
    state = folding.apply(None, record)
    assert isinstance(state, KnownEnrolment)
    assert [e.occurrence for e in state.occurrences] == [1]
