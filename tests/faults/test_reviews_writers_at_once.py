"""Nothing lost, nothing counted twice, with many writers on the same reviews at once: two
reviews instances in one consumer group (both sweeping for overdue actions every half
second), two reporting instances, and the business unit's commands for the very same reviews
arriving on Kafka and over HTTP to both instances at the same time.

Each rapid review is opened on Kafka, with a recommendation, its action, a progress update of
that action and (for some) an action already past its target date. Over HTTP, while the
consumers are still recording, the rapid review is completed, the Kafka recommendation
revised, a second recommendation recorded, planned and completed, and the Kafka action
updated again: every review is written by several writers at once, from both instances.
Every accepted command's canonical events must be announced once (by derived id), reviews'
own reads must hold everything sent, and reporting's figures must equal a recount of what
was accepted.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from ops.system import Infra
from shared.contracts import reviews as c
from shared.events import derived_id
from shared.kafka import ensure_topics
from shared.topics import Topics, dlq
from shared.workdays import LONDON
from tests.faults.instances import running, summary
from tests.faults.reading import Announced, announced, figures_when, financial_year
from tests.faults.test_reviews_nothing_lost import _command, _publish
from tests.support.processes import ServiceProcess

REVIEWS = 120
P = "p1"


@dataclass(frozen=True)
class Command:
    """One command of the workload: its id (the Idempotency-Key over HTTP), what it gives."""

    id: str
    type: str
    review_id: str
    data: dict[str, Any]
    gives: tuple[str, ...]


@dataclass
class Workload:
    kafka: list[Command] = field(default_factory=list)
    # Over HTTP: chains of commands, each chain in order, the chains all at once.
    http: list[list[Command]] = field(default_factory=list)
    overdue: dict[str, str] = field(default_factory=dict)  # action -> its sweep event's id
    both: set[str] = field(default_factory=set)  # HTTP commands sent to both instances at once


def _workload(today: date) -> Workload:
    """Rapid reviews opened, notified and completed today (their clock runs well past today,
    so no breach), their plans dated today; actions `-3` were due ten days ago."""
    w = Workload()
    soon, past = (today + timedelta(days=60)).isoformat(), (today - timedelta(days=10)).isoformat()
    on = today.isoformat()

    def cmd(id_: str, type_: str, rid: str, gives: tuple[str, ...], **data: Any) -> Command:
        return Command(id_, type_, rid, {"review_id": rid, **data}, gives)

    def plan(id_: str, rid: str, action: str, number: str, target: str) -> Command:
        return cmd(
            id_,
            c.ACTION_PLAN_SUBMITTED,
            rid,
            (c.ACTION_PLANNED,),
            action_id=action,
            recommendation_numbers=[number],
            description="Multi-agency audit of the plan's implementation",
            owner_role="director",
            owner_agency="gcc",
            target_date=target,
            planned_on=on,
        )

    def recommend(id_: str, rid: str, number: str) -> Command:
        return cmd(
            id_,
            c.RECOMMENDATION_SUBMITTED,
            rid,
            (c.RECOMMENDATION_RECORDED,),
            number=number,
            text="Agencies share chronologies at the strategy meeting",
            agreement="agreed",
            recorded_on=on,
        )

    def update(id_: str, rid: str, action: str, status: str) -> Command:
        gives = (
            (c.ACTION_UPDATED, c.ACTION_COMPLETED) if status == "complete" else (c.ACTION_UPDATED,)
        )
        return cmd(
            id_,
            c.ACTION_UPDATE_SUBMITTED,
            rid,
            gives,
            action_id=action,
            updated_on=on,
            status=status,
            note=f"progress from the {'case system' if id_.startswith('k') else 'tracker'}",
        )

    for n in range(REVIEWS):
        rid, a1, a2, a3 = f"rr-{n:04d}", f"act-{n}-1", f"act-{n}-2", f"act-{n}-3"
        w.kafka += [
            cmd(
                f"k-open-{n}",
                c.OPEN_REQUESTED,
                rid,
                (c.OPENED,),
                kind="rapid-review",
                title="Rapid review",
                opened_on=on,
                notified_on=on,
            ),
            recommend(f"k-rec1-{n}", rid, "1"),
            plan(f"k-plan1-{n}", rid, a1, "1", soon),
            update(f"k-upd1-{n}", rid, a1, "underway"),
        ]
        if n % 4 == 0:
            w.kafka.append(plan(f"k-plan3-{n}", rid, a3, "1", past))
            key = f"overdue:{a3}@{past}"
            w.overdue[a3] = derived_id(key, c.ACTION_OVERDUE)
        done = cmd(
            f"h-done-{n}",
            c.RAPID_REVIEW_COMPLETION_REPORTED,
            rid,
            (c.STAGE_CHANGED,),
            completed_on=on,
            lcspr_required=n % 3 == 0,
            rationale="Learning is for the partnership as a whole",
        )
        if n % 5 == 0:
            w.both |= {done.id, f"h-upd2-{n}"}
        w.http += [
            [done],
            [recommend(f"h-rec1-{n}", rid, "1")],  # a revision of Kafka's, whichever lands first
            [
                recommend(f"h-rec2-{n}", rid, "2"),
                plan(f"h-plan2-{n}", rid, a2, "2", soon),
                update(f"h-upd2-{n}", rid, a2, "complete"),
            ],
            [update(f"h-upd1-{n}", rid, a1, "partially")],  # the action Kafka plans and updates
        ]
    return w


def _route(command: Command) -> tuple[str, str, dict[str, Any]]:
    """(method, path, body) of the REST route for a command."""
    body = {k: v for k, v in command.data.items() if k != "review_id"}
    rid = command.review_id
    if command.type == c.ACTION_UPDATE_SUBMITTED:
        return "PATCH", f"/actions/{body.pop('action_id')}", {"review_id": rid, **body}
    path = {
        c.RAPID_REVIEW_COMPLETION_REPORTED: "rapid-review-decision",
        c.RECOMMENDATION_SUBMITTED: "recommendations",
        c.ACTION_PLAN_SUBMITTED: "actions",
    }[command.type]
    return "POST", f"/reviews/{rid}/{path}", body


@dataclass
class Sent:
    accepted: list[Command] = field(default_factory=list)
    early: int = 0  # answers 409: HTTP ahead of Kafka, sent again
    # Commands sent to both instances at the same moment whose two answers named different
    # events (an idempotency key applied twice).
    answered_twice: list[str] = field(default_factory=list)


async def _send_chains(urls: list[str], chains: list[list[Command]], both: set[str]) -> Sent:
    """Every chain at once, each command to the next instance in turn (those in `both` to
    both instances at the same moment); a command refused 409 (its review or action not there
    yet: Kafka is still recording) or failing is sent again with the same Idempotency-Key, as
    a client would."""
    turn = itertools.count()
    limit = asyncio.Semaphore(16)
    sent = Sent()

    async def send(client: httpx.AsyncClient, command: Command, first: int) -> list[str] | None:
        """The ids of the events the command gave, as answered; None if never accepted."""
        method, path, body = _route(command)
        headers = {"X-Partnership": P, "Idempotency-Key": command.id}
        for attempt in range(300):
            url = urls[(first + attempt) % len(urls)]
            try:
                response = await client.request(method, url + path, json=body, headers=headers)
            except httpx.TransportError:
                response = None
            if response is not None and response.status_code in (200, 201):
                return sorted(e["id"] for e in response.json()["events"])
            if response is not None and response.status_code == 409:
                sent.early += 1
            elif response is not None and response.status_code < 500:
                raise AssertionError(f"{command.id}: {response.status_code} {response.text}")
            await asyncio.sleep(0.5)
        return None

    async def run(client: httpx.AsyncClient, chain: list[Command]) -> None:
        async with limit:
            for command in chain:
                first = next(turn)
                starts = [first, first + 1] if command.id in both else [first]
                answers = await asyncio.gather(*(send(client, command, k) for k in starts))
                if None in answers:
                    return
                if any(a != answers[0] for a in answers):
                    sent.answered_twice.append(command.id)
                sent.accepted.append(command)

    async with httpx.AsyncClient(timeout=60) as client:
        await asyncio.gather(*(run(client, chain) for chain in chains))
    return sent


def _recount(accepted: list[Command], today: date) -> dict[str, int]:
    """Reporting's figures for the year, counted from the commands accepted."""
    opened = [x for x in accepted if x.type == c.OPEN_REQUESTED]
    completed = [x for x in accepted if x.type == c.RAPID_REVIEW_COMPLETION_REPORTED]
    recommendations = {
        (x.review_id, x.data["number"]) for x in accepted if x.type == c.RECOMMENDATION_SUBMITTED
    }
    planned = {x.data["action_id"]: x for x in accepted if x.type == c.ACTION_PLAN_SUBMITTED}
    done = {
        x.data["action_id"]
        for x in accepted
        if x.type == c.ACTION_UPDATE_SUBMITTED and x.data["status"] == "complete"
    }
    late = [a for a, x in planned.items() if a not in done and x.data["target_date"] < str(today)]
    return {
        "reviews_opened": len(opened),
        "rapid_reviews": len(opened),
        "rapid_reviews_lcspr_required": sum(bool(x.data["lcspr_required"]) for x in completed),
        # notified and completed today: within the 15 working days
        "rapid_reviews_within_15_working_days": len(completed),
        "rapid_reviews_within_15_working_days_measured": len(completed),
        "recommendations": len(recommendations),
        "actions": len(planned),
        "actions_complete": len(done),
        "actions_on_tracker": len(planned),
        "actions_overdue": len(late),
    }


