"""Queries of the scoring database: the facts of one employee-month (indexed aggregates,
so the cost does not grow with the rest of the tenant's month), the policy in force for a
month, and the locked score row."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ekinerja_shared.db import insert_ignore

from ..domain.policy import Policy, policy_from_dict, preset
from ..domain.score import MonthFacts
from .orm import (
    ActivityEntry,
    AttendanceDay,
    Compliance,
    EffectiveDays,
    Employee,
    Period,
    PolicyVersion,
    ScoreRow,
    Tenant,
    UnitAverage,
)


async def month_facts(session: AsyncSession, tenant_id: str, nip: str, period: str) -> MonthFacts:
    minutes = await session.scalar(
        select(func.coalesce(func.sum(ActivityEntry.minutes), 0)).where(
            ActivityEntry.tenant_id == tenant_id, ActivityEntry.nip == nip,
            ActivityEntry.period == period, ActivityEntry.status == "approved",
        )
    )
    day_row = (
        await session.execute(
            select(
                func.coalesce(func.sum(AttendanceDay.deduction_pct), 0),
                func.count(AttendanceDay.apel_attended),
                func.coalesce(
                    func.sum(case((AttendanceDay.apel_attended.is_(True), 1), else_=0)), 0
                ),
            ).where(
                AttendanceDay.tenant_id == tenant_id, AttendanceDay.nip == nip,
                AttendanceDay.period == period,
            )
        )
    ).one()
    eff_rows = (
        await session.execute(
            select(EffectiveDays.nip, EffectiveDays.effective_days).where(
                EffectiveDays.tenant_id == tenant_id, EffectiveDays.period == period,
                EffectiveDays.nip.in_([nip, ""]),
            )
        )
    ).all()
    eff = dict(eff_rows)
    effective = eff.get(nip, eff.get(""))
    compliance = await session.scalar(
        select(Compliance.value_pct).where(
            Compliance.tenant_id == tenant_id, Compliance.nip == nip, Compliance.period == period
        )
    )
    return MonthFacts(
        period=period,
        approved_minutes=int(minutes or 0),
        effective_days=Decimal(effective) if effective is not None else None,
        deduction_sum=Decimal(str(day_row[0] or 0)).quantize(MILLI),
        apel_recorded=int(day_row[1] or 0),
        apel_attended=int(day_row[2] or 0),
        compliance_pct=Decimal(compliance) if compliance is not None else None,
    )


MILLI = Decimal("0.001")


async def unit_average(session: AsyncSession, tenant_id: str, unit_id: str,
                       period: str) -> Decimal | None:
    value = await session.scalar(
        select(UnitAverage.avg_pct).where(UnitAverage.tenant_id == tenant_id,
                                          UnitAverage.unit_id == unit_id,
                                          UnitAverage.period == period)
    )
    return Decimal(value) if value is not None else None


async def unit_members(session: AsyncSession, tenant_id: str, unit_id: str,
                       period: str) -> list[tuple[str, Decimal]]:
    """(nip, performance %) of the unit's employees that have a score in the month."""
    rows = await session.execute(
        select(ScoreRow.nip, ScoreRow.performance_pct).where(
            ScoreRow.tenant_id == tenant_id, ScoreRow.unit_id == unit_id,
            ScoreRow.period == period, ScoreRow.version > 0)
    )
    return [(nip, Decimal(perf)) for nip, perf in rows.all()]


async def policy_for(session: AsyncSession, tenant_id: str, period: str,
                     default_preset: str) -> Policy:
    """The policy in force for a month: the latest version effective at or before it, else
    the tenant's preset from the directory, else the service default."""
    spec = await session.scalar(
        select(PolicyVersion.spec)
        .where(PolicyVersion.tenant_id == tenant_id, PolicyVersion.effective_period <= period)
        .order_by(PolicyVersion.effective_period.desc())
        .limit(1)
    )
    if spec is not None:
        return policy_from_dict(spec)
    name = await session.scalar(select(Tenant.policy_preset).where(Tenant.tenant_id == tenant_id))
    return preset(name or default_preset)


async def get_employee(session: AsyncSession, tenant_id: str, nip: str) -> Employee | None:
    return await session.scalar(
        select(Employee)
        .where(Employee.tenant_id == tenant_id, Employee.nip == nip)
        .execution_options(populate_existing=True)
    )


async def closed_periods(session: AsyncSession, tenant_id: str) -> set[str]:
    rows = await session.scalars(
        select(Period.period).where(Period.tenant_id == tenant_id, Period.closed.is_(True))
    )
    return set(rows.all())


async def lock_score(session: AsyncSession, tenant_id: str, nip: str, period: str) -> ScoreRow:
    """The score row, created empty (version 0) if missing, locked until commit so that
    concurrent recomputations of one employee-month serialise and the last one sees every
    committed fact."""
    await insert_ignore(
        session, ScoreRow,
        {"tenant_id": tenant_id, "nip": nip, "period": period, "version": 0, "components": [],
         "sources": {}},
    )
    query = (
        select(ScoreRow)
        .where(ScoreRow.tenant_id == tenant_id, ScoreRow.nip == nip, ScoreRow.period == period)
        .execution_options(populate_existing=True)
    )
    if session.bind.dialect.name == "postgresql":
        query = query.with_for_update()
    row = await session.scalar(query)
    assert row is not None
    return row


async def open_score_keys(
    session: AsyncSession, tenant_id: str, *, nip: str | None = None, period: str | None = None
) -> list[tuple[str, str, str]]:
    """(tenant, nip, period) of the existing scores of a tenant (optionally one employee or
    one month) whose month is not closed."""
    closed = select(Period.period).where(Period.tenant_id == tenant_id, Period.closed.is_(True))
    cond = [ScoreRow.tenant_id == tenant_id, ScoreRow.period.not_in(closed)]
    if nip is not None:
        cond.append(ScoreRow.nip == nip)
    if period is not None:
        cond.append(ScoreRow.period == period)
    rows = await session.execute(
        select(ScoreRow.tenant_id, ScoreRow.nip, ScoreRow.period).where(and_(*cond))
    )
    return [tuple(r) for r in rows.all()]  # type: ignore[misc]
