"""Rankings: standard competition ranking (equal values share a rank: 1, 2, 2, 4)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

from .score import pct

T = TypeVar("T")


def competition_rank(items: Sequence[T], value: Callable[[T], Decimal],
                     tiebreak: Callable[[T], str]) -> list[tuple[int, T]]:
    """Highest value first; ties share the rank and are listed by ``tiebreak``."""
    ordered = sorted(items, key=lambda i: (-value(i), tiebreak(i)))
    ranked: list[tuple[int, T]] = []
    for pos, item in enumerate(ordered, start=1):
        if ranked and value(ranked[-1][1]) == value(item):
            ranked.append((ranked[-1][0], item))
        else:
            ranked.append((pos, item))
    return ranked


@dataclass(frozen=True)
class UnitSummary:
    unit_id: str
    members: int
    avg_final_pct: Decimal
    avg_performance_pct: Decimal
    tpp_total: Decimal
    unit_name: str = ""


def summarise_unit(unit_id: str, finals: Sequence[Decimal], performances: Sequence[Decimal],
                   tpps: Sequence[Decimal], unit_name: str = "") -> UnitSummary:
    return summarise_totals(unit_id, len(finals), sum(finals, Decimal(0)),
                            sum(performances, Decimal(0)), sum(tpps, Decimal(0)), unit_name)


def summarise_totals(unit_id: str, members: int, final_sum: Decimal,
                     performance_sum: Decimal, tpp_total: Decimal,
                     unit_name: str = "", *,
                     by_days: tuple[int, Decimal, Decimal] | None = None) -> UnitSummary:
    """A unit's summary from its members' count and sums (the standings read model).
    ``by_days`` (member days, sum of days x final %, sum of days x performance %): the
    averages weighted by each member's days in the unit (an employee who moved in the
    month counts in each OPD for their days there)."""
    n = members
    if by_days is not None and by_days[0] > 0:
        days, final_days, performance_days = by_days
        avg_final, avg_perf = pct(final_days / days), pct(performance_days / days)
    else:
        avg_final = pct(final_sum / n) if n else Decimal(0)
        avg_perf = pct(performance_sum / n) if n else Decimal(0)
    return UnitSummary(unit_id=unit_id, unit_name=unit_name, members=n,
                       avg_final_pct=avg_final, avg_performance_pct=avg_perf,
                       tpp_total=tpp_total)
