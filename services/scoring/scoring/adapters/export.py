"""The closed month's TPP table for payroll, as CSV or XLSX (openpyxl)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: Any) -> str:
    """A text cell a spreadsheet will not run: a value starting like a formula (``=1+1``,
    ``+``, ``-``, ``@``, tab, CR) gets a leading apostrophe (OWASP's CSV injection advice).
    Numbers are written as they are."""
    text = str(value)
    if isinstance(value, str) and text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def tpp_table(rows: Sequence[dict[str, Any]]) -> tuple[list[str], list[list[Any]]]:
    """Header and lines: NIP, name, OPD, each component %, final %, TPP base, TPP paid."""
    component_names: list[str] = []
    for r in rows:
        for c in r["components"]:
            if c["name"] not in component_names:
                component_names.append(c["name"])
    header = ["NIP", "Nama", "Unit (OPD)", *[f"{n} (%)" for n in component_names],
              "Nilai akhir (%)", "TPP dasar (Rp)", "TPP dibayar (Rp)"]
    lines = []
    for r in rows:
        values = {c["name"]: Decimal(c["value_pct"]) for c in r["components"]}
        lines.append([r["nip"], r["name"], r["unit"],
                      *[values.get(n, "") for n in component_names],
                      Decimal(r["final_pct"]).quantize(Decimal("0.01")),
                      Decimal(r["tpp_base"]).quantize(Decimal("1")),
                      Decimal(r["tpp_amount"]).quantize(Decimal("1"))])
    return header, lines


def to_csv(header: list[str], lines: list[list[Any]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    writer.writerows([[csv_safe(v) for v in line] for line in lines])
    return buf.getvalue().encode("utf-8-sig")  # BOM so spreadsheet apps read UTF-8


def to_xlsx(header: list[str], lines: list[list[Any]], title: str) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]
    ws.append(header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    pct_cols = range(3, len(header) - 2)
    for line in lines:
        ws.append([int(v) if i >= len(header) - 2 else
                   (float(v) if i in pct_cols and v != "" else v)
                   for i, v in enumerate(line)])
    for row in ws.iter_rows(min_row=2):
        for i, cell in enumerate(row):
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text stays text: "=1+1" is shown, never computed
            if i in pct_cols:
                cell.number_format = "0.00"
            elif i >= len(header) - 2:
                cell.number_format = "#,##0"
            elif i == 0:
                cell.number_format = "@"
    ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
