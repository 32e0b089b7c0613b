"""The scorecard website's routes: published pages for anyone, the same pages unsuppressed
under `/internal/` for staff (the staff key, as for the JSON API), CSV and XLSX downloads,
and the GOV.UK Frontend assets the install step copied into `static/`."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from services.reporting.glossary import DEFINITIONS
from services.reporting.handlers import reporting
from services.reporting.periods import financial_year_of_period, kind_of, periods_in_year
from services.reporting.publication import BUILDERS
from services.reporting.web import published, sheets
from services.reporting.web.charts import line_chart
from shared.rejections import Rejected
from shared.service import Runtime

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
STATIC = HERE / "static"  # filled by `make install` (npm govuk-frontend); ignored by git
ASSETS_PATH = "/assets"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RAG_TEXT = {
    "green": "Green: on target",
    "amber": "Amber: close to target",
    "red": "Red: off target",
    None: "No status: nothing to measure",
}
RAG_TAG = {"green": "govuk-tag--green", "amber": "govuk-tag--yellow", "red": "govuk-tag--red"}

templates = Jinja2Templates(directory=HERE / "templates")
templates.env.filters["shown"] = published.shown
templates.env.filters["humanise"] = sheets.humanise
templates.env.filters["as_json"] = lambda v: json.dumps(v)
# Each figure's one definition (docs/metrics.md), shown beside it.
templates.env.filters["definition"] = lambda metric: getattr(
    DEFINITIONS.get(metric), "definition", ""
)


def _fy(period: str) -> str:
    return financial_year_of_period(period)


def router(runtime: Runtime) -> APIRouter:
    web = APIRouter(include_in_schema=False)
    context = reporting(runtime)
    if not (STATIC / "govuk-frontend.min.css").exists():
        log.warning("no web assets in %s: run `make install` (npm govuk-frontend)", STATIC)
    static = StaticFiles(directory=STATIC, check_dir=False)

    @web.get(f"{ASSETS_PATH}/{{path:path}}")
    async def asset(path: str, request: Request) -> Response:
        """GOV.UK Frontend's CSS, fonts and images (the CSS asks for /assets/...)."""
        return await static.get_response(path, request.scope)

    def page(request: Request, template: str, staff: bool, **values: Any) -> HTMLResponse:
        return templates.TemplateResponse(
            request,
            template,
            {
                "service": "reporting",
                "staff": staff,
                "base": "/internal" if staff else "",
                "assets": ASSETS_PATH,
                "tables": sheets.TABLE_TITLES,
                "suppression_note": sheets.SUPPRESSION_NOTE,
                "published_href": request.url.path.removeprefix("/internal"),
                **values,
            },
        )

    @web.get("/", response_class=HTMLResponse)
    async def home(request: Request) -> HTMLResponse:
        years: dict[str, list[str]] = {}
        for partnership, fy in await context.store.years():
            years.setdefault(partnership, []).append(fy)
        return page(
            request,
            "index.html",
            staff=False,
            partnerships={p: {fy: periods_in_year(fy) for fy in fys} for p, fys in years.items()},
        )

    async def scorecard_page(request: Request, p: str, period: str, staff: bool) -> HTMLResponse:
        tiles, values = await published.scorecard(context, p, period, controlled=not staff)
        fy = _fy(period)
        trends = await published.trends(
            context, p, fy, [t.metric for t in tiles], controlled=not staff
        )
        charts = {
            tile.metric: {
                kind: line_chart(
                    f"chart-{tile.metric}-{kind}",
                    f"{sheets.humanise(tile.metric)} by {kind[:-1]}, {fy}",
                    points,
                    tile.target.target,
                    heading=f"By {kind[:-1]}",
                )
                for kind, points in trends[tile.metric].items()
            }
            for tile in tiles
        }
        exceptions = [
            e for e in await context.store.exceptions_of(p) if _fy(str(e.get("period", fy))) == fy
        ]
        return page(
            request,
            "scorecard.html",
            staff=staff,
            partnership=p,
            period=period,
            fy=fy,
            kind=kind_of(period),
            periods=periods_in_year(fy),
            tiles=tiles,
            rag_text=RAG_TEXT,
            rag_tag=RAG_TAG,
            others={k: v for k, v in values.items() if k not in context.targets},
            trends=trends,
            charts=charts,
            exceptions=exceptions,
        )

    async def table_page(
        request: Request, p: str, period: str, name: str, staff: bool
    ) -> HTMLResponse:
        document = await published.table(context, p, period, name, controlled=not staff)
        return page(
            request,
            "table.html",
            staff=staff,
            partnership=p,
            period=period,
            fy=_fy(period),
            name=name,
            title=sheets.TABLE_TITLES.get(name, name),
            sections=sheets.sections(name, document),
        )

    async def download(p: str, period: str, name: str, fmt: str, staff: bool) -> Response:
        document = await published.table(context, p, period, name, controlled=not staff)
        sections = sheets.sections(name, document)
        stem = f"{p}-{name}-{period}" + ("-UNSUPPRESSED" if staff else "")
        if fmt == "csv":
            return Response(
                sheets.to_csv(sections),
                media_type="text/csv; charset=utf-8",
                headers={"Content-Disposition": f'attachment; filename="{stem}.csv"'},
            )
        if fmt == "xlsx":
            heading = f"{sheets.TABLE_TITLES.get(name, name)}: {p}, {period}"
            body = sheets.to_xlsx([(sheets.SHEET_NAMES.get(name, name), heading, sections)])
            return Response(
                body,
                media_type=XLSX,
                headers={"Content-Disposition": f'attachment; filename="{stem}.xlsx"'},
            )
        raise Rejected("no-such-format", "downloads: csv or xlsx", status=404)

    async def annual_report(p: str, fy: str, staff: bool) -> Response:
        if _fy(fy) != fy:
            raise Rejected("not-a-year", f"{fy!r}: the annual report is for a financial year")
        book = [
            (
                sheets.SHEET_NAMES.get(name, name),
                f"{sheets.TABLE_TITLES.get(name, name)}: {p}, {fy}",
                sheets.sections(
                    name, await published.table(context, p, fy, name, controlled=not staff)
                ),
            )
            for name in BUILDERS
        ]
        stem = f"{p}-annual-report-{fy}" + ("-UNSUPPRESSED" if staff else "")
        return Response(
            sheets.to_xlsx(book),
            media_type=XLSX,
            headers={"Content-Disposition": f'attachment; filename="{stem}.xlsx"'},
        )

    def add(prefix: str, staff: bool) -> None:
        base = f"{prefix}/partnerships/{{partnership}}/{{period}}"

        @web.get(f"{prefix}/partnerships/{{partnership}}/{{fy}}/annual-report.xlsx")
        async def annual(partnership: str, fy: str) -> Response:
            return await annual_report(partnership, fy, staff)

        @web.get(f"{base}/tables/{{name}}.{{fmt}}")
        async def table_download(partnership: str, period: str, name: str, fmt: str) -> Response:
            return await download(partnership, period, name, fmt, staff)

        @web.get(f"{base}/tables/{{name}}", response_class=HTMLResponse)
        async def table(request: Request, partnership: str, period: str, name: str) -> HTMLResponse:
            return await table_page(request, partnership, period, name, staff)

        @web.get(base, response_class=HTMLResponse)
        async def scorecard(request: Request, partnership: str, period: str) -> HTMLResponse:
            return await scorecard_page(request, partnership, period, staff)

    # Downloads before the table pages, so that `<table>.csv` is not taken for a table name.
    add("", staff=False)
    add("/internal", staff=True)
    return web
