"""The regency's month-over-month trend: the average final % of the employees scored in
each of the last months (the leadership dashboard). Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from .score import parse_period, pct

MAX_MONTHS = 24


def months_ending(period: str, count: int) -> list[str]:
    """``count`` months up to and including ``period``, oldest first."""
    year, month = parse_period(period)
    index = year * 12 + month - 1
    return [f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(index - count + 1, index + 1)]


@dataclass(frozen=True)
class MonthAverage:
    period: str
    employees: int
    avg_final_pct: Decimal | None  # None: nobody scored that month


def trend(months: list[str],
          totals: Mapping[str, tuple[int, Decimal]]) -> list[MonthAverage]:
    """Each month's average from its (count, sum of final %); a month without scores is
    listed with no average."""
    out = []
    for m in months:
        n, total = totals.get(m, (0, Decimal(0)))
        out.append(MonthAverage(m, n, pct(Decimal(total) / n) if n else None))
    return out
