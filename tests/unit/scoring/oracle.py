"""An independent oracle of the monthly score: a deliberately plain second implementation
written from the regulation's formula (scoring README, "Rules"), in exact fractions, that
calls no production code. The property tests compare the service's scores with it, so a
formula error in the production code cannot hide behind itself.

- performance % = min(100, approved minutes / (effective days x minutes per day) x 100),
  0 without effective minutes; effective days default to the Mon-Fri days of the month;
- attendance % = max(0, 100 - the month's deductions);
- apel % = attended / days with an apel verdict x 100; none recorded -> 100;
- compliance % = what HR entered (at most 100), else 0;
- unit performance % = the average of the unit members' rounded performance %;
- component = sum(part weight / 100 x source), rounded to 2 decimals half up;
- final % = sum(component weight x rounded component / 100), rounded to 2 decimals half up;
- TPP = base x rounded final / 100 x adjustment / 100 (CPNS 80 %), rounded to whole rupiah.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

# The presets as the regulations state them (name -> components: weight, {source: share}).
PRESET_SPECS: dict[str, dict[str, Any]] = {
    "cilegon": {"components": [
        {"name": "individual_performance", "weight": "52.5",
         "parts": [{"source": "performance", "weight": "100"}]},
        {"name": "attendance", "weight": "30", "parts": [{"source": "attendance", "weight": "100"}]},
        {"name": "collective_work", "weight": "17.5",
         "parts": [{"source": "apel", "weight": "100"}]},
    ]},
    "performance60_discipline40": {"components": [
        {"name": "performance", "weight": "60", "parts": [{"source": "performance", "weight": "100"}]},
        {"name": "discipline", "weight": "40", "parts": [{"source": "attendance", "weight": "100"}]},
    ]},
    "performance60_attendance30_compliance10": {"components": [
        {"name": "performance", "weight": "60", "parts": [{"source": "performance", "weight": "100"}]},
        {"name": "attendance", "weight": "30", "parts": [{"source": "attendance", "weight": "60"},
                                                         {"source": "apel", "weight": "40"}]},
        {"name": "compliance", "weight": "10", "parts": [{"source": "compliance", "weight": "100"}]},
    ]},
}
# TPP paid by employment type when a policy does not say (CPNS: 80 %, the others 100 %)
DEFAULT_ADJUSTMENTS = {"CPNS": "80"}
DEFAULT_PRESET = "performance60_discipline40"


def frac(value: Any) -> Fraction:
    return Fraction(str(value))


def half_up(value: Fraction, places: int) -> Fraction:
    """Round a non-negative value half up (0.005 -> 0.01)."""
    scale = 10 ** places
    return Fraction(math.floor(value * scale + Fraction(1, 2)), scale)


def mon_fri_days(period: str) -> int:
    year, month = int(period[:4]), int(period[5:])
    day, count = dt.date(year, month, 1), 0
    while day.month == month:
        count += day.weekday() < 5
        day += dt.timedelta(days=1)
    return count


@dataclass
class Month:
    """The raw facts of one employee's month."""

    period: str
    approved_minutes: int = 0
    effective_days: Fraction | None = None
    deductions: list[Fraction] = field(default_factory=list)
    apel: list[bool] = field(default_factory=list)  # the days with an apel verdict
    compliance: Fraction | None = None
    unit_performance: Fraction | None = None


def performance(month: Month, minutes_per_day: int) -> Fraction:
    days = (month.effective_days if month.effective_days is not None
            else Fraction(mon_fri_days(month.period)))
    effective = days * minutes_per_day
    if effective <= 0:
        return Fraction(0)
    return min(Fraction(100), Fraction(month.approved_minutes) / effective * 100)


def sources(month: Month, minutes_per_day: int) -> dict[str, Fraction]:
    perf = performance(month, minutes_per_day)
    apel = (Fraction(100) if not month.apel
            else Fraction(sum(month.apel)) / len(month.apel) * 100)
    return {
        "performance": perf,
        "attendance": max(Fraction(0), 100 - sum(month.deductions, Fraction(0))),
        "apel": apel,
        "compliance": min(Fraction(100), month.compliance or Fraction(0)),
        "unit_performance": (month.unit_performance if month.unit_performance is not None
                             else half_up(perf, 2)),
    }


@dataclass(frozen=True)
class Expected:
    components: tuple[tuple[str, Fraction], ...]
    final_pct: Fraction
    tpp_amount: Fraction
    performance_pct: Fraction  # the rounded performance % (what a unit average uses)


def expected_score(spec: dict[str, Any], month: Month, tpp_base: Any = 0,
                   employment_type: str = "PNS") -> Expected:
    """The score of one employee-month under a policy given as its dict form."""
    minutes_per_day = int(spec.get("minutes_per_day", 300))
    values = sources(month, minutes_per_day)
    components = []
    for c in spec["components"]:
        blend = sum((frac(p["weight"]) / 100 * values[p["source"]] for p in c["parts"]),
                    Fraction(0))
        components.append((c["name"], frac(c["weight"]), half_up(blend, 2)))
    final = half_up(sum((w * v / 100 for _n, w, v in components), Fraction(0)), 2)
    adjustments = spec.get("tpp_adjustments", DEFAULT_ADJUSTMENTS)
    adjustment = frac(adjustments.get(employment_type, 100))
    tpp = half_up(frac(tpp_base) * final / 100 * adjustment / 100, 0)
    return Expected(tuple((n, v) for n, _w, v in components), final, tpp,
                    half_up(values["performance"], 2))


def unit_average(performances: list[Fraction]) -> Fraction:
    return half_up(sum(performances, Fraction(0)) / len(performances), 2)
