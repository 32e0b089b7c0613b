"""A published table (the JSON API's document) as rectangular sections, and those sections as
CSV and XLSX. Pure: the figures are never recomputed here, only laid out, so a download holds
exactly what the API publishes (`c` stays `c`)."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from shared.codes import ContactSource

META = ("partnership", "period", "table", "disclosure")
TABLE_TITLES = {
    "contacts-by-source": "Contacts, decisions and referrals by source",
    "contacts-by-sector": "Contacts and referrals by sector",
    "rapid-reviews-by-theme": "Rapid reviews by theme",
    "rapid-reviews-by-age-band": "Rapid reviews by age band",
    "training-by-organisation-and-format": "Training by organisation and format",
    "training-by-course": "Training enrolments by course and organisation",
    "training-representation": "Training representation against the workforce",
    "action-tracker": "Action tracker",
    "wishes-and-feelings-by-agency": "Wishes and feelings recorded, by agency",
    "section-11-returns": "Section 11 returns against the four standards",
    "child-deaths-by-category": "Child deaths by category",
}
# Excel sheet names are at most 31 characters.
SHEET_NAMES = {
    "contacts-by-source": "Contacts by source",
    "contacts-by-sector": "Contacts by sector",
    "rapid-reviews-by-theme": "Rapid reviews by theme",
    "rapid-reviews-by-age-band": "Rapid reviews by age band",
    "training-by-organisation-and-format": "Training by org and format",
    "training-by-course": "Training by course",
    "training-representation": "Training representation",
    "action-tracker": "Action tracker",
    "wishes-and-feelings-by-agency": "Wishes and feelings by agency",
    "section-11-returns": "Section 11 returns",
    "child-deaths-by-category": "Child deaths by category",
}
SUPPRESSION_NOTE = (
    "c = suppressed: a count from 1 to 5, or a figure from which one could be worked out "
    "(secondary suppression), or a rate or average taken over such a count. Totals are the "
    "true totals. Source: Partnership Pulse reporting, disclosure-controlled figures."
)
_SOURCE_NAMES = {s.value: s.name.replace("_", " ").capitalize() for s in ContactSource} | {
    ContactSource.GP.value: "GP",
    ContactSource.A_AND_E.value: "A&E",
    ContactSource.LA_SOCIAL_CARE.value: "LA social care",
    ContactSource.OTHER_INTERNAL_LA.value: "Other internal LA",
    ContactSource.ANOTHER_LA.value: "Another LA",
}

Cell = int | float | str | None


@dataclass
class Section:
    """One rectangle: a title, the first column's heading, column headings, labelled rows."""

    title: str
    key_heading: str
    columns: list[str]
    rows: list[tuple[str, list[Cell]]] = field(default_factory=list)


def humanise(key: str) -> str:
    return key.replace("_", " ").replace("-", " ").capitalize()


def row_label(table: str, key: str) -> str:
    if table == "contacts-by-source" and key in _SOURCE_NAMES:
        return f"{key} {_SOURCE_NAMES[key]}"
    return key


def _is_scalar(value: object) -> bool:
    return value is None or isinstance(value, int | float | str)


def _one_way(value: object) -> bool:
    return (
        isinstance(value, Mapping)
        and {"rows", "total"} <= set(value)
        and isinstance(value["rows"], Mapping)
        and all(_is_scalar(v) for v in value["rows"].values())
        # other scalars beside the total (rapid reviews by theme: its theme mentions)
        and all(_is_scalar(v) for k, v in value.items() if k != "rows")
    )


def _two_way(value: object) -> bool:
    return isinstance(value, Mapping) and set(value) == {
        "rows",
        "row_totals",
        "column_totals",
        "total",
    }


def _columns_table(value: object) -> bool:
    return isinstance(value, Mapping) and set(value) == {"columns", "rows", "total"}


def sections(table: str, document: Mapping[str, Any]) -> list[Section]:
    """The table's figures as sections, in the API's order. `document` is the JSON API's
    answer (its partnership/period/disclosure fields are ignored)."""
    body = {k: v for k, v in document.items() if k not in META}
    out: list[Section] = []
    _add(out, table, TABLE_TITLES.get(table, humanise(table)), body)
    return out


def _add(out: list[Section], table: str, title: str, value: Any, depth: int = 0) -> None:
    if _columns_table(value):
        columns = list(value["columns"])
        s = Section(title, "", [humanise(c) for c in columns])
        for key, row in value["rows"].items():
            s.rows.append((row_label(table, key), [row.get(c) for c in columns]))
        s.rows.append(("Total", [value["total"].get(c) for c in columns]))
        out.append(s)
    elif _two_way(value):
        columns = list(value["column_totals"])
        s = Section(title, "", [*columns, "Total"])
        for key, row in value["rows"].items():
            cells = [row.get(c) for c in columns]
            s.rows.append((row_label(table, key), [*cells, value["row_totals"].get(key)]))
        s.rows.append(("Total", [*(value["column_totals"][c] for c in columns), value["total"]]))
        out.append(s)
    elif _one_way(value):
        s = Section(title, "", ["Count"])
        s.rows.extend((row_label(table, k), [v]) for k, v in value["rows"].items())
        s.rows.append(("Total", [value["total"]]))
        s.rows.extend((humanise(k), [v]) for k, v in value.items() if k not in ("rows", "total"))
        out.append(s)
    elif isinstance(value, Mapping) and all(_is_scalar(v) for v in value.values()):
        s = Section(title, "", ["Value"])
        s.rows.extend((row_label(table, k), [v]) for k, v in value.items())
        out.append(s)
    elif isinstance(value, Mapping):
        for key, inner in value.items():
            _add(
                out,
                table,
                humanise(key) if depth == 0 else f"{title}: {humanise(key)}",
                inner,
                depth + 1,
            )
        if not value:
            out.append(Section(title, "", ["Value"]))
    else:
        out.append(Section(title, "", ["Value"], [(title, [value])]))


def _shown(cell: Cell) -> Cell:
    return "" if cell is None else cell


def to_csv(sections_: Sequence[Section]) -> str:
    """Sections one after another, each under its title, a blank line between them."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for i, s in enumerate(sections_):
        if i:
            writer.writerow([])
        writer.writerow([s.title])
        writer.writerow([s.key_heading, *s.columns])
        for label, cells in s.rows:
            writer.writerow([label, *(_shown(c) for c in cells)])
    writer.writerow([])
    writer.writerow([SUPPRESSION_NOTE])
    return buffer.getvalue()


def _write_sheet(sheet: Worksheet, heading: str, sections_: Sequence[Section]) -> None:
    bold = Font(bold=True)
    sheet.append([heading])
    sheet["A1"].font = Font(bold=True, size=14)
    for s in sections_:
        sheet.append([])
        sheet.append([s.title])
        sheet.cell(sheet.max_row, 1).font = bold
        sheet.append([s.key_heading, *s.columns])
        for cell in sheet[sheet.max_row]:
            cell.font = bold
        for label, cells in s.rows:
            sheet.append([label, *(_shown(c) for c in cells)])
    sheet.append([])
    sheet.append([SUPPRESSION_NOTE])
    sheet.column_dimensions["A"].width = 36


def to_xlsx(sheets: Sequence[tuple[str, str, Sequence[Section]]]) -> bytes:
    """A workbook with one sheet per (sheet name, heading, sections)."""
    book = Workbook()
    first = True
    for name, heading, sections_ in sheets:
        sheet = book.active if first else book.create_sheet()
        assert sheet is not None
        sheet.title = name[:31]
        _write_sheet(sheet, heading, sections_)
        first = False
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
