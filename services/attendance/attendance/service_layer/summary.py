"""The regency's month summary of attendance (HR, leadership): the discipline counts of
its evaluated working days, per code and per OPD the employee belonged to that day
(``domain.discipline``)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..adapters.orm import DayRecord, Employee
from ..domain.discipline import DayCodes, MonthDiscipline, month_discipline
from ..domain.schedule import month_dates


async def month_summary(session: AsyncSession, tenant_id: str, period: str) -> MonthDiscipline:
    """One grouped read of the month's working-day records (a few rows per OPD)."""
    days = month_dates(period)
    # the OPD of the day (a transfer mid-month splits the employee's days), else today's
    unit = func.coalesce(DayRecord.unit_id, Employee.unit_id, "")
    query = (
        select(unit, DayRecord.tl_code, DayRecord.psw_code, DayRecord.absence_code,
               func.count())
        .select_from(DayRecord)
        .outerjoin(Employee, (Employee.tenant_id == DayRecord.tenant_id)
                   & (Employee.nip == DayRecord.nip))
        .where(DayRecord.tenant_id == tenant_id, DayRecord.is_working_day.is_(True),
               DayRecord.work_date >= days[0], DayRecord.work_date <= days[-1])
        .group_by(unit, DayRecord.tl_code, DayRecord.psw_code, DayRecord.absence_code)
    )
    rows = (await session.execute(query)).all()
    return month_discipline(DayCodes(u, tl, psw, absent, n) for u, tl, psw, absent, n in rows)
