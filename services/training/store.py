"""The training database: courses, learners, and one document per (learner, course) enrolment.

Documents are keyed by natural ids within the partnership (`<partnership>|<learner>|<course>`
for an enrolment; ids cannot contain `|`). Each document lists the ids of the events and
statements applied to it (`_events`, as `shared.idempotency` does), so a fact applied twice
changes nothing the second time; an enrolment also keeps the history of what each fact did and
which canonical event it raised, so a redelivered fact re-publishes exactly that event.

Writes are shaped for stock FerretDB 1.24's SQLite backend, where an update scans the collection
and an insert is cheap: a batch makes one write per document it changes, new documents go in
one `insert_many`, and an update applies only to the revision (`_rev`) the batch read, so a
concurrent writer is detected instead of overwritten (`ConcurrentChange`: plan again).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from services.training.domain import Course, Enrolment, Learner, Status
from shared.codes import Organisation, Sector, TrainingFormat
from shared.contracts.training import Channel, CourseTheme, WithdrawalReason
from shared.idempotency import APPLIED_FIELD
from shared.mongo import Document, find_by_ids, insert_new

REVISION = "_rev"
_HIDDEN = {"_id": 0, APPLIED_FIELD: 0, REVISION: 0, "history": 0, "partnership": 0}


def course_key(partnership: str, course_id: str) -> str:
    return f"{partnership}|{course_id}"


def learner_key(partnership: str, learner_id: str) -> str:
    return f"{partnership}|{learner_id}"


def enrolment_key(partnership: str, learner_id: str, course_id: str) -> str:
    return f"{partnership}|{learner_id}|{course_id}"


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


def _learner_of(doc: Document) -> KnownLearner:
    return KnownLearner(
        Learner(
            learner_id=doc["learner_id"],
            organisation=Organisation(doc["organisation"]),
            sector=Sector(doc["sector"]),
            registered_at=doc["registered_at"],
            implicit=doc.get("implicit", False),
        ),
        doc.get("first_seen_by"),
        frozenset(doc.get(APPLIED_FIELD, ())),
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
    }


def _enrolment_of(doc: Document) -> Enrolment:
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
    )


@dataclass
class KnownEnrolment:
    enrolment: Enrolment
    # What each fact already applied did: event id -> published event {"type", "data"} or None.
    published: dict[str, Document | None] = field(default_factory=dict)
    revision: int | None = None  # None: not stored yet


@dataclass
class EnrolmentWrite:
    """An enrolment's state after a batch, and the history entries the batch adds."""

    key: str
    partnership: str
    enrolment: Enrolment
    revision: int | None  # the stored revision the batch started from; None: a new document
    history: list[Document] = field(default_factory=list)


@dataclass
class LearnerWrite:
    partnership: str
    learner: Learner
    new: bool
    event_ids: list[str] = field(default_factory=list)
    first_seen_by: str | None = None


# FerretDB 1.24 (SQLite) stops answering on a bulk update of about a hundred operations or
# more; updates go in smaller commands.
_UPDATES_PER_COMMAND = 50


def _chunks(ops: list[UpdateOne]) -> list[list[UpdateOne]]:
    return [ops[i : i + _UPDATES_PER_COMMAND] for i in range(0, len(ops), _UPDATES_PER_COMMAND)]


class ConcurrentChange(Exception):
    """Another writer changed a document between our read and our write: plan again."""


