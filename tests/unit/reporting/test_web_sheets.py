"""Every published table laid out for the website and the downloads: each figure the API
publishes appears once, in CSV and in XLSX, and nothing else is invented."""

from __future__ import annotations

import csv
import io
from collections import Counter
from typing import Any

import openpyxl
import pytest

from services.reporting.metrics import Figures
from services.reporting.publication import TABLES
from services.reporting.web import sheets
from services.reporting.web.charts import Point, line_chart

FIGURES = Figures(
    values={},
    breakdowns={
        "contacts_by_source": {"6": 8, "3E": 2, "2A": 1},
        "decisions_by_source": {"6": 7, "3E": 2, "2A": 1},
        "referrals_by_source": {"6": 6, "2A": 1},
        "contacts_by_sector": {"police": 8, "health": 2, "education": 1},
        "referrals_by_sector": {"police": 6, "education": 1},
        "rapid_reviews_by_theme": {"neglect": 3, "domestic-abuse": 1},
        "rapid_reviews_by_age_band": {"under-1": 3},
        "enrolments_by_organisation_format": {
            "education": {"elearning": 8},
            "constabulary": {"webinar": 12},
        },
        "completions_by_organisation_format": {
            "education": {"elearning": 7},
            "constabulary": {"webinar": 9},
        },
        "enrolments_by_course_organisation": {
            "el-1": {"education": 8},
            "w-1": {"constabulary": 12},
        },
        "workforce_by_organisation": {"education": 950},
        "learners_reached_by_organisation": {"education": 8},
        "actions_by_review_status": {"lcspr1": {"not-started": 6, "complete": 1}},
        "actions_by_owner_status": {"Head of Service": {"not-started": 6, "complete": 1}},
        "overdue_actions_by_owner": {"Head of Service": 1},
    },
)


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [x for k, v in value.items() if k != "columns" for x in _leaves(v)]
    return [value]


def _norm(value: Any) -> Any:
    if value in (None, ""):
        return None
    return value if value == "c" else float(value)


@pytest.mark.parametrize("controlled", [True, False])
@pytest.mark.parametrize("name", list(TABLES))
def test_every_figure_of_a_table_appears_once_in_the_downloads(name: str, controlled: bool) -> None:
    document = TABLES[name](FIGURES, controlled)
    expected = Counter(_norm(v) for v in _leaves(document))
    sections = sheets.sections(name, document)

    cells = [c for s in sections for _, row in s.rows for c in row]
    assert Counter(_norm(c) for c in cells) == expected

    text = sheets.to_csv(sections)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == [sections[0].title]
    assert rows[-1] == [sheets.SUPPRESSION_NOTE]
    assert all([s.title] in rows for s in sections)

    book = openpyxl.load_workbook(io.BytesIO(sheets.to_xlsx([("t", "heading", sections)])))
    values = [c for r in book.active.iter_rows(min_col=2, values_only=True) for c in r]
    figures = [v for v in values if isinstance(v, int | float) or v == "c"]
    assert Counter(figures) == Counter(v for v in expected.elements() if v is not None)


def test_suppressed_cells_stay_c_in_the_published_table() -> None:
    document = TABLES["contacts-by-source"](FIGURES, True)
    sections = sheets.sections("contacts-by-source", document)
    police = dict(sections[0].rows)["6 Police"]
    assert police == [8, 7, "c", "c"]


def test_a_chart_draws_figures_and_leaves_gaps_for_suppressed_and_missing() -> None:
    svg = line_chart(
        "chart-x",
        "Decisions within target",
        [Point("Apr", 90.0, "90.0"), Point("May", None, "c"), Point("Jun", None, "—")],
        target=95.0,
    )
    assert svg.count("<circle") == 1
    assert 'role="img"' in svg
    assert "Apr: 90.0; May: c; Jun: —. Target 95." in svg
    assert "target 95" in svg
