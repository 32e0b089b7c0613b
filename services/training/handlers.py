"""Training's inbound path, shared by the Kafka subscriber and the xAPI endpoint.

Facts (inbound events, or xAPI statements mapped to the same models) are handled in batches,
as one unit of work: `plan` works out what each fact does given the learners' and enrolments'
histories and the facts before it in the batch (or why it cannot be used), and stages one
record per entity it changes; the records are appended, the read models brought up to date,
and the canonical events published. A writer that finds a version taken (the other channel, a
second instance) plans again on the newer history. Kafka dead-letters the facts that cannot be
used and records the rest; HTTP refuses the whole request if one statement cannot be used, as
an LRS would, so nothing is written.
"""

from __future__ import annotations

import logging
import weakref
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiokafka import ConsumerRecord

from services.training import domain
from services.training.domain import Cause, Course, Learner
from services.training.store import (
    EnrolmentWrite,
    KnownEnrolment,
    KnownLearner,
    LearnerWrite,
    TrainingState,
    TrainingStore,
    enrolment_changes,
    enrolment_key,
    learner_change,
    learner_key,
)
from shared.consumer import Delivery, Subscription, subscribe
from shared.contracts import EventData, Inbound, accepted_types, decode_inbound
from shared.contracts.training import (
    COMPLETED,
    ENROLLED,
    REGISTERED,
    SOURCE,
    WITHDRAWN,
    WORKFORCE_REPORTED,
    Channel,
    CompletionRecorded,
    CourseCompleted,
    CourseEnrolled,
    CourseUpserted,
    EnrolmentRecorded,
    EnrolmentWithdrawn,
    LearnerRegistered,
    RegistrationRecorded,
    WithdrawalRecorded,
    WorkforceRecorded,
    WorkforceReported,
    sector_of_organisation,
)
from shared.events import Envelope, derived_id, new_event
from shared.records import EntityCache, Key, Record, UnitOfWork, retrying
from shared.rejections import Rejected
from shared.service import Runtime
from shared.topics import dlq

ACCEPTED = accepted_types("training")
log = logging.getLogger(__name__)
_CACHES: weakref.WeakKeyDictionary[Runtime, EntityCache[TrainingState]] = (
    weakref.WeakKeyDictionary()
)


def store_of(runtime: Runtime) -> TrainingStore:
    """The training store of this service process, with the process's cache of entities."""
    return TrainingStore(runtime.db, _CACHES.setdefault(runtime, EntityCache()))


_EVENT_TYPES: dict[type[EventData], str] = {
    LearnerRegistered: REGISTERED,
    CourseEnrolled: ENROLLED,
    CourseCompleted: COMPLETED,
    EnrolmentWithdrawn: WITHDRAWN,
    WorkforceReported: WORKFORCE_REPORTED,
}


LearnerFact = EnrolmentRecorded | CompletionRecorded | WithdrawalRecorded


@dataclass(frozen=True)
class Fact:
    """One thing the learning platform said, from either channel (`envelope` is the inbound
    event's, on Kafka; the audit trail reads it)."""

    cause: Cause
    partnership: str
    data: EventData
    envelope: Envelope | None = None


@dataclass
class Outcome:
    """What one fact gives: the canonical events to publish, or why it cannot be used."""

    events: list[Envelope] = field(default_factory=list)
    error: Rejected | None = None


@dataclass
class Plan:
    """The batch's effects: one write per course, learner and enrolment it changes."""

    outcomes: list[Outcome]
    courses: list[tuple[str, Course]] = field(default_factory=list)
    learners: dict[Key, LearnerWrite] = field(default_factory=dict)
    enrolments: dict[Key, EnrolmentWrite] = field(default_factory=dict)
    seen_before: bool = False  # some fact had been applied before (a redelivery)

    @property
    def errors(self) -> list[Rejected]:
        return [o.error for o in self.outcomes if o.error is not None]


def fact_of(item: Inbound) -> Fact:
    """An inbound Kafka event as a fact; the envelope's subject, if any, must be the learner."""
    learner_id = getattr(item.data, "learner_id", None)
    subject = item.envelope.subject
    if learner_id is not None and subject is not None and subject != learner_id:
        raise Rejected("subject-mismatch", f"subject {subject!r} is not learner {learner_id!r}")
    data = item.data
    assert isinstance(data, EventData)
    envelope = item.envelope
    return Fact(Cause(envelope.id, Channel.KAFKA), envelope.partnership, data, envelope)


def _envelope(fact: Fact, event: EventData, at: datetime) -> Envelope:
    type_ = _EVENT_TYPES[type(event)]
    data = event.model_dump(mode="json")
    return new_event(
        id=derived_id(fact.cause.id, type_),
        type=type_,
        source=SOURCE,
        partnership=fact.partnership,
        subject=data.get("learner_id") or data["organisation"],
        time=at,
        data=data,
    )


def _republished(fact: Fact, published: dict[str, Any] | None) -> Envelope | None:
    if published is None:
        return None
    return new_event(
        id=derived_id(fact.cause.id, published["type"]),
        type=published["type"],
        source=SOURCE,
        partnership=fact.partnership,
        subject=published["data"]["learner_id"],
        time=datetime.fromisoformat(published["time"]),
        data=published["data"],
    )


