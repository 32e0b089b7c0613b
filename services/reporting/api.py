"""Reporting over HTTP: scorecards, the annual report's tables and exceptions.

Everything outside `/internal` is disclosure-controlled over the whole year at once
(docs/disclosure.md#linked-set): counts 1-5 as "c", complementary suppression across tables
and periods, no rate or RAG status of a hidden count. `/internal/...` gives the unsuppressed
figures to the partnership's own staff.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path

from services.reporting.glossary import DEFINITIONS
from services.reporting.handlers import reporting
from services.reporting.periods import financial_year_of_period
from services.reporting.publication import BUILDERS, Publication, Raw
from shared.inbound_policy import PARTNERSHIP_PATTERN
from shared.rejections import Rejected
from shared.service import Runtime

INTERNAL = "INTERNAL — unsuppressed figures for the partnership's own staff only; never publish. "
PartnershipPath = Path(description="Partnership id.", pattern=PARTNERSHIP_PATTERN)
PeriodPath = Path(
    description="Financial year (2020-21), quarter (2020-21-Q1) or month (2020-04).",
    pattern=r"^\d{4}-\d{2}(-Q[1-4])?$",
)
TablePath = Path(description=f"One of: {', '.join(BUILDERS)}.")


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def router(runtime: Runtime) -> APIRouter:
    api = APIRouter(tags=["reporting"])
    internal = APIRouter(prefix="/internal", tags=["internal (unsuppressed)"])
    context = reporting(runtime)

    async def publication(partnership: str, period: str) -> Publication:
        await context.figures(partnership, period)  # 404 for a period with no figures
        return await context.publication(partnership, financial_year_of_period(period))

    async def scorecard(partnership: str, period: str, controlled: bool) -> dict[str, Any]:
        if controlled:
            pub = await publication(partnership, period)
            fig = pub.figures[period]
            values: dict[str, Any] = pub.values(period)
        else:
            fig = await context.figures(partnership, period)
            values = dict(fig.values)

        def status(metric: str) -> Any:
            if controlled and not pub.shown(period, metric):
                return None  # no RAG status for a figure that is not published
            return context.targets[metric].status(_number(fig.values.get(metric)))

        return {
            "partnership": partnership,
            "period": period,
            "disclosure": "controlled" if controlled else "none (internal)",
            "values": values,
            # each figure's one definition (docs/metrics.md)
            "definitions": {
                name: DEFINITIONS[name].definition for name in values if name in DEFINITIONS
            },
            "targets": {
                metric: {
                    "target": t.target,
                    "direction": t.direction,
                    "amber": t.amber,
                    "status": status(metric),
                    "why": t.why,
                }
                for metric, t in context.targets.items()
            },
        }

    async def table(partnership: str, name: str, period: str, controlled: bool) -> dict[str, Any]:
        build = BUILDERS.get(name)
        if build is None:
            raise Rejected("no-such-table", f"tables: {', '.join(BUILDERS)}", status=404)
        if controlled:
            body = (await publication(partnership, period)).table(name, period)
        else:
            body = build(await context.figures(partnership, period), Raw())
        return {
            "partnership": partnership,
            "period": period,
            "table": name,
            "disclosure": "controlled" if controlled else "none (internal)",
            **body,
        }

    @api.get(
        "/partnerships/{partnership}/scorecard/{period}",
        summary="Scorecard: every metric for a period with its RAG status (disclosure-controlled)",
    )
    async def public_scorecard(
        partnership: str = PartnershipPath, period: str = PeriodPath
    ) -> dict[str, Any]:
        return await scorecard(partnership, period, controlled=True)

    @api.get(
        "/partnerships/{partnership}/tables/{table_name}/{period}",
        summary="An annual-report table for a quarter or financial year (disclosure-controlled)",
        description="Tables are not published for months (docs/disclosure.md#granularity): "
        "a month gives 404; the internal table has them.",
    )
    async def public_table(
        partnership: str = PartnershipPath,
        table_name: str = TablePath,
        period: str = PeriodPath,
    ) -> dict[str, Any]:
        return await table(partnership, table_name, period, controlled=True)

    @api.get(
        "/partnerships/{partnership}/exceptions",
        summary="Exceptions: RAG status changes against targets, newest first",
    )
    async def exceptions(partnership: str = PartnershipPath) -> list[dict[str, Any]]:
        return await context.store.exceptions_of(partnership)

    @internal.get(
        "/partnerships/{partnership}/scorecard/{period}",
        summary="Scorecard, unsuppressed (internal)",
        description=INTERNAL,
    )
    async def internal_scorecard(
        partnership: str = PartnershipPath, period: str = PeriodPath
    ) -> dict[str, Any]:
        return await scorecard(partnership, period, controlled=False)

    @internal.get(
        "/partnerships/{partnership}/figures/{period}",
        summary="Every figure and breakdown of a period, unsuppressed (internal)",
        description=INTERNAL,
    )
    async def internal_figures(
        partnership: str = PartnershipPath, period: str = PeriodPath
    ) -> dict[str, Any]:
        fig = await context.figures(partnership, period)
        return {"partnership": partnership, "period": period, **fig.as_document()}

    @internal.get(
        "/partnerships/{partnership}/tables/{table_name}/{period}",
        summary="An annual-report table, unsuppressed (internal)",
        description=INTERNAL,
    )
    async def internal_table(
        partnership: str = PartnershipPath,
        table_name: str = TablePath,
        period: str = PeriodPath,
    ) -> dict[str, Any]:
        return await table(partnership, table_name, period, controlled=False)

    api.include_router(internal)
    return api
