"""What a pay slip rests on besides the score: the month's leave/duty days by absence code,
the effective working days and the sum of the days' deductions (``domain.payslip.
MonthDays``). While the month is open they are read from the live copies of the facts;
the close keeps them with the frozen scores (``month_days``, migration 0012), so a fact
arriving after the close (stored, listed as late) changes neither a closed month's score
nor its pay slip. A reopening and a new close keep them anew, with the late facts."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ekinerja_shared.db import one_of
from ekinerja_shared.timeutil import utcnow

from ..adapters import repository as repo
from ..adapters.orm import AttendanceDay, MonthDaysRow, Period
from ..domain.payslip import MonthDays
from ..domain.score import weekdays_in_month


async def live(session: AsyncSession, tenant_id: str, period: str,
               nips: Sequence[str]) -> dict[str, MonthDays]:
    """The month's days of ``nips`` as the stored facts say now (a few grouped queries;
    the leave days of the whole month in one)."""
    leave: dict[str, dict[str, int]] = defaultdict(dict)
    for nip, code, count in (await session.execute(  # absence_code IS NOT NULL
            select(AttendanceDay.nip, AttendanceDay.absence_code, func.count())
            .where(AttendanceDay.tenant_id == tenant_id, AttendanceDay.period == period,
                   AttendanceDay.status == "leave", AttendanceDay.is_working_day.is_(True),
                   AttendanceDay.absence_code.is_not(None))
            .group_by(AttendanceDay.nip, AttendanceDay.absence_code))).all():
        leave[nip][str(code)] = int(count)
    facts = await repo.month_facts_many(session, tenant_id, period, nips)
    return {nip: MonthDays(leave.get(nip, {}),
                           f.effective_days if f.effective_days is not None
                           else Decimal(weekdays_in_month(period)), f.deduction_sum)
            for nip, f in facts.items()}


async def keep(session: AsyncSession, tenant_id: str, period: str,
               nips: Sequence[str]) -> None:
    """At the close: keep the month's days of the roster (``nips``) as they are now, in
    place of what an earlier close kept."""
    await session.execute(delete(MonthDaysRow).where(MonthDaysRow.tenant_id == tenant_id,
                                                     MonthDaysRow.period == period))
    now = utcnow()
    session.add_all(MonthDaysRow(tenant_id=tenant_id, period=period, nip=nip,
                                 leave_days=dict(d.leave_days),
                                 effective_days=d.effective_days,
                                 deduction_sum=d.deduction_sum, kept_at=now)
                    for nip, d in (await live(session, tenant_id, period, nips)).items())
    await session.flush()


async def of_month(session: AsyncSession, tenant_id: str, period: str,
                   nips: Sequence[str]) -> dict[str, MonthDays]:
    """The month's days the pay slips of ``nips`` use: kept with the close for a closed
    month, else (an open month, or one closed before the days were kept) the live ones."""
    kept: dict[str, MonthDays] = {}
    closed = await session.scalar(select(Period.closed).where(
        Period.tenant_id == tenant_id, Period.period == period))
    if closed:
        kept = {r.nip: MonthDays({k: int(v) for k, v in (r.leave_days or {}).items()},
                                 Decimal(r.effective_days), Decimal(r.deduction_sum))
                for r in (await session.scalars(select(MonthDaysRow).where(
                    MonthDaysRow.tenant_id == tenant_id, MonthDaysRow.period == period,
                    one_of(session, MonthDaysRow.nip, list(nips))))).all()}
    missing = [n for n in nips if n not in kept]
    return {**kept, **(await live(session, tenant_id, period, missing) if missing else {})}
