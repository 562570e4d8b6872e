"""The monthly score of one employee: pure functions over the month's facts.

Rounding (stated once, used everywhere):
- each component value is computed exactly (Decimal) from its sources and rounded to 2
  decimals, ROUND_HALF_UP;
- final % = sum(component weight x rounded component value / 100), rounded to 2 decimals,
  ROUND_HALF_UP;
- TPP = TPP base x rounded final % / 100 x adjustment % / 100 (e.g. 80 for CPNS), rounded
  to whole rupiah, ROUND_HALF_UP (half a rupiah goes up).
So every published number can be recomputed by hand from the published components.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from .pay_rules import DisciplineRules
from .policy import HUNDRED, Policy

CENT = Decimal("0.01")
RUPIAH = Decimal("1")
ZERO = Decimal("0")


def rupiah(value: Decimal) -> Decimal:
    """The one rounding rule of money (scores, payroll sheet, pay slip): whole rupiah,
    ROUND_HALF_UP."""
    return value.quantize(RUPIAH, rounding=ROUND_HALF_UP)


def pct(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


# The period helpers are pure functions of a few strings, asked for every employee-month
# a batch recomputes (about 5 % of the fact consumers' CPU, docs/perf/live.md session 11):
# remembered.
@lru_cache(maxsize=256)
def parse_period(period: str) -> tuple[int, int]:
    year, month = (int(x) for x in period.split("-"))
    if not 1 <= month <= 12:
        raise ValueError(f"bad period {period!r}")
    return year, month


@lru_cache(maxsize=256)
def period_bounds(period: str) -> tuple[dt.date, dt.date]:
    """First day of the month and first day of the next month."""
    year, month = parse_period(period)
    first = dt.date(year, month, 1)
    return first, dt.date(year + (month == 12), month % 12 + 1, 1)


@lru_cache(maxsize=256)
def days_in_month(period: str) -> int:
    return calendar.monthrange(*parse_period(period))[1]


@lru_cache(maxsize=256)
def weekdays_in_month(period: str) -> int:
    """Fallback effective days: Monday-Friday days of the month (no holidays known)."""
    year, month = parse_period(period)
    days = calendar.monthrange(year, month)[1]
    return sum(1 for d in range(1, days + 1) if dt.date(year, month, d).weekday() < 5)


@dataclass(frozen=True)
class MonthFacts:
    """What the stored facts say about one employee's month."""

    period: str
    approved_minutes: int = 0
    effective_days: Decimal | None = None  # None: no calendar published -> Mon-Fri count
    deduction_sum: Decimal = ZERO
    attendance_days: int = 0  # days with an attendance verdict (0: no punch, no TK)
    apel_recorded: int = 0  # days with an apel verdict
    apel_attended: int = 0
    compliance_pct: Decimal | None = None  # None: nothing entered by HR -> 0
    # average performance of the unit's employees; None (not known yet) -> own performance
    unit_performance_pct: Decimal | None = None


@dataclass(frozen=True)
class EmployeeTerms:
    tpp_base: Decimal = ZERO
    employment_type: str = "PNS"


@dataclass(frozen=True)
class ComponentValue:
    name: str
    weight: Decimal
    value_pct: Decimal


@dataclass(frozen=True)
class Score:
    components: tuple[ComponentValue, ...]
    final_pct: Decimal
    tpp_base: Decimal
    tpp_amount: Decimal
    sources: dict[str, Decimal]
    effective_minutes: Decimal


def effective_minutes(facts: MonthFacts, policy: Policy) -> Decimal:
    days = (
        facts.effective_days
        if facts.effective_days is not None
        else Decimal(weekdays_in_month(facts.period))
    )
    return days * policy.minutes_per_day


def performance_pct(approved_minutes: int, eff_minutes: Decimal) -> Decimal:
    """min(100, approved / effective x 100); no effective minutes -> 0."""
    if eff_minutes <= 0:
        return ZERO
    return min(HUNDRED, Decimal(approved_minutes) * HUNDRED / eff_minutes)


def attendance_pct(deduction_sum: Decimal, rules: DisciplineRules | None = None) -> Decimal:
    """100 - the month's cut: the deductions' sum (percent or points) capped at the
    policy's monthly cap and converted to percent (``DisciplineRules.cut_pct``)."""
    return max(ZERO, HUNDRED - (rules or DisciplineRules()).cut_pct(deduction_sum))


def apel_pct(recorded: int, attended: int) -> Decimal:
    """Participation rate; a month with no apel recorded has nothing missed -> 100."""
    if recorded <= 0:
        return HUNDRED
    return Decimal(attended) * HUNDRED / Decimal(recorded)


def source_values(facts: MonthFacts, policy: Policy) -> tuple[dict[str, Decimal], Decimal]:
    eff = effective_minutes(facts, policy)
    performance = performance_pct(facts.approved_minutes, eff)
    return (
        {
            "performance": performance,
            "attendance": attendance_pct(facts.deduction_sum, policy.discipline),
            "apel": apel_pct(facts.apel_recorded, facts.apel_attended),
            "compliance": min(HUNDRED, facts.compliance_pct or ZERO),
            "unit_performance": (
                facts.unit_performance_pct if facts.unit_performance_pct is not None
                else pct(performance)
            ),
        },
        eff,
    )


def tpp_amount(tpp_base: Decimal, final_pct: Decimal, adjustment_pct: Decimal) -> Decimal:
    return rupiah(tpp_base * final_pct / HUNDRED * adjustment_pct / HUNDRED)


def compute_score(policy: Policy, facts: MonthFacts, terms: EmployeeTerms) -> Score:
    values, eff = source_values(facts, policy)
    components = tuple(
        ComponentValue(
            c.name,
            c.weight,
            pct(sum((values[p.source] * p.weight / HUNDRED for p in c.parts), ZERO)),
        )
        for c in policy.components
    )
    final = pct(sum((c.weight * c.value_pct / HUNDRED for c in components), ZERO))
    return Score(
        components=components,
        final_pct=final,
        tpp_base=terms.tpp_base,
        tpp_amount=tpp_amount(terms.tpp_base, final,
                              policy.adjustment_pct(terms.employment_type)),
        sources={k: pct(v) for k, v in values.items()},
        effective_minutes=eff,
    )


def unit_average(performances: list[Decimal]) -> Decimal | None:
    """Average of the members' published (2-decimal) performance %, rounded to 2 decimals."""
    if not performances:
        return None
    return pct(sum((pct(p) for p in performances), ZERO) / len(performances))
