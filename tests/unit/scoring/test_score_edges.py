"""The score's helpers at their edges: months and their bounds (December, the guard on the
month number), rounding half up, empty months, unit averages and rankings."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from scoring.domain.policy import preset
from scoring.domain.ranking import (
    UnitSummary,
    competition_rank,
    summarise_totals,
    summarise_unit,
)
from scoring.domain.score import (
    EmployeeTerms,
    MonthFacts,
    apel_pct,
    attendance_pct,
    compute_score,
    parse_period,
    pct,
    performance_pct,
    period_bounds,
    unit_average,
    weekdays_in_month,
)


@pytest.mark.parametrize(("period", "first", "next_first"), [
    ("2026-01", dt.date(2026, 1, 1), dt.date(2026, 2, 1)),
    ("2026-11", dt.date(2026, 11, 1), dt.date(2026, 12, 1)),
    ("2026-12", dt.date(2026, 12, 1), dt.date(2027, 1, 1)),
    ("2024-02", dt.date(2024, 2, 1), dt.date(2024, 3, 1)),
])
def test_period_bounds(period: str, first: dt.date, next_first: dt.date) -> None:
    assert period_bounds(period) == (first, next_first)
    assert parse_period(period) == (first.year, first.month)


@pytest.mark.parametrize("period", ["2026-00", "2026-0", "2026-13", "2026-99"])
def test_month_number_must_be_1_to_12(period: str) -> None:
    with pytest.raises(ValueError, match="bad period"):
        parse_period(period)


@pytest.mark.parametrize(("period", "days"), [
    ("2026-12", 23), ("2027-01", 21), ("2026-03", 22), ("2026-05", 21), ("2027-02", 20),
])
def test_weekdays_of_a_month(period: str, days: int) -> None:
    assert weekdays_in_month(period) == days


def test_rounding_is_half_up_to_cents() -> None:
    assert [pct(D(v)) for v in ("0.005", "0.004999", "12.345", "99.995", "7")] == [
        D("0.01"), D("0.00"), D("12.35"), D("100.00"), D("7.00")]


def test_source_edges() -> None:
    assert performance_pct(300, D(0)) == 0 and performance_pct(300, D(-300)) == 0
    assert performance_pct(300, D(1)) == 100  # capped
    assert performance_pct(1, D(3)) == D(100) / 3
    assert performance_pct(6000, D(6000)) == 100
    assert attendance_pct(D("100")) == 0 and attendance_pct(D("100.5")) == 0
    assert attendance_pct(D("99.5")) == D("0.5")
    assert apel_pct(0, 0) == 100 and apel_pct(-1, 0) == 100  # nothing recorded: none missed
    assert apel_pct(1, 0) == 0 and apel_pct(1, 1) == 100
    assert apel_pct(3, 2) == D(200) / 3  # not only whole divisions
    assert apel_pct(3, 3) == 100 and apel_pct(4, 1) == 25


def test_an_empty_month_scores_from_defaults() -> None:
    facts = MonthFacts("2026-12")
    assert (facts.approved_minutes, facts.effective_days, facts.deduction_sum) == (0, None, 0)
    assert (facts.apel_recorded, facts.apel_attended, facts.compliance_pct) == (0, 0, None)
    assert EmployeeTerms() == EmployeeTerms(D(0), "PNS")
    score = compute_score(preset("performance60_attendance30_compliance10"), facts,
                          EmployeeTerms(D("1000000"), "CPNS"))
    # performance 0, attendance 60% x 100 + 40% x 100 (no apel recorded), compliance 0
    assert [c.value_pct for c in score.components] == [0, 100, 0]
    assert score.final_pct == 30 and score.tpp_amount == D("240000")
    assert score.effective_minutes == 23 * 300
    assert score.sources == {"performance": 0, "attendance": 100, "apel": 100,
                             "compliance": 0, "unit_performance": 0}


def test_unit_average_of_the_rounded_performances() -> None:
    assert unit_average([]) is None
    assert unit_average([D("33.335")]) == D("33.34")
    # 33.34 + 10.00 = 43.34 / 2 = 21.67 (the members' published figures, not 33.335)
    assert unit_average([D("33.335"), D("10")]) == D("21.67")
    assert unit_average([D("10"), D("10"), D("10.01")]) == D("10.00")
    assert unit_average([D("0.005"), D("0")]) == D("0.01")  # 0.01 / 2 = 0.005 -> 0.01


def test_competition_rank_orders_ties_by_the_tiebreak() -> None:
    items = [("d", D("70")), ("c", D("80")), ("b", D("90")), ("a", D("80")), ("e", D("80"))]
    ranked = competition_rank(items, lambda i: i[1], lambda i: i[0])
    assert [(r, i[0]) for r, i in ranked] == [(1, "b"), (2, "a"), (2, "c"), (2, "e"), (5, "d")]
    assert competition_rank([], lambda i: D(0), str) == []
    same = competition_rank([("x", D(1)), ("y", D(1))], lambda i: i[1], lambda i: i[0])
    assert [r for r, _ in same] == [1, 1]


def test_unit_summary() -> None:
    s = summarise_unit("u1", [D("80"), D("90.01"), D("70")], [D("50"), D("60"), D("70.005")],
                       [D("100"), D("200.5"), D("0")])
    assert s == UnitSummary("u1", 3, D("80.00"), D("60.00"), D("300.5"))
    one = summarise_unit("u2", [D("33.335")], [D("1.5")], [D("5")])
    assert (one.avg_final_pct, one.avg_performance_pct) == (D("33.34"), D("1.50"))
    empty = summarise_unit("u3", [], [], [])
    assert empty == UnitSummary("u3", 0, D(0), D(0), D(0))


def test_unit_summary_weighted_by_days_only_when_there_are_days() -> None:
    """Averages weighted by member days whenever the days are positive, whatever the
    weighted sums (a zero sum is an average of 0); without days, by members."""
    weighted = summarise_totals("u", 2, D("0"), D("80"), D("10"), by_days=(10, D(0), D(500)))
    assert (weighted.avg_final_pct, weighted.avg_performance_pct) == (D("0.00"), D("50.00"))
    other = summarise_totals("u", 2, D("120"), D("0"), D("10"), by_days=(10, D(700), D(0)))
    assert (other.avg_final_pct, other.avg_performance_pct) == (D("70.00"), D("0.00"))
    no_days = summarise_totals("u", 2, D("120"), D("80"), D("10"), by_days=(0, D(0), D(0)))
    assert (no_days.avg_final_pct, no_days.avg_performance_pct) == (D("60.00"), D("40.00"))
    assert no_days.members == 2 and no_days.tpp_total == D("10")
    one_day = summarise_totals("u", 1, D("10"), D("20"), D("5"), by_days=(1, D(90), D(40)))
    assert (one_day.avg_final_pct, one_day.avg_performance_pct) == (D("90.00"), D("40.00"))
