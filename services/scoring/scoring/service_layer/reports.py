"""Read models: the closed month's TPP table per OPD and the rankings."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ekinerja_shared.errors import Conflict

from ..adapters import repository as repo
from ..adapters.orm import Employee, ScoreRow
from ..domain.ranking import UnitSummary, competition_rank, summarise_unit


async def _scores_with_names(session: AsyncSession, tenant_id: str, period: str,
                             unit_id: str | None) -> list[dict[str, Any]]:
    query = (
        select(ScoreRow, Employee.name, Employee.unit_name)
        .outerjoin(Employee, (Employee.tenant_id == ScoreRow.tenant_id)
                   & (Employee.nip == ScoreRow.nip))
        .where(ScoreRow.tenant_id == tenant_id, ScoreRow.period == period,
               ScoreRow.version > 0)
        .order_by(ScoreRow.unit_id, ScoreRow.nip)
    )
    if unit_id:
        query = query.where(ScoreRow.unit_id == unit_id)
    return [
        {"nip": r.nip, "name": name or "", "unit": unit_name or r.unit_id,
         "unit_id": r.unit_id, "components": r.components, "final_pct": r.final_pct,
         "performance_pct": r.performance_pct, "tpp_base": r.tpp_base,
         "tpp_amount": r.tpp_amount}
        for r, name, unit_name in (await session.execute(query)).all()
    ]


async def tpp_rows(session: AsyncSession, tenant_id: str, period: str,
                   unit_id: str | None = None) -> list[dict[str, Any]]:
    """The payroll table of a closed month (optionally one OPD)."""
    if period not in await repo.closed_periods(session, tenant_id):
        raise Conflict(f"Periode {period} belum ditutup; TPP belum final untuk dibayarkan.",
                       code="period_open")
    return await _scores_with_names(session, tenant_id, period, unit_id)


async def unit_ranking(session: AsyncSession, tenant_id: str,
                       period: str) -> list[tuple[int, UnitSummary]]:
    """OPDs of a tenant ranked by their employees' average final %."""
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in await _scores_with_names(session, tenant_id, period, None):
        groups[row["unit_id"]].append(row)
    summaries = [
        summarise_unit(unit, [Decimal(r["final_pct"]) for r in rows],
                       [Decimal(r["performance_pct"]) for r in rows],
                       [Decimal(r["tpp_amount"]) for r in rows])
        for unit, rows in groups.items()
    ]
    return competition_rank(summaries, lambda s: s.avg_final_pct, lambda s: s.unit_id)


async def employee_ranking(session: AsyncSession, tenant_id: str, period: str,
                           unit_id: str) -> list[tuple[int, dict[str, Any]]]:
    rows = await _scores_with_names(session, tenant_id, period, unit_id)
    return competition_rank(rows, lambda r: Decimal(r["final_pct"]), lambda r: r["nip"])
