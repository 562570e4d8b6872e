"""Read models: the closed month's payroll table and the rankings. Both list the month's
roster (``month_end``): every scored employee, and, while the month is open, the active
employees without a fact yet, computed from what is known."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, literal_column, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from ekinerja_shared.errors import Conflict
from ekinerja_shared.timeutil import utcnow, zone

from ..adapters import repository as repo
from ..adapters.orm import Employee, Period, ScoreRow, Tenant
from ..domain.board import TOP, BoardRow, ComponentSums, MonthBoard, UnitSums, month_board
from ..domain.payroll import PayrollTable, build, month_name
from ..adapters.standings import month_standings
from ..domain.ranking import UnitSummary, competition_rank, summarise_totals
from ..domain.trend import MonthAverage, months_ending, trend
from ..domain.payslip import SHEET_COLUMNS, sheet_values
from ..domain.policy import DEFAULT_PRESET
from ..domain.score import days_in_month
from . import payslips
from .month_end import unscored_rows


async def _scores_with_names(session: AsyncSession, tenant_id: str, period: str,
                             unit_id: str | None, *, ranked: bool = False
                             ) -> list[dict[str, Any]]:
    """The month's scores with the employees' names. ``ranked``: only what a ranking
    reads (NIP, name, OPD, final % and TPP), as plain columns: whole ``ScoreRow`` objects
    cost their JSON columns' decoding and the ORM's instance processing, some 15-20 % of
    scoring's CPU for an OPD's ranking (docs/perf/reads.md, round 6)."""
    score = ((ScoreRow.nip, ScoreRow.unit_id, ScoreRow.final_pct, ScoreRow.tpp_amount)
             if ranked else (ScoreRow,))
    query = (
        select(*score, Employee.name, Employee.unit_name)
        .outerjoin(Employee, (Employee.tenant_id == ScoreRow.tenant_id)
                   & (Employee.nip == ScoreRow.nip))
        .where(ScoreRow.tenant_id == tenant_id, ScoreRow.period == period,
               ScoreRow.version > 0)
        .order_by(ScoreRow.unit_id, ScoreRow.nip)
    )
    if unit_id:
        query = query.where(ScoreRow.unit_id == unit_id)
    result: list[Any] = list((await session.execute(query)).all())
    if ranked:
        return [{"nip": r.nip, "name": r.name or "", "unit": r.unit_name or r.unit_id,
                 "unit_id": r.unit_id, "final_pct": r.final_pct, "tpp_amount": r.tpp_amount}
                for r in result]
    return [
        {"nip": r.nip, "name": name or "", "unit": unit_name or r.unit_id,
         "unit_id": r.unit_id, "employment_type": r.employment_type,
         "components": r.components, "final_pct": r.final_pct,
         "performance_pct": r.performance_pct, "tpp_base": r.tpp_base,
         "tpp_adjustment_pct": r.tpp_adjustment_pct, "tpp_amount": r.tpp_amount,
         "flags": list(r.flags or []), "segments": r.segments}
        for r, name, unit_name in result
    ]


async def roster_rows(session: AsyncSession, tenant_id: str, period: str,
                      unit_id: str | None, default_preset: str) -> list[dict[str, Any]]:
    """The month's roster as a ranking reads it (NIP, name, OPD, final % and TPP; the
    unscored members' rows carry more): the frozen scores of a closed month (its close
    gave every roster member one), else the running scores and the active employees
    without a fact, computed from what is known."""
    rows = await _scores_with_names(session, tenant_id, period, unit_id, ranked=True)
    if period not in await repo.closed_periods(session, tenant_id):
        rows += [r for r in await unscored_rows(session, tenant_id, period, default_preset)
                 if not unit_id or r["unit_id"] == unit_id]
    return rows


async def tpp_rows(session: AsyncSession, tenant_id: str, period: str,
                   unit_id: str | None = None) -> list[dict[str, Any]]:
    """The payroll rows of a closed month (optionally one OPD)."""
    if period not in await repo.closed_periods(session, tenant_id):
        raise Conflict(f"Periode {period} belum ditutup; TPP belum final untuk dibayarkan.",
                       code="period_open")
    return await _scores_with_names(session, tenant_id, period, unit_id)


def _local(at: dt.datetime, tz: str) -> str:
    try:
        return f"{at.astimezone(zone(tz)):%d-%m-%Y %H:%M} {tz}"
    except ValueError:
        return f"{at:%d-%m-%Y %H:%M} UTC"


async def payroll(session: AsyncSession, tenant_id: str, period: str,
                  unit_id: str | None = None,
                  default_preset: str = DEFAULT_PRESET) -> tuple[PayrollTable, list[str]]:
    """The closed month's payroll table with each employee's pay slip columns, and its
    title block (regency, month and OPD, closed at/by, generated at; times in the
    regency's zone)."""
    rows = await tpp_rows(session, tenant_id, period, unit_id)
    slips = await payslips.slips_for(session, tenant_id, period, rows, default_preset)
    table = build(rows, SHEET_COLUMNS, {nip: sheet_values(s) for nip, s in slips.items()})
    tenant = await session.get(Tenant, tenant_id)
    tz = tenant.timezone if tenant else "Asia/Jakarta"
    closed = await session.get(Period, (tenant_id, period))
    units = sorted({line.unit for line in table.lines if line.kind == "employee"})
    title = [
        f"Daftar Pembayaran TPP - {tenant.name if tenant else tenant_id}",
        f"Periode: {month_name(period)}"
        + (f" - Unit kerja: {', '.join(units) or unit_id}" if unit_id else ""),
        f"Ditutup: {_local(closed.changed_at, tz)} oleh {closed.changed_by}"
        if closed else "Ditutup: -",
        f"Dibuat: {_local(utcnow(), tz)}",
    ]
    return table, title


async def unit_ranking(session: AsyncSession, tenant_id: str, period: str,
                       default_preset: str) -> list[tuple[int, UnitSummary]]:
    """OPDs of a tenant ranked by the average final % of every roster member: the scored
    ones from the standings read model, and, while the month is open, the active employees
    without a score computed from what is known (usually few: any fact gives a score)."""
    totals: dict[str, list[Any]] = {
        s.unit_id: [s.unit_name, s.members, s.final_sum, s.performance_sum, s.tpp_total,
                    s.member_days, s.final_days, s.performance_days]
        for s in await month_standings(session, tenant_id, period)}
    if period not in await repo.closed_periods(session, tenant_id):
        days = days_in_month(period)  # not scored yet: the whole month in their OPD
        for r in await unscored_rows(session, tenant_id, period, default_preset):
            t = totals.setdefault(r["unit_id"], [r["unit"], 0, Decimal(0), Decimal(0),
                                                 Decimal(0), 0, Decimal(0), Decimal(0)])
            final, perf = Decimal(r["final_pct"]), Decimal(r["performance_pct"])
            t[1] += 1
            t[2] += final
            t[3] += perf
            t[4] += Decimal(r["tpp_amount"])
            t[5] += days
            t[6] += days * final
            t[7] += days * perf
    summaries = [summarise_totals(unit, n, final, perf, tpp, unit_name=name,
                                  by_days=(mdays, fdays, pdays))
                 for unit, (name, n, final, perf, tpp, mdays, fdays, pdays) in totals.items()]
    return competition_rank(summaries, lambda s: s.avg_final_pct, lambda s: s.unit_id)


async def employee_ranking(session: AsyncSession, tenant_id: str, period: str,
                           unit_id: str | None,
                           default_preset: str) -> list[tuple[int, dict[str, Any]]]:
    """The roster of one OPD, or of the whole regency (``unit_id`` None), by final %."""
    rows = await roster_rows(session, tenant_id, period, unit_id, default_preset)
    return competition_rank(rows, lambda r: Decimal(r["final_pct"]), lambda r: r["nip"])


async def month_trend(session: AsyncSession, tenant_id: str, period: str,
                      months: int) -> list[MonthAverage]:
    """The average final % of the scored employees of each of ``months`` months up to
    ``period`` (one grouped read of the running and frozen scores)."""
    wanted = months_ending(period, months)
    rows = await session.execute(
        select(ScoreRow.period, func.count(), func.sum(ScoreRow.final_pct))
        .where(ScoreRow.tenant_id == tenant_id, ScoreRow.period.in_(wanted),
               ScoreRow.version > 0)
        .group_by(ScoreRow.period))
    return trend(wanted, {p: (int(n), Decimal(total)) for p, n, total in rows.all()})


def _band() -> Any:
    """The final %'s band of ten as SQL (10 for 100 and above, 0 below 10); literal
    thresholds, so that the grouped and the selected expression are the same text."""
    return case(*[(ScoreRow.final_pct >= literal_column(str(10 * i)), literal_column(str(i)))
                  for i in range(10, 0, -1)], else_=literal_column("0"))


# each component of the month's scores (a JSON list of {name, value_pct, ...}) summed
_COMPONENTS = {
    "postgresql": """
        SELECT c.value ->> 'name', min(c.ordinality), count(*),
               sum((c.value ->> 'value_pct')::numeric)
        FROM scores s, json_array_elements(s.components) WITH ORDINALITY AS c(value, ordinality)
        WHERE s.tenant_id = :tenant AND s.period = :period AND s.version > 0
        GROUP BY 1""",
    "sqlite": """
        SELECT json_extract(c.value, '$.name'), min(c.key), count(*),
               sum(CAST(json_extract(c.value, '$.value_pct') AS REAL))
        FROM scores s, json_each(s.components) AS c
        WHERE s.tenant_id = :tenant AND s.period = :period AND s.version > 0
        GROUP BY 1""",
}


async def board(session: AsyncSession, tenant_id: str, period: str) -> MonthBoard:
    """The regency's month in figures (the scored employees), grouped by the database:
    per OPD (with the directory copy's name), per band of ten, per component, and the ten
    highest with their names; no score row is read whole."""
    month = (ScoreRow.tenant_id == tenant_id, ScoreRow.period == period, ScoreRow.version > 0)
    named = (Employee.tenant_id == ScoreRow.tenant_id) & (Employee.nip == ScoreRow.nip)
    units = await session.execute(
        select(ScoreRow.unit_id, func.max(Employee.unit_name), func.count(),
               func.sum(ScoreRow.final_pct), func.sum(ScoreRow.tpp_amount),
               func.sum(ScoreRow.version))
        .outerjoin(Employee, named).where(*month).group_by(ScoreRow.unit_id))
    band = _band().label("band")
    tens = await session.execute(select(band, func.count()).where(*month).group_by(band))
    comps = await session.execute(text(_COMPONENTS[repo.dialect_name(session)]),
                                  {"tenant": tenant_id, "period": period})
    top = await session.execute(
        select(ScoreRow.nip, Employee.name, ScoreRow.unit_id, Employee.unit_name,
               ScoreRow.final_pct, ScoreRow.tpp_amount, ScoreRow.version)
        .outerjoin(Employee, named).where(*month)
        .order_by(ScoreRow.final_pct.desc(), ScoreRow.nip).limit(TOP))
    return month_board(
        [UnitSums(unit_id, unit_name or "", int(n), _dec(finals), _dec(tpps), int(versions))
         for unit_id, unit_name, n, finals, tpps, versions in units.all()],
        {int(b): int(n) for b, n in tens.all()},
        [ComponentSums(str(name), int(order), int(n), _dec(values))
         for name, order, n, values in comps.all() if name is not None],
        [BoardRow(nip, name or "", unit_id, unit_name or "", _dec(final), _dec(tpp), version)
         for nip, name, unit_id, unit_name, final, tpp, version in top.all()])


def _dec(value: Any) -> Decimal:
    """A database sum as a Decimal (SQLite answers floats)."""
    return value if isinstance(value, Decimal) else Decimal(str(value or 0))
