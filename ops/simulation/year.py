"""The whole simulated year: every partnership's front door, reviews (with assurance) and
training, merged into one stream of inbound events in time order."""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator

from ops.simulation.assurance import AssuranceYear
from ops.simulation.frontdoor import FrontDoor
from ops.simulation.model import Outbound, Plan, Totals
from ops.simulation.reviews import ReviewsYear
from ops.simulation.training import TrainingYear

PARTS = ("frontdoor", "reviews", "training")


def volume(plan: Plan, partnership: str) -> float:
    """How big a partnership is next to the reference county: the first is the reference
    (so its training tables are the annual report's), the others between 0.4 and 1.6."""
    if partnership == plan.partnership_ids[0]:
        return 1.0
    return round(plan.rng(partnership, "volume").uniform(0.4, 1.6), 3)


class Simulation:
    """A simulated year. Iterating yields every inbound event in time order (ties keep a
    fixed order, so the stream is the same for the same plan); `totals` is complete once the
    iteration has finished. Events are generated as they are consumed, so a large year does
    not have to fit in memory at once (reviews and training are small and built per part)."""

    def __init__(self, plan: Plan, parts: Iterable[str] = PARTS) -> None:
        self.plan = plan
        self.parts = tuple(parts)
        unknown = set(self.parts) - set(PARTS)
        if unknown:
            raise ValueError(f"unknown parts {sorted(unknown)}; known: {', '.join(PARTS)}")
        self.totals = Totals(plan)

    def __iter__(self) -> Iterator[Outbound]:
        self.totals = Totals(self.plan)
        streams: list[Iterable[Outbound]] = []
        for pid in self.plan.partnership_ids:
            size = volume(self.plan, pid)
            self.totals.of(pid)
            if "frontdoor" in self.parts:
                streams.append(FrontDoor(self.plan, pid, size, self.totals))
            if "reviews" in self.parts:
                streams.append(ReviewsYear(self.plan, pid, self.totals))
                # Assurance returns and CDOP/ALTE cases also go to reviews (their owner).
                assurance = AssuranceYear(self.plan, pid, size * self.plan.scale, self.totals)
                streams.append(assurance)
            if "training" in self.parts:
                streams.append(TrainingYear(self.plan, pid, size * self.plan.scale, self.totals))
        return heapq.merge(*streams, key=lambda o: o.at)


def run_dry(plan: Plan, parts: Iterable[str] = PARTS) -> tuple[list[Outbound], Totals]:
    """Every event and the totals, in memory (tests, small years)."""
    sim = Simulation(plan, parts)
    events = list(sim)
    return events, sim.totals
