"""The scorecard website in a real browser (system Chromium through Playwright) against the
real reporting service on the real broker and database, fed a small simulated year: every
page loads without a console error, tiles and charts show what the JSON API publishes, the
CSV/XLSX downloads hold exactly the published table, axe-core finds nothing serious, and the
staff view needs the staff key and says it is unsuppressed."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import openpyxl

from ops.system import Infra
from services.reporting.periods import financial_year_of_period
from services.reporting.publication import TABLES
from shared.auth import new_key_entry
from shared.events import Envelope
from tests.integration.reporting import reporting_events as ev
from tests.support.browser import chromium, serious_violations, served
from tests.support.kafka import eventually, produce
from tests.support.services import RunningService, running

FAST = {"recompute_debounce_s": 0.3, "recompute_max_delay_s": 2.0, "snapshot_interval_s": 3600}
P, FY = "p01", "2020-21"
SCREENSHOTS = os.environ.get("PULSE_SCREENSHOTS")  # `make docs` sets docs/screenshots
DATES = ("received_at", "decided_at", "deadline", "enrolled_at", "completed_at")


def _shifted(e: Envelope, days: int) -> Envelope:
    data = dict(e.data)
    for name in DATES:
        if data.get(name):
            data[name] = (datetime.fromisoformat(data[name]) + timedelta(days=days)).isoformat()
    return e.model_copy(update={"data": data})


def _screenshot_dir() -> Path | None:
    if not SCREENSHOTS:
        return None
    Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
    return Path(SCREENSHOTS)


def small_year() -> tuple[list[Envelope], list[Envelope], list[Envelope]]:
    """Contacts every four weeks through the year (a late decision now and then), the front
    door's overdue contact, rapid reviews, a tracker with an overdue action, enrolments."""
    contacts = list(ev.front_door_set(P))
    for k in range(12):
        for i in range(4 + (k * 5) % 9):
            cid = f"m{k}-{i}"
            source, sector = [("6", "police"), ("3E", "health"), ("2A", "education")][i % 3]
            late = (i + k) % 6 == 0
            outcome = "social-care-assessment" if i % 2 else "no-further-action"
            contacts.append(_shifted(ev.received(P, cid, source, sector, wishes=i % 7 > 0), 28 * k))
            contacts.append(_shifted(ev.decided(P, cid, source, sector, outcome, not late), 28 * k))
    reviews = []
    for rid, themes, band, within in [
        ("rr1", ["neglect"], "under-1", True),
        ("rr2", ["neglect"], "under-1", True),
        ("rr3", ["neglect", "domestic-abuse"], "under-1", False),
        ("rr4", ["child-sexual-exploitation"], "10-15", True),
    ]:
        reviews.append(ev.review_opened(P, rid, "rapid-review", themes, band))
        reviews.append(ev.rapid_review_completed(P, rid, themes, band, within, False))
    target = date(2020, 9, 30)
    for i in range(7):
        reviews.append(ev.action_planned(P, "lcspr1", f"a{i}", "Head of Service", target))
    reviews.append(ev.action_overdue(P, "lcspr1", "a0", "Head of Service", target))
    training = []
    for i in range(20):
        org, fmt = [
            ("education", "elearning"),
            ("constabulary", "virtual-classroom"),
            ("acute-trust", "face-to-face"),
        ][i % 3]
        training += ev.enrolment(P, f"l{i}", f"course-{i % 2}", org, fmt, i % 4 > 0)
    training.append(ev.workforce(P, "education", 950))
    return contacts, reviews, training


def _leaf_values(value: Any) -> list[Any]:
    """Every figure in a published table document (not its column names)."""
    if isinstance(value, dict):
        return [x for k, v in value.items() if k != "columns" for x in _leaf_values(v)]
    return [value]


def _normal(value: Any) -> Any:
    if value in (None, ""):
        return None
    if value == "c":
        return "c"
    return round(float(value), 6)


def _is_figure(text: Any) -> bool:
    if text is None or text == "" or text == "c" or isinstance(text, int | float):
        return True
    try:
        float(text)
    except ValueError:
        return False
    return True


def _csv_figures(text: str) -> list[Any]:
    rows = list(csv.reader(io.StringIO(text)))
    return [_normal(c) for row in rows if len(row) > 1 for c in row[1:] if _is_figure(c)]


def _xlsx_figures(sheet: Any) -> list[Any]:
    return [
        _normal(c)
        for row in sheet.iter_rows(min_col=2, values_only=True)
        for c in row
        if c not in (None, "") and _is_figure(c)
    ]