async def _insert_new(collection: AsyncCollection[Any], docs: list[Document]) -> None:
    """Insert documents planned as new; one that exists by now was written by a concurrent
    writer, so the batch must be planned again against it."""
    there = await insert_new(collection, docs, size=max(1, len(docs)))
    if there:
        raise ConcurrentChange(f"{len(there)} document(s) created meanwhile")


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
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.courses = db["courses"]
        self.learners = db["learners"]
        self.enrolments = db["enrolments"]

    async def create_indexes(self) -> None:
        await self.courses.create_index([("partnership", ASCENDING), ("activity_id", ASCENDING)])
        for fields in (
            [("partnership", ASCENDING), ("course_id", ASCENDING)],
            [("partnership", ASCENDING), ("learner_id", ASCENDING)],
            [("partnership", ASCENDING), ("enrolled_at", ASCENDING)],
        ):
            await self.enrolments.create_index(fields)

    # -- courses ---------------------------------------------------------------------------

    async def upsert_courses(self, courses: Sequence[tuple[str, Course]]) -> None:
        """(partnership, course): the latest description replaces the earlier one."""
        if not courses:
            return
        await self.courses.bulk_write(
            [
                UpdateOne(
                    {"_id": course_key(p, c.course_id)},
                    {"$set": {"partnership": p, **course_doc(c)}},
                    upsert=True,
                )
                for p, c in courses
            ],
            ordered=True,
        )

    async def courses_by_id(self, partnership: str, ids: Iterable[str]) -> dict[str, Course]:
        keys = [course_key(partnership, i) for i in set(ids)]
        return {doc["course_id"]: course_of(doc) for doc in await find_by_ids(self.courses, keys)}

    async def courses_by_activity(
        self, partnership: str, activity_ids: Iterable[str]
    ) -> dict[str, Course]:
        query = {"partnership": partnership, "activity_id": {"$in": list(set(activity_ids))}}
        return {doc["activity_id"]: course_of(doc) async for doc in self.courses.find(query)}

    async def course(self, partnership: str, course_id: str) -> Document | None:
        return await self.courses.find_one(
            {"_id": course_key(partnership, course_id)}, {"_id": 0, "partnership": 0}
        )

    async def list_courses(self, partnership: str) -> list[Document]:
        cursor = self.courses.find({"partnership": partnership}, {"_id": 0, "partnership": 0})
        return [doc async for doc in cursor.sort("course_id", ASCENDING)]

    # -- learners --------------------------------------------------------------------------

    async def learners_by_id(self, partnership: str, ids: Iterable[str]) -> dict[str, KnownLearner]:
        keys = [learner_key(partnership, i) for i in set(ids)]
        return {
            doc["learner_id"]: _learner_of(doc) for doc in await find_by_ids(self.learners, keys)
        }

    async def save_learners(self, writes: Sequence[LearnerWrite]) -> None:
        """New learners in one insert; registrations of known learners as updates. Every write
        records the event ids it applies, so a redelivered registration is seen as applied."""
        fresh = [w for w in writes if w.new]
        if fresh:
            docs = [
                {
                    "_id": learner_key(w.partnership, w.learner.learner_id),
                    "partnership": w.partnership,
                    "first_seen_by": w.first_seen_by,
                    APPLIED_FIELD: w.event_ids,
                    **learner_doc(w.learner),
                }
                for w in fresh
            ]
            await _insert_new(self.learners, docs)
        known = [
            UpdateOne(
                {"_id": learner_key(w.partnership, w.learner.learner_id)},
                {
                    "$set": learner_doc(w.learner),
                    "$push": {APPLIED_FIELD: {"$each": w.event_ids}},
                },
            )
            for w in writes
            if not w.new
        ]
        for chunk in _chunks(known):
            await self.learners.bulk_write(chunk, ordered=False)

    async def learner(self, partnership: str, learner_id: str) -> Document | None:
        return await self.learners.find_one(
            {"_id": learner_key(partnership, learner_id)},
            {"_id": 0, APPLIED_FIELD: 0, "partnership": 0, "first_seen_by": 0},
        )

    # -- enrolments ------------------------------------------------------------------------

    async def enrolments_by_key(self, keys: Iterable[str]) -> dict[str, KnownEnrolment]:
        found: dict[str, KnownEnrolment] = {}
        for doc in await find_by_ids(self.enrolments, list(keys)):
            published = {h["event_id"]: h.get("published") for h in doc.get("history", [])}
            found[doc["_id"]] = KnownEnrolment(_enrolment_of(doc), published, doc.get(REVISION, 0))
        return found

    async def save_enrolments(self, writes: Sequence[EnrolmentWrite]) -> None:
        """One write per enrolment for a whole batch: new enrolments in one insert, known ones
        updated only if nobody changed them since they were read (their revision)."""
        fresh = [
            {
                "_id": w.key,
                **enrolment_doc(w.partnership, w.enrolment),
                "history": w.history,
                APPLIED_FIELD: [h["event_id"] for h in w.history],
                REVISION: 1,
            }
            for w in writes
            if w.revision is None
        ]
        if fresh:
            await _insert_new(self.enrolments, fresh)
        known = [w for w in writes if w.revision is not None]
        if not known:
            return
        ops = [
            UpdateOne(
                {"_id": w.key, REVISION: w.revision},
                {
                    "$set": enrolment_doc(w.partnership, w.enrolment),
                    "$push": {
                        "history": {"$each": w.history},
                        APPLIED_FIELD: {"$each": [h["event_id"] for h in w.history]},
                    },
                    "$inc": {REVISION: 1},
                },
            )
            for w in known
        ]
        matched = 0
        for chunk in _chunks(ops):
            matched += (await self.enrolments.bulk_write(chunk, ordered=False)).matched_count
        if matched != len(known):
            raise ConcurrentChange(f"{len(known) - matched} enrolment(s) changed while updated")

    async def enrolments_of_learner(self, partnership: str, learner_id: str) -> list[Document]:
        cursor = self.enrolments.find(
            {"partnership": partnership, "learner_id": learner_id}, _HIDDEN
        )
        return [doc async for doc in cursor.sort("enrolled_at", ASCENDING)]

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
            [("enrolled_at", ASCENDING), ("learner_id", ASCENDING)]
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