def _workforce(data: WorkforceRecorded) -> WorkforceReported:
    return WorkforceReported(
        organisation=data.organisation,
        sector=sector_of_organisation(data.organisation),
        financial_year=data.financial_year,
        headcount=data.headcount,
    )


def _received_at(fact: Fact) -> datetime:
    """The inbound event's time: the newest record of a workforce is the one sent last."""
    return fact.envelope.time if fact.envelope is not None else datetime.now(UTC)


def _fact_time(data: LearnerFact) -> datetime:
    if isinstance(data, EnrolmentRecorded):
        return data.enrolled_at
    if isinstance(data, CompletionRecorded):
        return data.completed_at
    return data.withdrawn_at


async def plan(
    uow: UnitOfWork[TrainingState], store: TrainingStore, facts: list[Fact], now: datetime
) -> Plan:
    """What each fact does, in order, given the histories; stages one record per learner and
    enrolment the batch changes (nothing is written here)."""
    result = Plan([Outcome() for _ in facts])
    state = _State()
    for partnership in {f.partnership for f in facts}:
        mine = [f.data for f in facts if f.partnership == partnership]
        course_ids = [d.course_id for d in mine if isinstance(d, LearnerFact)]
        found = await store.courses_by_id(partnership, course_ids)
        state.courses.update({(partnership, k): v for k, v in found.items()})
    keys = [
        learner_key(f.partnership, learner_id)
        for f in facts
        if (learner_id := getattr(f.data, "learner_id", None))
    ] + [
        enrolment_key(f.partnership, f.data.learner_id, f.data.course_id)
        for f in facts
        if isinstance(f.data, LearnerFact)
    ]
    for key, entity in (await uow.load(keys)).items():
        if isinstance(entity.state, KnownLearner):
            state.learners[key] = entity.state
        elif isinstance(entity.state, KnownEnrolment):
            state.enrolments[key] = entity.state

    for fact, outcome in zip(facts, result.outcomes, strict=True):
        data = fact.data
        try:
            if isinstance(data, CourseUpserted):
                course = Course.from_event(data)
                state.courses[(fact.partnership, course.course_id)] = course
                result.courses.append((fact.partnership, course))
            elif isinstance(data, RegistrationRecorded):
                _plan_registration(fact, data, state, result, outcome)
            elif isinstance(data, WorkforceRecorded):
                # Nothing to store: the canonical event (same id on a redelivery) is the record.
                outcome.events.append(_envelope(fact, _workforce(data), _received_at(fact)))
            elif isinstance(data, LearnerFact):
                _plan_learner_fact(fact, data, state, result, outcome)
        except Rejected as exc:
            outcome.error = exc
            outcome.events.clear()
    for key, learner in result.learners.items():
        uow.stage(key, [learner_change(learner)], learner.event_ids, now)
    for key, enrolment in result.enrolments.items():
        uow.stage(key, enrolment_changes(enrolment), enrolment.event_ids, now)
    return result


@dataclass
class _State:
    """What the batch knows so far: stored state with the batch's earlier facts applied."""

    courses: dict[tuple[str, str], Course] = field(default_factory=dict)
    learners: dict[Key, KnownLearner] = field(default_factory=dict)
    enrolments: dict[Key, KnownEnrolment] = field(default_factory=dict)


def _learner_write(result: Plan, key: Key, learner: Learner) -> LearnerWrite:
    write = result.learners.get(key)
    if write is None:
        write = LearnerWrite(learner)
        result.learners[key] = write
    write.learner = learner
    return write


def _plan_registration(
    fact: Fact, data: RegistrationRecorded, state: _State, result: Plan, outcome: Outcome
) -> None:
    learner = domain.register(data)
    outcome.events.append(_envelope(fact, learner.registered_event(), data.registered_at))
    key = learner_key(fact.partnership, learner.learner_id)
    known = state.learners.get(key)
    if known is not None and fact.cause.id in known.applied:
        result.seen_before = True
        return  # applied before: announced again above, not written again
    write = _learner_write(result, key, learner)
    write.event_ids.append(fact.cause.id)
    state.learners[key] = KnownLearner(
        learner,
        known.first_seen_by if known else None,
        (known.applied if known else frozenset()) | {fact.cause.id},
    )


