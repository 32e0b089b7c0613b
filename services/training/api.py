"""Training over HTTP: the course catalogue, xAPI statements from the learning platform, and
the queries behind the annual report's training tables.

Every route works within one partnership: `?partnership=` (or the service's
`DEFAULT_PARTNERSHIP`). Periods are `?from=` (inclusive) and `?to=` (exclusive), ISO dates
or date-times; a date or a time without a zone is England's local time.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from services.training import domain, xapi
from services.training.domain import Cause, Course, Status
from services.training.handlers import Fact, ingest, store_of
from services.training.settings import TrainingSettings
from services.training.store import Period, TrainingStore
from shared.auth import (
    check_partnership,
    current_principal,
    note_accepted,
    only_one_partnership,
    sees_partnership,
)
from shared.codes import Organisation, TrainingFormat
from shared.contracts import EventData
from shared.contracts.training import (
    Channel,
    CompletionRecorded,
    CourseTheme,
    CourseUpserted,
    EnrolmentRecorded,
    WithdrawalReason,
    WithdrawalRecorded,
    WorkforceRecorded,
    counted_at,
)
from shared.events import rejection
from shared.inbound_policy import (
    MAX_OFFSET,
    FreeText,
    Identifier,
    PartnershipId,
    check_json_document,
    check_moment,
)
from shared.rejections import Rejected
from shared.service import Runtime
from shared.workdays import LONDON

MEASURES = ("enrolments", "completions", "withdrawals", "inferred_enrolments")

Partnership = Annotated[
    PartnershipId | None, Query(description="The partnership (default: DEFAULT_PARTNERSHIP).")
]
From = Annotated[str | None, Query(alias="from", description="Start, inclusive (ISO).")]
To = Annotated[str | None, Query(alias="to", description="End, exclusive (ISO).")]
Limit = Annotated[int, Query(ge=1, le=1000)]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET)]
CourseIdPath = Annotated[Identifier, Path(description="The course's id.")]
FormatQuery = Annotated[TrainingFormat | None, Query(alias="format")]


class CourseBody(BaseModel):
    """A course of the catalogue, as `PUT /courses/{course_id}` takes it."""

    model_config = ConfigDict(extra="forbid")

    title: FreeText = Field(min_length=1, max_length=200, description="The course title.")
    theme: CourseTheme = Field(description="What the course is about.")
    format: TrainingFormat = Field(description="How the course is delivered.")
    multi_agency: bool = Field(description="True for a multi-agency course.")
    activity_id: FreeText | None = Field(
        default=None,
        min_length=1,
        max_length=512,
        description="The xAPI activity IRI of the course on the learning platform.",
    )


def _moment(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise Rejected("bad-query", f"{name}: not an ISO date or date-time") from None
    check_moment(moment)  # year 1 or 9999 with an offset would overflow on conversion
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=LONDON)


def _period(start: str | None, end: str | None) -> Period:
    period = Period(_moment(start, "from"), _moment(end, "to"))
    if period.start and period.end and period.start >= period.end:
        raise Rejected("bad-query", "from must be before to")
    return period


def _total(cells: list[dict[str, Any]]) -> dict[str, Any]:
    total: dict[str, Any] = {m: sum(c[m] for c in cells) for m in MEASURES}
    total["completion_rate"] = domain.completion_rate(total["enrolments"], total["completions"])
    return total


def _fact_of(s: xapi.Statement, partnership: str, courses: dict[str, Course]) -> Fact:
    """A parsed statement as a fact about a course of the catalogue."""
    course = courses.get(s.activity_id)
    if course is None:
        raise Rejected(
            "unknown-course",
            "object.id is not the activity id of a course in the catalogue "
            "(PUT /courses/{course_id} with its activity_id)",
        )
    data: EventData
    try:
        if s.verb is xapi.Verb.ENROL:
            data = EnrolmentRecorded(
                learner_id=s.learner_id,
                course_id=course.course_id,
                organisation=s.organisation,
                sector=s.sector,
                enrolled_at=s.at,
            )
        elif s.verb is xapi.Verb.COMPLETE:
            data = CompletionRecorded(
                learner_id=s.learner_id,
                course_id=course.course_id,
                organisation=s.organisation,
                sector=s.sector,
                completed_at=s.at,
                passed=s.passed,
            )
        else:
            data = WithdrawalRecorded(
                learner_id=s.learner_id,
                course_id=course.course_id,
                withdrawn_at=s.at,
                reason=WithdrawalReason.WITHDRAWN,
            )
    except ValidationError as exc:
        refused = rejection(exc, "bad-statement")
        raise Rejected(
            refused.reason, refused.detail, status=422 if refused.reason == "personal-data" else 400
        ) from None
    cause = Cause(s.statement_id, Channel.XAPI, statement_id=s.statement_id)
    return Fact(cause, partnership, data)


class WorkforceBody(BaseModel):
    """An organisation's headcount, as `PUT /workforce/{organisation}/{financial_year}` takes it."""

    model_config = ConfigDict(extra="forbid")

    headcount: int = Field(
        ge=1, le=1_000_000, description="Practitioners in the organisation's workforce."
    )


