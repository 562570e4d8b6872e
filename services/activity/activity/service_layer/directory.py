"""The local copy of the directory (tenants, employees, units, the supervisor history) and
of closed months, kept from the directory and periods topics by the consumers; and the
lookups of employees and their supervisor on a date."""

from __future__ import annotations

import datetime as dt

from collections.abc import Callable
from typing import Any

from sqlalchemy import delete, literal_column, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from ekinerja_shared import events as ev
from ekinerja_shared.dated import after_statement
from ekinerja_shared.db import upsert
from ekinerja_shared.errors import NotFound
from ekinerja_shared.timeutil import zone

from ..adapters.orm import Employee, Entry, PeriodState, SupervisorLinkRow, Tenant, Unit
from ..domain.model import EntryStatus, SupervisorLink, supervisor_on
from .tenants import Config, tenant_tz


async def apply_directory_event(session: AsyncSession, event: ev.Event, *,
                                default_tz: str = "Asia/Jakarta") -> None:
    await apply_directory_batch(session, [event], default_tz=default_tz)


async def apply_directory_batch(session: AsyncSession, events: list[ev.Event], *,
                                default_tz: str = "Asia/Jakarta") -> None:
    """Apply directory events in order; each run of employee events as a set (a few
    statements per regency, not a few per employee), with the result of applying them one
    after the other."""
    for run, other in ev.employee_runs(events):
        await _apply_employees(session, run, default_tz)
        if isinstance(other, ev.TenantUpserted):
            await upsert(
                session, Tenant,
                {"tenant_id": other.tenant_id, "name": other.name, "timezone": other.timezone},
                index_elements=["tenant_id"],
            )


def _latest(events: list[ev.EmployeeUpserted],
            key: Callable[[ev.EmployeeUpserted], str]) -> list[ev.EmployeeUpserted]:
    """Per key the event stated last (of equal instants, the later in the batch)."""
    out: dict[str, ev.EmployeeUpserted] = {}
    for e in events:
        if key(e) not in out or out[key(e)].occurred_at <= e.occurred_at:
            out[key(e)] = e
    return list(out.values())


NEWER: ColumnElement[Any] = literal_column("excluded.updated_at")  # the row proposed by an upsert


async def _apply_employees(session: AsyncSession, events: list[ev.EmployeeUpserted],
                           default_tz: str) -> None:
    for tenant_id in dict.fromkeys(e.tenant_id for e in events):
        mine = [e for e in events if e.tenant_id == tenant_id]
        await upsert(session, Employee, [{
            "tenant_id": e.tenant_id, "nip": e.nip, "name": e.name, "unit_id": e.unit_id,
            "supervisor_nip": e.supervisor_nip, "active": e.active,
            "start_date": e.start_date, "end_date": e.end_date,
            "updated_at": e.occurred_at} for e in _latest(mine, lambda e: e.nip)],
            index_elements=["tenant_id", "nip"], where=Employee.updated_at <= NEWER)
        await upsert(session, Unit, [{
            "tenant_id": e.tenant_id, "unit_id": e.unit_id, "name": e.unit_name,
            "updated_at": e.occurred_at}
            for e in _latest([e for e in mine if e.unit_name], lambda e: e.unit_id)],
            index_elements=["tenant_id", "unit_id"], where=Unit.updated_at <= NEWER)
        tz = await tenant_tz(session, tenant_id, Config(default_tz=default_tz))
        links = await _record_supervisors(session, tenant_id, mine, tz)
        await _reassign_open_entries(session, tenant_id, links)


async def _record_supervisors(session: AsyncSession, tenant_id: str,
                              events: list[ev.EmployeeUpserted],
                              tz: str) -> dict[str, list[SupervisorLink]]:
    """Each event says "from its date (``effective_from``, else the day it was stated) the
    supervisor is X"; the statement made last wins from its date on
    (``ekinerja_shared.dated``). The histories of the events' employees are read once,
    the events applied to them in order, and what changed written back; returns the
    histories."""
    link = SupervisorLinkRow
    nips = sorted({e.nip for e in events})
    rows = await session.execute(
        select(link.nip, link.effective_from, link.supervisor_nip, link.updated_at)
        .where(link.tenant_id == tenant_id, link.nip.in_(nips)))
    before: dict[str, dict[dt.date, tuple[str | None, dt.datetime]]] = {n: {} for n in nips}
    for nip, since, sup, at in rows.all():
        before[nip][since] = (sup, at)
    after = dict(before)
    for e in events:
        since = e.effective_from or e.occurred_at.astimezone(zone(tz)).date()
        after[e.nip] = after_statement(after[e.nip], since, e.supervisor_nip, e.occurred_at)
    gone = [(n, d) for n in nips for d in before[n] if d not in after[n]]
    if gone:
        await session.execute(delete(link).where(
            link.tenant_id == tenant_id, tuple_(link.nip, link.effective_from).in_(gone)))
    await upsert(session, link, [
        {"tenant_id": tenant_id, "nip": n, "effective_from": d, "supervisor_nip": sup,
         "updated_at": at}
        for n in nips for d, (sup, at) in after[n].items() if before[n].get(d) != (sup, at)],
        index_elements=["tenant_id", "nip", "effective_from"])
    return {n: [SupervisorLink(d, sup) for d, (sup, _) in after[n].items()] for n in nips}


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


async def _reassign_open_entries(session: AsyncSession, tenant_id: str,
                                 links: dict[str, list[SupervisorLink]]) -> None:
    """Undecided entries follow the supervisor in effect on their work date."""
    open_entries = await session.scalars(select(Entry).where(
        Entry.tenant_id == tenant_id, Entry.nip.in_(sorted(links)),
        Entry.status.in_([EntryStatus.DRAFT, EntryStatus.SUBMITTED, EntryStatus.REJECTED])))
    for entry in open_entries.all():
        sup = supervisor_on(links[entry.nip], entry.work_date)
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