def _plan_learner_fact(
    fact: Fact, data: LearnerFact, state: _State, result: Plan, outcome: Outcome
) -> None:
    p, cause = fact.partnership, fact.cause
    key = enrolment_key(p, data.learner_id, data.course_id)
    current = state.enrolments.get(key)
    lkey = learner_key(p, data.learner_id)
    known = state.learners.get(lkey)
    if known is not None and known.first_seen_by == cause.id:
        # This fact registered the learner implicitly before; say so again, with the same id
        # and the same content: the learner as this fact first made it (the learner's current
        # state may since have been registered by the platform, and an event re-published under
        # one id must not say something else).
        if isinstance(data, WithdrawalRecorded) or data.organisation is None:
            first = known.learner
        else:
            at = _fact_time(data)
            first = domain.learner_for(data.learner_id, None, data.organisation, data.sector, at)
        outcome.events.append(_envelope(fact, first.registered_event(), _fact_time(data)))
    if current is not None and cause.id in current.published:
        result.seen_before = True
        # Applied before (a redelivery, or a repeated xAPI statement): no second effect, but
        # the event it raised is published again in case the first publication was lost.
        republished = _republished(fact, current.published[cause.id])
        if republished is not None:
            outcome.events.append(republished)
        return
    before = current.occurrences if current is not None else ()
    if isinstance(data, WithdrawalRecorded):
        step = domain.withdraw(before, data, cause)
    else:
        course = state.courses.get((p, data.course_id))
        if course is None:
            raise Rejected("unknown-course", f"no course {data.course_id!r} in the catalogue")
        at = _fact_time(data)
        learner = domain.learner_for(
            data.learner_id, known.learner if known else None, data.organisation, data.sector, at
        )
        if known is None:
            _learner_write(result, lkey, learner).first_seen_by = cause.id
            state.learners[lkey] = KnownLearner(learner, cause.id)
            outcome.events.append(_envelope(fact, learner.registered_event(), at))
        if isinstance(data, EnrolmentRecorded):
            step = domain.enrol(before, data, course, learner, cause)
        else:
            step = domain.complete(before, data, course, learner, cause)
    published = None
    if step.event is not None:
        envelope = _envelope(fact, step.event, _fact_time(data))
        outcome.events.append(envelope)
        published = {
            "type": envelope.type,
            "time": envelope.time.isoformat(),
            "data": envelope.data,
        }
    write = result.enrolments.get(key)
    if write is None:
        write = EnrolmentWrite(key)
        result.enrolments[key] = write
    occurrence = step.enrolment.occurrence
    write.occurrences[occurrence] = step.enrolment
    write.history.append(
        {
            "event_id": cause.id,
            "occurrence": occurrence,
            "outcome": step.outcome.value,
            "published": published,
        }
    )
    state.enrolments[key] = KnownEnrolment(
        domain.after(before, step), {**(current.published if current else {}), cause.id: published}
    )


async def ingest(runtime: Runtime, facts: list[Fact], *, all_or_nothing: bool) -> Plan:
    """Plan and record a batch, then publish. With `all_or_nothing`, the first fact that cannot
    be used is raised and nothing is written; otherwise those facts are left out (see
    `Plan.errors`)."""
    store = store_of(runtime)
    now = datetime.now(UTC)

    async def attempt(
        uow: UnitOfWork[TrainingState],
    ) -> tuple[Plan, UnitOfWork[TrainingState]]:
        planned = await plan(uow, store, facts, now)
        if all_or_nothing and planned.errors:
            raise planned.errors[0]
        await store.upsert_courses(planned.courses)  # a catalogue: the latest description wins
        return planned, uow

    written: list[Record] = []
    planned, uow = await retrying(store.repository, attempt, written=written)
    # After a redelivery, the read models may be behind (a crash after appending): all of the
    # batch's entities are brought up to date, not only those written now.
    touched = uow.entities.keys() if planned.seen_before else {r.key for r in written}
    await store.project(
        (key, uow.entities[key].version, uow.entities[key].state) for key in touched
    )
    # Published even for facts applied before: the first attempt may have crashed between
    # storing and publishing; subscribers dedupe by id. A fact delivered twice in one batch
    # would announce its event twice: once is enough.
    events = list({e.id: e for o in planned.outcomes for e in o.events}.values())
    if events:
        await runtime.publish(runtime.topics.training_events, events)
    return planned


def _decode(record: ConsumerRecord[Any, Any]) -> Fact:
    return fact_of(decode_inbound(record.value, ACCEPTED))


def setup(runtime: Runtime) -> None:
    async def handle(batch: list[Delivery[Fact]]) -> None:
        planned = await ingest(runtime, [d.item for d in batch], all_or_nothing=False)
        accepted = []
        for delivery, outcome in zip(batch, planned.outcomes, strict=True):
            if outcome.error is None:
                accepted.append(delivery)
            else:
                # Every agency topic shares the bare inbound topic's dead-letter topic.
                await runtime.dead_letters.send(
                    delivery.record,
                    outcome.error.reason,
                    outcome.error.detail,
                    topic=dlq(runtime.topics.training_inbound),
                )
        await runtime.audit_kafka(accepted)

    subscribe(
        runtime.broker,
        Subscription(
            topic=runtime.topics.training_inbound,
            service=runtime.service,
            decode=_decode,
            handle=handle,
            dead_letters=runtime.dead_letters,
            metrics=runtime.metrics,
            retries=runtime.settings.handler_retries,
            # The learning platform writes to its own topic, <inbound>.<agency>.
            agency_topics=True,
        ),
        group_id=runtime.settings.group_id(),
        batch_size=runtime.settings.consumer_batch_size,
        description="Learning-platform events: courses, registrations, enrolments, "
        "completions, withdrawals and no-shows.",
    )