def _check_reads(accepted: list[Command], reviews: Mapping[str, dict[str, Any]]) -> list[str]:
    """What each review's own read (GET /reviews/{id}) lacks of what was accepted."""
    problems: list[str] = []
    updates: dict[str, int] = {}
    for x in accepted:
        if x.type == c.ACTION_UPDATE_SUBMITTED:
            updates[x.data["action_id"]] = updates.get(x.data["action_id"], 0) + 1
    for x in accepted:
        review = reviews.get(x.review_id)
        if review is None:
            problems.append(f"{x.review_id}: not found")
            continue
        if x.type == c.RAPID_REVIEW_COMPLETION_REPORTED and review["stage"] != "completed":
            problems.append(f"{x.review_id}: stage {review['stage']}")
        if x.type == c.RECOMMENDATION_SUBMITTED:
            numbers = {r["number"]: r for r in review["recommendations"]}
            sent = sum(
                1
                for y in accepted
                if y.type == x.type
                and y.review_id == x.review_id
                and y.data["number"] == x.data["number"]
            )
            if numbers.get(x.data["number"], {}).get("revision") != sent:
                problems.append(f"{x.review_id}: recommendation {x.data['number']} not at {sent}")
        if x.type == c.ACTION_PLAN_SUBMITTED:
            actions = {a["action_id"]: a for a in review["actions"]}
            action = actions.get(x.data["action_id"])
            if action is None:
                problems.append(f"{x.data['action_id']}: missing")
            elif len(action["updates"]) != updates.get(x.data["action_id"], 0):
                problems.append(f"{x.data['action_id']}: {len(action['updates'])} update(s)")
    return sorted(set(problems))


