"""A roster name or unit that looks like a formula must stay text in the payroll files."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from scoring.adapters.export import to_csv, to_xlsx, tpp_table

ROWS = [{"nip": "199001012020011001", "name": "=1+1", "unit": "@SUM(A1:A9)",
         "components": [{"name": "kinerja", "value_pct": "50.00"}],
         "final_pct": "50", "tpp_base": "4000000", "tpp_amount": "2000000"},
        {"nip": "199001012020011002", "name": "-2+3", "unit": "dinas",
         "components": [{"name": "kinerja", "value_pct": "75.50"}],
         "final_pct": "75.5", "tpp_base": "5000000", "tpp_amount": "3775000"}]


def test_csv_neutralises_formulas_and_keeps_numbers() -> None:
    header, lines = tpp_table(ROWS)
    text = to_csv(header, lines).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1][1] == "'=1+1" and rows[1][2] == "'@SUM(A1:A9)"
    assert rows[2][1] == "'-2+3" and rows[2][2] == "dinas"
    assert rows[1][0] == "199001012020011001" and rows[2][-1] == "3775000"


def test_xlsx_keeps_formula_like_text_as_text() -> None:
    header, lines = tpp_table(ROWS)
    wb = load_workbook(io.BytesIO(to_xlsx(header, lines, "Oktober")))
    ws = wb.active
    assert ws["B2"].value == "=1+1" and ws["B2"].data_type == "s"
    assert ws["C2"].value == "@SUM(A1:A9)" and ws["C2"].data_type == "s"
    assert ws["B3"].data_type == "s"
    assert ws.cell(row=3, column=len(header)).value == 3775000
