"""Worked examples, one per discipline model, computed by hand in the comments: the days
evaluated by the attendance service's rule set, the month scored under the scoring policy
paired with it, the pay slip (scoring.domain.payslip) and the OPD payroll sheet's columns.

Common to all: TPP base Rp5.000.000, 21 effective days x 300 minutes = 6.300 minutes.
Rounding: every amount once, to whole rupiah, half up."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from typing import Any
from zoneinfo import ZoneInfo

from attendance.domain.rules import BLOK30, KEMENKEU, POIN100, RuleSet, evaluate_day
from attendance.domain.schedule import FIVE_DAY, work_window
from scoring.domain.payroll import build
from scoring.domain.payslip import (
    SHEET_COLUMNS,
    MonthDays,
    PaySlip,
    Penalty,
    SlipInputs,
    SlipScore,
    build_slip,
    sheet_values,
)
from scoring.domain.policy import Policy, policy_from_dict, preset
from scoring.domain.score import EmployeeTerms, MonthFacts, compute_score

WIB = ZoneInfo("Asia/Jakarta")
MON = dt.date(2026, 11, 23)  # 07:30-16:00
BASE = D("5000000")
PERIOD = "2026-11"


def cut(rules: RuleSet, arrival: str | None, departure: str | None = "16:00:00",
        apel: bool | None = None) -> D:
    """One working day's cut under ``rules`` (no punch at all: TK, the day closed)."""
    hours = FIVE_DAY.hours_on(MON)
    assert hours is not None
    punches = [dt.datetime.combine(MON, dt.time.fromisoformat(t), tzinfo=WIB)
               for t in (arrival, departure) if t]
    return evaluate_day(kind="work", window=work_window(MON, hours, WIB), punches=punches,
                        rules=rules, closed=True, apel_attended=apel).deduction_pct


def slip_of(policy: Policy, deductions: D, approved: int, employment_type: str,
            leave: dict[str, int], inputs: SlipInputs,
            **facts: Any) -> tuple[PaySlip, dict[str, object]]:
    """The slip of one month (``facts``: MonthFacts' apel and compliance fields)."""
    score = compute_score(policy, MonthFacts(PERIOD, approved_minutes=approved,
                                             effective_days=D(21), deduction_sum=deductions,
                                             attendance_days=21, **facts),
                          EmployeeTerms(BASE, employment_type))
    row = {"nip": "N", "name": "Pegawai", "unit": "Dinas A",
           "employment_type": employment_type,
           "components": [{"name": c.name, "weight": c.weight, "value_pct": c.value_pct}
                          for c in score.components],
           "final_pct": score.final_pct, "tpp_base": BASE,
           "tpp_adjustment_pct": policy.adjustment_pct(employment_type),
           "tpp_amount": score.tpp_amount, "flags": []}
    slip = build_slip(PERIOD, SlipScore.of(row), MonthDays(leave, D(21), deductions),
                      inputs, policy)
    return slip, row


def amounts(lines: tuple[object, ...]) -> dict[str, D]:
    return {line.code: line.amount for line in lines}  # type: ignore[attr-defined]