async def _read_reviews(urls: list[str], ids: list[str]) -> dict[str, dict[str, Any]]:
    limit = asyncio.Semaphore(8)
    async with httpx.AsyncClient(timeout=30) as client:

        async def one(i: int, rid: str) -> tuple[str, dict[str, Any] | None]:
            async with limit:
                r = await client.get(
                    f"{urls[i % len(urls)]}/reviews/{rid}", params={"partnership": P}
                )
                return rid, r.json() if r.status_code == 200 else None

        found = await asyncio.gather(*(one(i, rid) for i, rid in enumerate(ids)))
    return {rid: doc for rid, doc in found if doc is not None}


@pytest.mark.timeout(1200)
async def test_two_instances_with_http_and_kafka_writing_the_same_reviews(
    infra: Infra, run_id: str, tmp_path: Path
) -> None:
    bootstrap = infra.kafka_bootstrap_servers
    topics = Topics(f"t{run_id}.")
    await ensure_topics(bootstrap, [topics.reviews_inbound, topics.reviews_events])
    today = datetime.now(LONDON).date()
    w = _workload(today)
    kafka = [(x.review_id.encode(), _command(x.id, x.type, x.review_id, x.data)) for x in w.kafka]

    def instance(service: str, **env: str) -> ServiceProcess:
        return ServiceProcess(service, infra, run_id, tmp_path, **env)

    reviews = [
        instance("reviews", CONSUMER_BATCH_SIZE="50", SWEEP_INTERVAL_S="0.5") for _ in range(2)
    ]
    reporting = [instance("reporting", RECOMPUTE_DEBOUNCE_S="1") for _ in range(2)]
    urls = [svc.url for svc in reviews]
    async with running([*reviews, *reporting]):
        # Kafka and HTTP at once, on the same reviews, to both instances.
        http, _ = await asyncio.gather(
            _send_chains(urls, w.http, w.both), _publish(bootstrap, topics.reviews_inbound, kafka)
        )
        accepted = [*w.kafka, *http.accepted]  # Kafka commands: none may be dead-lettered
        expected = {derived_id(x.id, t) for x in accepted for t in x.gives} | set(
            w.overdue.values()
        )

        def done(seen: Announced) -> bool:
            return expected <= seen.events.keys()

        seen = await announced(bootstrap, topics.reviews_events, dlq(topics.reviews_inbound), done)
        reads = await _read_reviews(urls, [f"rr-{n:04d}" for n in range(REVIEWS)])
        async with httpx.AsyncClient(timeout=30) as client:
            tracker = (await client.get(f"{urls[1]}/tracker", params={"partnership": P})).json()
        want = _recount(accepted, today)
        figures = await figures_when(reporting, want, period=financial_year(today))

    sent = len(w.kafka) + sum(len(chain) for chain in w.http)
    lost = expected - seen.events.keys()
    duplicated = seen.events.keys() - expected  # a fact announced under a second id
    print(
        "\n"
        + summary(
            "reviews-writers-at-once",
            published=f"{sent} (kafka={len(w.kafka)} http={sent - len(w.kafka)}, "
            f"http accepted {len(http.accepted)})",
            delivered=len(seen.events.keys() & expected),
            lost=len(lost),
            duplicated=len(duplicated),
            dead_lettered=len(seen.dead),
            republished_same_id=seen.republished,
            same_id_other_content=len(seen.changed),
            http_ahead_of_kafka=http.early,
            sent_to_both_at_once=len(w.both),
        )
    )
    print(summary("reviews-writers-at-once", reporting=figures, recount=want))
    assert len(http.accepted) == sent - len(w.kafka)
    assert not http.answered_twice, http.answered_twice
    assert not seen.dead, seen.dead
    assert not seen.changed, sorted(seen.changed)[:10]
    assert not lost, sorted(lost)[:10]
    assert not duplicated, sorted(duplicated)[:10]
    problems = _check_reads(accepted, reads)
    assert not problems, problems[:10]
    planned = {x.data["action_id"] for x in accepted if x.type == c.ACTION_PLAN_SUBMITTED}
    assert tracker["reviews"] == REVIEWS
    assert tracker["actions"] == len(planned)
    assert tracker["actions_by_status"]["complete"] == want["actions_complete"]
    assert len(tracker["overdue_actions"]) == want["actions_overdue"] == len(w.overdue)
    assert figures == want, reporting[0].log_tail()
