"""The pay slip's smaller rules (scoring.domain.payslip) that the worked examples do not
reach: the sign of an amount in Indonesian format, percentages with more than one decimal,
the employment type read from a score row, the signature block's layout under the payroll
sheet."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from scoring.domain.payslip import (
    NETTO_COLUMN,
    MonthDays,
    PaySlip,
    Penalty,
    SlipInputs,
    SlipScore,
    build_slip,
    pct_id,
    rp,
    signature_block,
)
from scoring.domain.policy import Policy, policy_from_dict, preset

POLICY = preset("performance60_discipline40")


def test_only_a_negative_amount_carries_a_minus() -> None:
    assert (rp(D(0)), rp(D("0.5")), rp(D("0.4"))) == ("Rp0", "Rp1", "Rp0")
    assert (rp(D(-1)), rp(D("-0.5")), rp(D("-2500"))) == ("-Rp1", "-Rp1", "-Rp2.500")


def test_percentages_keep_every_decimal() -> None:
    # a fraction above one half must not be read as the next whole number or cut off
    assert (pct_id(D("12.75")), pct_id(D("0.4")), pct_id(D("99.99"))) == (
        "12,75 %", "0,4 %", "99,99 %")
    assert (pct_id(D("100.000")), pct_id(D(0))) == ("100 %", "0 %")


def row(**extra: object) -> dict[str, object]:
    return {"components": [{"name": "performance", "weight": "100", "value_pct": "50"}],
            "final_pct": "50", "tpp_base": "4000000", "tpp_amount": "1600000.4", **extra}


def test_a_score_row_with_and_without_employment_terms() -> None:
    cpns = SlipScore.of(row(employment_type="CPNS", tpp_adjustment_pct="80"))
    assert (cpns.employment_type, cpns.adjustment_pct, cpns.tpp_amount) == (
        "CPNS", D(80), D(1600000))
    plain = SlipScore.of(row(employment_type=None))
    assert (plain.employment_type, plain.adjustment_pct) == ("", D(100))
    assert SlipScore.of(row()).components == (("performance", D(100), D(50)),)


def test_the_signature_block_under_the_sheet() -> None:
    dots = "(" + "." * 32 + ")"
    gap = ["", "", "", ""]
    block = signature_block(["NIP", NETTO_COLUMN], ["Jumlah", D("1250000")])
    assert block == [
        ["Jumlah TPP bersih yang dibayarkan: Rp1.250.000 (satu juta dua ratus lima puluh "
         "ribu rupiah)"], [],
        ["Mengetahui,", *gap, "Lunas dibayar,"],
        ["Pengguna Anggaran/Kepala OPD", *gap, "Bendahara Pengeluaran"], [], [], [],
        [dots, *gap, dots], ["NIP.", *gap, "NIP."]]
    # no netto column (or no amount in it): no sentence, the places to sign all the same
    assert signature_block(["NIP"], ["Jumlah"])[:3] == [[], [], block[2]]
    assert signature_block([NETTO_COLUMN], [""])[0] == []
    # a total line that does not match the header is an error, not a shifted sentence
    with pytest.raises(ValueError):
        signature_block(["NIP", NETTO_COLUMN], [D("1250000")])


@pytest.mark.parametrize(("perf", "disc", "final", "lines", "note"), [
    # 3.333.333 x 60 % x 33,33 % = 666.599,93 -> 666.600; x 40 % x 66,67 % = 888.933,29 ->
    # 888.933; bruto 3.333.333 x 46,67 % = 1.555.666,51 -> 1.555.667: the last line 134 more
    ("33.33", "66.67", "46.67", ("666600", "889067"), "Rp134"),
    # x 60 % x 66,67 % = 1.333.399,87 -> 1.333.400; x 40 % x 33,33 % = 444.399,96 ->
    # 444.400; bruto x 53,33 % = 1.777.666,49 -> 1.777.666: the last line 134 less
    ("66.67", "33.33", "53.33", ("1333400", "444266"), "-Rp134"),
])
def test_the_rounding_remainder_is_stated_with_its_sign(perf: str, disc: str, final: str,
                                                        lines: tuple[str, str],
                                                        note: str) -> None:
    base = D("3333333")
    score = SlipScore((("performance", D(60), D(perf)), ("discipline", D(40), D(disc))),
                      D(final), base, "PNS", D(100), (base * D(final) / 100).quantize(D(1)))
    slip = build_slip("2026-11", score, MonthDays({}, D(21)), SlipInputs(), POLICY)
    assert tuple(line.amount for line in slip.earnings) == tuple(D(x) for x in lines)
    assert slip.earnings[0].reason == (f"TPP dasar Rp3.333.333 x bobot 60 % x nilai "
                                       f"{pct_id(D(perf))}")
    assert slip.earnings[1].reason.endswith(f" (selisih pembulatan nilai akhir {note})")


def whole_tpp(unit: str, cap: str, per_point: str = "1") -> Policy:
    return policy_from_dict({
        "name": "kinerja100",
        "components": [{"name": "performance", "weight": "100",
                        "parts": [{"source": "performance", "weight": "100"}]}],
        "discipline": {"unit": unit, "monthly_cap": cap, "pct_per_point": per_point,
                       "scope": "whole_tpp", "rule": "Potongan kehadiran atas seluruh TPP"}})


def slip_with_deductions(policy: Policy, deduction_sum: str, base: str = "1000005") -> PaySlip:
    score = SlipScore((("performance", D(100), D(100)),), D(100), D(base), "PNS", D(100),
                      D(base))
    return build_slip("2026-11", score, MonthDays({}, D(21), D(deduction_sum)), SlipInputs(),
                      policy)


def test_the_whole_tpp_discipline_cut_in_percent_and_in_points() -> None:
    # percent: 10 % of 1.000.005 = 100.000,5 -> 100.001 (half up, not cut off)
    (line,) = slip_with_deductions(whole_tpp("pct", "30"), "10").cuts
    assert (line.code, line.amount, line.rule) == (
        "discipline", D("100001"), "Potongan kehadiran atas seluruh TPP")
    assert line.reason == ("Potongan kehadiran bulan ini 10 %, dihitung 10 % (batas 30) dari "
                           "TPP Rp1.000.005")
    # points: 25 points x 0,4 % per point = 10 %
    (line,) = slip_with_deductions(whole_tpp("points", "100", "0.4"), "25").cuts
    assert line.amount == D("100001")
    assert line.reason == ("Potongan kehadiran bulan ini 25 poin x 0,4 % per poin, dihitung "
                           "10 % (batas 100) dari TPP Rp1.000.005")


def test_a_month_without_deductions_has_no_discipline_line_and_a_small_one_has() -> None:
    assert slip_with_deductions(whole_tpp("pct", "30"), "0").cuts == ()
    # half a percent: a cut below 1 % still counts (0,5 % of 1.000.005 = 5.000,03 -> 5.000)
    slip = slip_with_deductions(whole_tpp("pct", "30"), "0.5")
    assert [(c.code, c.amount) for c in slip.cuts] == [
        ("discipline", D("5000"))]


LEAVE_POLICY = POLICY.with_changes({"pay": {"leave": [
    {"code": "CT", "label": "Cuti tahunan", "basis": "paid", "pct": "5"},
    {"code": "CS", "label": "Cuti sakit", "basis": "per_day", "pct": "10"},
    {"code": "CN", "label": "Cuti nol", "basis": "per_day", "pct": "0"},
    {"code": "CB", "label": "Cuti besar", "basis": "prorata", "pct": "30"},
], "bpjs_employee_pct": "2"}})


def slip_of(leave: dict[str, int], effective: str = "21", inputs: SlipInputs = SlipInputs(),
            policy: Policy = LEAVE_POLICY, adjustment: str = "100",
            base: str = "1000005") -> PaySlip:
    tpp = (D(base) * D(adjustment) / 100).quantize(D(1))
    score = SlipScore((("performance", D(100), D(100)),), D(100), D(base), "PPPK",
                      D(adjustment), tpp)
    return build_slip("2026-11", score, MonthDays(leave, D(effective)), inputs, policy)


def test_which_leave_days_cut_the_tpp() -> None:
    # paid in full whatever its percent; no days, or a count below zero, or a rule of 0 %:
    # no line
    assert slip_of({"CT": 3, "CS": 0, "CN": 4, "XX": 2}).cuts == ()
    assert slip_of({"CS": -1, "CB": -2}).cuts == ()
    # one day per day 10 % of 1.000.005 = 100.000,5 -> 100.001 (half up, not cut off)
    (line,) = slip_of({"CS": 1}).cuts
    assert (line.code, line.amount) == ("leave:CS", D("100001"))
    assert line.reason == "Cuti sakit 1 hari: 1 hari x 10 % dari TPP Rp1.000.005"


def test_prorata_leave_on_the_effective_days() -> None:
    # 30 % x 7/21 = 10 %: 100.001
    (line,) = slip_of({"CB": 7}).cuts
    assert (line.code, line.amount) == ("leave:CB", D("100001"))
    assert line.reason == "Cuti besar 7 hari: 30 % x 7/21 hari kerja dari TPP Rp1.000.005"
    # one effective day, two days of leave: 30 % x 2/1 = 60 %
    assert slip_of({"CB": 2}, effective="1").cut_total() == D("600003")
    # no effective day at all: the rule's percent as it stands, no division by zero
    assert slip_of({"CB": 2}, effective="0").cut_total() == D("300002")


def test_penalty_reasons_with_and_without_a_decree() -> None:
    penalties = (Penalty(D(10), "2026-10", "2026-12", "800/12/2026", "tidak masuk 10 hari"),
                 Penalty(D(5), "2026-11", "2026-11"))
    first, second = slip_of({}, inputs=SlipInputs(penalties=penalties)).cuts
    assert (first.code, first.amount, second.code, second.amount) == (
        "penalty:1", D("100001"), "penalty:2", D("50000"))
    assert first.reason.endswith(" - tidak masuk 10 hari") and "800/12/2026" in first.reason
    assert second.reason.startswith("Hukuman disiplin (tanpa nomor SK): pemotongan 5 %")
    assert " - " not in second.reason and "dibatasi" not in first.reason + second.reason


def test_an_adjustment_below_half_the_tpp() -> None:
    # PPPK paid 40 %: bruto 1.000.005, TPP 400.002; the adjustment is the difference 600.003
    slip = slip_of({}, adjustment="40")
    (line,) = slip.cuts
    assert (line.code, line.label, line.amount) == ("adjustment", "Penyesuaian PPPK",
                                                    D("600003"))
    assert line.reason == "PPPK menerima 40 % dari TPP sesuai nilai Rp1.000.005"
    assert slip.tpp_after_cuts == D("400002")


def test_bpjs_at_a_regency_rate_and_pph21_by_rate_or_not_entered() -> None:
    # TPP 1.000.013, no salary: BPJS base 1.000.013; employee 2 % = 20.000,26 -> 20.000;
    # employer 4 % = 40.000,52 -> 40.001; PPh 21 10 % = 100.001,3 -> 100.001
    slip = slip_of({}, base="1000013", inputs=SlipInputs(pph21_pct=D(10)))
    assert (slip.deduction("bpjs_employee"), slip.deduction("bpjs_employer"),
            slip.deduction("pph21")) == (D("20000"), D("40001"), D("100001"))
    assert slip.deductions[1].reason == ("Tarif 10 % diisi unit pengelola gaji x TPP "
                                         "Rp1.000.013")
    # PPh 21 5 % of 1.000.033 = 50.001,65 -> 50.002
    assert slip_of({}, base="1000033", inputs=SlipInputs(pph21_pct=D(5))).deduction(
        "pph21") == D("50002")
    unset = slip_of({}).deductions[1]
    assert (unset.amount, unset.reason) == (D(0), "Tarif PPh 21 belum diisi (0 %)")
