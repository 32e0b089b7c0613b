"""Two training instances, xAPI over HTTP and events on Kafka writing the same learners at the
same moment, lose nothing: each learner registered by whichever path came first, with both of
their enrolments recorded."""

from __future__ import annotations

import asyncio
from typing import Any

from ops.system import Infra
from shared.contracts.training import COURSE_UPSERTED, ENROLMENT_RECORDED
from shared.kafka import ensure_topics
from shared.topics import Topics, agency_topic
from tests.integration.training.test_training_flows import (
    AT,
    ORG_EXT,
    P,
    _course_body,
    _inbound,
    _statement,
)
from tests.support.kafka import eventually, produce
from tests.support.services import RunningService, running

LEARNERS = 20


async def _xapi(svc: RunningService, learner: str) -> None:
    statements = [
        _statement(learner, "registered", context={"extensions": {ORG_EXT: "education"}}),
        _statement(learner, "completed", result={"completion": True}),
    ]
    response = await svc.http.post("/xapi/statements", json=statements)
    assert response.status_code == 200, response.text


async def test_http_and_kafka_writing_the_same_learners_at_once_lose_nothing(
    infra: Infra, run_id: str
) -> None:
    topic = agency_topic(Topics(f"t{run_id}.").training_inbound, "learning-platform")
    await ensure_topics(infra.kafka_bootstrap_servers, [topic])
    async with (
        running("training", infra, run_id, default_partnership=P) as one,
        running(
            "training", infra, run_id, default_partnership=P, consumer_group=f"t{run_id}-two"
        ) as two,
    ):
        assert (await one.http.put("/courses/cp-virtual", json=_course_body())).status_code == 200
        neglect = {
            "course_id": "neglect-virtual",
            "title": "Child neglect (virtual)",
            "theme": "neglect",
            "format": "virtual-classroom",
            "multi_agency": True,
        }
        await produce(infra.kafka_bootstrap_servers, topic, _inbound(COURSE_UPSERTED, neglect))

        async def neglect_known() -> bool:
            return (await one.http.get("/courses/neglect-virtual")).status_code == 200

        await eventually(neglect_known)

        learners = [f"u-{n:04d}" for n in range(LEARNERS)]
        enrolments = [
            _inbound(
                ENROLMENT_RECORDED,
                {
                    "learner_id": learner,
                    "course_id": "neglect-virtual",
                    "organisation": "education",
                    "enrolled_at": AT.isoformat(),
                },
            )
            for learner in learners
        ]
        await asyncio.gather(
            *(_xapi((one, two)[i % 2], learner) for i, learner in enumerate(learners)),
            *(
                produce(infra.kafka_bootstrap_servers, topic, e, key=e.subject.encode())
                for e in enrolments
                if e.subject
            ),
        )

        async def everyone_has_both() -> dict[str, Any] | None:
            found = {}
            for learner in learners:
                response = await one.http.get(f"/learners/{learner}")
                if response.status_code != 200:
                    return None
                body = response.json()
                statuses = {e["course_id"]: e["status"] for e in body["enrolments"]}
                if statuses != {"cp-virtual": "completed", "neglect-virtual": "enrolled"}:
                    return None
                found[learner] = body
            return found

        found = await eventually(everyone_has_both, timeout=90)
        assert all(body["organisation"] == "education" for body in found.values())
        for course, enrolled, completed in (
            ("cp-virtual", LEARNERS, LEARNERS),
            ("neglect-virtual", LEARNERS, 0),
        ):
            totals = (await one.http.get(f"/courses/{course}")).json()["by_organisation"]
            assert totals["education"]["enrolments"] == enrolled, course
            assert totals["education"]["completions"] == completed, course
