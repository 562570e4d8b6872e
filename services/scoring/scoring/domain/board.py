"""The regency's month in figures for the leadership dashboard: how many were scored,
their average final %, the TPP total, the final % by tens (for the distribution), each
component's average, each OPD's members, average and TPP, and the ten highest. Computed
here from the month's scores so that the dashboard reads a few kilobytes, not every
employee's score. Pure."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .score import pct

TOP = 10


@dataclass(frozen=True)
class BoardRow:
    """One scored employee of the month (what the board needs of the score)."""

    nip: str
    name: str
    unit_id: str
    unit_name: str
    final_pct: Decimal
    tpp_amount: Decimal
    version: int
    components: list[Mapping[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class UnitFigures:
    unit_id: str
    unit_name: str
    members: int
    avg_final_pct: Decimal
    tpp_total: Decimal


@dataclass(frozen=True)
class MonthBoard:
    employees: int
    avg_final_pct: Decimal | None
    tpp_total: Decimal
    version_sum: int
    tens: list[int]  # employees whose final % is in [10 i, 10 i + 10), 100 in the last
    components: list[tuple[str, Decimal]]  # name, average value %, in policy order
    units: list[UnitFigures]  # by unit_id
    top: list[BoardRow]  # highest final % first (ties by NIP)


def month_board(rows: Iterable[BoardRow], top: int = TOP) -> MonthBoard:
    scored = sorted(rows, key=lambda r: r.nip)
    tens = [0] * 11
    comps: dict[str, list[Decimal]] = {}
    units: dict[str, list[BoardRow]] = {}
    for r in scored:
        tens[max(0, min(10, int(r.final_pct // 10)))] += 1
        for c in r.components:
            comps.setdefault(str(c["name"]), []).append(Decimal(str(c["value_pct"])))
        units.setdefault(r.unit_id, []).append(r)
    finals = [r.final_pct for r in scored]
    return MonthBoard(
        employees=len(scored),
        avg_final_pct=pct(sum(finals, Decimal(0)) / len(finals)) if finals else None,
        tpp_total=sum((r.tpp_amount for r in scored), Decimal(0)),
        version_sum=sum(r.version for r in scored),
        tens=tens,
        components=[(name, pct(sum(v, Decimal(0)) / len(v))) for name, v in comps.items()],
        units=[UnitFigures(u, members[0].unit_name or u, len(members),
                           pct(sum((m.final_pct for m in members), Decimal(0)) / len(members)),
                           sum((m.tpp_amount for m in members), Decimal(0)))
               for u, members in sorted(units.items())],
        top=sorted(scored, key=lambda r: -r.final_pct)[:top])
