"""Financial years run April to March in London time; quarters and months follow."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from services.reporting.periods import (
    financial_year_of_period,
    kind_of,
    periods_in_year,
    periods_of,
)
from shared.rejections import Rejected


def test_april_starts_a_financial_year_in_london_time() -> None:
    assert periods_of(date(2021, 3, 31)).all() == ("2020-21", "2020-21-Q4", "2021-03")
    assert periods_of(date(2020, 4, 1)).all() == ("2020-21", "2020-21-Q1", "2020-04")
    # 23:30 UTC on 31 March 2021 is 00:30 on 1 April in London (BST)
    assert periods_of(datetime(2021, 3, 31, 23, 30, tzinfo=UTC)).all() == (
        "2021-22",
        "2021-22-Q1",
        "2021-04",
    )
    assert periods_of(date(2099, 12, 31)).all() == ("2099-00", "2099-00-Q3", "2099-12")


@pytest.mark.parametrize(
    "moment",
    [
        date(999, 3, 1),  # once gave the financial year '999-00' and broke every recomputation
        date(1999, 12, 31),
        date(2101, 1, 1),
        datetime(1, 1, 1, tzinfo=UTC),  # would overflow when converted to London time
        datetime(9999, 12, 31, 23, 0, tzinfo=UTC),
    ],
)
def test_a_moment_outside_the_placeable_years_is_refused(moment: date) -> None:
    with pytest.raises(Rejected) as caught:
        periods_of(moment)
    assert caught.value.reason == "unplaceable-period"


def test_every_period_names_its_financial_year() -> None:
    assert financial_year_of_period("2020-21") == "2020-21"
    assert financial_year_of_period("2020-21-Q3") == "2020-21"
    assert financial_year_of_period("2021-02") == "2020-21"
    assert financial_year_of_period("2021-04") == "2021-22"
    assert [kind_of(p) for p in ("2020-21", "2020-21-Q2", "2020-05")] == [
        "year",
        "quarter",
        "month",
    ]


@pytest.mark.parametrize("bad", ["2020", "2020-22", "2020-13", "2020-21-Q5", "x", "2020-21-Q1x"])
def test_malformed_periods_are_rejected(bad: str) -> None:
    with pytest.raises(Rejected):
        financial_year_of_period(bad)


def test_a_year_has_four_quarters_and_twelve_months() -> None:
    periods = periods_in_year("2020-21")
    assert periods[:5] == ["2020-21", "2020-21-Q1", "2020-21-Q2", "2020-21-Q3", "2020-21-Q4"]
    assert periods[5] == "2020-04"
    assert periods[-1] == "2021-03"
    assert len(periods) == 17
