"""Nothing lost, nothing counted twice, with many writers on the same enrolments at once: two
training instances in one consumer group and two reporting instances, the learning
platform's enrolments arriving on Kafka while its xAPI completions for the very same learners
and courses are posted to both instances (some statements to both at once, as a platform
re-sending after a lost response would).

A completion that lands before its enrolment infers the enrolment, and the late enrolment is
then a duplicate; whichever lands first, each learner's enrolment on a course counts once and
each completion once. The learners are registered first (a completion names no organisation,
so it needs the registration).
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from ops.system import Infra
from services.training.xapi import ORGANISATION_EXTENSION, PARTNERSHIP_EXTENSION
from shared.contracts.training import (
    COMPLETED,
    ENROLLED,
    ENROLMENT_RECORDED,
    REGISTERED,
    REGISTRATION_RECORDED,
)
from shared.events import derived_id
from shared.kafka import ensure_topics
from shared.topics import Topics, dlq
from tests.faults.instances import running, summary
from tests.faults.reading import Announced, announced, figures_when
from tests.faults.test_reviews_nothing_lost import _publish
from tests.faults.test_training_nothing_lost import START, _inbound
from tests.support.processes import ServiceProcess

LEARNERS = 200
P = "p1"
COURSES = {
    "safeguarding-1": "https://lms.example/course/view.php?id=12",
    "dsl-2": "https://lms.example/course/view.php?id=14",
}
STATEMENTS = uuid.UUID("6c1d3b1e-5d0a-4c1e-9f55-0a8f7c2b9e11")
BATCH = 5  # statements per xAPI request
PACE = 0.15  # seconds between requests


def _completes(n: int, course: str) -> bool:
    return n % 3 != 0 if course == "safeguarding-1" else n % 2 == 0


def _organisation(n: int) -> str:
    return ("education", "acute-trust", "county-council")[n % 3]


def _statement(n: int, course: str, with_organisation: bool) -> dict[str, Any]:
    learner = f"l{n:04d}"
    extensions = {PARTNERSHIP_EXTENSION: P}
    if with_organisation:
        extensions[ORGANISATION_EXTENSION] = _organisation(n)
    return {
        "id": str(uuid.uuid5(STATEMENTS, f"{learner}/{course}")),
        "actor": {"account": {"homePage": "https://lms.example", "name": learner}},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
        "object": {"id": COURSES[course]},
        "timestamp": (START + timedelta(minutes=n, days=3)).isoformat(),
        "context": {"extensions": extensions},
    }


Keyed = list[tuple[bytes, bytes]]


def _workload(with_organisation: bool) -> tuple[Keyed, Keyed, list[dict[str, Any]]]:
    """Registrations and enrolments (Kafka, keyed by learner: spread over both instances)
    and completions (xAPI; naming the learner's organisation, or not) for every learner, on
    both courses."""
    registrations: Keyed = []
    enrolments: Keyed = []
    completions: list[dict[str, Any]] = []
    for n in range(LEARNERS):
        learner, at = f"l{n:04d}", START + timedelta(minutes=n)
        org = _organisation(n)
        registrations.append(
            (
                learner.encode(),
                _inbound(
                    f"reg-{n}",
                    REGISTRATION_RECORDED,
                    {"learner_id": learner, "organisation": org, "registered_at": at.isoformat()},
                ),
            )
        )
        for course in COURSES:
            enrolled = {
                "learner_id": learner,
                "course_id": course,
                "enrolled_at": (at + timedelta(days=1)).isoformat(),
            }
            enrolments.append(
                (learner.encode(), _inbound(f"enr-{n}-{course}", ENROLMENT_RECORDED, enrolled))
            )
            if _completes(n, course):
                completions.append(_statement(n, course, with_organisation))
    return registrations, enrolments, completions


async def _post_statements(urls: list[str], statements: list[dict[str, Any]]) -> tuple[int, int]:
    """Small batches of statements to the instances in turn: half of them straight away
    (mostly ahead of their enrolments), half one every PACE seconds as learners finish (so
    they meet the enrolments Kafka is still recording); every fifth batch to both instances
    at the same moment. Returns (requests, accepted 200)."""
    batches = [statements[i : i + BATCH] for i in range(0, len(statements), BATCH)]
    async with httpx.AsyncClient(timeout=60) as client:

        async def post(to: int, batch: list[dict[str, Any]]) -> bool:
            r = await client.post(f"{urls[to % len(urls)]}/xapi/statements", json=batch)
            assert r.status_code == 200, r.text
            return True

        async def send(i: int, batch: list[dict[str, Any]]) -> list[bool]:
            await asyncio.sleep(i * PACE if i % 2 else 0)
            targets = [i, i + 1] if i % 5 == 0 else [i]
            return await asyncio.gather(*(post(to, batch) for to in targets))

        results = await asyncio.gather(*(send(i, batch) for i, batch in enumerate(batches)))
    return sum(len(r) for r in results), sum(sum(r) for r in results)


async def _read_learners(urls: list[str], ids: list[str]) -> dict[str, dict[str, Any] | None]:
    """Each learner's record as training shows it (GET /learners/{id}), from both instances."""
    async with httpx.AsyncClient(timeout=30) as client:

        async def one(i: int, learner: str) -> dict[str, Any] | None:
            r = await client.get(
                f"{urls[i % len(urls)]}/learners/{learner}", params={"partnership": P}
            )
            return r.json() if r.status_code == 200 else None

        found = await asyncio.gather(*(one(i, learner) for i, learner in enumerate(ids)))
    return dict(zip(ids, found, strict=True))


@pytest.mark.timeout(1200)
@pytest.mark.parametrize("registrations_sent", ["first", "with-the-rest"])
async def test_two_instances_with_kafka_enrolments_and_xapi_completions_at_once(
    infra: Infra, run_id: str, tmp_path: Path, registrations_sent: str
) -> None:
    """Registrations sent first (completions then name no organisation), or with the
    enrolments, at the same time as completions that name the organisation: a completion
    landing first then registers its learner implicitly, and the platform's registration
    arriving after it must still make the learner a registered one, counted once."""
    first = registrations_sent == "first"
    bootstrap = infra.kafka_bootstrap_servers
    topics = Topics(f"t{run_id}.")
    await ensure_topics(bootstrap, [topics.training_inbound, topics.training_events])
    registrations, enrolments, completions = _workload(with_organisation=not first)

    def instance(service: str, **env: str) -> ServiceProcess:
        return ServiceProcess(service, infra, run_id, tmp_path, **env)

    training = [instance("training", CONSUMER_BATCH_SIZE="50") for _ in range(2)]
    reporting = [instance("reporting", RECOMPUTE_DEBOUNCE_S="1") for _ in range(2)]
    urls = [svc.url for svc in training]
    learners = {f"l{n:04d}" for n in range(LEARNERS)}
    pairs = {(f"l{n:04d}", course) for n in range(LEARNERS) for course in COURSES}
    completing = {
        (s["actor"]["account"]["name"], c)
        for s in completions
        for c, a in COURSES.items()
        if a == s["object"]["id"]
    }
    expected_completions = {derived_id(s["id"], COMPLETED): s for s in completions}

    def registered(seen: Announced) -> bool:
        explicit = {str(e.subject) for e in seen.of_type(REGISTERED) if not e.data["implicit"]}
        return explicit >= learners

    def recorded(seen: Announced) -> bool:
        enrolled = {(e.data["learner_id"], e.data["course_id"]) for e in seen.of_type(ENROLLED)}
        inferred = {
            (e.data["learner_id"], e.data["course_id"])
            for e in seen.of_type(COMPLETED)
            if e.data.get("inferred_enrolment")
        }
        return (
            set(expected_completions) <= seen.events.keys()
            and enrolled | inferred >= pairs
            and registered(seen)
        )

    async with running([*training, *reporting]):
        async with httpx.AsyncClient(timeout=30) as client:
            for course, activity in COURSES.items():
                body = {
                    "title": "Safeguarding children",
                    "theme": "child-protection",
                    "format": "elearning",
                    "multi_agency": True,
                    "activity_id": activity,
                }
                r = await client.put(
                    f"{urls[0]}/courses/{course}", params={"partnership": P}, json=body
                )
                assert r.status_code == 200, r.text
        kafka = enrolments
        if first:
            await _publish(bootstrap, topics.training_inbound, registrations)
            await announced(
                bootstrap, topics.training_events, dlq(topics.training_inbound), registered
            )
        else:
            kafka = registrations + enrolments  # each learner's registration before its enrolments
        # Kafka and HTTP at once, on the same learners and courses, to both instances.
        (requests, accepted), _ = await asyncio.gather(
            _post_statements(urls, completions),
            _publish(bootstrap, topics.training_inbound, kafka),
        )
        seen = await announced(
            bootstrap, topics.training_events, dlq(topics.training_inbound), recorded
        )
        async with httpx.AsyncClient(timeout=30) as client:
            totals = [
                (await client.get(f"{url}/totals", params={"partnership": P})).json()
                for url in urls
            ]
        learner_reads = await _read_learners(urls, sorted(learners))
        want = {
            "learners_registered": len(learners),
            # every learner registered by the platform: none known only from a completion
            "learners_implicit": 0,
            "enrolments": len(pairs),
            "completions": len(completing),
        }
        figures = await figures_when(reporting, want)

    # Per learner and course: one enrolment (announced, or inferred by a completion that
    # came first) and, if completed, one completion; per learner, one registration.
    by_fact: dict[tuple[str, ...], set[str]] = {}
    for e in seen.events.values():
        if e.type == REGISTERED:
            by_fact.setdefault((e.type, str(e.subject), e.data["implicit"]), set()).add(e.id)
        else:
            fact = (e.data["learner_id"], e.data["course_id"])
            by_fact.setdefault((e.type, *fact), set()).add(e.id)
            if e.type == COMPLETED and e.data.get("inferred_enrolment"):
                by_fact.setdefault((ENROLLED, *fact), set()).add(e.id)
    wanted = (
        [(REGISTERED, learner, False) for learner in learners]
        + [(ENROLLED, *pair) for pair in pairs]
        + [(COMPLETED, *pair) for pair in completing]
    )
    lost = [fact for fact in wanted if fact not in by_fact]
    lost += [i for i in expected_completions if i not in seen.events]
    duplicated = {fact: ids for fact, ids in by_fact.items() if len(ids) > 1}
    inferred = sum(1 for e in seen.of_type(COMPLETED) if e.data.get("inferred_enrolment"))
    published = len(registrations) + len(enrolments) + len(completions)
    print(
        "\n"
        + summary(
            f"training-writers-at-once[{registrations_sent}]",
            published=f"{published} (kafka={len(registrations) + len(enrolments)} "
            f"xapi={len(completions)} in {requests} requests, accepted {accepted})",
            delivered=len(seen.events),
            lost=len(lost),
            duplicated=len(duplicated),
            dead_lettered=len(seen.dead),
            completions_before_enrolment=inferred,
            completions_before_registration=len(
                [e for e in seen.of_type(REGISTERED) if e.data["implicit"]]
            ),
            republished_same_id=seen.republished,
            same_id_other_content=len(seen.changed),
        )
    )
    print(
        summary(f"training-writers-at-once[{registrations_sent}]", reporting=figures, recount=want)
    )
    assert accepted == requests
    assert not seen.dead, seen.dead
    assert not seen.changed, sorted(seen.changed)[:10]
    assert not lost, lost[:10]
    assert not duplicated, list(duplicated.items())[:10]
    for read in totals:  # training's own reads, from each instance
        assert read["total"]["enrolments"] == len(pairs)
        assert read["total"]["completions"] == len(completing)
        assert read["registered_learners"]["total"] == len(learners)
    implicit = sorted(k for k, v in learner_reads.items() if v is None or v.get("implicit"))
    assert not implicit, implicit[:10]
    assert figures == want, reporting[0].log_tail()
