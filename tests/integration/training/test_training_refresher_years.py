"""Refresher training on the real broker and database: a learner who completed a course in
2020-21 and takes it again in 2021-22 is a new enrolment and a new completion, in training's
`/totals` and in reporting's figures alike, each in its own year; redelivering everything
changes nothing.

Annual report 2020/21 (seeds/000): "The number of user completions i.e. number of times the
e-learning courses/virtual courses have been accessed and completed has reached more than
12,000" and "In total 9658 eLearning courses were started during the period with a
completion rate of 80%".
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ops.system import Infra
from shared.contracts.training import (
    COMPLETION_RECORDED,
    COURSE_UPSERTED,
    ENROLMENT_RECORDED,
    REGISTRATION_RECORDED,
)
from shared.events import Envelope, new_event
from tests.support.kafka import eventually, produce
from tests.support.services import running

P = "glos"
COURSE = "el-cp-intro"
Y1 = datetime(2020, 9, 7, 10, tzinfo=UTC)  # 2020-21
Y2 = datetime(2021, 9, 6, 10, tzinfo=UTC)  # 2021-22
LMS = "https://lms.example"
ACTIVITY = f"{LMS}/course/view.php?id=12"
YEARS = {"2020-21": ("2020-04-01", "2021-04-01"), "2021-22": ("2021-04-01", "2022-04-01")}


def _inbound(n: int, type_: str, data: dict[str, Any], at: datetime) -> Envelope:
    return new_event(
        id=f"refresher-{n:03d}",
        type=type_,
        source="agency/learning-platform",
        partnership=P,
        data=data,
        subject=data.get("learner_id"),
        time=at,
    )


def _platform_events() -> list[Envelope]:
    """Learner r-1 completes the course in each year (the second time over xAPI, see
    `XAPI_COMPLETION`); r-2 only in the first; r-3 starts it in the second year without
    finishing (4 enrolments, 3 completions over two years)."""
    course = {
        "course_id": COURSE,
        "title": "Introduction to child protection",
        "theme": "child-protection",
        "format": "elearning",
        "multi_agency": True,
        "activity_id": ACTIVITY,
    }
    events = [_inbound(0, COURSE_UPSERTED, course, Y1)]
    for i, learner in enumerate(("r-1", "r-2", "r-3"), start=1):
        events.append(
            _inbound(
                i,
                REGISTRATION_RECORDED,
                {"learner_id": learner, "organisation": "education", "registered_at": Y1},
                Y1,
            )
        )

    def enrol(n: int, learner: str, at: datetime) -> Envelope:
        data = {"learner_id": learner, "course_id": COURSE, "enrolled_at": at.isoformat()}
        return _inbound(n, ENROLMENT_RECORDED, data, at)

    def complete(n: int, learner: str, at: datetime) -> Envelope:
        data = {"learner_id": learner, "course_id": COURSE, "completed_at": at.isoformat()}
        return _inbound(n, COMPLETION_RECORDED, data, at)

    day = timedelta(days=1)
    events += [
        enrol(10, "r-1", Y1),
        complete(11, "r-1", Y1 + day),
        enrol(12, "r-2", Y1),
        complete(13, "r-2", Y1 + 2 * day),
        # The next year: r-1 refreshes the course (and completes it over xAPI), r-3 starts it.
        enrol(20, "r-1", Y2),
        enrol(22, "r-3", Y2),
    ]
    return events


# r-1's refresher completed, as the learning platform's xAPI statement (Moodle's shape).
XAPI_COMPLETION = {
    "id": "6f1c2a4e-8d3b-4c55-9a0e-2b7d9e1f3a61",
    "actor": {"objectType": "Agent", "account": {"homePage": LMS, "name": "r-1"}},
    "verb": {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en": "completed"}},
    "object": {"objectType": "Activity", "id": ACTIVITY},
    "timestamp": (Y2 + timedelta(days=1)).isoformat(),
}


@pytest.mark.timeout(300)
async def test_a_refresher_next_year_is_a_new_enrolment_and_completion_in_both_services(
    infra: Infra, run_id: str
) -> None:
    bootstrap = infra.kafka_bootstrap_servers
    async with contextlib.AsyncExitStack() as stack:
        training = await stack.enter_async_context(
            running("training", infra, run_id, default_partnership=P)
        )
        reporting = await stack.enter_async_context(
            running("reporting", infra, run_id, recompute_debounce_s=0.3)
        )
        events = _platform_events()
        # One key: the platform's events stay in order.
        await produce(bootstrap, training.topics.training_inbound, *events, key=b"platform")

        async def refresher_started() -> bool:
            r = await training.http.get("/learners/r-1", params={"partnership": P})
            return r.status_code == 200 and len(r.json()["enrolments"]) == 2

        await eventually(refresher_started, timeout=60)
        # The completion attaches to the open (latest uncompleted) enrolment: the refresher.
        posted = await training.http.post("/xapi/statements", json=XAPI_COMPLETION)
        assert posted.status_code == 200, posted.text

        expected = {"2020-21": (2, 2), "2021-22": (2, 1)}  # (enrolments, completions)

        async def reporting_figures() -> dict[str, tuple[int, int]] | None:
            out: dict[str, tuple[int, int]] = {}
            for year in YEARS:
                r = await reporting.http.get(f"/internal/partnerships/{P}/figures/{year}")
                values = r.json().get("values", {}) if r.status_code == 200 else {}
                out[year] = (values.get("enrolments"), values.get("completions"))
            return out if out == expected else None

        assert await eventually(reporting_figures, timeout=120) == expected

        async def training_totals(year: str) -> tuple[int, int]:
            start, end = YEARS[year]
            params = {"partnership": P, "from": start, "to": end}
            total = (await training.http.get("/totals", params=params)).json()["total"]
            return total["enrolments"], total["completions"]

        # One definition: training's /totals equals reporting's figures, year by year.
        assert {year: await training_totals(year) for year in YEARS} == expected

        learner = (await training.http.get("/learners/r-1", params={"partnership": P})).json()
        assert [(e["occurrence"], e["status"]) for e in learner["enrolments"]] == [
            (1, "completed"),
            (2, "completed"),
        ]
        assert learner["enrolments"][1]["inferred_enrolment"] is False
        assert learner["enrolments"][1]["statement_id"] == XAPI_COMPLETION["id"]

        # Everything delivered again (a producer retry, a replay): nothing changes.
        await produce(bootstrap, training.topics.training_inbound, *events, key=b"platform")
        again = await training.http.post("/xapi/statements", json=XAPI_COMPLETION)
        assert again.status_code == 200, again.text
        marker = _inbound(
            99,
            ENROLMENT_RECORDED,
            {
                "learner_id": "r-2",
                "course_id": COURSE,
                "enrolled_at": (Y2 + timedelta(days=3)).isoformat(),
            },
            Y2,
        )
        await produce(bootstrap, training.topics.training_inbound, marker, key=b"platform")
        # Once the refresher of r-2 (sent after the replay) is counted, the replay was handled.
        expected = {"2020-21": (2, 2), "2021-22": (3, 1)}
        assert await eventually(reporting_figures, timeout=120) == expected
        assert {year: await training_totals(year) for year in YEARS} == expected
