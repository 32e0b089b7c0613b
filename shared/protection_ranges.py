"""How far a reader can narrow each hidden count of a linked set: the feasible range of every
hidden cell under every published sum, by linear programming (HiGHS via SciPy)."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

Cell = tuple[str, ...]
Row = tuple[dict[int, float], float]  # coefficients of hidden cells by index, known constant


def feasible_ranges(
    values: Mapping[Cell, int],
    sums: Iterable[tuple[Cell, Sequence[Cell]]],
    hidden: Iterable[Cell],
    memo: dict[Any, list[tuple[int, float]]] | None = None,
) -> dict[Cell, tuple[int, float]]:
    """(lowest, highest) whole value each hidden cell can take given the shown cells and the
    sums (total = sum of parts) that hold in `values`; a cell not listed in `values` is 0.
    The highest is `inf` when nothing bounds it. A range with fewer than three values is
    exact; wider ones may be reported narrower than they are, never below three values.
    `memo` keeps each group's ranges for a later call in which the group is unchanged."""
    order = sorted(set(hidden))
    index = {c: i for i, c in enumerate(order)}
    rows: list[Row] = []
    for total, parts in sums:
        if total not in values or values[total] != sum(values.get(p, 0) for p in parts):
            continue  # not a sum that holds: a reader assuming it would be misled
        coef: dict[int, float] = defaultdict(float)
        known = 0.0
        for c, sign in ((total, 1.0), *((p, -1.0) for p in parts)):
            if c in index:
                coef[index[c]] += sign
            else:
                known -= sign * values.get(c, 0)
        coef = {i: a for i, a in coef.items() if a}
        if coef:
            rows.append((coef, known))
    out: dict[Cell, tuple[int, float]] = {}
    for members, group_rows in _groups(len(order), rows):
        true = [float(values.get(order[g], 0)) for g in members]
        key = (
            tuple((order[g], t) for g, t in zip(members, true, strict=True)),
            tuple(
                sorted(
                    (tuple(sorted((order[i], x) for i, x in c.items())), k) for c, k in group_rows
                )
            ),
        )
        found = memo.get(key) if memo is not None else None
        if found is None:
            found = _ranges(members, group_rows, true)
            if memo is not None:
                memo[key] = found
        for g, r in zip(members, found, strict=True):
            out[order[g]] = r
    return out


def _groups(n: int, rows: list[Row]) -> list[tuple[list[int], list[Row]]]:
    """Hidden cells linked by some sum, with their sums: each group is solved on its own."""
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for coef, _ in rows:
        first, *rest = coef
        for j in rest:
            parent[find(j)] = find(first)
    members: dict[int, list[int]] = defaultdict(list)
    for i in range(n):
        members[find(i)].append(i)
    rows_of: dict[int, list[Row]] = defaultdict(list)
    for row in rows:
        rows_of[find(next(iter(row[0])))].append(row)
    return [(m, rows_of[root]) for root, m in sorted(members.items())]


def load_solver() -> None:
    """Import numpy and scipy's solver now. They take about a second to import, with the
    interpreter's lock held most of it: a service that publishes figures does this while it
    starts (in a thread), not in the middle of its first publication."""
    import numpy  # noqa: F401
    from scipy.optimize import linprog  # noqa: F401
    from scipy.sparse import csr_array  # noqa: F401


def _ranges(
    members: list[int], rows: list[Row], true_values: list[float]
) -> list[tuple[int, float]]:
    """A few LPs push many cells at once away from their true values; a cell whose feasible
    points found so far span three values is settled (the feasible set is convex, so every
    value between two feasible points is feasible). The rest get their exact min and max."""
    import numpy as np  # heavy: imported when a range is first needed

    n = len(members)
    if not rows:
        return [(0, math.inf)] * n
    from scipy.sparse import csr_array

    local = {g: k for k, g in enumerate(members)}
    entries = [(r, local[i], x) for r, (coef, _) in enumerate(rows) for i, x in coef.items()]
    r_idx, c_idx, data = zip(*entries, strict=True)
    a = csr_array((data, (r_idx, c_idx)), shape=(len(rows), n))
    b = np.array([known for _, known in rows])
    true = np.array(true_values)
    cap = float(true.max()) * 10 + 100  # bounds a push upwards; a point found stays feasible
    lo, hi = true.copy(), true.copy()
    for round_ in range(8):
        open_ = np.array([_down(h) - _up(low) < 2 for low, h in zip(lo, hi, strict=True)])
        if not open_.any():
            break
        # push the open cells up, then down (a cell below 2 cannot go down by two)
        c = np.where(open_, 1.0 if round_ % 2 else -1.0, 0.0)
        c[open_ & (true < 2)] = -1.0
        point = _solve(a, b, c, (0, cap))
        lo, hi = np.minimum(lo, point), np.maximum(hi, point)
    out: list[tuple[int, float]] = []
    for i in range(n):
        low, high = _up(lo[i]), float(_down(hi[i]))
        if high - low < 2:
            c = np.zeros(n)
            c[i] = 1.0
            low = _up(float(_solve(a, b, c, (0, None))[i]))
            c[i] = -1.0
            top = _solve(a, b, c, (0, None), unbounded_ok=True)
            high = math.inf if top is None else float(_down(top[i]))
        out.append((low, high))
    return out


def _slack(x: float) -> float:
    """The solver's answers are exact only to its tolerances (about 1e-7, relative for large
    values): a bound of 2.9999 is 3."""
    return 1e-5 * max(1.0, abs(x))


def _up(x: float) -> int:
    return math.ceil(x - _slack(x))


def _down(x: float) -> int:
    return math.floor(x + _slack(x))


def _solve(
    a: Any, b: Any, c: Any, bounds: tuple[float, float | None], *, unbounded_ok: bool = False
) -> Any:
    from scipy.optimize import linprog

    res = linprog(c, A_eq=a, b_eq=b, bounds=bounds, method="highs")
    if res.status == 3 and unbounded_ok:
        return None
    if res.status != 0:
        raise RuntimeError(f"disclosure ranges: the solver failed ({res.message})")
    return res.x