def test_kemenkeu_brackets_cut_the_discipline_part_cpns_leave_and_penalty() -> None:
    # days (Kemenkeu: TL/PSW 1-30 0.5 %, 31-60 1 %, 61-90 1.25 %, >90 2.5 %, TK 5 %):
    #   08:10 arrival = 40 min late -> TL2 1 %; 15:00 departure = 60 min early -> PSW2 1 %;
    #   no punch -> TK 5 %; 09:45 arrival = 135 min -> TL4 2.5 %.  Sum 9.5 %.
    days = [cut(KEMENKEU, "08:10:00"), cut(KEMENKEU, "07:30:00", "15:00:00"),
            cut(KEMENKEU, None, None), cut(KEMENKEU, "09:45:00")]
    assert days == [D("1"), D("1"), D("5"), D("2.5")]
    # performance60_discipline40: performance 5.670/6.300 = 90 %, discipline 100 - 9.5 =
    # 90.5 %; final = 60 x 90 % + 40 x 90.5 % = 54 + 36.2 = 90.20 %
    slip, _ = slip_of(preset("performance60_discipline40"), sum(days, D(0)), 5670, "CPNS",
                      {"CB": 2, "CT": 1},
                      SlipInputs(salary=D("4000000"), pph21_pct=D("5"), penalties=(
                          Penalty(D("25"), "2026-09", "2027-02", "800/12/BKPSDM/2026"),
                          Penalty(D("25"), "2026-01", "2026-06", "lama, sudah selesai"))))
    # bruto by component: 5.000.000 x 60 % x 90 % = 2.700.000; 5.000.000 x 40 % x 90.5 %
    # = 1.810.000; bruto 5.000.000 x 90.20 % = 4.510.000
    assert amounts(slip.earnings) == {"component:performance": D("2700000"),
                                      "component:discipline": D("1810000")}
    assert slip.bruto == D("4510000")
    # CPNS 80 %: TPP 3.608.000, cut 902.000; cuti besar 2 of 21 days prorata 100 %:
    # 3.608.000 x 2/21 = 343.619,05 -> 343.619 (cuti tahunan paid: no line); penalty 25 %
    # of 3.608.000 = 902.000 (the one that ended in June: no line)
    assert amounts(slip.cuts) == {"adjustment": D("902000"), "leave:CB": D("343619"),
                                  "penalty:1": D("902000")}
    # after cuts 4.510.000 - 902.000 - 343.619 - 902.000 = 2.362.381
    assert slip.tpp_after_cuts == D("2362381")
    # BPJS: min(4.000.000 + 2.362.381, 12.000.000) - 4.000.000 = 2.362.381;
    # 1 % = 23.623,81 -> 23.624; 4 % = 94.495,24 -> 94.495; PPh 21 5 % = 118.119,05 ->
    # 118.119; netto 2.362.381 - 23.624 - 118.119 = 2.220.638
    assert amounts(slip.deductions) == {"bpjs_employee": D("23624"), "pph21": D("118119")}
    assert amounts(slip.employer) == {"bpjs_employer": D("94495")}
    assert slip.netto == D("2220638")
    penalty = next(c for c in slip.cuts if c.code == "penalty:1")
    assert "800/12/BKPSDM/2026" in penalty.reason and "September 2026" in penalty.reason
    assert "PP 94/2021" in penalty.rule
    assert "80 %" in slip.cuts[0].reason and "Rp4.510.000" in slip.cuts[0].reason


def test_blok30_with_59_second_grace_cuts_the_whole_tpp_capped_at_40() -> None:
    # days (blok30: every started 30-minute block 1.25 %, at most 4 blocks; grace 59 s,
    # then every started minute counts; TK 10 %):
    #   07:30:59 -> on time; 07:31:00 -> 1 min, TL1 1.25 %; 08:00:01 -> 1.801 s = 31 min,
    #   TL2 2.5 %; 07:00 in, 14:29 out -> 91 min early, PSW4 5 %; four TK days 4 x 10 %.
    #   Sum 1.25 + 2.5 + 5 + 40 = 48.75 %.
    days = [cut(BLOK30, "07:30:59"), cut(BLOK30, "07:31:00"), cut(BLOK30, "08:00:01"),
            cut(BLOK30, "07:00:00", "14:29:00"), *[cut(BLOK30, None, None)] * 4]
    assert days[:4] == [D("0"), D("1.25"), D("2.5"), D("5")] and days[4] == D("10")
    policy = policy_from_dict({
        "name": "kinerja100_blok30",
        "components": [{"name": "performance", "weight": "100",
                        "parts": [{"source": "performance", "weight": "100"}]}],
        "discipline": {"monthly_cap": "40", "scope": "whole_tpp",
                       "rule": "Potongan kehadiran paling banyak 40 % per bulan"}})
    # performance 6.300/6.300 = 100 %, final 100 %, bruto 5.000.000, PNS: no adjustment
    slip, _ = slip_of(policy, sum(days, D(0)), 6300, "PNS", {"DL": 3},
                      SlipInputs(salary=D("10000000"), pph21_amount=D("150000")))
    assert slip.bruto == D("5000000")
    # the month's 48.75 % counted at the cap, 40 % of 5.000.000 = 2.000.000 (dinas luar
    # is paid: no line)
    assert amounts(slip.cuts) == {"discipline": D("2000000")}
    assert "40 %" in slip.cuts[0].reason and slip.cuts[0].rule.startswith("Potongan")
    # after cuts 3.000.000; BPJS base min(10.000.000 + 3.000.000, 12.000.000) -
    # 10.000.000 = 2.000.000: 1 % 20.000, 4 % 80.000; PPh 21 entered 150.000;
    # netto 3.000.000 - 20.000 - 150.000 = 2.830.000
    assert slip.tpp_after_cuts == D("3000000")
    assert amounts(slip.deductions) == {"bpjs_employee": D("20000"), "pph21": D("150000")}
    assert slip.deduction("bpjs_employer") == D("80000") and slip.netto == D("2830000")


