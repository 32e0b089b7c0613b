"""The training database: courses, and the histories of learners and enrolments as
append-only records (`shared.records`, collection `training_records`), with one read-model
document per learner and per enrolment (one occurrence of a course for a learner) for queries
and totals.

Record keys: `(partnership, "learner:<learner id>")` and `(partnership, "enrolment:<learner
id>|<course id>")` (ids cannot contain `|`). One enrolment entity holds every occurrence of
the course for the learner, so the rules that choose between "the open occurrence" and "a new
one" see them all and two writers cannot both start occurrence 2. A learner's record holds the
learner as it now stands (and the fact that registered it implicitly, if any); an enrolment
entity's record holds each occurrence it changed as it now stands and, per fact applied, what
it did and which canonical event it raised, so a redelivered fact re-publishes exactly that
event. Records written before occurrences existed hold one enrolment: occurrence 1.

Read-model documents of enrolments: `_id` = `<partnership>|<learner>|<course>` for the first
occurrence (as before occurrences) and `...|<n>` for the n-th. Courses are a catalogue: the
latest description of a course replaces the earlier one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from pymongo import ASCENDING, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from services.training.domain import Course, Enrolment, Learner, Status
from shared.codes import Organisation, Sector, TrainingFormat
from shared.contracts.training import Channel, CourseTheme, WithdrawalReason
from shared.mongo import Document, find_by_ids
from shared.read_models import VERSION, write_newest
from shared.records import EntityCache, Key, MongoRecordStore, Record, Repository

_HIDDEN = {"_id": 0, VERSION: 0, "partnership": 0}


def _doc_id(partnership: str, *ids: str) -> str:
    """A read-model or catalogue document's `_id`: the partnership and natural ids."""
    return "|".join((partnership, *ids))


def course_doc(course: Course) -> Document:
    return {
        "course_id": course.course_id,
        "title": course.title,
        "theme": course.theme.value,
        "format": course.format.value,
        "multi_agency": course.multi_agency,
        "activity_id": course.activity_id,
    }


def course_of(doc: Document) -> Course:
    return Course(
        course_id=doc["course_id"],
        title=doc["title"],
        theme=CourseTheme(doc["theme"]),
        format=TrainingFormat(doc["format"]),
        multi_agency=doc["multi_agency"],
        activity_id=doc.get("activity_id"),
    )


@dataclass(frozen=True)
class KnownLearner:
    learner: Learner
    first_seen_by: str | None  # the fact that registered the learner implicitly, if any
    applied: frozenset[str] = frozenset()  # registrations already applied


def learner_doc(learner: Learner) -> Document:
    return {
        "learner_id": learner.learner_id,
        "organisation": learner.organisation.value,
        "sector": learner.sector.value,
        "registered_at": learner.registered_at,
        "implicit": learner.implicit,
    }


def learner_of(doc: Document) -> Learner:
    return Learner(
        learner_id=doc["learner_id"],
        organisation=Organisation(doc["organisation"]),
        sector=Sector(doc["sector"]),
        registered_at=doc["registered_at"],
        implicit=doc.get("implicit", False),
    )


def enrolment_doc(partnership: str, enrolment: Enrolment) -> Document:
    return {
        "partnership": partnership,
        "learner_id": enrolment.learner_id,
        "course_id": enrolment.course_id,
        "organisation": enrolment.organisation.value,
        "sector": enrolment.sector.value,
        "course_format": enrolment.course_format.value,
        "theme": enrolment.theme.value,
        "multi_agency": enrolment.multi_agency,
        "status": enrolment.status.value,
        "enrolled_at": enrolment.enrolled_at,
        "inferred_enrolment": enrolment.inferred_enrolment,
        "channel": enrolment.channel.value,
        "statement_id": enrolment.statement_id,
        "completed_at": enrolment.completed_at,
        "passed": enrolment.passed,
        "withdrawn_at": enrolment.withdrawn_at,
        "withdrawal_reason": enrolment.withdrawal_reason and enrolment.withdrawal_reason.value,
        "occurrence": enrolment.occurrence,
    }


def enrolment_of(doc: Document) -> Enrolment:
    reason = doc.get("withdrawal_reason")
    return Enrolment(
        learner_id=doc["learner_id"],
        course_id=doc["course_id"],
        organisation=Organisation(doc["organisation"]),
        sector=Sector(doc["sector"]),
        course_format=TrainingFormat(doc["course_format"]),
        theme=CourseTheme(doc["theme"]),
        multi_agency=doc["multi_agency"],
        status=Status(doc["status"]),
        enrolled_at=doc["enrolled_at"],
        inferred_enrolment=doc["inferred_enrolment"],
        channel=Channel(doc["channel"]),
        statement_id=doc.get("statement_id"),
        completed_at=doc.get("completed_at"),
        passed=doc.get("passed"),
        withdrawn_at=doc.get("withdrawn_at"),
        withdrawal_reason=WithdrawalReason(reason) if reason else None,
        occurrence=doc.get("occurrence", 1),
    )


