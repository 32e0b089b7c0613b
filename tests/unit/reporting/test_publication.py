"""What a year's publication shows: rates only over published counts, tables for quarters and
years, and the same cells hidden in every view of the same figure."""

from __future__ import annotations

import pytest

from services.reporting.metrics import RATES, compute_year
from services.reporting.publication import publish
from shared.disclosure import SUPPRESSED
from shared.rejections import Rejected
from tests.support.simulated_facts import simulated_year

FY = "2020-21"


@pytest.fixture(scope="module")
def year():  # type: ignore[no-untyped-def]
    figures = compute_year(FY, simulated_year(3, 0.003))
    return figures, publish(figures)


def test_a_rate_is_published_only_where_both_its_counts_are(year) -> None:  # type: ignore[no-untyped-def]
    figures, publication = year
    checked = 0
    for period in figures:
        values = publication.values(period)
        for rate, (numerator, denominator) in RATES.items():
            if SUPPRESSED in (values[numerator], values[denominator]):
                assert values[rate] in (SUPPRESSED, None)
                checked += 1
    assert checked  # a small partnership hides some


def test_tables_are_published_for_quarters_and_the_year_not_months(year) -> None:  # type: ignore[no-untyped-def]
    _, publication = year
    assert publication.table("contacts-by-source", f"{FY}-Q1")["rows"]
    with pytest.raises(Rejected) as refused:
        publication.table("contacts-by-source", "2020-04")
    assert refused.value.status == 404


def test_a_figure_shown_twice_is_hidden_in_both_places_or_neither(year) -> None:  # type: ignore[no-untyped-def]
    _, publication = year
    for period in (FY, f"{FY}-Q2"):
        card = publication.values(period)
        table = publication.table("contacts-by-source", period)
        assert (table["total"]["contacts"] == SUPPRESSED) == (
            card["contacts_received"] == SUPPRESSED
        )
        assert (table["total"]["referrals"] == SUPPRESSED) == (card["referrals"] == SUPPRESSED)
