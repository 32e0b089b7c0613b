"""Planted names, dates of birth, addresses, postcodes and NHS numbers (in every layout) are
refused on every inbound path of every service, over HTTP and Kafka, on the real broker and
database; afterwards no topic the services write, no database and no log line holds any of
the planted strings."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer
from pymongo import AsyncMongoClient

from ops.system import Infra
from shared.contracts import reviews as r
from shared.contracts import training as t
from shared.contracts.intake import SUBMITTED
from shared.topics import dlq
from tests.support.kafka import eventually, produce, read
from tests.support.services import RunningService, running

NAME = "Jessica Marlowe"
NAME_DOB_REF = "jessica.marlowe.2015-03-04"
DOB = "04/03/2015"
ADDRESS = "14 Acacia Avenue, Gloucester GL1 2AB"
NHS = ["943.476.5919", "943/476/5919", "9434 765 919", "943\u00a0476\u00a05919", "9434765919"]
PHONE = "07700 900123"
EMAIL = "jessica.marlowe@example.org"
# What must appear nowhere afterwards (the NHS number in every layout, the name's parts).
PLANTED = ["Marlowe", "marlowe", "Acacia", "GL1 2AB", DOB, "2015-03-04", PHONE, *NHS]

NOW = datetime.now(UTC) - timedelta(hours=2)
TS = NOW.isoformat()
DAY = NOW.date().isoformat()


def _envelope(event_type: str, data: dict[str, Any], **attrs: Any) -> bytes:
    """A CloudEvent built by hand: the planted values must reach the service unvalidated."""
    body = {
        "specversion": "1.0",
        "id": attrs.pop("id", f"e-{abs(hash(json.dumps(data, sort_keys=True))) % 10**9}"),
        "source": "agency/police",
        "type": event_type,
        "time": TS,
        "partnership": "p1",
        "data": data,
    } | attrs
    return json.dumps(body).encode()


def _contact(contact_id: str, **overrides: Any) -> dict[str, Any]:
    return {
        "contact_id": contact_id,
        "agency": "police",
        "source": "6",
        "channel": "vist",
        "received_at": TS,
        "child_ref": f"police-{contact_id}",
        "age_years": 7,
        "consent": "obtained",
        "wishes_and_feelings_recorded": True,
    } | overrides


INTAKE_PLANTED = [
    _envelope(SUBMITTED, _contact("c-1", child_ref=NAME_DOB_REF)),
    _envelope(SUBMITTED, _contact(NHS[0].replace(".", "-"))),
    _envelope(SUBMITTED, _contact("c-3"), id="Jessica-Marlowe-1"),
    _envelope(SUBMITTED, _contact("c-4"), partnership=NAME),
    _envelope(SUBMITTED, _contact("c-5"), subject=NHS[4]),
    _envelope(SUBMITTED, _contact("c-6") | {"child_name": NAME}),
    _envelope(SUBMITTED, _contact("c-7") | {"address": ADDRESS}),
    _envelope(SUBMITTED, _contact("c-8", child_ref=NHS[4])),
]


async def _leaks(infra: Infra, svc: RunningService, sent_to: set[str], logs: str) -> list[str]:
    """Where any planted string is found: every topic of this run the test did not write
    itself (canonical and dead-letter topics), the service's database, and the logs."""
    found = []
    consumer = AIOKafkaConsumer(bootstrap_servers=infra.kafka_bootstrap_servers)
    await consumer.start()
    try:
        topics = {x for x in await consumer.topics() if x.startswith(svc.settings.topic_prefix)}
    finally:
        await consumer.stop()
    for topic in sorted(topics - sent_to):
        found += await _hits_in_topic(infra, topic)
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(infra.mongodb_url)
    try:
        db = client[svc.settings.database_name()]
        for name in await db.list_collection_names():
            async for doc in db[name].find({}):
                text = json.dumps(doc, default=str, ensure_ascii=False)
                found += [f"collection {name}: {p!r}" for p in PLANTED if p in text]
    finally:
        await client.close()
    found += [
        f"logs: {p!r} in {line[:300]!r}" for line in logs.splitlines() for p in PLANTED if p in line
    ]
    return found


async def _hits_in_topic(infra: Infra, topic: str) -> list[str]:
    found = []
    for record in await read(infra.kafka_bootstrap_servers, topic, expect=10**9, timeout=2):
        text = (record.value + json.dumps(record.headers).encode()).decode("utf-8", "replace")
        found += [f"topic {topic}: {p!r}" for p in PLANTED if p in text]
    return found


def _capture_logs(caplog: pytest.LogCaptureFixture) -> None:
    """Everything at the deployment's level (INFO), and the project's own code at DEBUG too.
    The Kafka client's DEBUG lines are left out: they include the test's own producer
    printing what it sends."""
    caplog.set_level(logging.INFO)
    for name in ("shared", "services", "pulse"):
        caplog.set_level(logging.DEBUG, logger=name)