@dataclass(frozen=True)
class KnownEnrolment:
    """Every occurrence of a course for a learner, oldest first."""

    occurrences: tuple[Enrolment, ...]
    # What each fact already applied did: event id -> published event {"type", "data"} or None.
    published: dict[str, Document | None] = field(default_factory=dict)


@dataclass
class EnrolmentWrite:
    """The occurrences a batch changes (by number) and the history entries it adds (each
    names its occurrence)."""

    key: Key
    occurrences: dict[int, Enrolment] = field(default_factory=dict)
    history: list[Document] = field(default_factory=list)

    @property
    def event_ids(self) -> list[str]:
        return [h["event_id"] for h in self.history]


@dataclass
class LearnerWrite:
    learner: Learner
    event_ids: list[str] = field(default_factory=list)
    first_seen_by: str | None = None


TrainingState = KnownLearner | KnownEnrolment | None  # None: never written


def learner_key(partnership: str, learner_id: str) -> Key:
    return (partnership, f"learner:{learner_id}")


def enrolment_key(partnership: str, learner_id: str, course_id: str) -> Key:
    return (partnership, f"enrolment:{learner_id}|{course_id}")


class TrainingFolding:
    """Records to learners and enrolments: each record holds the entity as it then stood."""

    def initial(self, key: Key) -> TrainingState:
        return None

    def apply(self, state: TrainingState, record: Record) -> TrainingState:
        for change in record.changes:
            if change["kind"] == "learner":
                known = state if isinstance(state, KnownLearner) else None
                state = KnownLearner(
                    learner_of(change["learner"]),
                    (known.first_seen_by if known else None) or change.get("first_seen_by"),
                    (known.applied if known else frozenset()) | frozenset(change["registrations"]),
                )
            elif change["kind"] == "enrolment":
                series = state if isinstance(state, KnownEnrolment) else KnownEnrolment(())
                published = series.published | {
                    h["event_id"]: h.get("published") for h in change["history"]
                }
                changed = enrolment_of(change["enrolment"])
                kept = [e for e in series.occurrences if e.occurrence != changed.occurrence]
                occurrences = tuple(sorted([*kept, changed], key=lambda e: e.occurrence))
                state = KnownEnrolment(occurrences, published)
        return state


def learner_change(write: LearnerWrite) -> Document:
    return {
        "kind": "learner",
        "learner": learner_doc(write.learner),
        "first_seen_by": write.first_seen_by,
        "registrations": write.event_ids,
    }


def enrolment_changes(write: EnrolmentWrite) -> list[Document]:
    """One change per occurrence the batch touched, each with its own history entries."""
    return [
        {
            "kind": "enrolment",
            "enrolment": enrolment_doc(write.key[0], enrolment),
            "history": [h for h in write.history if h.get("occurrence", 1) == number],
        }
        for number, enrolment in sorted(write.occurrences.items())
    ]


def enrolment_doc_id(partnership: str, enrolment: Enrolment) -> str:
    """The read-model `_id` of an occurrence: the first keeps the id it had before
    occurrences existed."""
    ids = [enrolment.learner_id, enrolment.course_id]
    if enrolment.occurrence > 1:
        ids.append(str(enrolment.occurrence))
    return _doc_id(partnership, *ids)


@dataclass(frozen=True)
class Period:
    """[start, end): either side may be open."""

    start: datetime | None = None
    end: datetime | None = None

    def contains(self, moment: datetime | None) -> bool:
        if moment is None:
            return False
        return (self.start is None or moment >= self.start) and (
            self.end is None or moment < self.end
        )

    def match(self, name: str) -> Document:
        bounds: Document = {}
        if self.start is not None:
            bounds["$gte"] = self.start
        if self.end is not None:
            bounds["$lt"] = self.end
        return {name: bounds} if bounds else {}


