"""The month's payroll table (scoring.domain.payroll): lines by OPD then NIP, a subtotal after
each OPD, the grand total last, every factor shown."""

from __future__ import annotations

import dataclasses
from decimal import Decimal as D

import pytest

from scoring.domain.payroll import (
    FIXED_AFTER,
    FIXED_BEFORE,
    build,
    month_name,
)

PERF = {"name": "performance", "weight": "60"}
DISC = {"name": "discipline", "weight": "40"}


def row(nip: str, unit: str, perf: str, disc: str, final: str, base: str, amount: str,
        **extra: object) -> dict[str, object]:
    return {"nip": nip, "name": f"Pegawai {nip}", "unit": unit,
            "components": [{**PERF, "value_pct": perf}, {**DISC, "value_pct": disc}],
            "final_pct": final, "tpp_base": base, "tpp_amount": amount, **extra}


ROWS = [
    row("N3", "Dinas B", "50", "100", "70", "3000000", "2100000"),
    row("N2", "Dinas A", "100", "97.5", "99.01", "5000000.4", "3960200",
        employment_type="CPNS", tpp_adjustment_pct="80", flags=["no_calendar"]),
    row("N1", "Dinas A", "0", "100", "40", "4000000", "1600000",
        flags=["no_approved_activity", "inactive"]),
]


@pytest.mark.parametrize(("period", "name"), [("2026-01", "Januari 2026"),
                                               ("2026-10", "Oktober 2026"),
                                               ("2027-12", "Desember 2027")])
def test_month_name_in_bahasa_indonesia(period: str, name: str):
    assert month_name(period) == name


def test_lines_by_opd_then_nip_with_a_subtotal_after_each_opd_and_the_total_last():
    table = build(ROWS)
    assert [(x.kind, x.no, x.nip) for x in table.lines] == [
        ("employee", 1, "N1"), ("employee", 2, "N2"), ("subtotal", None, ""),
        ("employee", 3, "N3"), ("subtotal", None, ""), ("total", None, "")]
    assert table.employees == 3
    assert table.total is table.lines[-1]
    assert [x.name for x in table.lines if x.kind != "employee"] == [
        "Subtotal Dinas A (2 pegawai)", "Subtotal Dinas B (1 pegawai)",
        "Jumlah seluruhnya (3 pegawai)"]


def test_an_employee_line_shows_every_factor():
    table = build(ROWS)
    n2 = table.lines[1]
    assert n2.components == (D("100.00"), D("97.50"))
    assert n2.final_pct == D("99.01")
    assert n2.tpp_base == D("5000000")  # to the rupiah
    # base x final % / 100, to the rupiah, half up: 5,000,000 x 99.01 % = 4,950,500
    assert n2.tpp_by_score == D("4950500")
    assert n2.adjustment_pct == D("80.00")
    assert n2.tpp_paid == D("3960200")
    assert (n2.employment_type, n2.unit, n2.name) == ("CPNS", "Dinas A", "Pegawai N2")
    assert n2.note == "hari kerja efektif belum diterbitkan: dihitung Senin-Jumat"
    n1 = table.lines[0]
    assert n1.adjustment_pct == D("100.00")  # no adjustment given: paid in full
    assert n1.employment_type == ""
    assert n1.note == ("tidak ada aktivitas disetujui: kinerja 0 %; "
                       "pegawai tidak aktif di direktori")
    assert table.lines[3].note == ""


def test_tpp_by_score_rounds_half_up_to_the_rupiah():
    half = build([row("N1", "A", "50", "50", "50", "3", "2")]).lines[0]
    assert half.tpp_by_score == D("2")  # 1.5 -> 2
    below = build([row("N1", "A", "50", "50", "49.99", "3", "1")]).lines[0]
    assert below.tpp_by_score == D("1")  # 1.4997 -> 1


def test_subtotals_and_total_add_base_tpp_by_score_and_paid():
    table = build(ROWS)
    a, b, total = table.lines[2], table.lines[4], table.lines[5]
    assert (a.tpp_base, a.tpp_by_score, a.tpp_paid) == (
        D("9000000"), D("1600000") + D("4950500"), D("5560200"))
    assert (b.tpp_base, b.tpp_by_score, b.tpp_paid) == (D("3000000"), D("2100000"),
                                                        D("2100000"))
    assert (total.tpp_base, total.tpp_by_score, total.tpp_paid) == (
        D("12000000"), D("8650500"), D("7660200"))
    for line in (a, b, total):
        assert line.components == (None, None)
        assert (line.final_pct, line.adjustment_pct, line.no, line.note) == (
            None, None, None, "")


def test_header_names_each_component_with_its_weight_between_the_fixed_columns():
    table = build(ROWS)
    assert table.header == [*FIXED_BEFORE, "Kinerja (%; bobot 60 %)",
                            "Disiplin (%; bobot 40 %)", *FIXED_AFTER]
    assert table.components == (("performance", D("60")), ("discipline", D("40")))
    assert len(table.lines[0].cells()) == len(table.header)
    assert table.lines[0].cells() == [
        1, "N1", "Pegawai N1", "", "Dinas A", D("0.00"), D("100.00"), D("40.00"),
        D("4000000"), D("1600000"), D("100.00"), D("1600000"),
        "tidak ada aktivitas disetujui: kinerja 0 %; pegawai tidak aktif di direktori"]


def test_a_component_without_weight_or_label_and_a_missing_value():
    rows = [{"nip": "N1", "name": "A", "unit": "U", "final_pct": "", "tpp_base": None,
             "tpp_amount": "0",
             "components": [{"name": "custom", "weight": None, "value_pct": "12.3449"}]},
            {"nip": "N2", "name": "B", "unit": "U", "final_pct": "10", "tpp_base": "100",
             "tpp_amount": "10", "components": []}]
    table = build(rows)
    assert table.header[len(FIXED_BEFORE)] == "custom (%)"
    assert table.components == (("custom", None),)
    n1, n2 = table.lines[0], table.lines[1]
    assert n1.components == (D("12.34"),) and n1.final_pct == D("0.00")
    assert n1.tpp_base == D("0") and n1.tpp_by_score == D("0")
    assert n2.components == (None,)  # no value of the component: an empty cell
    assert [x.kind for x in table.lines] == ["employee", "employee", "subtotal", "total"]


def test_an_empty_month_is_a_zero_total():
    table = build([])
    assert table.employees == 0
    assert [(x.kind, x.name, x.tpp_paid) for x in table.lines] == [
        ("total", "Jumlah seluruhnya (0 pegawai)", D("0"))]
    assert table.header == [*FIXED_BEFORE, *FIXED_AFTER]


def test_the_table_and_its_lines_are_values():
    table = build(ROWS)
    with pytest.raises(dataclasses.FrozenInstanceError):
        table.employees = 0  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        table.lines[0].tpp_paid = D(0)  # type: ignore[misc]
