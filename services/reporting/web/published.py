"""What the pages show, composed exactly as the JSON API composes it: the scorecard's values
after disclosure control with each target's RAG status, a table from `publication.TABLES`, and
a year's per-period values for the trend charts. Staff pages pass `controlled=False`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from services.reporting.handlers import Reporting
from services.reporting.metrics import Figures
from services.reporting.periods import financial_year_of_period, periods_in_year
from services.reporting.publication import TABLES, disclose_values
from services.reporting.targets import Target
from services.reporting.web.charts import Point
from shared.disclosure import SUPPRESSED
from shared.rejections import Rejected


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def shown(value: object) -> str:
    """A published figure as text: counts with thousands separators, rates to one place."""
    if value is None:
        return "—"
    if value == SUPPRESSED:
        return "c"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.1f}"
    return str(value)


async def figures(context: Reporting, partnership: str, period: str) -> Figures:
    financial_year_of_period(period)  # 422 on a malformed period
    doc = await context.store.figures_of(partnership, period)
    if doc is None:
        raise Rejected("no-figures", f"no figures for {partnership} in {period}", status=404)
    return Figures(doc.get("values", {}), doc.get("breakdowns", {}))


@dataclass(frozen=True)
class Tile:
    metric: str
    value: Any  # as the JSON API gives it: a number, "c" or None
    target: Target
    status: str | None  # green, amber, red, or None when there is nothing to measure


def scorecard(
    context: Reporting, fig: Figures, controlled: bool
) -> tuple[list[Tile], dict[str, Any]]:
    """The tiles (metrics with a target) and every published value, as the API's scorecard."""
    values: dict[str, Any] = disclose_values(fig.values) if controlled else dict(fig.values)
    tiles = [
        Tile(metric, values.get(metric), t, t.status(_number(fig.values.get(metric))))
        for metric, t in context.targets.items()
    ]
    return tiles, values


def table(fig: Figures, name: str, controlled: bool) -> dict[str, Any]:
    build = TABLES.get(name)
    if build is None:
        raise Rejected("no-such-table", f"tables: {', '.join(TABLES)}", status=404)
    return build(fig, controlled)


async def trends(
    context: Reporting, partnership: str, fy: str, metrics: list[str], controlled: bool
) -> dict[str, dict[str, list[Point]]]:
    """Per metric, the published value in each month and each quarter of the year."""
    year = await context.store.year(partnership, fy)
    periods = periods_in_year(fy)
    quarters, months = periods[1:5], periods[5:]
    published = {
        period: disclose_values(f.values) if controlled else dict(f.values)
        for period, f in year.items()
    }

    def series(periods_: list[str], label: Any) -> dict[str, list[Point]]:
        out: dict[str, list[Point]] = {}
        for metric in metrics:
            points = []
            for period in periods_:
                value = published.get(period, {}).get(metric)
                points.append(Point(label(period), _number(value), shown(value)))
            out[metric] = points
        return out

    by_month = series(months, lambda p: date(int(p[:4]), int(p[5:]), 1).strftime("%b"))
    by_quarter = series(quarters, lambda p: p[-2:])
    return {m: {"months": by_month[m], "quarters": by_quarter[m]} for m in metrics}
