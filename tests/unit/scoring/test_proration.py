"""Paying a month with changes (scoring.domain.proration and the pay slip's segment
lines): every figure computed by hand in the comments.

November 2026: 30 calendar days; the 1st is a Sunday, so the working days (Monday-Friday)
are 2-6, 9-13, 16-20, 23-27 and 30: 21 days, 10 of them on the 1st-15th and 11 on the
16th-30th."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from scoring.domain.employment import Span, Terms
from scoring.domain.pay_rules import InvalidPolicy
from scoring.domain.payroll import build
from scoring.domain.payslip import MonthDays, SlipInputs, SlipScore, build_slip
from scoring.domain.policy import Policy, preset
from scoring.domain.proration import count_days, paid_total, pay_segments, prorated

P = "2026-11"
BASE = preset("performance60_discipline40")


def nov(day: int) -> dt.date:
    return dt.date(2026, 11, day)


def policy(basis: str) -> Policy:
    return BASE.with_changes({"proration": {"basis": basis, "rule": "Perbup 1/2026"}})


def raise_on_16th(kind_before: str = "PNS", base_before: str = "5000000",
                  base_after: str = "6000000") -> tuple[Span, ...]:
    return (Span(nov(1), nov(15), Terms("dinkes", "Dinkes", "", kind_before, D(base_before))),
            Span(nov(16), nov(30), Terms("dinkes", "Dinkes", "", "PNS", D(base_after)),
                 "TPP dasar Rp6.000.000 sejak 16-11-2026"))


def test_days_counted_by_calendar_or_working_days() -> None:
    assert count_days(nov(1), nov(30), "calendar_days", {}) == 30
    assert count_days(nov(1), nov(30), "working_days", {}) == 21
    assert count_days(nov(1), nov(15), "working_days", {}) == 10
    # a holiday the attendance service evaluated (the 10th) and a working Saturday (14th)
    assert count_days(nov(1), nov(15), "working_days", {nov(10): False, nov(14): True}) == 10


def test_a_tpp_base_change_prorated_by_working_days() -> None:
    # final 90 %: 5.000.000 x 90 % x 10/21 = 2.142.857,14 -> 2.142.857
    #             6.000.000 x 90 % x 11/21 = 2.828.571,43 -> 2.828.571; TPP 4.971.428
    segments = pay_segments(raise_on_16th(), policy("working_days"), P)
    assert [(s.days, s.month_days, s.tpp_base) for s in segments] == [
        (10, 21, D("5000000")), (11, 21, D("6000000"))]
    assert [s.bruto(D("90")) for s in segments] == [D("2142857"), D("2828571")]
    assert paid_total(segments, D("90")) == D("4971428") and prorated(segments)
    assert segments[1].reason == "TPP dasar Rp6.000.000 sejak 16-11-2026"


def test_by_calendar_days_and_with_a_holiday() -> None:
    # 4.500.000 x 15/30 = 2.250.000; 5.400.000 x 15/30 = 2.700.000; TPP 4.950.000
    assert paid_total(pay_segments(raise_on_16th(), policy("calendar_days"), P),
                      D("90")) == D("4950000")
    # the 10th a holiday: 20 working days, 9 before the 16th:
    # 4.500.000 x 9/20 = 2.025.000; 5.400.000 x 11/20 = 2.970.000; TPP 4.995.000
    segments = pay_segments(raise_on_16th(), policy("working_days"), P, {nov(10): False})
    assert paid_total(segments, D("90")) == D("4995000")


def test_latest_pays_the_month_end_values_for_the_whole_month() -> None:
    # 6.000.000 x 90 % = 5.400.000, one segment, not prorated
    segments = pay_segments(raise_on_16th(), BASE, P)
    assert len(segments) == 1 and not prorated(segments)
    assert paid_total(segments, D("90")) == D("5400000")


def test_a_transfer_alone_does_not_split_the_pay_but_a_start_of_duty_does() -> None:
    spans = (Span(nov(1), nov(15), Terms("dinkes", tpp_base=D("5000000"))),
             Span(nov(16), nov(30), Terms("bappeda", tpp_base=D("5000000")), "pindah"))
    segments = pay_segments(spans, policy("working_days"), P)
    assert len(segments) == 1 and not prorated(segments)
    # TMT on the 16th: 11 of 21 working days: 4.500.000 x 11/21 = 2.357.142,86 -> 2.357.143
    started = (Span(nov(16), nov(30), Terms("dinkes", tpp_base=D("5000000")), "mulai"),)
    assert paid_total(pay_segments(started, policy("working_days"), P), D("90")) == D("2357143")


def test_an_unknown_basis_is_refused() -> None:
    with pytest.raises(InvalidPolicy, match="dasar proporsi TPP"):
        BASE.with_changes({"proration": {"basis": "weeks"}})


def test_the_slip_shows_one_bruto_line_per_segment_and_the_cpns_part() -> None:
    # CPNS (80 %) base 4.000.000 until the 15th, PNS base 4.000.000 from the 16th, final
    # 90 %, calendar days: bruto 3.600.000 x 15/30 = 1.800.000 each;
    # paid 1.800.000 x 80 % = 1.440.000 + 1.800.000 = 3.240.000 (the score's TPP);
    # the CPNS adjustment 1.800.000 - 1.440.000 = 360.000
    pol = policy("calendar_days")
    segments = pay_segments(raise_on_16th("CPNS", "4000000", "4000000"), pol, P)
    tpp = paid_total(segments, D("90"))
    assert tpp == D("3240000")
    score = SlipScore((("performance", D("60"), D("90")), ("discipline", D("40"), D("90"))),
                      D("90"), D("4000000"), "PNS", D("100"), tpp, segments)
    slip = build_slip(P, score, MonthDays({}, D("21")), SlipInputs(), pol)
    assert [(x.code, x.amount) for x in slip.earnings] == [
        ("segment:1", D("1800000")), ("segment:2", D("1800000"))]
    assert slip.earnings[0].label == "TPP 01-11-2026 s.d. 15-11-2026"
    assert slip.earnings[0].reason == ("TPP dasar Rp4.000.000 (CPNS) x nilai akhir 90 % x "
                                       "15/30 hari")
    assert slip.earnings[1].reason.endswith("- TPP dasar Rp6.000.000 sejak 16-11-2026")
    assert slip.earnings[0].rule == "Perbup 1/2026"
    assert slip.bruto == D("3600000")
    assert [(c.code, c.amount) for c in slip.cuts] == [("adjustment:1", D("360000"))]
    # BPJS 1 % of 3.240.000 (no salary entered) = 32.400; netto 3.207.600
    assert slip.tpp_after_cuts == D("3240000") and slip.netto == D("3207600")
    # the payroll sheet's "TPP sesuai nilai" is the segments' bruto, not base x final %
    row = {"nip": "1", "name": "A", "unit": "Dinkes", "employment_type": "PNS",
           "components": [{"name": "performance", "weight": "60", "value_pct": "90"}],
           "final_pct": "90", "tpp_base": "4000000", "tpp_adjustment_pct": "100",
           "tpp_amount": str(tpp), "segments": [s.to_dict() for s in segments]}
    assert build([row]).lines[0].tpp_by_score == D("3600000")
    assert SlipScore.of(row).segments == segments


def test_a_segment_paid_under_half_its_bruto_cuts_the_whole_difference() -> None:
    # a regency paying CPNS 40 %: CPNS base 4.000.000 until the 15th, then PNS; final 90 %,
    # calendar days: bruto 1.800.000 per half; the CPNS half is paid 1.800.000 x 40 % =
    # 720.000, so its adjustment is 1.800.000 - 720.000 = 1.080.000 and the slip's TPP
    # after cuts is the score's TPP, 720.000 + 1.800.000 = 2.520.000
    pol = policy("calendar_days").with_changes({"tpp_adjustments": {"CPNS": "40"}})
    segments = pay_segments(raise_on_16th("CPNS", "4000000", "4000000"), pol, P)
    tpp = paid_total(segments, D("90"))
    assert tpp == D("2520000")
    score = SlipScore((("performance", D("100"), D("90")),), D("90"), D("4000000"), "PNS",
                      D("100"), tpp, segments)
    slip = build_slip(P, score, MonthDays({}, D("21")), SlipInputs(), pol)
    assert [(c.code, c.amount) for c in slip.cuts] == [("adjustment:1", D("1080000"))]
    assert slip.cuts[0].reason == ("CPNS menerima 40 % dari TPP sesuai nilai Rp1.800.000 "
                                   "(01-11-2026 s.d. 15-11-2026: 15/30 hari)")
    assert slip.bruto == D("3600000") and slip.tpp_after_cuts == tpp
