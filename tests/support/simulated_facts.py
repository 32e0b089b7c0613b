"""Reporting's fact documents of one simulated partnership-year, drawn straight from the
simulator's proportions (sources, conversion, training volumes) without running the services:
the figures every published view of a year is computed from."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from ops.simulation.frontdoor import CONTACTS_PER_YEAR, SOURCES
from services.reporting import facts as f
from services.reporting.periods import periods_of
from shared.codes import (
    ActionStatus,
    AgeBand,
    Organisation,
    Theme,
    TrainingFormat,
    sector_of_source,
)

Doc = dict[str, Any]
START = date(2020, 4, 1)
OWNERS = [
    "Head of Education",
    "Named GP",
    "Designated Nurse",
    "DCI Safeguarding",
    "Head of Children's Social Care",
    "Early Help Lead",
    "Housing Manager",
    "Probation",
]


def _day(rng: random.Random) -> date:
    return START + timedelta(days=rng.randrange(365))


def _placed(day: date) -> Doc:
    p = periods_of(day)
    return {"fy": p.financial_year, "quarter": p.quarter, "month": p.month}


def simulated_year(seed: int, scale: float) -> dict[str, list[Doc]]:
    """One partnership's facts for 2020-21 at `scale` of a county's volume."""
    rng = random.Random(seed)
    out: dict[str, list[Doc]] = {kind: [] for kind in f.KINDS}
    sources, weights = list(SOURCES), [p.share for p in SOURCES.values()]
    bands = [a.value for a in AgeBand]
    for _ in range(int(CONTACTS_PER_YEAR * scale)):
        source = rng.choices(sources, weights)[0]
        decided = rng.random() > 0.003
        doc = {
            **_placed(_day(rng)),
            "source": source.value,
            "sector": sector_of_source(source).value,
            "age_band": rng.choice(bands),
            "wishes": rng.random() < 0.62,
            "acknowledgement_seconds": rng.randrange(1, 900),
            "decided": decided,
            "within_target": rng.random() > 0.07,
            "outcome": "referral",
            "level": str(rng.randrange(1, 5)),
            "converted": decided and rng.random() < SOURCES[source].conversion,
            "overdue": not decided,
            "early_help_allocated": rng.random() < 0.05,
            "early_help_wait_days": rng.randrange(0, 70),
            "early_help_wait_working_days": rng.randrange(0, 50),
        }
        out[f.CONTACTS].append(doc)
        if source.value == "police" and rng.random() < 0.8:
            out[f.VISTS].append({**doc, "same_day": rng.random() < 0.7, "delay_days": 1})
            if rng.random() < 0.5:
                out[f.ENCOMPASS].append({**doc, "on_time": rng.random() < 0.9})
    themes = [t.value for t in Theme]
    for i in range(max(1, round(60 * scale))):
        kind = rng.choices(["sin", "rapid-review", "lcspr"], [3, 2, 1])[0]
        day = _day(rng)
        out[f.REVIEWS].append(
            {
                **_placed(day),
                "kind": kind,
                "themes": rng.sample(themes, rng.choice([1, 1, 2])),
                "age_band": rng.choice(bands),
                "lcspr_required": rng.random() < 0.3,
                f"clock_{'sin_notification' if kind == 'sin' else 'rapid_review'}_met": (
                    rng.random() < 0.8
                ),
                "clock_lcspr_publication_met": rng.random() < 0.5,
            }
        )
        for _ in range(rng.randrange(0, 8) if kind != "sin" else 0):
            status = rng.choice([s.value for s in ActionStatus])
            target = (day + timedelta(days=90)).isoformat()
            out[f.ACTIONS].append(
                {
                    **_placed(day + timedelta(days=rng.randrange(0, 20))),
                    "status": status,
                    "owner_role": rng.choice(OWNERS),
                    "owner_agency": "agency",
                    "review_id": f"r{i}",
                    "target_date": target,
                    "overdue_for_target": target if rng.random() < 0.3 else None,
                }
            )
    orgs = [o.value for o in Organisation]
    org_weights = [3, 4, 30, 25, 10, 6, 6, 1, 5, 10]
    formats, fmt_weights = [t.value for t in TrainingFormat], [70, 15, 10, 5]
    courses = [f"course-{n}" for n in range(12)]
    for org, headcount in zip(
        orgs, [900, 1500, 4000, 9000, 3000, 6000, 4000, 200, 800, 1200], strict=True
    ):
        out[f.WORKFORCE].append({"fy": "2020-21", "organisation": org, "headcount": headcount})
    learners = [(f"l{n}", rng.choices(orgs, org_weights)[0]) for n in range(int(9000 * scale))]
    for learner, org in learners:
        out[f.LEARNERS].append({**_placed(_day(rng)), "organisation": org, "sector": "x"})
        for _ in range(rng.choice([1, 1, 1, 2])):
            completed = rng.random() < 0.8
            out[f.ENROLMENTS].append(
                {
                    **_placed(_day(rng)),
                    "organisation": org,
                    "format": rng.choices(formats, fmt_weights)[0],
                    "course_id": rng.choices(courses, [2**-k for k in range(12)])[0],
                    "learner_id": learner,
                    "completed": completed,
                    "withdrawn": not completed and rng.random() < 0.5,
                    "sector": "x",
                }
            )
    return out
