"""The pay slip's edges (scoring.domain.payslip) and the policy's discipline and pay
sections (scoring.domain.pay_rules): caps, per-day leave, the rounding remainder, the
BPJS ceiling, refused policies."""

from __future__ import annotations

import csv
import io
from decimal import Decimal as D

import pytest

from scoring.adapters.export import to_csv
from scoring.domain.payroll import build

from scoring.domain.pay_rules import DisciplineRules, InvalidPolicy
from scoring.domain.payslip import (
    SHEET_COLUMNS,
    MonthDays,
    Penalty,
    SlipInputs,
    SlipScore,
    build_slip,
    pct_id,
    rp,
    sheet_values,
    signature_block,
)
from scoring.domain.policy import policy_from_dict, preset
from scoring.domain.terbilang import terbilang

POLICY = preset("performance60_discipline40")


def score(final: str, perf: str, disc: str, base: str = "5000000", kind: str = "PNS",
          adj: str = "100", amount: str | None = None) -> SlipScore:
    tpp = amount or str((D(base) * D(final) / 100 * D(adj) / 100).quantize(D(1)))
    return SlipScore((("performance", D("60"), D(perf)), ("discipline", D("40"), D(disc))),
                     D(final), D(base), kind, D(adj), D(tpp))


def test_the_last_component_takes_the_rounding_of_the_final_pct() -> None:
    # 3.333.333 x 60 % x 33.33 % = 666.599,93 -> 666.600; 3.333.333 x 40 % x 66.67 % =
    # 888.933,29 -> 888.933; final 20.00 + 26.67 = 46.67 %: bruto 3.333.333 x 46.67 % =
    # 1.555.666,51 -> 1.555.667, so the discipline line is 1.555.667 - 666.600 = 889.067
    s = build_slip("2026-11", score("46.67", "33.33", "66.67", base="3333333"),
                   MonthDays({}, D(21)), SlipInputs(), POLICY)
    assert [line.amount for line in s.earnings] == [D("666600"), D("889067")]
    assert "pembulatan" in s.earnings[1].reason and "pembulatan" not in s.earnings[0].reason


def test_cuts_never_exceed_the_tpp_and_say_so() -> None:
    # TPP 1.000.000; penalties 25 % + 50 % + 50 %: 250.000 + 500.000 + the last reduced
    # to the 250.000 left
    s = build_slip("2026-11", score("20", "0", "50"), MonthDays({}, D(21)),
                   SlipInputs(penalties=tuple(Penalty(D(p), "2026-11", "2026-11")
                                              for p in ("25", "50", "50"))), POLICY)
    assert [c.amount for c in s.cuts] == [D("250000"), D("500000"), D("250000")]
    assert "dibatasi" in s.cuts[2].reason and s.tpp_after_cuts == 0
    assert s.netto == 0 and s.deduction("bpjs_employer") == 0


def test_per_day_leave_and_a_salary_above_the_bpjs_ceiling() -> None:
    policy = POLICY.with_changes({"pay": {"leave": [
        {"code": "CS", "label": "Cuti sakit", "basis": "per_day", "pct": "2.5",
         "rule": "Cuti sakit lebih dari 14 hari: 2,5 % per hari"}]}})
    # TPP 2.000.000; 3 days x 2.5 % = 7.5 % -> 150.000; salary 13.000.000 above the
    # ceiling already: no BPJS on TPP
    s = build_slip("2026-11", score("40", "0", "100", base="5000000"),
                   MonthDays({"CS": 3, "CT": 2}, D(21)),
                   SlipInputs(salary=D("13000000"), pph21_pct=D("15")), policy)
    assert [(c.code, c.amount) for c in s.cuts] == [("leave:CS", D("150000"))]
    assert s.deduction("bpjs_employee") == 0 and s.deduction("bpjs_employer") == 0
    # PPh 21 15 % of 1.850.000 = 277.500; netto 1.572.500
    assert s.deduction("pph21") == D("277500") and s.netto == D("1572500")
    assert "3 hari x 2,5 %" in s.cuts[0].reason


