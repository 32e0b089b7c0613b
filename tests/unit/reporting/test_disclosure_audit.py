"""The published views of a simulated year withstand a reader with a linear-programming
solver: no `c` can be narrowed to fewer than three values by any sum of published cells
(docs/disclosure.md#audit). Without complementary suppression the same attack recovers cells."""

from __future__ import annotations

import pytest

from services.reporting.metrics import compute_year
from services.reporting.publication import publish
from tests.support.disclosure_audit import Range, attack, views
from tests.support.simulated_facts import simulated_year

FY = "2020-21"
PROTECTED = 3  # a hidden count leaves the reader at least this many possible values
# (seed, share of a county's volume): a twentieth of a county down to a very small partnership
YEARS = [(1, 0.05), (2, 0.01), (3, 0.003), (4, 0.2)]


def _ranges(seed: int, scale: float, *, secondary: bool = True) -> list[Range]:
    figures = compute_year(FY, simulated_year(seed, scale))
    return attack(views(FY, figures, publish(figures, secondary=secondary)))


@pytest.mark.parametrize(("seed", "scale"), YEARS)
def test_no_hidden_count_can_be_narrowed_from_everything_published(seed: int, scale: float) -> None:
    ranges = _ranges(seed, scale)
    assert len(ranges) > 100  # a year of a partnership this size hides hundreds of counts
    assert all(r.low <= r.true <= r.high for r in ranges)  # the attack's sums are right
    narrowed = [r for r in ranges if r.values < PROTECTED]
    assert narrowed == []


def test_the_same_attack_recovers_counts_when_only_1_to_5_are_hidden() -> None:
    ranges = _ranges(*YEARS[0], secondary=False)
    recovered = [r for r in ranges if r.values == 1]
    assert len(recovered) > 20
    assert all(r.low == r.true for r in recovered)


def test_the_same_facts_always_hide_the_same_cells() -> None:
    figures = compute_year(FY, simulated_year(2, 0.01))
    again = compute_year(FY, simulated_year(2, 0.01))
    assert publish(figures).hidden == publish(dict(reversed(again.items()))).hidden
