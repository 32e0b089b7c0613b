"""What the pages show, composed exactly as the JSON API composes it: the scorecard's values
after disclosure control with each target's RAG status, a table from `publication.BUILDERS`, and
a year's per-period values for the trend charts. Staff pages pass `controlled=False`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from services.reporting.handlers import Reporting
from services.reporting.periods import financial_year_of_period, periods_in_year
from services.reporting.publication import BUILDERS, Raw
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


@dataclass(frozen=True)
class Tile:
    metric: str
    value: Any  # as the JSON API gives it: a number, "c" or None
    target: Target
    status: str | None  # green, amber, red, or None when there is nothing to measure


async def scorecard(
    context: Reporting, partnership: str, period: str, controlled: bool
) -> tuple[list[Tile], dict[str, Any]]:
    """The tiles (metrics with a target) and every published value, as the API's scorecard:
    no RAG status for a figure that is not published."""
    fig = await context.figures(partnership, period)
    pub = await context.publication(partnership, financial_year_of_period(period))
    values: dict[str, Any] = pub.values(period) if controlled else dict(fig.values)

    def status(metric: str, target: Target) -> str | None:
        if controlled and not pub.shown(period, metric):
            return None
        return target.status(_number(fig.values.get(metric)))

    tiles = [
        Tile(metric, values.get(metric), t, status(metric, t))
        for metric, t in context.targets.items()
    ]
    return tiles, values


async def table(
    context: Reporting, partnership: str, period: str, name: str, controlled: bool
) -> dict[str, Any]:
    """A table as the API gives it: published (quarters and years only) or, for staff, raw."""
    build = BUILDERS.get(name)
    if build is None:
        raise Rejected("no-such-table", f"tables: {', '.join(BUILDERS)}", status=404)
    if controlled:
        await context.figures(partnership, period)  # 404 for a period with no figures
        pub = await context.publication(partnership, financial_year_of_period(period))
        return pub.table(name, period)
    return build(await context.figures(partnership, period), Raw())


async def trends(
    context: Reporting, partnership: str, fy: str, metrics: list[str], controlled: bool
) -> dict[str, dict[str, list[Point]]]:
    """Per metric, the published value in each month and each quarter of the year."""
    year = await context.store.year(partnership, fy)
    periods = periods_in_year(fy)
    quarters, months = periods[1:5], periods[5:]
    if controlled:
        pub = await context.publication(partnership, fy)
        published = {period: pub.values(period) for period in year}
    else:
        published = {period: dict(f.values) for period, f in year.items()}

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
