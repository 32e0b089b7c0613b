"""Disclosure control: counts 1-5 hidden, and no hidden count recoverable from the totals."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from shared.disclosure import SUPPRESSED, count, rate, suppress_list, suppress_table


def test_counts_from_one_to_five_are_c_and_zero_is_shown() -> None:
    assert [count(n) for n in (0, 1, 5, 6, 120)] == [0, "c", "c", 6, 120]


def test_rate_over_a_hidden_count_is_hidden() -> None:
    assert rate("c", 40) == SUPPRESSED
    assert rate(30, "c") == SUPPRESSED
    assert rate(30, 40) == 75.0
    assert rate(0, 0) is None


def test_primary_suppression_of_a_table() -> None:
    table = suppress_table({"a": {"x": 10, "y": 3, "z": 4}, "b": {"x": 20, "y": 30, "z": 40}})
    assert table.cells["a"] == {"x": 10, "y": "c", "z": "c"}
    # columns y and z would each hold one hidden cell beside their totals: row b hides too.
    assert table.cells["b"] == {"x": 20, "y": "c", "z": "c"}
    assert table.row_totals == {"a": 17, "b": 90}
    assert table.column_totals == {"x": 30, "y": 33, "z": 44}
    assert table.total == 107


def test_a_lone_hidden_cell_in_a_row_hides_the_next_smallest_cell() -> None:
    table = suppress_list({"districts": 14, "ccg": 51, "prospects": 3, "voluntary": 33})
    shown = {k: v["count"] for k, v in table.cells.items()}
    # 3 alone could be worked out from the total 101; 14 is the next smallest.
    assert shown == {"districts": "c", "ccg": 51, "prospects": "c", "voluntary": 33}
    assert table.total == 101


def test_secondary_suppression_never_hides_a_zero_when_a_non_zero_cell_is_left() -> None:
    table = suppress_list({"a": 0, "b": 2, "c": 9, "d": 7})
    assert {k: v["count"] for k, v in table.cells.items()} == {"a": 0, "b": "c", "c": 9, "d": "c"}


def test_secondary_suppression_across_rows_and_columns() -> None:
    table = suppress_table(
        {
            "early-years": {"elearning": 1677, "virtual": 104},
            "districts": {"elearning": 14, "virtual": 0},
            "acute": {"elearning": 27, "virtual": 2},
        }
    )
    # 2 is hidden; row 'acute' needs a second hidden cell (27), then column 'elearning' needs
    # a second (14), whose row 'districts' then needs one more (its zero, nothing else left).
    assert table.cells["acute"] == {"elearning": "c", "virtual": "c"}
    assert table.cells["districts"]["elearning"] == "c"
    assert _no_line_with_one_hidden(table)
    assert table.total == 1824


def _no_line_with_one_hidden(table) -> bool:  # type: ignore[no-untyped-def]
    rows = [[*table.cells[r].values(), table.row_totals[r]] for r in table.cells]
    cols = [
        [table.cells[r][c] for r in table.cells] + [table.column_totals[c]]
        for c in table.column_totals
    ]
    cols.append([*table.row_totals.values(), table.total])
    rows.append([*table.column_totals.values(), table.total])
    return all(sum(v == SUPPRESSED for v in line) != 1 for line in rows + cols)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.lists(st.integers(min_value=0, max_value=12), min_size=1, max_size=4),
        min_size=1,
        max_size=4,
    )
)
def test_no_hidden_count_is_ever_alone_in_a_line(values: list[list[int]]) -> None:
    width = max(len(r) for r in values)
    counts = {f"r{i}": {f"c{j}": v for j, v in enumerate(row)} for i, row in enumerate(values)}
    table = suppress_table(counts, columns=[f"c{j}" for j in range(width)])
    for r, c in itertools.product(table.cells, table.column_totals):
        original = counts[r].get(c, 0)
        if 1 <= original <= 5:
            assert table.cells[r][c] == SUPPRESSED
        elif table.cells[r][c] != SUPPRESSED:
            assert table.cells[r][c] == original
    assert _no_line_with_one_hidden(table)
