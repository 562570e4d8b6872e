"""The month-over-month trend of the regency's average final %."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from scoring.domain.trend import MAX_MONTHS, MonthAverage, months_ending, trend


def test_months_ending_cross_the_year() -> None:
    assert months_ending("2026-02", 4) == ["2025-11", "2025-12", "2026-01", "2026-02"]
    assert months_ending("2026-10", 1) == ["2026-10"]


def test_average_per_month_and_months_without_scores() -> None:
    months = months_ending("2026-03", 3)
    out = trend(months, {"2026-01": (3, Decimal("250.005")), "2026-03": (2, Decimal("150"))})
    assert out == [MonthAverage("2026-01", 3, Decimal("83.34")),
                   MonthAverage("2026-02", 0, None),
                   MonthAverage("2026-03", 2, Decimal("75.00"))]


def test_the_trend_reaches_back_two_years_at_most() -> None:
    """The dashboard's trend route accepts 1 to MAX_MONTHS months: two years."""
    assert MAX_MONTHS == 24
    assert months_ending("2026-10", MAX_MONTHS)[0] == "2024-11"


def test_a_month_average_is_a_value() -> None:
    average = trend(["2026-10"], {})[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        average.employees = 1  # type: ignore[misc]
