"""Hand-computed scores for every preset, down to the rupiah of TPP."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from scoring.domain.policy import PRESETS, InvalidPolicy, policy_from_dict, preset
from scoring.domain.score import (
    EmployeeTerms,
    MonthFacts,
    compute_score,
    tpp_amount,
    weekdays_in_month,
)


def values(score) -> dict[str, D]:
    return {c.name: c.value_pct for c in score.components}


def test_cilegon_pns_and_cpns() -> None:
    # 5,400 approved minutes of 22 days x 300 = 6,600 -> 81.8181.. -> 81.82
    # deductions 1.5 + 2.5 -> attendance 96.00; apel 18 of 20 -> collective work 90.00
    # final = 52.5 x 81.82 + 30 x 96 + 17.5 x 90 (/100) = 42.9555 + 28.8 + 15.75 = 87.5055
    facts = MonthFacts("2026-11", approved_minutes=5400, effective_days=D("22"),
                       deduction_sum=D("4.0"), apel_recorded=20, apel_attended=18)
    score = compute_score(preset("cilegon"), facts, EmployeeTerms(D("5000000"), "PNS"))
    assert values(score) == {"individual_performance": D("81.82"), "attendance": D("96.00"),
                             "collective_work": D("90.00")}
    assert [c.weight for c in score.components] == [D("52.5"), D("30"), D("17.5")]
    assert score.final_pct == D("87.51")
    assert score.tpp_amount == D("4375500")  # 5,000,000 x 87.51%
    cpns = compute_score(preset("cilegon"), facts, EmployeeTerms(D("5000000"), "CPNS"))
    assert cpns.tpp_amount == D("3500400")  # x 80%


def test_performance60_discipline40() -> None:
    # 6,000 / (21 x 300 = 6,300) = 95.238.. -> 95.24; deductions 0.5 + 1 + 5 -> 93.50
    # final = 57.144 + 37.4 = 94.544 -> 94.54
    facts = MonthFacts("2026-11", approved_minutes=6000, effective_days=D("21"),
                       deduction_sum=D("6.5"))
    policy = preset("performance60_discipline40")
    score = compute_score(policy, facts, EmployeeTerms(D("7250000"), "PNS"))
    assert values(score) == {"performance": D("95.24"), "discipline": D("93.50")}
    assert score.final_pct == D("94.54")
    assert score.tpp_amount == D("6854150")  # 7,250,000 x 94.54%
    assert compute_score(policy, facts, EmployeeTerms(D("7250000"), "CPNS")).tpp_amount == (
        D("5483320"))
    # 3,333,333 x 94.54% = 3,151,333.0182 -> 3,151,333 (whole rupiah, half up)
    assert compute_score(policy, facts, EmployeeTerms(D("3333333"))).tpp_amount == D("3151333")


def test_performance60_attendance30_compliance10_fallback_days() -> None:
    # no calendar published: Mon-Fri of November 2026 = 21 days -> 6,300 minutes;
    # 7,200 approved minutes caps performance at 100
    # attendance part = 60% x (100 - 12) + 40% x (15/20 apel = 75) = 52.8 + 30 = 82.80
    # compliance entered by HR: 100 -> final = 60 + 24.84 + 10 = 94.84
    policy = preset("performance60_attendance30_compliance10")
    facts = MonthFacts("2026-11", approved_minutes=7200, deduction_sum=D("12"),
                       apel_recorded=20, apel_attended=15, compliance_pct=D("100"))
    score = compute_score(policy, facts, EmployeeTerms(D("4000000"), "PPPK"))
    assert score.effective_minutes == D("6300")
    assert values(score) == {"performance": D("100.00"), "attendance": D("82.80"),
                             "compliance": D("100.00")}
    assert score.final_pct == D("94.84")
    assert score.tpp_amount == D("3793600")  # PPPK: no adjustment
    # nothing entered by HR: compliance 0 -> final 84.84 -> 3,393,600
    no_compliance = compute_score(
        policy, MonthFacts("2026-11", approved_minutes=7200, deduction_sum=D("12"),
                           apel_recorded=20, apel_attended=15),
        EmployeeTerms(D("4000000"), "PPPK"))
    assert no_compliance.final_pct == D("84.84")
    assert no_compliance.tpp_amount == D("3393600")


def test_fractional_effective_days_and_caps() -> None:
    # 22.5 days x 300 = 6,750; 5,000 / 6,750 = 74.074.. -> 74.07
    # deductions over 100 floor attendance at 0: final = 60 x 74.07 / 100 = 44.442 -> 44.44
    facts = MonthFacts("2026-11", approved_minutes=5000, effective_days=D("22.5"),
                       deduction_sum=D("130"))
    score = compute_score(preset("performance60_discipline40"), facts,
                          EmployeeTerms(D("1000000")))
    assert values(score) == {"performance": D("74.07"), "discipline": D("0.00")}
    assert score.final_pct == D("44.44")
    assert score.tpp_amount == D("444400")


def test_unknown_employee_defaults_and_zero_effective_days() -> None:
    facts = MonthFacts("2026-11", approved_minutes=600, effective_days=D("0"))
    score = compute_score(preset("performance60_discipline40"), facts, EmployeeTerms())
    assert values(score)["performance"] == D("0.00")
    assert score.final_pct == D("40.00")
    assert score.tpp_base == 0 and score.tpp_amount == 0


def test_half_rupiah_rounds_up() -> None:
    assert tpp_amount(D("1001"), D("50.00"), D("100")) == D("501")  # 500.5 -> 501
    assert tpp_amount(D("1001"), D("49.95"), D("100")) == D("500")  # 499.9995 -> 500


@pytest.mark.parametrize(("period", "days"), [("2026-11", 21), ("2026-02", 20), ("2024-02", 21)])
def test_weekdays_fallback(period: str, days: int) -> None:
    assert weekdays_in_month(period) == days


def test_policy_round_trip_and_validation() -> None:
    for policy in PRESETS.values():
        assert policy_from_dict(policy.to_dict()) == policy
    spec = PRESETS["cilegon"].to_dict()
    spec["components"][0]["weight"] = "50"
    with pytest.raises(InvalidPolicy, match="harus 100"):
        policy_from_dict(spec)
    spec = PRESETS["cilegon"].to_dict()
    spec["components"][2]["parts"] = [{"source": "horoscope", "weight": "100"}]
    with pytest.raises(InvalidPolicy, match="tidak dikenal"):
        policy_from_dict(spec)
    with pytest.raises(InvalidPolicy):
        preset("nope")
