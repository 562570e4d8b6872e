"""The closed month's payroll table as CSV or XLSX (openpyxl). The table itself (lines,
subtotals, totals) is built by ``domain.payroll``; this module only writes it."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from ..domain.payroll import PayrollTable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: Any) -> str:
    """A text cell a spreadsheet will not run: a value starting like a formula (``=1+1``,
    ``+``, ``-``, ``@``, tab, CR) gets a leading apostrophe (OWASP's CSV injection advice).
    Numbers are written as they are; None is an empty cell."""
    if value is None:
        return ""
    text = str(value)
    if isinstance(value, str) and text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def indonesian(value: Any, kind: str) -> Any:
    """A number in Indonesian format: rupiah ``1.234.567``, percent ``97,50``."""
    if not isinstance(value, Decimal):
        return value
    if kind == "money":
        return f"{value:,.0f}".replace(",", ".")
    return f"{value:.2f}".replace(".", ",")


def to_csv(table: PayrollTable, indonesian_numbers: bool = False) -> bytes:
    """The header and every line (an OPD's subtotal and the grand total are lines with an
    empty NIP), no title block: one table a program can read. With
    ``indonesian_numbers`` (``format=csv_id``): separated by semicolons, numbers in
    Indonesian format (``1.234.567``, ``97,50``), as a spreadsheet set to Indonesian
    opens it."""
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";" if indonesian_numbers else ",")
    writer.writerow(table.header)
    kinds = _kinds(table)
    writer.writerows([[csv_safe(indonesian(v, k) if indonesian_numbers else v)
                       for v, k in zip(line.cells(), kinds, strict=True)]
                      for line in table.lines])
    return buf.getvalue().encode("utf-8-sig")  # BOM so spreadsheet apps read UTF-8


PCT_FORMAT, MONEY_FORMAT = "0.00", "#,##0"
NARROW, WIDE = {"No": 5, "NIP": 21, "Nama": 32, "Status kepegawaian": 11,
                "Unit kerja (OPD)": 30, "Keterangan": 60, "Tanda tangan": 18}, 16


def _kinds(table: PayrollTable) -> list[str]:
    """The number format of each column, from its header: money (``(Rp)``), pct
    (``(%``), the line number, or text."""
    return ["int" if name == "No" else "money" if name.endswith("(Rp)")
            else "pct" if "(%" in name else "text" for name in table.header]


def _cell(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return int(value) if kind == "money" else float(value)
    return value


def to_xlsx(table: PayrollTable, title: str, title_lines: Sequence[str],
            signature_lines: Sequence[Sequence[str]] = ()) -> bytes:
    """A sheet for print and signature: the title block (regency, month, closed at/by,
    generated at), the header (frozen, repeated on every printed page), the lines with
    each OPD's subtotal and the grand total in bold, column widths, A4 landscape fitted
    to the page width, then the signature block (``signature_lines``: rows of cells from
    column B). Text stays text (``=1+1`` is shown, never computed). Amounts are numbers
    formatted ``#,##0``: a spreadsheet set to Indonesian shows ``1.234.567``."""
    wb = Workbook()
    ws: Worksheet = wb.active
    ws.title = title[:31]
    for i, text in enumerate(title_lines):
        ws.append([text])
        ws.cell(row=i + 1, column=1).font = Font(bold=True, size=13 if i == 0 else 11)
    ws.append([])
    header_row = len(title_lines) + 2
    ws.append(table.header)
    for cell in ws[header_row]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    kinds = _kinds(table)
    for line in table.lines:
        ws.append([_cell(v, k) for v, k in zip(line.cells(), kinds, strict=True)])
        row = ws[ws.max_row]
        for cell, kind in zip(row, kinds, strict=True):
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text stays text: "=1+1" is shown, never computed
            cell.number_format = {"pct": PCT_FORMAT, "money": MONEY_FORMAT,
                                  "int": "0"}.get(kind, "@")
            if line.kind != "employee":
                cell.font = Font(bold=True)
    ws.append([])
    for cells in signature_lines:
        ws.append([None, *cells])
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"
    for i, name in enumerate(table.header, start=1):
        ws.column_dimensions[get_column_letter(i)].width = NARROW.get(name, WIDE)
    ws.freeze_panes = ws.cell(row=header_row + 1, column=3)
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
