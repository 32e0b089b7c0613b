"""Disclosure control for published figures (PRODUCT.md, 'Data protection').

Counts from 1 to 5 are shown as `c` (the DfE convention; 0 is shown as 0). That is *primary*
suppression. A table that also shows totals could give a suppressed cell away by subtraction,
so *secondary* suppression hides more cells until no line of the table (a row or a column,
its total included) has exactly one hidden entry: one unknown in a line whose other entries
and total are known is solvable, two or more are not.

Secondary cells are chosen as the smallest non-zero visible cell of the offending line (least
information lost); a zero is hidden only when the line has no non-zero cell left, and a total
only when nothing else is left. Totals are counts too: a total from 1 to 5 is itself `c`.

Everything here is pure; rates derived from suppressed counts go through `rate`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

SUPPRESSED = "c"
SMALLEST_SHOWN = 6  # counts 1..5 are hidden
Cell = int | str
Rate = float | str | None


def is_small(count: int) -> bool:
    """A count that primary suppression hides."""
    return 0 < count < SMALLEST_SHOWN


def count(value: int) -> Cell:
    """One count on its own (no total beside it): primary suppression only."""
    return SUPPRESSED if is_small(value) else value


def rate(numerator: Cell, denominator: Cell, digits: int = 1) -> Rate:
    """A percentage shown only when both its counts are shown: a rate over a hidden count would
    reveal it (3 of 4 is 75%). None when the denominator is 0 (no rate to speak of)."""
    if SUPPRESSED in (numerator, denominator):
        return SUPPRESSED
    assert isinstance(numerator, int)
    assert isinstance(denominator, int)
    if denominator == 0:
        return None
    return round(100.0 * numerator / denominator, digits)


@dataclass(frozen=True)
class Table:
    """A two-way table of counts as published: cells by row then column, row totals, column
    totals and the grand total, each a count or `c`."""

    cells: dict[str, dict[str, Cell]]
    row_totals: dict[str, Cell]
    column_totals: dict[str, Cell]
    total: Cell


def suppress_table(
    counts: Mapping[str, Mapping[str, int]],
    rows: Sequence[str] | None = None,
    columns: Sequence[str] | None = None,
) -> Table:
    """Primary and secondary suppression of a table shown with row, column and grand totals.

    `rows` and `columns` fix the order and the full set of lines (a missing cell is 0); by
    default they are the keys present."""
    row_keys = list(rows) if rows is not None else list(counts)
    col_keys = (
        list(columns)
        if columns is not None
        else list(dict.fromkeys(c for r in counts.values() for c in r))
    )
    # The table with its totals as one (R+1) x (C+1) grid: the last row and column are totals.
    grid = [[int(counts.get(r, {}).get(c, 0)) for c in col_keys] for r in row_keys]
    for line in grid:
        line.append(sum(line))
    grid.append([sum(line[j] for line in grid) for j in range(len(col_keys) + 1)])
    hidden = [[is_small(v) for v in line] for line in grid]
    _secondary(grid, hidden)

    def shown(i: int, j: int) -> Cell:
        return SUPPRESSED if hidden[i][j] else grid[i][j]

    last_row, last_col = len(row_keys), len(col_keys)
    return Table(
        cells={r: {c: shown(i, j) for j, c in enumerate(col_keys)} for i, r in enumerate(row_keys)},
        row_totals={r: shown(i, last_col) for i, r in enumerate(row_keys)},
        column_totals={c: shown(last_row, j) for j, c in enumerate(col_keys)},
        total=shown(last_row, last_col),
    )


def suppress_list(counts: Mapping[str, int], keys: Sequence[str] | None = None) -> Table:
    """A one-way table (e.g. contacts by source) with its total: a one-column table."""
    ordered = list(keys) if keys is not None else list(counts)
    return suppress_table({k: {"count": counts.get(k, 0)} for k in ordered}, ordered, ["count"])


def _secondary(grid: list[list[int]], hidden: list[list[bool]]) -> None:
    """Hide more entries until no line holds exactly one hidden entry. Each pass only adds
    hidden entries, so the loop ends."""
    n_rows, n_cols = len(grid), len(grid[0])
    changed = True
    while changed:
        changed = False
        lines = [[(i, j) for j in range(n_cols)] for i in range(n_rows)]
        lines += [[(i, j) for i in range(n_rows)] for j in range(n_cols)]
        for line in lines:
            if sum(hidden[i][j] for i, j in line) != 1:
                continue
            pick = _next_to_hide(grid, hidden, line, n_rows - 1, n_cols - 1)
            if pick is not None:
                hidden[pick[0]][pick[1]] = True
                changed = True


def _next_to_hide(
    grid: list[list[int]],
    hidden: list[list[bool]],
    line: list[tuple[int, int]],
    total_row: int,
    total_col: int,
) -> tuple[int, int] | None:
    visible = [(i, j) for i, j in line if not hidden[i][j]]
    if not visible:
        return None
    is_total = {(i, j): i == total_row or j == total_col for i, j in visible}

    def preference(pos: tuple[int, int]) -> tuple[int, int, int, int]:
        value = grid[pos[0]][pos[1]]
        # interior non-zero cells first, then interior zeros, then totals; smallest first
        return (int(is_total[pos]), int(value == 0), value, pos[0] * 10_000 + pos[1])

    return min(visible, key=preference)


# ---------------------------------------------------------------------------------------------
# A linked set: every table and period published together (docs/disclosure.md#linked-set)

Key = tuple[str, ...]
# How much the hidden parts of a line with a shown total must add up to at least: with less,
# the line alone pins a hidden cell to fewer than three possible values (1 + 0 = 1 gives 0..1).
LINE_MASS = 3


@dataclass(frozen=True)
class Line:
    """One sum a reader can write: `total` = the sum of `parts` (all counts of the set)."""

    total: Key
    parts: tuple[Key, ...]


def protect(
    values: Mapping[Key, int], lines: Sequence[Line], *, audited: bool = True
) -> frozenset[Key]:
    """The cells to hide in a linked set of counts: primary suppression of 1-5, then
    complementary cells until every line that hides anything hides at least two entries and,
    when its total is shown, hidden parts adding up to `LINE_MASS` or more. Those local rules
    do not see what several lines give away together, so then (`audited`) every hidden cell's
    feasible range under all the lines is computed by linear programming, and a cell that
    could be narrowed to fewer than three values gets one more complementary cell beside it,
    until none can (docs/disclosure.md#linked-set).

    Deterministic: lines are visited in the order given, and a complementary cell is chosen
    by value and then by key, so the same counts and lines always hide the same cells."""
    lines_of: dict[Key, list[int]] = {}
    for i, line in enumerate(lines):
        for key in (line.total, *line.parts):
            lines_of.setdefault(key, []).append(i)
    hidden = {k for k, v in values.items() if is_small(v)}
    _close(values, lines, lines_of, hidden, range(len(lines)), set())
    if not audited or not hidden:
        return frozenset(hidden)
    from shared.protection_ranges import feasible_ranges  # numpy and scipy: only when needed

    sums = [(line.total, line.parts) for line in lines]
    memo: dict[Any, Any] = {}  # groups of cells the last round left as they were
    keep: set[Key] = set()  # zeros a reader can work out: shown, never hidden again
    while True:
        ranges = feasible_ranges(values, sums, hidden, memo)
        narrowed = sorted(c for c, (low, high) in ranges.items() if high - low < 2)
        if not narrowed:
            return frozenset(hidden)
        # A hidden 0 that the published sums pin to 0 protects nothing: showing it tells the
        # reader nothing they cannot work out, so it is shown.
        zeros = {c for c in narrowed if values[c] == 0 and ranges[c][1] == 0}
        added = {
            pick
            for c in narrowed
            if c not in zeros and (pick := _widen(values, lines, lines_of, c, hidden, keep))
        }
        if not added and not zeros:  # every cell linked to them is hidden already
            log.warning("disclosure: %d hidden cell(s) stay narrower than 3 values", len(narrowed))
            return frozenset(hidden)
        hidden -= zeros
        keep |= zeros
        hidden |= added
        touched = sorted({i for c in added | zeros for i in lines_of.get(c, ())})
        _close(values, lines, lines_of, hidden, touched, keep)


def _close(
    values: Mapping[Key, int],
    lines: Sequence[Line],
    lines_of: Mapping[Key, list[int]],
    hidden: set[Key],
    start: Iterable[int],
    keep: set[Key],
) -> None:
    """Hide complementary cells until no line (starting from `start`) needs one."""
    queue = list(start)
    queued = set(queue)
    head = 0
    while head < len(queue):
        i = queue[head]
        head += 1
        queued.discard(i)
        pick = _complement(values, lines[i], hidden, keep)
        if pick is None:
            continue
        hidden.add(pick)
        for j in (i, *lines_of[pick]):
            if j not in queued:
                queued.add(j)
                queue.append(j)


def _widen(
    values: Mapping[Key, int],
    lines: Sequence[Line],
    lines_of: Mapping[Key, list[int]],
    cell: Key,
    hidden: set[Key],
    keep: set[Key],
) -> Key | None:
    """One more cell to hide for a narrowed one: in the lines through it, the smallest visible
    part of at least `LINE_MASS`, else the largest non-zero part, else a total, else a zero.
    When those lines show nothing more, the lines one hidden cell further away are searched,
    and so on (a cell pinned through others: a hidden quarter whose year shows beside zeros)."""
    seen_cells, seen_lines = {cell}, set()
    frontier = [cell]
    while frontier:
        around = sorted({i for c in frontier for i in lines_of.get(c, ()) if i not in seen_lines})
        seen_lines.update(around)
        pick = _candidate(values, [lines[i] for i in around], hidden | keep)
        if pick is not None:
            return pick
        frontier = sorted(
            {m for i in around for m in (lines[i].total, *lines[i].parts) if m in hidden}
            - seen_cells
        )
        seen_cells.update(frontier)
    return None


def _candidate(values: Mapping[Key, int], around: list[Line], taken: set[Key]) -> Key | None:
    parts = sorted({p for line in around for p in line.parts if p not in taken})
    big = [p for p in parts if values[p] >= LINE_MASS]
    if big:
        return min(big, key=lambda p: (values[p], p))
    non_zero = [p for p in parts if values[p] > 0]
    if non_zero:
        return max(non_zero, key=lambda p: (values[p], p))
    totals = sorted({line.total for line in around if line.total not in taken})
    return totals[0] if totals else (parts[0] if parts else None)


def _complement(
    values: Mapping[Key, int], line: Line, hidden: set[Key], keep: set[Key]
) -> Key | None:
    """The next cell this line needs hidden, or None when it is safe as it is."""
    total_hidden = line.total in hidden
    hidden_parts = [p for p in line.parts if p in hidden]
    n_hidden = len(hidden_parts) + total_hidden
    if n_hidden == 0:
        return None
    mass = sum(values[p] for p in hidden_parts)
    short = 0 if total_hidden else max(0, LINE_MASS - mass)
    if n_hidden >= 2 and short == 0:
        return None
    visible = [p for p in line.parts if p not in hidden and p not in keep]
    non_zero = [p for p in visible if values[p] > 0]
    if non_zero:
        # the smallest cell that makes up the mass (least information lost), else the largest
        enough = [p for p in non_zero if values[p] >= short]
        if enough:
            return min(enough, key=lambda p: (values[p], p))
        return max(non_zero, key=lambda p: (values[p], p))
    if n_hidden == 1 and visible:
        return min(visible)  # a zero: the mass is there, one more unknown is enough
    if not total_hidden and line.total not in keep:
        return line.total
    return None
