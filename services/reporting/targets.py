"""Targets per metric and the RAG status they give a figure.

A target says which way is good: `at_least` (e.g. decisions within one working day >= 95%) or
`at_most` (e.g. decisions overdue now <= 0). The amber band is the margin beyond the target
still tolerated before red, in the metric's own unit:
- at_least: green when value >= target; amber when target - amber <= value < target; else red;
- at_most:  green when value <= target; amber when target < value <= target + amber; else red.
A period without a figure (nothing to measure, e.g. no decisions yet) has no status.

Defaults come from PRODUCT.md's clocks and the annual report; the `METRIC_TARGETS` setting
(JSON) overrides them per metric, e.g. `{"completion_rate": {"target": 85, "amber": 5}}`,
or removes one with `{"vist_same_day_rate": null}`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any, Literal

from shared.rejections import Rejected

Direction = Literal["at_least", "at_most"]


class Rag(StrEnum):
    GREEN = "green"
    AMBER = "amber"
    RED = "red"


RAG_GAUGE_VALUE = {Rag.GREEN: 0, Rag.AMBER: 1, Rag.RED: 2}


@dataclass(frozen=True)
class Target:
    metric: str
    target: float
    direction: Direction = "at_least"
    amber: float = 5.0
    why: str = ""

    def status(self, value: float | None) -> Rag | None:
        if value is None:
            return None
        if self.direction == "at_least":
            if value >= self.target:
                return Rag.GREEN
            return Rag.AMBER if value >= self.target - self.amber else Rag.RED
        if value <= self.target:
            return Rag.GREEN
        return Rag.AMBER if value <= self.target + self.amber else Rag.RED


DEFAULT_TARGETS: dict[str, Target] = {
    t.metric: t
    for t in (
        Target(
            "decisions_within_target_rate",
            95.0,
            amber=5.0,
            why="MASH decision within 1 working day of receipt",
        ),
        Target(
            "decisions_overdue_now",
            0,
            "at_most",
            amber=5,
            why="no contact left undecided past its working day",
        ),
        Target(
            "encompass_on_time_rate",
            100.0,
            amber=5.0,
            why="Operation Encompass notice before the next school day",
        ),
        Target(
            "vist_same_day_rate",
            100.0,
            amber=10.0,
            why="police VIST submitted on the day of the incident",
        ),
        Target(
            "wishes_and_feelings_rate",
            100.0,
            amber=10.0,
            why="inspection: the child's wishes and feelings recorded on every contact",
        ),
        Target(
            "rapid_reviews_within_15_working_days_rate",
            100.0,
            amber=10.0,
            why="rapid review within 15 working days of the notification",
        ),
        Target(
            "lcsprs_within_6_months_rate",
            100.0,
            amber=10.0,
            why="LCSPR published within 6 months of the decision to hold it",
        ),
        Target(
            "actions_overdue",
            0,
            "at_most",
            amber=2,
            why="QiiP: tracker actions completed by their target date",
        ),
        Target(
            "completion_rate",
            80.0,
            amber=5.0,
            why="annual report 2020/21: 80% of enrolments completed",
        ),
        Target(
            "sins_notified_within_5_working_days_rate",
            100.0,
            amber=10.0,
            why="serious incident notification within 5 working days of the council becoming aware",
        ),
        Target(
            "acknowledgement_seconds_max",
            60.0,
            "at_most",
            amber=240.0,
            why="acknowledge a submitted contact at once (inspection: MARF acknowledgements "
            "not timely)",
        ),
        Target(
            "early_help_wait_days_max",
            70.0,
            "at_most",
            amber=14.0,
            why="inspection: some families wait up to 10 weeks for early-help allocation",
        ),
        Target(
            "early_help_waiting_over_10_weeks",
            0,
            "at_most",
            amber=2,
            why="inspection: no family left waiting more than 10 weeks for early help",
        ),
        Target(
            "icpcs_within_15_working_days_rate",
            100.0,
            amber=10.0,
            why="initial child protection conference within 15 working days of the strategy "
            "discussion",
        ),
        Target(
            "assessments_within_45_working_days_rate",
            100.0,
            amber=10.0,
            why="assessment within 45 working days of referral",
        ),
        Target(
            "section_11_return_rate",
            100.0,
            amber=10.0,
            why="each agency submits a section 11 return against the four standards",
        ),
        Target(
            "section_175_return_rate",
            100.0,
            amber=5.0,
            why="annual report 2020/21: S175 audit of 933 settings, 100% returned",
        ),
    )
}


def resolve_targets(overrides: Mapping[str, Mapping[str, Any] | None]) -> dict[str, Target]:
    """Defaults with the configured overrides applied; a bad override stops the service."""
    targets = dict(DEFAULT_TARGETS)
    for metric, spec in overrides.items():
        if spec is None:
            targets.pop(metric, None)
            continue
        unknown = set(spec) - {"target", "direction", "amber", "why"}
        if unknown:
            raise Rejected("bad-target", f"{metric}: unknown key(s) {sorted(unknown)}")
        try:
            base = targets.get(metric) or Target(metric, float(spec.get("target", 0)))
            target = replace(
                base,
                target=float(spec.get("target", base.target)),
                amber=float(spec.get("amber", base.amber)),
                direction=spec.get("direction", base.direction),
                why=str(spec.get("why", base.why)),
            )
        except (TypeError, ValueError) as exc:
            raise Rejected("bad-target", f"{metric}: {exc}") from None
        if target.direction not in ("at_least", "at_most") or target.amber < 0:
            raise Rejected("bad-target", f"{metric}: direction at_least|at_most, amber >= 0")
        targets[metric] = target
    return targets