def test_indonesian_number_format() -> None:
    assert rp(D("1234567")) == "Rp1.234.567" and rp(D("-1500.5")) == "-Rp1.501"
    assert (pct_id(D("80.00")), pct_id(D("12.50")), pct_id(D("0.5"))) == ("80 %", "12,5 %",
                                                                          "0,5 %")


def test_discipline_rules_cap_and_convert() -> None:
    points = DisciplineRules(unit="points", monthly_cap=D(100), pct_per_point=D("0.4"))
    # 150 points counted 100, x 0.4 % per point = 40 %
    assert points.cut_pct(D(150)) == D("40") and points.cut_pct(D(-3)) == 0
    assert DisciplineRules(monthly_cap=D(30)).cut_pct(D("45.5")) == D(30)


@pytest.mark.parametrize(("section", "text"), [
    ({"discipline": {"scope": "whole_tpp"}}, "dua kali"),
    ({"discipline": {"scope": "semua"}}, "tidak dikenal"),
    ({"discipline": {"unit": "pct", "pct_per_point": "2"}}, "persen per poin"),
    ({"discipline": {"monthly_cap": "-1"}}, "tidak negatif"),
    ({"pay": {"leave": [{"code": "CT", "basis": "kadang"}]}}, "tidak dikenal"),
    ({"pay": {"leave": [{"code": "CT"}, {"code": "CT"}]}}, "ganda"),
    ({"pay": {"leave": [{"code": "CB", "basis": "prorata", "pct": "150"}]}}, "100"),
    ({"pay": {"bpjs_employee_pct": "abc"}}, "bukan angka"),
])
def test_bad_discipline_or_pay_sections_are_refused(section: dict[str, object],
                                                    text: str) -> None:
    with pytest.raises(InvalidPolicy) as info:
        policy_from_dict({**POLICY.to_dict(), **section})
    assert text in info.value.message


@pytest.mark.parametrize(("amount", "words"), [
    (0, "nol rupiah"), (1, "satu rupiah"), (11, "sebelas rupiah"), (19, "sembilan belas rupiah"),
    (100, "seratus rupiah"), (1000, "seribu rupiah"), (1999, "seribu sembilan ratus sembilan "
                                                          "puluh sembilan rupiah"),
    (2_818_881, "dua juta delapan ratus delapan belas ribu delapan ratus delapan puluh satu "
                "rupiah"),
    (3_000_000_000, "tiga miliar rupiah"), (-5, "minus lima rupiah"),
])
def test_terbilang(amount: int, words: str) -> None:
    assert terbilang(amount) == words


def test_the_sheet_in_indonesian_numbers_and_its_signature_block() -> None:
    row = {"nip": "N1", "name": "Ani", "unit": "Dinas A", "employment_type": "PNS",
           "components": [{"name": "performance", "weight": "60", "value_pct": "50"},
                          {"name": "discipline", "weight": "40", "value_pct": "100"}],
           "final_pct": "70", "tpp_base": "3000000", "tpp_amount": "2100000", "flags": []}
    # TPP 2.100.000; BPJS 1 % 21.000, 4 % 84.000; netto 2.079.000
    slip = build_slip("2026-11", SlipScore.of(row), MonthDays({}, D(21)), SlipInputs(), POLICY)
    table = build([row], SHEET_COLUMNS, {"N1": sheet_values(slip)})
    parsed = list(csv.reader(io.StringIO(to_csv(table, indonesian_numbers=True)
                                         .decode("utf-8-sig")), delimiter=";"))
    first = dict(zip(parsed[0], parsed[1], strict=True))
    assert (first["Nilai akhir (%)"], first["TPP dibayar (Rp)"]) == ("70,00", "2.100.000")
    assert (first["TPP bersih diterima (Rp)"], first["Tanda tangan"]) == ("2.079.000", "")
    block = signature_block(table.header, table.total.cells())
    assert block[0] == ["Jumlah TPP bersih yang dibayarkan: Rp2.079.000 (dua juta tujuh "
                        "puluh sembilan ribu rupiah)"]
    assert ["Pengguna Anggaran/Kepala OPD", "", "", "", "", "Bendahara Pengeluaran"] in block
