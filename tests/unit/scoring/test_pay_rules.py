"""The policy's discipline and pay sections (scoring.domain.pay_rules) on their own: the
defaults a missing section means, the dict form read back exactly, the limits of each
number, the conversion of the month's deductions into a cut."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from scoring.domain.pay_rules import (
    DEFAULT_LEAVE,
    DisciplineRules,
    InvalidPolicy,
    LeaveRule,
    PayRules,
    dec,
    discipline_from_dict,
    pay_from_dict,
)


def test_a_missing_section_means_the_defaults() -> None:
    assert discipline_from_dict(None) == discipline_from_dict({}) == DisciplineRules()
    assert pay_from_dict(None) == pay_from_dict({}) == pay_from_dict({"leave": None}) \
        == PayRules()
    assert PayRules().leave == DEFAULT_LEAVE
    assert (PayRules().bpjs_ceiling, PayRules().bpjs_employee_pct,
            PayRules().bpjs_employer_pct) == (D("12000000"), D(1), D(4))
    # a leave kind given by its code only: paid, labelled with its code
    [only] = pay_from_dict({"leave": [{"code": "XX"}]}).leave
    assert only == LeaveRule("XX", "XX", "paid", D(0), "")


def test_sections_are_read_back_exactly_up_to_the_limits() -> None:
    pay = PayRules(leave=(LeaveRule("CB", "Cuti besar", "prorata", D(100), "aturan CB"),
                          LeaveRule("CS", "Cuti sakit", "per_day", D("0.5"))),
                   bpjs_ceiling=D(0), bpjs_employee_pct=D(0), bpjs_employer_pct=D(100),
                   penalty_rule="Perbup 12/2026")
    assert pay_from_dict(pay.to_dict()) == pay
    points = DisciplineRules("points", D(0), D(100), "whole_tpp", "Perbup: per poin")
    assert discipline_from_dict(points.to_dict()) == points
    assert discipline_from_dict({"unit": "points", "pct_per_point": "2"}).pct_per_point == D(2)


@pytest.mark.parametrize(("section", "text"), [
    ({"pct_per_point": "100.01", "unit": "points"}, "lebih dari 100"),
    ({"monthly_cap": "NaN"}, "tidak negatif"),
    ({"monthly_cap": "Infinity"}, "tidak negatif"),
    ({"monthly_cap": "-0.01"}, "tidak negatif"),
    ({"unit": "menit"}, "tidak dikenal"),
    ({"unit": "pct", "pct_per_point": "0.5"}, "persen per poin 1"),
])
def test_discipline_numbers_out_of_range_are_refused(section: dict[str, str],
                                                     text: str) -> None:
    with pytest.raises(InvalidPolicy) as info:
        discipline_from_dict(section)
    assert text in info.value.message


@pytest.mark.parametrize("section", [
    {"bpjs_employee_pct": "100.5"}, {"bpjs_employer_pct": "101"}, {"bpjs_ceiling": "-1"},
    {"leave": [{"code": "CS", "basis": "per_day", "pct": "100.01"}]},
])
def test_pay_numbers_out_of_range_are_refused(section: dict[str, object]) -> None:
    with pytest.raises(InvalidPolicy):
        pay_from_dict(section)


def test_numbers_are_non_negative_and_finite() -> None:
    assert (dec("0", "x"), dec(0.5, "x"), dec("12", "x")) == (D(0), D("0.5"), D(12))
    with pytest.raises(InvalidPolicy, match="bukan angka"):
        dec("dua", "x")


def test_the_months_deductions_become_a_cut() -> None:
    # percent: what was deducted, up to the cap
    assert DisciplineRules().cut_pct(D("0.5")) == D("0.5")
    assert DisciplineRules().cut_pct(D("100")) == D("100")
    # points x 2 % per point: 30 points 60 %, 60 points 120 % -> the whole TPP
    points = DisciplineRules("points", D(100), D(2))
    assert (points.cut_pct(D(30)), points.cut_pct(D(60))) == (D(60), D(100))


def test_a_leave_kind_is_found_by_its_code() -> None:
    rules = PayRules()
    assert rules.leave_rule("CB") == LeaveRule(
        "CB", "Cuti besar", "prorata", D(100),
        "Cuti besar: TPP tidak dibayar untuk hari kerja selama cuti.")
    assert rules.leave_rule("CT").basis == "paid" and rules.leave_rule("XX") is None


def test_a_leave_rule_without_a_percent_cuts_nothing() -> None:
    assert LeaveRule("CS", "Cuti sakit", "per_day").pct == 0
    assert LeaveRule("CT", "Cuti tahunan") == LeaveRule("CT", "Cuti tahunan", "paid", D(0), "")
