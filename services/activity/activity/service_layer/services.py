"""Use cases of the activity service. Each runs inside the caller's transaction (the
session is the unit of work): state change and outbox event commit together."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ekinerja_shared import events as ev
from ekinerja_shared.db import upsert
from ekinerja_shared.errors import NotFound
from ekinerja_shared.outbox import stage
from ekinerja_shared.timeutil import utcnow, zone

from ..adapters.orm import Employee, Entry, EntryTransition, Outbox, Tenant
from ..domain.model import (
    Approver,
    EntryStatus,
    RuleViolation,
    check_can_decide,
    check_transition,
    entry_minutes,
)


# --- directory copy -------------------------------------------------------------------


async def apply_directory_event(session: AsyncSession, event: ev.Event) -> None:
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


async def get_employee(session: AsyncSession, tenant_id: str, nip: str) -> Employee:
    emp = await session.get(Employee, (tenant_id, nip))
    if emp is None:
        raise NotFound(f"Pegawai dengan NIP {nip} tidak terdaftar.", code="unknown_employee")
    return emp


async def tenant_today(session: AsyncSession, tenant_id: str, default_tz: str) -> dt.date:
    tenant = await session.get(Tenant, tenant_id)
    return utcnow().astimezone(zone(tenant.timezone if tenant else default_tz)).date()


# --- entries --------------------------------------------------------------------------


@dataclass(frozen=True)
class NewEntry:
    work_date: dt.date
    start: dt.time
    end: dt.time
    description: str
    output_quantity: Decimal | None = None
    output_unit: str | None = None


async def create_entry(
    session: AsyncSession, tenant_id: str, nip: str, data: NewEntry, *, submit: bool,
    default_tz: str,
) -> Entry:
    await get_employee(session, tenant_id, nip)
    minutes = entry_minutes(data.start, data.end)
    if data.work_date > await tenant_today(session, tenant_id, default_tz):
        raise RuleViolation("Aktivitas tidak boleh untuk tanggal yang akan datang.", "future_date")
    now = utcnow()
    status = EntryStatus.SUBMITTED if submit else EntryStatus.DRAFT
    entry = Entry(
        id=uuid.uuid4(), tenant_id=tenant_id, nip=nip, work_date=data.work_date,
        start_time=data.start, end_time=data.end, minutes=minutes,
        description=data.description, output_quantity=data.output_quantity,
        output_unit=data.output_unit, status=status, created_at=now, updated_at=now,
    )
    session.add(entry)
    await session.flush()
    session.add(EntryTransition(entry_id=entry.id, from_status=None, to_status=status,
                                actor_nip=nip, at=now))
    return entry


async def get_entry(session: AsyncSession, tenant_id: str, entry_id: uuid.UUID) -> Entry:
    entry = await session.get(Entry, entry_id)
    if entry is None or entry.tenant_id != tenant_id:
        raise NotFound("Aktivitas tidak ditemukan.", code="unknown_entry")
    return entry


async def decide(
    session: AsyncSession, tenant_id: str, entry_id: uuid.UUID, approver_nip: str,
    *, approve: bool, reason: str | None = None,
) -> Entry:
    entry = await get_entry(session, tenant_id, entry_id)
    employee = await get_employee(session, tenant_id, entry.nip)
    check_can_decide(entry.nip, employee.supervisor_nip, Approver(approver_nip, tenant_id))
    target = EntryStatus.APPROVED if approve else EntryStatus.REJECTED
    if not approve and not (reason and reason.strip()):
        raise RuleViolation("Alasan penolakan wajib diisi.", "reason_required")
    check_transition(EntryStatus(entry.status), target)
    now = utcnow()
    session.add(EntryTransition(entry_id=entry.id, from_status=entry.status, to_status=target,
                                actor_nip=approver_nip, reason=reason, at=now))
    entry.status = target
    entry.decided_by = approver_nip
    entry.decided_at = now
    entry.reason = reason
    entry.updated_at = now
    await session.flush()  # bumps entry.version (optimistic lock)
    common = dict(tenant_id=tenant_id, entry_id=entry.id, nip=entry.nip,
                  work_date=entry.work_date, minutes=entry.minutes, version=entry.version,
                  actor_nip=approver_nip, occurred_at=now)
    event: ev.Event = (
        ev.ActivityEntryApproved(**common, description=entry.description)
        if approve else ev.ActivityEntryRejected(**common, reason=reason or "")
    )
    stage(session, Outbox, event)
    return entry


async def list_entries(session: AsyncSession, tenant_id: str, nip: str, period: str) -> list[Entry]:
    year, month = (int(x) for x in period.split("-"))
    first = dt.date(year, month, 1)
    nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
    rows = await session.scalars(
        select(Entry)
        .where(Entry.tenant_id == tenant_id, Entry.nip == nip,
               Entry.work_date >= first, Entry.work_date < nxt)
        .order_by(Entry.work_date, Entry.start_time)
    )
    return list(rows.all())