def router(runtime: Runtime) -> APIRouter:
    api = APIRouter()
    settings = runtime.settings
    default = settings.default_partnership if isinstance(settings, TrainingSettings) else ""

    def store() -> TrainingStore:
        return store_of(runtime)

    def partnership_of(given: str | None, *, write: bool = False) -> str:
        """The partnership a request is for: named, else the key's only one, else the
        default. A write outside the key's partnerships is refused 403; to a read, another
        partnership has nothing (404)."""
        chosen = given or only_one_partnership() or default
        if not chosen:
            raise Rejected("partnership-required", "name the partnership: ?partnership=")
        if write:
            check_partnership(chosen)
        elif not sees_partnership(chosen):
            raise Rejected("not-found", "nothing of this partnership for this key", status=404)
        return chosen

    @api.post(
        "/xapi/statements",
        tags=["xapi"],
        summary="Store xAPI 1.0.3 statements (one or a list); returns their ids, as an LRS does",
    )
    async def statements(request: Request, response: Response) -> list[str]:
        # Size, nesting, numbers and text were checked by the body guard; again here, since
        # this route reads the raw body itself.
        body = check_json_document(await request.body())
        received_at = datetime.now(UTC)
        parsed = [xapi.parse(raw, received_at=received_at) for raw in xapi.statements_of(body)]
        fallback = (
            partnership_of(None, write=True) if any(not s.partnership for s in parsed) else ""
        )
        chosen = {s.partnership or fallback for s in parsed}
        for p in chosen:
            check_partnership(p)
        courses: dict[str, dict[str, Course]] = {
            p: await store().courses_by_activity(p, [s.activity_id for s in parsed]) for p in chosen
        }
        facts = [
            _fact_of(s, s.partnership or fallback, courses[s.partnership or fallback])
            for s in parsed
        ]
        await ingest(runtime, facts, all_or_nothing=True)
        principal = current_principal()
        for s in parsed:  # for the audit trail: who sent each statement
            note_accepted(s.statement_id, principal.source if principal else "xapi")
        response.headers["X-Experience-API-Version"] = xapi.XAPI_VERSION
        return [s.statement_id for s in parsed]

    @api.put("/courses/{course_id}", tags=["courses"], summary="Add or change a course")
    async def put_course(
        course_id: CourseIdPath, body: CourseBody, partnership: Partnership = None
    ) -> dict[str, Any]:
        try:
            upserted = CourseUpserted(course_id=course_id, **body.model_dump())
        except ValidationError as exc:
            raise rejection(exc) from None
        await store().upsert_courses(
            [(partnership_of(partnership, write=True), Course.from_event(upserted))]
        )
        return upserted.model_dump(mode="json")

    @api.put(
        "/workforce/{organisation}/{financial_year}",
        tags=["workforce"],
        summary="Record an organisation's workforce headcount for a financial year (from its "
        "section 11 return); training representation is measured against it",
    )
    async def put_workforce(
        organisation: Organisation,
        financial_year: Annotated[str, Path(max_length=7)],
        body: WorkforceBody,
        partnership: Partnership = None,
    ) -> dict[str, Any]:
        try:
            data = WorkforceRecorded(
                organisation=organisation, financial_year=financial_year, headcount=body.headcount
            )
        except ValidationError as exc:
            raise rejection(exc) from None
        # Each PUT is a new record: reporting keeps the newest per organisation and year, so
        # a repeated PUT leaves the figures as they were.
        cause = Cause(str(uuid.uuid4()), Channel.HTTP)
        planned = await ingest(
            runtime,
            [Fact(cause, partnership_of(partnership, write=True), data)],
            all_or_nothing=True,
        )
        [reported] = planned.outcomes[0].events
        principal = current_principal()
        note_accepted(cause.id, principal.source if principal else "http")
        return {"id": cause.id, "event_id": reported.id, **reported.data}

    @api.get("/courses", tags=["courses"], summary="The course catalogue")
    async def list_courses(partnership: Partnership = None) -> list[dict[str, Any]]:
        return await store().list_courses(partnership_of(partnership))

    @api.get(
        "/courses/{course_id}",
        tags=["courses"],
        summary="A course with its enrolments and completions by organisation for a period",
    )
    async def course(
        course_id: CourseIdPath, partnership: Partnership = None, start: From = None, end: To = None
    ) -> dict[str, Any]:
        p = partnership_of(partnership)
        found = await store().course(p, course_id)
        if found is None:
            raise HTTPException(404, f"no course {course_id}")
        table = await _tabulate(store(), p, _period(start, end), {"course_id": course_id})
        by_organisation = {key[0]: cells for key, cells in sorted(_regroup(table, 0).items())}
        return {
            "course": found,
            "period": {"from": start, "to": end},
            "by_organisation": by_organisation,
            "total": _total(list(by_organisation.values())),
        }

    @api.get(
        "/courses/{course_id}/enrolments",
        tags=["courses"],
        summary="A course's enrolments, oldest first (paged)",
    )
    async def course_enrolments(
        course_id: CourseIdPath,
        partnership: Partnership = None,
        status: Status | None = None,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> list[dict[str, Any]]:
        return await store().enrolments_on_course(
            partnership_of(partnership), course_id, status=status, limit=limit, offset=offset
        )

    @api.get("/learners/{learner_id}", tags=["learners"], summary="A learner's record")
    async def learner(
        learner_id: Annotated[Identifier, Path()], partnership: Partnership = None
    ) -> dict[str, Any]:
        p = partnership_of(partnership)
        found = await store().learner(p, learner_id)
        if found is None:
            raise HTTPException(404, f"no learner {learner_id}")
        return {**found, "enrolments": await store().enrolments_of_learner(p, learner_id)}

    @api.get(
        "/totals",
        tags=["totals"],
        summary="Enrolments started in a period by organisation and format, how many of them "
        "were completed or withdrawn (counted in the period of the enrolment's start, as "
        "reporting counts them), and learners registered in it by organisation",
    )
    async def totals(
        partnership: Partnership = None,
        start: From = None,
        end: To = None,
        course_format: FormatQuery = None,
        course_id: Annotated[Identifier | None, Query()] = None,
    ) -> dict[str, Any]:
        p = partnership_of(partnership)
        period = _period(start, end)
        scope: dict[str, Any] = {}
        if course_format is not None:
            scope["course_format"] = course_format.value
        if course_id is not None:
            scope["course_id"] = course_id
        table = await _tabulate(store(), p, period, scope)
        rows = [
            {"organisation": org, "format": fmt, **cells}
            for (org, fmt), cells in sorted(table.items())
        ]
        learners = await store().count_by(
            "learners", p, period.match("registered_at"), ["organisation"]
        )
        return {
            "period": {"from": start, "to": end},
            "rows": rows,
            "by_organisation": {k[0]: v for k, v in sorted(_regroup(table, 0).items())},
            "by_format": {k[0]: v for k, v in sorted(_regroup(table, 1).items())},
            "total": _total(list(table.values())),
            "registered_learners": {
                "by_organisation": {k[0]: n for k, n in sorted(learners.items())},
                "total": sum(learners.values()),
            },
        }

    return api


async def _tabulate(
    store: TrainingStore, partnership: str, period: Period, scope: dict[str, Any]
) -> dict[tuple[str, ...], dict[str, Any]]:
    """Counts by (organisation, format) of the enrolments that count in the period
    (`shared.contracts.training.counted_at`: their start), with how many of them were
    completed, withdrawn, or inferred from a completion: the definition reporting uses, so
    both show the same figures. One read of the enrolments in scope, counted here: FerretDB
    answers each aggregation with a scan."""
    table: dict[tuple[str, ...], dict[str, Any]] = {}
    async for doc in store.enrolment_facts(partnership, scope):
        if not period.contains(counted_at(doc["enrolled_at"])):
            continue
        cells = table.setdefault(
            (doc["organisation"], doc["course_format"]), dict.fromkeys(MEASURES, 0)
        )
        cells["enrolments"] += 1
        cells["inferred_enrolments"] += bool(doc.get("inferred_enrolment"))
        cells["completions"] += doc["status"] == Status.COMPLETED.value
        cells["withdrawals"] += doc["status"] == Status.WITHDRAWN.value
    for cells in table.values():
        cells["completion_rate"] = domain.completion_rate(cells["enrolments"], cells["completions"])
    return table


def _regroup(
    table: dict[tuple[str, ...], dict[str, Any]], index: int
) -> dict[tuple[str, ...], dict[str, Any]]:
    """The table summed over every key but the one at `index`."""
    grouped: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for key, cells in table.items():
        grouped.setdefault((key[index],), []).append(cells)
    return {key: _total(cells) for key, cells in grouped.items()}