def _log_text(caplog: pytest.LogCaptureFixture) -> str:
    parts = []
    for record in caplog.records:
        if record.name.startswith(("httpx", "httpcore")):
            continue  # the test's own client logging the URLs it sends
        parts.append(f"[{record.name}] {record.getMessage()}")
        if record.exc_text:
            parts.append(record.exc_text)
    return "\n".join(parts)


def _refused(response: httpx.Response) -> None:
    assert 400 <= response.status_code < 500, response.text
    for planted in PLANTED:
        assert planted not in response.text


async def _dead_letters(infra: Infra, topic: str, expect: int) -> list[Any]:
    dead = await read(infra.kafka_bootstrap_servers, dlq(topic), expect=expect, timeout=60)
    assert len(dead) == expect
    return dead


async def test_intake_refuses_planted_personal_data_over_http_and_kafka(
    infra: Infra, run_id: str, caplog: pytest.LogCaptureFixture
) -> None:
    _capture_logs(caplog)
    async with running("intake", infra, run_id) as svc:
        for body in INTAKE_PLANTED:
            answer = await svc.http.post("/contacts", content=body)
            _refused(answer)
            assert answer.json()["error"] == "personal-data", answer.text
        _refused(await svc.http.get("/contacts", params={"agency": NAME}))
        _refused(await svc.http.get(f"/contacts/{NAME_DOB_REF}"))
        control = await svc.http.post("/contacts", content=_envelope(SUBMITTED, _contact("ok-1")))
        assert control.status_code == 202, control.text

        await produce(infra.kafka_bootstrap_servers, svc.topics.intake_inbound, *INTAKE_PLANTED)
        dead = await _dead_letters(infra, svc.topics.intake_inbound, len(INTAKE_PLANTED))
        assert {d.headers["dlq.reason"] for d in dead} == {"personal-data"}
        assert all(d.value == b"" for d in dead)

        async def stored() -> bool:
            return (await svc.http.get("/contacts/ok-1")).status_code == 200

        assert await eventually(stored)
        leaks = await _leaks(infra, svc, {svc.topics.intake_inbound}, _log_text(caplog))
        # The search finds what is there: the topic the test itself wrote the records to.
        assert await _hits_in_topic(infra, svc.topics.intake_inbound)
    assert leaks == []


REVIEW = {"review_id": "r-1", "kind": "maca", "title": "Thematic audit", "opened_on": DAY}
ACTION = {
    "action_id": "a-1",
    "recommendation_numbers": ["1"],
    "description": "Audit the panel",
    "owner_role": "head-of-service",
    "owner_agency": "gcc",
    "planned_on": DAY,
}
ESCALATION = {
    "escalation_id": "x-1",
    "raised_by_agency": "gcc",
    "raised_about_agency": "icb",
    "level": 2,
    "subject": "Threshold disagreement",
    "raised_at": TS,
}
REVIEWS_HTTP: list[tuple[str, str, dict[str, Any], dict[str, str]]] = [
    ("POST", "/reviews", REVIEW | {"title": f"{NAME}, born {DOB}"}, {}),
    ("POST", "/reviews", REVIEW | {"review_id": NAME_DOB_REF}, {}),
    ("POST", "/reviews", REVIEW, {"X-Partnership": NAME}),
    ("POST", "/reviews", REVIEW, {"Idempotency-Key": NAME_DOB_REF}),
    (
        "POST",
        "/reviews/r-1/recommendations",
        {"number": "1", "text": f"Share NHS no {NHS[1]}", "recorded_on": DAY},
        {},
    ),
    ("POST", "/reviews/r-1/actions", ACTION | {"description": f"Visit {ADDRESS}"}, {}),
    ("POST", "/reviews/r-1/actions", ACTION | {"owner_role": NAME}, {}),
    ("PATCH", "/actions/a-1", {"review_id": "r-1", "updated_on": DAY, "note": f"ring {PHONE}"}, {}),
    ("POST", "/escalations", ESCALATION | {"subject": f"{NAME} {NHS[3]}"}, {}),
    ("POST", "/escalations/x-1/resolution", {"resolved_at": TS, "outcome": f"{NHS[2]}"}, {}),
    (
        "POST",
        "/reviews/r-1/rapid-review-decision",
        {"completed_on": DAY, "lcspr_required": False, "rationale": f"DOB {DOB}"},
        {},
    ),
]


