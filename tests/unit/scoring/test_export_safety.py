"""A roster name or unit that looks like a formula must stay text in the payroll files."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from scoring.adapters.export import to_csv, to_xlsx
from scoring.domain.payroll import build

ROWS = [{"nip": "199001012020011001", "name": "=1+1", "unit": "@SUM(A1:A9)",
         "components": [{"name": "kinerja", "weight": "100", "value_pct": "50.00"}],
         "final_pct": "50", "tpp_base": "4000000", "tpp_amount": "2000000"},
        {"nip": "199001012020011002", "name": "-2+3", "unit": "dinas",
         "components": [{"name": "kinerja", "weight": "100", "value_pct": "75.50"}],
         "final_pct": "75.5", "tpp_base": "5000000", "tpp_amount": "3775000"}]


def test_csv_neutralises_formulas_and_keeps_numbers() -> None:
    text = to_csv(build(ROWS)).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    # "@SUM..." sorts before "dinas": its employee, its subtotal, then dinas
    assert rows[1][2] == "'=1+1" and rows[1][4] == "'@SUM(A1:A9)"
    assert rows[2][2] == "Subtotal @SUM(A1:A9) (1 pegawai)"  # does not start like one
    assert rows[3][2] == "'-2+3" and rows[3][4] == "dinas"
    assert rows[1][1] == "199001012020011001" and rows[3][-2] == "3775000"


def test_xlsx_keeps_formula_like_text_as_text() -> None:
    table = build(ROWS)
    ws = load_workbook(io.BytesIO(to_xlsx(table, "Oktober", ["Judul"]))).active
    first = 4  # title line, blank line, header, then the lines
    assert ws.cell(first, 3).value == "=1+1" and ws.cell(first, 3).data_type == "s"
    assert ws.cell(first, 5).value == "@SUM(A1:A9)" and ws.cell(first, 5).data_type == "s"
    assert ws.cell(first + 2, 3).value == "-2+3" and ws.cell(first + 2, 3).data_type == "s"
    assert ws.cell(first + 2, len(table.header) - 1).value == 3775000
