"""The local copy of the directory (tenants, employees, units, the supervisor history) and
of closed months, kept from the directory and periods topics by the consumers; and the
lookups of employees and their supervisor on a date."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ekinerja_shared import events as ev
from ekinerja_shared.db import upsert
from ekinerja_shared.errors import NotFound
from ekinerja_shared.timeutil import zone

from ..adapters.orm import Employee, Entry, PeriodState, SupervisorLinkRow, Tenant, Unit
from ..domain.model import EntryStatus, SupervisorLink, supervisor_on
from .tenants import Config, tenant_tz


async def apply_directory_event(session: AsyncSession, event: ev.Event, *,
                                default_tz: str = "Asia/Jakarta") -> None:
    if isinstance(event, ev.TenantUpserted):
        await upsert(
            session, Tenant,
            {"tenant_id": event.tenant_id, "name": event.name, "timezone": event.timezone},
            index_elements=["tenant_id"],
        )
    elif isinstance(event, ev.EmployeeUpserted):
        await upsert(
            session, Employee,
            {
                "tenant_id": event.tenant_id, "nip": event.nip, "name": event.name,
                "unit_id": event.unit_id, "supervisor_nip": event.supervisor_nip,
                "active": event.active, "updated_at": event.occurred_at,
            },
            index_elements=["tenant_id", "nip"],
            where=Employee.updated_at <= event.occurred_at,
        )
        if event.unit_name:
            await upsert(
                session, Unit,
                {"tenant_id": event.tenant_id, "unit_id": event.unit_id,
                 "name": event.unit_name, "updated_at": event.occurred_at},
                index_elements=["tenant_id", "unit_id"],
                where=Unit.updated_at <= event.occurred_at,
            )
        tz = await tenant_tz(session, event.tenant_id, Config(default_tz=default_tz))
        effective = event.effective_from or event.occurred_at.astimezone(zone(tz)).date()
        await _record_supervisor(session, event, effective)
        await _reassign_open_entries(session, event.tenant_id, event.nip)


async def _record_supervisor(session: AsyncSession, event: ev.EmployeeUpserted,
                             effective: dt.date) -> None:
    """The latest statement wins from its date on: "from D the supervisor is X" replaces
    what older events said about D and later; an older event arriving late changes nothing
    that a newer one already covers."""
    link = SupervisorLinkRow
    mine = (link.tenant_id == event.tenant_id, link.nip == event.nip)
    covered = await session.scalar(select(func.count()).select_from(link).where(
        *mine, link.effective_from <= effective, link.updated_at > event.occurred_at))
    if covered:
        return
    await session.execute(delete(link).where(
        *mine, link.effective_from > effective, link.updated_at < event.occurred_at))
    await upsert(
        session, link,
        {"tenant_id": event.tenant_id, "nip": event.nip, "effective_from": effective,
         "supervisor_nip": event.supervisor_nip, "updated_at": event.occurred_at},
        index_elements=["tenant_id", "nip", "effective_from"],
        where=link.updated_at <= event.occurred_at,
    )


async def _links(session: AsyncSession, tenant_id: str, nip: str) -> list[SupervisorLink]:
    rows = await session.execute(
        select(SupervisorLinkRow.effective_from, SupervisorLinkRow.supervisor_nip)
        .where(SupervisorLinkRow.tenant_id == tenant_id, SupervisorLinkRow.nip == nip))
    return [SupervisorLink(d, s) for d, s in rows.all()]


async def resolve_supervisor(session: AsyncSession, tenant_id: str, nip: str,
                             day: dt.date) -> str | None:
    """The employee's direct supervisor on ``day`` (a change takes effect from its date)."""
    links = await _links(session, tenant_id, nip)
    if links:
        return supervisor_on(links, day)
    emp = await session.get(Employee, (tenant_id, nip))
    return emp.supervisor_nip if emp else None


async def employee_with_links(session: AsyncSession, tenant_id: str,
                              nip: str) -> tuple[Employee, str | None, list[SupervisorLink]]:
    """The employee, the name of their unit and their supervisor history."""
    emp = await get_employee(session, tenant_id, nip)
    unit = await session.get(Unit, (tenant_id, emp.unit_id))
    return emp, unit.name if unit else None, sorted(await _links(session, tenant_id, nip),
                                                    key=lambda ln: ln.effective_from)


async def _reassign_open_entries(session: AsyncSession, tenant_id: str, nip: str) -> None:
    """Undecided entries follow the supervisor in effect on their work date."""
    links = await _links(session, tenant_id, nip)
    open_entries = await session.scalars(select(Entry).where(
        Entry.tenant_id == tenant_id, Entry.nip == nip,
        Entry.status.in_([EntryStatus.DRAFT, EntryStatus.SUBMITTED, EntryStatus.REJECTED])))
    for entry in open_entries.all():
        sup = supervisor_on(links, entry.work_date)
        if entry.supervisor_nip != sup:
            entry.supervisor_nip = sup


async def apply_period_event(session: AsyncSession, event: ev.Event) -> None:
    if isinstance(event, (ev.PeriodClosed, ev.PeriodReopened)):
        await upsert(
            session, PeriodState,
            {"tenant_id": event.tenant_id, "period": event.period,
             "closed": isinstance(event, ev.PeriodClosed), "updated_at": event.occurred_at},
            index_elements=["tenant_id", "period"],
            where=PeriodState.updated_at <= event.occurred_at,
        )


async def get_employee(session: AsyncSession, tenant_id: str, nip: str) -> Employee:
    emp = await session.get(Employee, (tenant_id, nip))
    if emp is None:
        raise NotFound(f"Pegawai dengan NIP {nip} tidak terdaftar.", code="unknown_employee")
    return emp