class TrainingStore:
    def __init__(self, db: AsyncDatabase[Document], cache: EntityCache[TrainingState]) -> None:
        self.records = MongoRecordStore(db["training_records"])
        self.repository = Repository(self.records, TrainingFolding(), cache)
        self.courses = db["courses"]
        self.learners = db["learners"]
        self.enrolments = db["enrolments"]

    async def create_indexes(self) -> None:
        await self.records.ensure_indexes()
        await self.courses.create_index([("partnership", ASCENDING), ("activity_id", ASCENDING)])
        for fields in (
            [("partnership", ASCENDING), ("course_id", ASCENDING)],
            [("partnership", ASCENDING), ("learner_id", ASCENDING)],
            [("partnership", ASCENDING), ("enrolled_at", ASCENDING)],
        ):
            await self.enrolments.create_index(fields)

    async def project(self, states: Iterable[tuple[Key, int, TrainingState]]) -> None:
        """Bring the learners' and enrolments' read models up to these versions."""
        learners: list[Document] = []
        enrolments: list[Document] = []
        for (partnership, _), version, state in states:
            if isinstance(state, KnownLearner):
                learners.append(
                    {
                        "_id": _doc_id(partnership, state.learner.learner_id),
                        "partnership": partnership,
                        VERSION: version,
                        **learner_doc(state.learner),
                    }
                )
            elif isinstance(state, KnownEnrolment):
                enrolments.extend(
                    {
                        "_id": enrolment_doc_id(partnership, e),
                        VERSION: version,
                        **enrolment_doc(partnership, e),
                    }
                    for e in state.occurrences
                )
        await write_newest(self.learners, learners)
        await write_newest(self.enrolments, enrolments)

    # -- courses ---------------------------------------------------------------------------

    async def upsert_courses(self, courses: Sequence[tuple[str, Course]]) -> None:
        """(partnership, course): the latest description replaces the earlier one."""
        if not courses:
            return
        await self.courses.bulk_write(
            [
                UpdateOne(
                    {"_id": _doc_id(p, c.course_id)},
                    {"$set": {"partnership": p, **course_doc(c)}},
                    upsert=True,
                )
                for p, c in courses
            ],
            ordered=True,
        )

    async def courses_by_id(self, partnership: str, ids: Iterable[str]) -> dict[str, Course]:
        keys = [_doc_id(partnership, i) for i in set(ids)]
        return {doc["course_id"]: course_of(doc) for doc in await find_by_ids(self.courses, keys)}

    async def courses_by_activity(
        self, partnership: str, activity_ids: Iterable[str]
    ) -> dict[str, Course]:
        query = {"partnership": partnership, "activity_id": {"$in": list(set(activity_ids))}}
        return {doc["activity_id"]: course_of(doc) async for doc in self.courses.find(query)}

    async def course(self, partnership: str, course_id: str) -> Document | None:
        return await self.courses.find_one(
            {"_id": _doc_id(partnership, course_id)}, {"_id": 0, "partnership": 0}
        )

    async def list_courses(self, partnership: str) -> list[Document]:
        cursor = self.courses.find({"partnership": partnership}, {"_id": 0, "partnership": 0})
        return [doc async for doc in cursor.sort("course_id", ASCENDING)]

    # -- learners and enrolments ----------------------------------------------------------

    async def learner(self, partnership: str, learner_id: str) -> Document | None:
        return await self.learners.find_one({"_id": _doc_id(partnership, learner_id)}, _HIDDEN)

    async def enrolments_of_learner(self, partnership: str, learner_id: str) -> list[Document]:
        cursor = self.enrolments.find(
            {"partnership": partnership, "learner_id": learner_id}, _HIDDEN
        )
        order = [("enrolled_at", ASCENDING), ("course_id", ASCENDING), ("occurrence", ASCENDING)]
        return [doc async for doc in cursor.sort(order)]

    async def enrolments_on_course(
        self,
        partnership: str,
        course_id: str,
        *,
        status: Status | None,
        limit: int,
        offset: int,
    ) -> list[Document]:
        query: Document = {"partnership": partnership, "course_id": course_id}
        if status is not None:
            query["status"] = status.value
        cursor = self.enrolments.find(query, _HIDDEN).sort(
            [("enrolled_at", ASCENDING), ("learner_id", ASCENDING), ("occurrence", ASCENDING)]
        )
        return [doc async for doc in cursor.skip(offset).limit(limit)]

    def enrolment_facts(self, partnership: str, scope: Document) -> AsyncIterator[Document]:
        """The fields the totals count, of every enrolment of `partnership` in `scope`."""
        fields = (
            "organisation",
            "course_format",
            "status",
            "enrolled_at",
            "completed_at",
            "withdrawn_at",
            "inferred_enrolment",
        )
        return aiter(
            self.enrolments.find({"partnership": partnership, **scope}, dict.fromkeys(fields, 1))
        )

    async def count_by(
        self, collection: str, partnership: str, match: Document, keys: Sequence[str]
    ) -> dict[tuple[str, ...], int]:
        """Documents of `collection` ("enrolments" or "learners") of `partnership` matching
        `match`, counted by the values of `keys`."""
        pipeline: list[Document] = [
            {"$match": {"partnership": partnership, **match}},
            {"$group": {"_id": {k: f"${k}" for k in keys}, "n": {"$sum": 1}}},
        ]
        coll = {"enrolments": self.enrolments, "learners": self.learners}[collection]
        result: dict[tuple[str, ...], int] = {}
        async for row in await coll.aggregate(pipeline):
            result[tuple(row["_id"][k] for k in keys)] = row["n"]
        return result