def test_points_model_capped_at_100_points_and_the_opd_sheet() -> None:
    # days (poin100: TL/PSW 1-30 1 point, 31-60 2, 61-90 3, >90 5, TK 10, no apel 1):
    #   X: three TK days 30; 08:45 arrival = 75 min TL3 3 + missed apel 1 = 4;
    #      15:45 departure = 15 min early PSW1 1.  35 points.
    #   Y: twelve TK days = 120 points, counted 100 (the cap).
    x_days = [*[cut(POIN100, None, None)] * 3, cut(POIN100, "08:45:00", apel=False),
              cut(POIN100, "07:30:00", "15:45:00")]
    assert x_days[3:] == [D("4"), D("1")]
    policy = preset("performance60_discipline40").with_changes(
        {"name": "poin100", "discipline": {"unit": "points", "monthly_cap": "100",
                                           "pct_per_point": "1"}})
    # X: performance 4.410/6.300 = 70 %, discipline 100 - 35 = 65 %;
    # final 60 x 70 % + 40 x 65 % = 42 + 26 = 68 %, bruto 3.400.000 (2.100.000 + 1.300.000)
    x, x_row = slip_of(policy, sum(x_days, D(0)), 4410, "PNS", {"CLTN": 3},
                       SlipInputs(salary=D("3000000")))
    assert amounts(x.earnings) == {"component:performance": D("2100000"),
                                   "component:discipline": D("1300000")}
    # CLTN 3 of 21 days prorata 100 %: 3.400.000 x 3/21 = 485.714,29 -> 485.714;
    # after 2.914.286; BPJS base min(5.914.286, 12.000.000) - 3.000.000 = 2.914.286:
    # 1 % 29.142,86 -> 29.143, 4 % 116.571,44 -> 116.571; PPh 21 not entered: 0;
    # netto 2.914.286 - 29.143 = 2.885.143
    assert amounts(x.cuts) == {"leave:CLTN": D("485714")}
    assert (x.tpp_after_cuts, x.netto) == (D("2914286"), D("2885143"))
    assert amounts(x.deductions) == {"bpjs_employee": D("29143"), "pph21": D("0")}
    assert x.deduction("bpjs_employer") == D("116571")
    # Y: performance 100 %, discipline 100 - min(120, 100) = 0; final 60 %, bruto
    # 3.000.000; salary 0: BPJS base 3.000.000, 1 % 30.000, 4 % 120.000; netto 2.970.000
    y, y_row = slip_of(policy, D(120), 6300, "PNS", {}, SlipInputs())
    assert [c.amount for c in y.earnings] == [D("3000000"), D("0")]
    assert (y.bruto, y.netto, y.deduction("bpjs_employer")) == (D("3000000"), D("2970000"),
                                                                D("120000"))
    # the OPD sheet: X and Y in Dinas A, the subtotal and the total add the slip columns
    y_row["nip"] = "M"
    table = build([x_row, y_row], SHEET_COLUMNS, {"N": sheet_values(x), "M": sheet_values(y)})
    assert table.header[-10:] == [*SHEET_COLUMNS, "Keterangan", "Tanda tangan"]
    total = dict(zip(table.header, table.total.cells(), strict=True))
    # TPP dibayar 3.400.000 + 3.000.000; cuti 485.714; after 2.914.286 + 3.000.000 =
    # 5.914.286; BPJS pegawai 29.143 + 30.000 = 59.143; netto 2.885.143 + 2.970.000 =
    # 5.855.143; BPJS pemberi kerja 116.571 + 120.000 = 236.571
    assert total["TPP dibayar (Rp)"] == D("6400000")
    assert total["Potongan cuti/tugas (Rp)"] == D("485714")
    assert total["TPP setelah potongan (Rp)"] == D("5914286")
    assert total["BPJS Kesehatan pegawai (Rp)"] == D("59143")
    assert total["TPP bersih diterima (Rp)"] == D("5855143")
    assert total["BPJS Kesehatan pemberi kerja (Rp)"] == D("236571")
    assert [line.kind for line in table.lines] == ["employee", "employee", "subtotal", "total"]