def _published(document: dict[str, Any]) -> list[Any]:
    body = {
        k: v
        for k, v in document.items()
        if k not in ("partnership", "period", "table", "disclosure")
    }
    return [_normal(v) for v in _leaf_values(body)]


async def _json(svc: RunningService, path: str, key: str | None = None) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    r = await svc.http.get(path, headers=headers)
    assert r.status_code == 200, (path, r.status_code, r.text)
    result: dict[str, Any] = r.json()
    return result


async def test_scorecard_website_in_a_browser(infra: Infra, run_id: str, tmp_path: Path) -> None:
    staff_key, staff = new_key_entry("business-unit", "partnership", ["staff"], partnerships=[P])
    agency_key, agency = new_key_entry("police-ingest", "police", ["submit"], partnerships=[P])
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps([staff, agency]))
    contacts, reviews, training = small_year()
    shots = _screenshot_dir()
    async with (
        running(
            "reporting", infra, run_id, auth_disabled=False, api_keys_file=str(keys), **FAST
        ) as svc,
        chromium() as browser,
        served(svc.app) as base,
    ):
        bootstrap = infra.kafka_bootstrap_servers
        await produce(bootstrap, svc.topics.intake_events, *contacts)
        await produce(bootstrap, svc.topics.reviews_events, *reviews)
        await produce(bootstrap, svc.topics.training_events, *training)
        received = sum(1 for e in contacts if e.type.endswith("received.v1"))

        async def complete() -> bool:
            r = await svc.http.get(
                f"/internal/partnerships/{P}/figures/{FY}",
                headers={"Authorization": f"Bearer {staff_key}"},
            )
            v = r.json().get("values", {}) if r.status_code == 200 else {}
            return (
                v.get("contacts_received") == received
                and v.get("rapid_reviews") == 4
                and v.get("actions_overdue") == 7  # as at the year's end: none complete
                and v.get("enrolments") == 20
            )

        await eventually(complete, timeout=60)

        async def exceptions_settled() -> bool:
            """Status changes are announced after the figures are stored, for every year the
            overdue actions reach (as at each period's end, up to today): wait until quiet."""
            before = len((await svc.http.get(f"/partnerships/{P}/exceptions")).json())
            await asyncio.sleep(1.5)
            after = len((await svc.http.get(f"/partnerships/{P}/exceptions")).json())
            return before == after > 0

        await eventually(exceptions_settled, timeout=120)

        context = await browser.new_context(
            accept_downloads=True, viewport={"width": 1280, "height": 1400}
        )
        page = await context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda exc: errors.append(str(exc)))

        async def visit(path: str, shot: str | None = None) -> None:
            response = await page.goto(base + path)
            assert response is not None
            assert response.status == 200, (path, response.status)
            await page.wait_for_load_state("load")
            assert errors == [], (path, errors)
            violations = await serious_violations(page)
            assert violations == [], (path, violations)
            if shots and shot:
                await page.screenshot(path=str(shots / shot))  # the viewport: the top of the page

        # The home page lists the partnership and its periods, with no key.
        await visit("/")
        for link in ("/docs", "/health", "/metrics"):
            assert await page.locator(f'footer a[href="{link}"]').count() == 1
        assert await page.locator(f'a[href="/partnerships/{P}/{FY}"]').count() == 1
        assert await page.locator(f'a[href="/partnerships/{P}/{FY}-Q3"]').count() == 1

        # Year scorecard: each tile is the API's published value and status, in colour and words.
        await visit(f"/partnerships/{P}/{FY}", shot="scorecard.png")
        card = await _json(svc, f"/partnerships/{P}/scorecard/{FY}")
        words = {"green": "Green", "amber": "Amber", "red": "Red", None: "No status"}
        assert card["targets"], "the scorecard has metrics with targets"
        for metric, target in card["targets"].items():
            tile = page.locator(f"#tile-{metric}")
            assert json.loads(await tile.get_attribute("data-value") or "") == card["values"].get(
                metric
            )
            assert (await tile.get_attribute("data-status") or None) == target["status"]
            assert words[target["status"]] in await tile.locator(".pulse-rag").inner_text()
        # each tile says what its figure means: the one definition of docs/metrics.md
        definition = page.locator("#tile-decisions_within_target_rate .pulse-definition")
        assert await definition.inner_text() == card["definitions"]["decisions_within_target_rate"]
        assert card["values"]["decisions_overdue_now"] == "c"
        assert (
            await page.locator("#tile-decisions_overdue_now .pulse-tile__value").inner_text()
        ) == "c"
        # The trend chart's points are the published monthly and quarterly figures.
        metric = "decisions_within_target_rate"
        for period, label, kind in [
            ("2020-05", "May", "months"),
            ("2020-08", "Aug", "months"),
            (f"{FY}-Q2", "Q2", "quarters"),
        ]:
            month = await _json(svc, f"/partnerships/{P}/scorecard/{period}")
            point = page.locator(f'#chart-{metric}-{kind} g[data-period="{label}"]')
            value = month["values"][metric]
            assert value is not None
            shown = "c" if value == "c" else f"{value:,.1f}"
            assert await point.get_attribute("data-value") == shown
            assert await point.locator("circle").count() == (0 if value == "c" else 1)

        # The exceptions raised in the year, as the API lists them (none is raised for a
        # figure that is not published, so a small year may have none).
        # Exceptions are published after the figures are stored: the page is read again until
        # it and the API list the same ones (no more being announced in between).
        async def page_lists_the_exceptions() -> bool:
            raised = (await svc.http.get(f"/partnerships/{P}/exceptions")).json()
            in_year = [
                e for e in raised if financial_year_of_period(str(e.get("period", FY))) == FY
            ]
            await page.goto(f"{base}/partnerships/{P}/{FY}")
            return await page.locator("#exceptions tbody tr").count() == min(len(in_year), 50)

        assert await eventually(page_lists_the_exceptions)
        if shots:
            trend = page.locator(f"#trend-{metric}")
            await trend.screenshot(path=str(shots / "scorecard-trend.png"))

        # Each table on its own page; its downloads hold exactly the published figures.
        for name in TABLES:
            await visit(
                f"/partnerships/{P}/{FY}/tables/{name}",
                shot="table-contacts-by-source.png" if name == "contacts-by-source" else None,
            )
            assert "c means suppressed" in await page.locator("#suppression-note").inner_text()
            published = Counter(
                _published(await _json(svc, f"/partnerships/{P}/tables/{name}/{FY}"))
            )
            async with page.expect_download() as csv_download:
                await page.click("#download-csv")
            csv_path = await (await csv_download.value).path()
            csv_text = csv_path.read_text()
            assert Counter(_csv_figures(csv_text)) == published, name
            async with page.expect_download() as xlsx_download:
                await page.click("#download-xlsx")
            download = await xlsx_download.value
            assert download.suggested_filename == f"{P}-{name}-{FY}.xlsx"
            await download.save_as(tmp_path / download.suggested_filename)
            book = openpyxl.load_workbook(tmp_path / download.suggested_filename)
            assert Counter(_xlsx_figures(book.active)) == Counter(
                v for v in published.elements() if v is not None
            ), name
            if name == "contacts-by-source":
                table = await _json(svc, f"/partnerships/{P}/tables/{name}/{FY}")
                police = next(r for r in csv.reader(io.StringIO(csv_text)) if r[:1] == ["6 Police"])
                assert [_normal(c) for c in police[1:]] == [
                    _normal(table["rows"]["6"][c]) for c in table["columns"]
                ]

        # The annual-report workbook: one sheet per table, each the published table.
        response = await context.request.get(f"{base}/partnerships/{P}/{FY}/annual-report.xlsx")
        assert response.ok
        workbook_path = tmp_path / "annual.xlsx"
        workbook_path.write_bytes(await response.body())
        book = openpyxl.load_workbook(workbook_path)
        assert len(book.worksheets) == len(TABLES)
        for sheet, name in zip(book.worksheets, TABLES, strict=True):
            published = Counter(
                _published(await _json(svc, f"/partnerships/{P}/tables/{name}/{FY}"))
            )
            assert Counter(_xlsx_figures(sheet)) == Counter(
                v for v in published.elements() if v is not None
            ), name

        # A quarter and a month page load too.
        await visit(f"/partnerships/{P}/{FY}-Q1")
        await visit(f"/partnerships/{P}/2020-05")

        # The staff view: refused without the staff key, unsuppressed with it, and says so.
        assert (await context.request.get(f"{base}/internal/partnerships/{P}/{FY}")).status == 401
        refused = await context.request.get(
            f"{base}/internal/partnerships/{P}/{FY}",
            headers={"Authorization": f"Bearer {agency_key}"},
        )
        assert refused.status == 403
        await context.set_extra_http_headers({"Authorization": f"Bearer {staff_key}"})
        await visit(f"/internal/partnerships/{P}/{FY}")
        assert "unsuppressed" in (await page.locator("#staff-banner").inner_text()).lower()
        internal = await _json(svc, f"/internal/partnerships/{P}/scorecard/{FY}", key=staff_key)
        tile = page.locator("#tile-decisions_overdue_now")
        assert (
            json.loads(await tile.get_attribute("data-value") or "")
            == internal["values"]["decisions_overdue_now"]
            == 1
        )
        await context.close()