async def test_reviews_refuses_planted_personal_data_over_http_and_kafka(
    infra: Infra, run_id: str, caplog: pytest.LogCaptureFixture
) -> None:
    _capture_logs(caplog)
    async with running("reviews", infra, run_id) as svc:
        for method, path, body, headers in REVIEWS_HTTP:
            answer = await svc.http.request(
                method, path, json=body, headers={"X-Partnership": "p1"} | headers
            )
            _refused(answer)
            assert answer.json()["error"] in ("personal-data", "schema"), (path, answer.text)
        _refused(await svc.http.get("/tracker", params={"partnership": NAME}))
        _refused(await svc.http.get(f"/reviews/{NAME_DOB_REF}"))
        control = await svc.http.post("/reviews", json=REVIEW, headers={"X-Partnership": "p1"})
        assert control.status_code == 201, control.text
        escalated = await svc.http.post(
            "/escalations", json=ESCALATION, headers={"X-Partnership": "p1"}
        )
        assert escalated.status_code == 201, escalated.text
        # Free text stays in reviews: neither the title nor the subject is published.
        published = await read(
            infra.kafka_bootstrap_servers, svc.topics.reviews_events, expect=2, timeout=30
        )
        assert len(published) == 2
        assert all(b"Thematic audit" not in e.value for e in published)
        assert all(b"Threshold disagreement" not in e.value for e in published)

        on_kafka = [
            _envelope(r.OPEN_REQUESTED, REVIEW | {"review_id": "r-2", "title": f"GL1 2AB {DOB}"}),
            _envelope(r.ESCALATION_SUBMITTED, ESCALATION | {"subject": f"NHS {NHS[0]}"}),
            _envelope(r.OPEN_REQUESTED, REVIEW | {"review_id": "r-3"}, partnership=NAME),
        ]
        await produce(infra.kafka_bootstrap_servers, svc.topics.reviews_inbound, *on_kafka)
        dead = await _dead_letters(infra, svc.topics.reviews_inbound, len(on_kafka))
        assert {d.headers["dlq.reason"] for d in dead} == {"personal-data"}
        leaks = await _leaks(infra, svc, {svc.topics.reviews_inbound}, _log_text(caplog))
    assert leaks == []


COURSE = {"title": "Neglect", "theme": "neglect", "format": "webinar", "multi_agency": True}


def _statement(**actor: Any) -> dict[str, Any]:
    return {
        "actor": {"account": {"homePage": "https://lms.example", "name": "u-1"}} | actor,
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
        "object": {"id": "https://lms.example/course/view.php?id=1"},
        "timestamp": TS,
    }


async def test_training_refuses_planted_personal_data_over_http_xapi_and_kafka(
    infra: Infra, run_id: str, caplog: pytest.LogCaptureFixture
) -> None:
    _capture_logs(caplog)
    async with running("training", infra, run_id, default_partnership="p1") as svc:
        course = COURSE | {"activity_id": "https://lms.example/course/view.php?id=1"}
        assert (await svc.http.put("/courses/k-1", json=course)).status_code == 200
        _refused(await svc.http.put("/courses/k-2", json=COURSE | {"title": f"{NAME} {NHS[0]}"}))
        _refused(await svc.http.put(f"/courses/{NAME_DOB_REF}", json=COURSE))
        _refused(await svc.http.put("/courses/k-3", json=COURSE, params={"partnership": NAME}))
        _refused(await svc.http.get("/courses", params={"partnership": NAME}))
        _refused(await svc.http.get(f"/learners/{NAME_DOB_REF}"))
        for statement in [
            _statement(name=f"{NAME} {DOB}"),
            _statement(account={"homePage": "https://lms.example", "name": NAME_DOB_REF}),
            _statement(account={"homePage": "https://lms.example", "name": NHS[4]}),
            _statement(mbox=f"mailto:{EMAIL}"),
        ]:
            answer = await svc.http.post("/xapi/statements", json=statement)
            _refused(answer)
            assert answer.json()["error"] in ("personal-data", "bad-statement"), answer.text
        registered = {"organisation": "education", "registered_at": TS, "learner_id": "u-1"}
        await produce(
            infra.kafka_bootstrap_servers,
            svc.topics.training_inbound,
            _envelope(t.REGISTRATION_RECORDED, registered),
        )

        async def known() -> bool:
            return (await svc.http.get("/learners/u-1")).status_code == 200

        assert await eventually(known)
        accepted = await svc.http.post("/xapi/statements", json=_statement(name="Learner"))
        assert accepted.status_code == 200, accepted.text

        on_kafka = [
            _envelope(t.COURSE_UPSERTED, COURSE | {"course_id": "k-9", "title": f"{ADDRESS}"}),
            _envelope(
                t.REGISTRATION_RECORDED,
                {"learner_id": "Jessica-Marlowe", "organisation": "education", "registered_at": TS},
            ),
        ]
        await produce(infra.kafka_bootstrap_servers, svc.topics.training_inbound, *on_kafka)
        dead = await _dead_letters(infra, svc.topics.training_inbound, len(on_kafka))
        assert {d.headers["dlq.reason"] for d in dead} == {"personal-data"}
        leaks = await _leaks(infra, svc, {svc.topics.training_inbound}, _log_text(caplog))
    assert leaks == []