def test_cilegon_preset_with_apel_as_collective_work() -> None:
    # days (Kemenkeu brackets): 08:10 arrival = 40 min TL2 1 %; no punch TK 5 %; 15:00
    # departure = 60 min early PSW2 1 %.  Sum 7 %.
    days = [cut(KEMENKEU, "08:10:00"), cut(KEMENKEU, None, None),
            cut(KEMENKEU, "07:30:00", "15:00:00")]
    assert days == [D("1"), D("5"), D("1")]
    # cilegon: individual performance 5.040/6.300 = 80 %; attendance 100 - 7 = 93 %;
    # collective work = apel 16 of 20 = 80 %;
    # final 52,5 x 80 % + 30 x 93 % + 17,5 x 80 % = 42 + 27,9 + 14 = 83,90 %
    slip, row = slip_of(preset("cilegon"), sum(days, D(0)), 5040, "PNS", {"CB": 1},
                        SlipInputs(salary=D("9000000"), pph21_amount=D("200000")),
                        apel_recorded=20, apel_attended=16)
    assert row["final_pct"] == D("83.90")
    # 5.000.000 x 52,5 % x 80 % = 2.100.000; x 30 % x 93 % = 1.395.000; x 17,5 % x 80 %
    # = 700.000; bruto 4.195.000 (= 5.000.000 x 83,90 %)
    assert amounts(slip.earnings) == {"component:individual_performance": D("2100000"),
                                      "component:attendance": D("1395000"),
                                      "component:collective_work": D("700000")}
    assert slip.bruto == D("4195000")
    # the discipline cut is inside the attendance component (no line of its own); cuti
    # besar 1 of 21 days: 4.195.000 / 21 = 199.761,90 -> 199.762; after 3.995.238
    assert amounts(slip.cuts) == {"leave:CB": D("199762")}
    assert slip.tpp_after_cuts == D("3995238")
    # BPJS base min(9.000.000 + 3.995.238, 12.000.000) - 9.000.000 = 3.000.000: 1 % 30.000,
    # 4 % 120.000; PPh 21 entered 200.000; netto 3.995.238 - 30.000 - 200.000 = 3.765.238
    assert amounts(slip.deductions) == {"bpjs_employee": D("30000"), "pph21": D("200000")}
    assert slip.deduction("bpjs_employer") == D("120000") and slip.netto == D("3765238")


def test_60_30_10_preset_attendance_with_apel_part_compliance_and_the_opd_sheet() -> None:
    # days (Kemenkeu brackets): no punch TK 5 %; 09:45 arrival = 135 min TL4 2,5 %.
    # Sum 7,5 %.
    days = [cut(KEMENKEU, None, None), cut(KEMENKEU, "09:45:00")]
    # performance 5.670/6.300 = 90 %; attendance component = 60 % of (100 - 7,5 = 92,5 %)
    # + 40 % of apel 15 of 20 (75 %) = 55,5 + 30 = 85,5 %; compliance entered 80 %;
    # final 60 x 90 % + 30 x 85,5 % + 10 x 80 % = 54 + 25,65 + 8 = 87,65 %
    slip, row = slip_of(preset("performance60_attendance30_compliance10"), sum(days, D(0)),
                        5670, "PNS", {},
                        SlipInputs(salary=D("3500000"), pph21_pct=D("5"), penalties=(
                            Penalty(D("10"), "2026-11", "2026-11", "800/31/BKPSDM/2026"),)),
                        apel_recorded=20, apel_attended=15, compliance_pct=D("80"))
    assert row["final_pct"] == D("87.65")
    # 5.000.000 x 60 % x 90 % = 2.700.000; x 30 % x 85,5 % = 1.282.500; x 10 % x 80 %
    # = 400.000; bruto 4.382.500
    assert amounts(slip.earnings) == {"component:performance": D("2700000"),
                                      "component:attendance": D("1282500"),
                                      "component:compliance": D("400000")}
    # penalty 10 % of 4.382.500 = 438.250; after 3.944.250
    assert amounts(slip.cuts) == {"penalty:1": D("438250")}
    assert slip.tpp_after_cuts == D("3944250")
    # BPJS base min(3.500.000 + 3.944.250, 12.000.000) - 3.500.000 = 3.944.250:
    # 1 % 39.442,50 -> 39.443 (half up), 4 % 157.770; PPh 21 5 % of 3.944.250 =
    # 197.212,50 -> 197.213; netto 3.944.250 - 39.443 - 197.213 = 3.707.594
    assert amounts(slip.deductions) == {"bpjs_employee": D("39443"), "pph21": D("197213")}
    assert slip.deduction("bpjs_employer") == D("157770") and slip.netto == D("3707594")
    # the OPD sheet of this one employee: its line, the subtotal and the total carry the
    # slip's figures
    table = build([row], SHEET_COLUMNS, {"N": sheet_values(slip)})
    total = dict(zip(table.header, table.total.cells(), strict=True))
    assert total["TPP dibayar (Rp)"] == D("4382500")
    assert total["TPP setelah potongan (Rp)"] == D("3944250")
    assert total["TPP bersih diterima (Rp)"] == D("3707594")
    assert total["BPJS Kesehatan pemberi kerja (Rp)"] == D("157770")
