"""Training end to end on the real broker and database: xAPI statements and Kafka events in,
stored enrolments and canonical events out."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from ops.system import Infra
from shared.contracts.training import (
    COMPLETED,
    COMPLETION_RECORDED,
    COURSE_UPSERTED,
    ENROLLED,
    ENROLMENT_RECORDED,
    REGISTERED,
    REGISTRATION_RECORDED,
    WITHDRAWAL_RECORDED,
    WITHDRAWN,
    WORKFORCE_REPORTED,
)
from shared.events import Envelope, decode, new_event
from shared.kafka import ensure_topics
from shared.topics import Topics, agency_topic, dlq
from tests.support.kafka import eventually, produce, read
from tests.support.services import running

P = "glos"
LMS = "https://lms.example"
CP_VIRTUAL = f"{LMS}/course/view.php?id=7"
ORG_EXT = "https://partnership-pulse.example/xapi/organisation"
AT = datetime(2020, 10, 5, 9, 30, tzinfo=UTC)


def _course_body(activity_id: str | None = CP_VIRTUAL) -> dict[str, Any]:
    return {
        "title": "Child protection inter-agency (virtual)",
        "theme": "child-protection",
        "format": "virtual-classroom",
        "multi_agency": True,
        "activity_id": activity_id,
    }


def _statement(learner: str, verb: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "actor": {
            "objectType": "Agent",
            "name": "Display Name Dropped",
            "account": {"homePage": LMS, "name": learner},
        },
        "verb": {"id": f"http://adlnet.gov/expapi/verbs/{verb}", "display": {"en": verb}},
        "object": {
            "objectType": "Activity",
            "id": CP_VIRTUAL,
            "definition": {"name": {"en": "Child protection inter-agency (virtual)"}},
        },
        "timestamp": AT.isoformat(),
        **extra,
    }


def _inbound(type_: str, data: dict[str, Any], event_id: str | None = None) -> Envelope:
    return new_event(
        id=event_id,
        type=type_,
        source="agency/learning-platform",
        partnership=P,
        data=data,
        subject=data.get("learner_id"),
        time=AT,
    )


async def test_xapi_statements_become_enrolments_completions_and_canonical_events(
    infra: Infra, run_id: str
) -> None:
    async with running("training", infra, run_id, default_partnership=P) as svc:
        put = await svc.http.put("/courses/cp-virtual", json=_course_body())
        assert put.status_code == 200, put.text

        enrol = _statement("u-101", "registered", context={"extensions": {ORG_EXT: "education"}})
        complete = _statement("u-101", "completed", result={"completion": True})
        response = await svc.http.post("/xapi/statements", json=[enrol, complete])
        assert response.status_code == 200, response.text
        assert response.json() == [enrol["id"], complete["id"]]
        assert response.headers["X-Experience-API-Version"] == "1.0.3"

        # The same statement again: accepted, as an LRS would, with no second effect.
        again = await svc.http.post("/xapi/statements", json=complete)
        assert again.status_code == 200, again.text
        assert again.json() == [complete["id"]]

        learner = (await svc.http.get("/learners/u-101")).json()
        assert learner["organisation"] == "education"
        assert learner["sector"] == "education"
        assert learner["implicit"] is True
        [record] = learner["enrolments"]
        assert record["status"] == "completed"
        assert record["inferred_enrolment"] is False
        assert record["statement_id"] == complete["id"]
        assert [h["outcome"] for h in record.get("history", [])] == []  # history stays inside
        assert "Display Name Dropped" not in str(learner)

        course = (await svc.http.get("/courses/cp-virtual")).json()
        assert course["by_organisation"]["education"]["enrolments"] == 1
        assert course["by_organisation"]["education"]["completions"] == 1

        events = await read(
            infra.kafka_bootstrap_servers, svc.topics.training_events, expect=3, settle=0.5
        )
        decoded = [decode(r.value) for r in events]
        by_type = {e.type: e for e in decoded}
        assert set(by_type) == {REGISTERED, ENROLLED, COMPLETED}
        # Re-publication of the repeated statement reuses the id: three distinct events.
        assert len({e.id for e in decoded}) == 3
        completed = by_type[COMPLETED]
        assert completed.subject == "u-101"
        assert completed.source == "pulse/training"
        assert completed.data["organisation"] == "education"
        assert completed.data["course_format"] == "virtual-classroom"
        assert completed.data["theme"] == "child-protection"
        assert completed.data["multi_agency"] is True
        assert completed.data["inferred_enrolment"] is False
        assert completed.data["statement_id"] == complete["id"]
        assert "Display Name Dropped" not in str(decoded)


async def test_bad_statements_are_refused_whole_with_a_clear_error(
    infra: Infra, run_id: str
) -> None:
    async with running("training", infra, run_id, default_partnership=P) as svc:
        await svc.http.put("/courses/cp-virtual", json=_course_body())
        good = _statement("u-1", "registered", context={"extensions": {ORG_EXT: "voluntary"}})
        cases = [
            (_statement("u-1", "experienced"), 422, "unknown-verb"),
            (
                {**_statement("u-1", "completed"), "object": {"id": f"{LMS}/x"}},
                422,
                "unknown-course",
            ),
            (
                {**_statement("u-1", "completed"), "actor": {"mbox": "mailto:a@b.example"}},
                422,
                "personal-data",
            ),
            ({**_statement("u-1", "completed"), "verb": "completed"}, 400, "bad-statement"),
            (_statement("u-unregistered", "registered"), 422, "unknown-learner"),
        ]
        for bad, status, reason in cases:
            response = await svc.http.post("/xapi/statements", json=[good, bad])
            assert response.status_code == status, (reason, response.text)
            assert response.json()["error"] == reason
        # Nothing of the refused requests was stored: not even the good statement.
        assert (await svc.http.get("/learners/u-1")).status_code == 404


async def test_kafka_events_flow_to_store_and_canonical_events_and_bad_ones_dead_letter(
    infra: Infra, run_id: str
) -> None:
    # The learning platform writes to its own agency topic, made before the service starts
    # (as deployment does) so the service's subscription sees it at once.
    topic = agency_topic(Topics(f"t{run_id}.").training_inbound, "learning-platform")
    await ensure_topics(infra.kafka_bootstrap_servers, [topic])
    async with running("training", infra, run_id) as svc:
        course = {
            "course_id": "neglect-virtual",
            "title": "Child neglect (virtual)",
            "theme": "neglect",
            "format": "virtual-classroom",
            "multi_agency": True,
        }
        enrolled = _inbound(
            ENROLMENT_RECORDED,
            {"learner_id": "l-1", "course_id": "neglect-virtual", "enrolled_at": AT.isoformat()},
        )
        good = [
            _inbound(COURSE_UPSERTED, course),
            _inbound(
                REGISTRATION_RECORDED,
                {
                    "learner_id": "l-1",
                    "organisation": "acute-trust",
                    "registered_at": AT.isoformat(),
                },
            ),
            enrolled,
            enrolled,  # redelivered: no second effect
            _inbound(
                WITHDRAWAL_RECORDED,
                {
                    "learner_id": "l-1",
                    "course_id": "neglect-virtual",
                    "withdrawn_at": AT.isoformat(),
                    "reason": "no-show",
                },
            ),
            _inbound(
                COMPLETION_RECORDED,
                {
                    "learner_id": "l-2",
                    "organisation": "ccg-gps",
                    "course_id": "neglect-virtual",
                    "completed_at": AT.isoformat(),
                },
            ),
        ]
        bad = [
            _inbound(
                ENROLMENT_RECORDED,
                {"learner_id": "l-1", "course_id": "no-such-course", "enrolled_at": AT.isoformat()},
            ),
            _inbound(
                WITHDRAWAL_RECORDED,
                {
                    "learner_id": "l-9",
                    "course_id": "neglect-virtual",
                    "withdrawn_at": AT.isoformat(),
                    "reason": "withdrawn",
                },
            ),
        ]
        await produce(infra.kafka_bootstrap_servers, topic, *good, *bad)

        dead = await read(infra.kafka_bootstrap_servers, dlq(svc.topics.training_inbound), expect=2)
        assert sorted(r.headers["dlq.reason"] for r in dead) == ["conflict", "unknown-course"]

        events = await read(
            infra.kafka_bootstrap_servers, svc.topics.training_events, expect=5, settle=0.5
        )
        distinct = {decode(r.value).id: decode(r.value) for r in events}.values()
        types = sorted(e.type for e in distinct)
        # l-1 registered, enrolled, withdrawn; l-2 first seen (implicitly registered) and completed.
        assert types == sorted([REGISTERED, ENROLLED, WITHDRAWN, REGISTERED, COMPLETED])
        inferred = next(decode(r.value) for r in events if decode(r.value).type == COMPLETED)
        assert inferred.data["inferred_enrolment"] is True
        assert inferred.data["enrolled_at"] == inferred.data["completed_at"]

        async def l1() -> dict[str, Any] | None:
            r = await svc.http.get("/learners/l-1", params={"partnership": P})
            return r.json() if r.status_code == 200 and r.json()["enrolments"] else None

        record = await eventually(l1)
        assert record["organisation"] == "acute-trust"
        assert record["sector"] == "health"
        [enrolment] = record["enrolments"]
        assert enrolment["status"] == "withdrawn"
        assert enrolment["withdrawal_reason"] == "no-show"

        totals = (await svc.http.get("/totals", params={"partnership": P})).json()
        cells = {(r["organisation"], r["format"]): r for r in totals["rows"]}
        assert cells[("acute-trust", "virtual-classroom")]["withdrawals"] == 1
        assert cells[("ccg-gps", "virtual-classroom")]["inferred_enrolments"] == 1
        assert totals["total"]["enrolments"] == 2
        assert totals["total"]["completions"] == 1
        assert totals["registered_learners"]["total"] == 2


async def test_a_workforce_headcount_over_http_is_reported_for_reporting(
    infra: Infra, run_id: str
) -> None:
    async with running("training", infra, run_id, default_partnership=P) as svc:
        first = await svc.http.put("/workforce/education/2020-21", json={"headcount": 900})
        assert first.status_code == 200, first.text
        corrected = await svc.http.put("/workforce/education/2020-21", json={"headcount": 950})
        assert corrected.status_code == 200, corrected.text
        assert corrected.json()["headcount"] == 950
        assert corrected.json()["sector"] == "education"

        refused = {
            "/workforce/education/2020-22": {"headcount": 900},  # not a financial year
            "/workforce/not-an-organisation/2020-21": {"headcount": 900},
            "/workforce/education/2020-21": {"headcount": 0},
        }
        for path, body in refused.items():
            r = await svc.http.put(path, json=body)
            assert r.status_code == 422, (path, r.text)

        events = await read(
            infra.kafka_bootstrap_servers, svc.topics.training_events, expect=2, settle=0.5
        )
        decoded = [decode(r.value) for r in events]
        assert [e.type for e in decoded] == [WORKFORCE_REPORTED, WORKFORCE_REPORTED]
        assert [e.id for e in decoded] == [first.json()["event_id"], corrected.json()["event_id"]]
        assert [e.data["headcount"] for e in decoded] == [900, 950]
        assert {e.subject for e in decoded} == {"education"}
        assert {e.partnership for e in decoded} == {P}
        # the newer record is the later one: reporting keeps the newest
        assert decoded[0].time <= decoded[1].time
