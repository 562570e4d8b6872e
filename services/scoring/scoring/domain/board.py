"""The regency's month in figures for the leadership dashboard: how many were scored,
their average final %, the TPP total, the final % by tens (for the distribution), each
component's average, each OPD's members, average and TPP, and the ten highest. Assembled
here from sums and counts the database groups (``service_layer.reports.board``), so that
neither the service nor the dashboard reads every employee's score. Pure."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from .score import pct

TOP = 10


@dataclass(frozen=True)
class BoardRow:
    """One of the month's highest scores (what the board shows of it)."""

    nip: str
    name: str
    unit_id: str
    unit_name: str
    final_pct: Decimal
    tpp_amount: Decimal
    version: int


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


@dataclass(frozen=True)
class UnitSums:
    """One OPD's scored employees of the month, summed."""

    unit_id: str
    unit_name: str
    members: int
    final_sum: Decimal
    tpp_sum: Decimal
    version_sum: int


@dataclass(frozen=True)
class ComponentSums:
    """One score component over the month's scored employees: how many carry it and the
    sum of its value %; ``order``: where it stands in the policy (first place seen)."""

    name: str
    order: int
    count: int
    value_sum: Decimal


def month_board(units: Iterable[UnitSums], tens: Mapping[int, int],
                components: Iterable[ComponentSums], top: Iterable[BoardRow]) -> MonthBoard:
    """The board from the month's sums: per OPD, per band of ten, per component, and the
    highest final % (already the ``TOP`` highest, highest first)."""
    by_unit = sorted(units, key=lambda u: u.unit_id)
    employees = sum(u.members for u in by_unit)
    finals = sum((u.final_sum for u in by_unit), Decimal(0))
    return MonthBoard(
        employees=employees,
        avg_final_pct=pct(finals / employees) if employees else None,
        tpp_total=sum((u.tpp_sum for u in by_unit), Decimal(0)),
        version_sum=sum(u.version_sum for u in by_unit),
        tens=[tens.get(i, 0) for i in range(11)],
        components=[(c.name, pct(c.value_sum / c.count))
                    for c in sorted(components, key=lambda c: (c.order, c.name)) if c.count],
        units=[UnitFigures(u.unit_id, u.unit_name or u.unit_id, u.members,
                           pct(u.final_sum / u.members), u.tpp_sum)
               for u in by_unit if u.members],
        top=list(top))
