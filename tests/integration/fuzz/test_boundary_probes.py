"""The inputs that once answered 5xx (huge pages and offsets, dates in year 1 or 9999 with odd
offsets, NaN, lone surrogates, deep nesting, 10 MB bodies, no Content-Type) now answer 4xx on
the real broker and database, and the same documents on Kafka are dead-lettered while the
consumer goes on."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ops.system import Infra
from shared.contracts import intake as i
from shared.contracts import training as t
from shared.topics import dlq
from tests.support.inbound_examples import EVENT_DATA, envelope
from tests.support.kafka import eventually, produce, read
from tests.support.services import running

YEAR_1 = "0001-01-01T00:00:00+14:00"
YEAR_9999 = "9999-12-31T23:59:59-14:00"
DEEP = b"[" * 100_000 + b"]" * 100_000
HUGE = json.dumps({"data": "x" * 10_000_000}).encode()
JSON = {"content-type": "application/json"}

PROBES: dict[str, list[tuple[str, str, dict[str, Any], bytes | None, dict[str, str]]]] = {
    "intake": [
        ("GET", "/contacts", {"page": str(10**18), "page_size": "200"}, None, {}),
        ("GET", "/contacts", {"page": str(2**64)}, None, {}),
        ("GET", "/contacts", {"from": YEAR_1}, None, {}),
        ("GET", "/contacts", {"to": YEAR_9999}, None, {}),
        ("POST", "/contacts", {}, DEEP, JSON),
        ("POST", "/contacts", {}, HUGE, JSON),
        ("POST", "/contacts", {}, b'{"id": "\\ud800"}', JSON),
        (
            "POST",
            "/contacts",
            {},
            json.dumps(envelope(i.SUBMITTED, {})).encode(),
            {"content-type": "text/plain"},
        ),
        (
            "POST",
            "/events",
            {},
            json.dumps(
                envelope(i.SUBMITTED, EVENT_DATA[i.SUBMITTED] | {"received_at": YEAR_1})
            ).encode(),
            JSON,
        ),
    ],
    "reviews": [
        ("GET", "/tracker", {"as_of": "9999-12-31"}, None, {}),
        ("GET", "/reviews/r-1", {"as_of": "0001-01-01"}, None, {}),
        ("GET", "/reviews/r-1/versions/99999999999999999999", {}, None, {}),
        (
            "POST",
            "/reviews",
            {},
            b'{"review_id": "r-1", "kind": "maca", "title": "\\ud800", "opened_on": "2024-01-01"}',
            JSON,
        ),
        (
            "POST",
            "/reviews",
            {},
            b'{"review_id": "r-1", "kind": "maca", "title": "x", "opened_on": "0001-01-01"}',
            JSON,
        ),
        ("POST", "/reviews", {}, DEEP, JSON),
        ("POST", "/escalations", {}, json.dumps({"raised_at": YEAR_9999}).encode(), JSON),
    ],
    "training": [
        ("GET", "/courses/k-1/enrolments", {"offset": str(10**19)}, None, {}),
        ("GET", "/totals", {"from": YEAR_1}, None, {}),
        ("GET", "/totals", {"to": YEAR_9999}, None, {}),
        ("GET", "/courses/k-1", {"from": "0001-01-01"}, None, {}),
        ("PUT", "/workforce/education/2020-21", {}, b'{"headcount": NaN}', JSON),
        ("PUT", "/workforce/education/0999-00", {}, b'{"headcount": 1}', JSON),
        (
            "PUT",
            "/courses/k-1",
            {},
            b'{"title": "\\ud800", "theme": "neglect", "format": "webinar", "multi_agency": true}',
            JSON,
        ),
        ("POST", "/xapi/statements", {}, json.dumps({"timestamp": YEAR_9999}).encode(), JSON),
        ("POST", "/xapi/statements", {}, DEEP, JSON),
    ],
}


@pytest.mark.parametrize("service", sorted(PROBES))
async def test_inputs_that_once_answered_5xx_answer_4xx(
    infra: Infra, run_id: str, service: str
) -> None:
    options = {"default_partnership": "p1"} if service == "training" else {}
    async with running(service, infra, run_id, **options) as svc:
        answers = []
        for method, path, params, body, headers in PROBES[service]:
            response = await svc.http.request(
                method, path, params=params, content=body, headers=headers
            )
            answers.append((method, path, response.status_code))
        assert [a for a in answers if not 400 <= a[2] < 500] == []
        assert (await svc.http.get("/health")).status_code == 200


async def test_hostile_records_are_dead_lettered_and_the_consumer_goes_on(
    infra: Infra, run_id: str
) -> None:
    async with running("training", infra, run_id, default_partnership="p1") as svc:
        hostile = [
            DEEP,
            b'{"specversion": "1.0", "id": "\\ud800"}',
            json.dumps(envelope(t.WORKFORCE_RECORDED, {"organisation": "education"}))
            .replace('"organisation"', '"headcount": NaN, "organisation"')
            .encode(),
            json.dumps(
                envelope(
                    t.REGISTRATION_RECORDED,
                    EVENT_DATA[t.REGISTRATION_RECORDED] | {"registered_at": YEAR_1},
                )
            ).encode(),
            json.dumps(
                envelope(t.COURSE_UPSERTED, EVENT_DATA[t.COURSE_UPSERTED], time=YEAR_9999)
            ).encode(),
        ]
        good = json.dumps(
            envelope(t.REGISTRATION_RECORDED, EVENT_DATA[t.REGISTRATION_RECORDED], id="e-good")
        ).encode()
        await produce(infra.kafka_bootstrap_servers, svc.topics.training_inbound, *hostile, good)
        dead = await read(
            infra.kafka_bootstrap_servers,
            dlq(svc.topics.training_inbound),
            expect=len(hostile),
            timeout=60,
        )
        assert len(dead) == len(hostile)
        assert {d.headers["dlq.reason"] for d in dead} <= {
            "too-deep",
            "bad-text",
            "bad-number",
            "schema",
            "invalid-envelope",
        }

        async def registered() -> bool:
            return (await svc.http.get("/learners/u-1")).status_code == 200

        assert await eventually(registered)
