"""An employee's entries: create, edit and submit them (every rule checked on the tenant's
clock); the audit row and the event of each transition."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ekinerja_shared import events as ev
from ekinerja_shared.errors import DomainError
from ekinerja_shared.outbox import stage
from ekinerja_shared.timeutil import utcnow

from ..adapters.orm import AgendaItem, Entry, EntryTransition, Outbox
from ..domain.model import (
    OCCUPYING,
    EntryStatus,
    check_editable,
    check_owner,
    check_transition,
)
from ..domain.plans import check_agenda_link, check_plan_link
from ..domain.rules import (
    EntryContext,
    TimeSlot,
    check_before_deadline,
    check_entry,
    check_on_duty,
    check_period_open,
)
from .directory import get_employee, resolve_supervisor
from .plans import plan_item
from .tenants import Config, closed_periods, in_tenant, load_rules, tenant_now


@dataclass(frozen=True)
class NewEntry:
    work_date: dt.date
    start: dt.time
    end: dt.time
    description: str
    output_quantity: Decimal | None = None
    output_unit: str | None = None
    plan_item_id: uuid.UUID | None = None
    agenda_item_id: uuid.UUID | None = None


async def _entry_context(session: AsyncSession, tenant_id: str, nip: str, work_date: dt.date,
                         cfg: Config, now: dt.datetime | None,
                         exclude: uuid.UUID | None = None) -> EntryContext:
    q = select(Entry.start_time, Entry.end_time).where(
        Entry.tenant_id == tenant_id, Entry.nip == nip, Entry.work_date == work_date,
        Entry.status.in_(list(OCCUPYING)))
    if exclude is not None:
        q = q.where(Entry.id != exclude)
    same_day = tuple(TimeSlot(s, e) for s, e in (await session.execute(q)).all())
    return EntryContext(
        now_local=await tenant_now(session, tenant_id, cfg, now),
        rules=await load_rules(session, tenant_id, cfg),
        same_day=same_day,
        closed_periods=await closed_periods(session, tenant_id),
    )


async def _check_links(session: AsyncSession, tenant_id: str, nip: str, data: NewEntry) -> None:
    if data.plan_item_id is not None:
        plan = await plan_item(session, tenant_id, data.plan_item_id)
        check_plan_link(plan.nip, plan.period, nip, data.work_date)
    if data.agenda_item_id is not None:
        item = await in_tenant(session, AgendaItem, data.agenda_item_id, tenant_id,
                                "Agenda tidak ditemukan.", "unknown_agenda_item")
        check_agenda_link(item.nip, item.agenda_date, nip, data.work_date)


def transition(entry: Entry, to: EntryStatus, actor: str | None, reason: str | None,
               now: dt.datetime) -> EntryTransition:
    """The audit row of ``entry`` moving from its current status to ``to``."""
    return EntryTransition(entry_id=entry.id, from_status=entry.status, to_status=to,
                           actor_nip=actor, reason=reason, at=now)


def event_fields(entry: Entry, actor: str | None, now: dt.datetime) -> dict[str, Any]:
    """The fields every entry event carries."""
    return dict(tenant_id=entry.tenant_id, entry_id=entry.id, nip=entry.nip,
                work_date=entry.work_date, minutes=entry.minutes, version=entry.version,
                actor_nip=actor, occurred_at=now)


async def _check_on_duty(session: AsyncSession, tenant_id: str, nip: str,
                         work_date: dt.date) -> None:
    emp = await get_employee(session, tenant_id, nip)
    check_on_duty(nip, work_date, active=emp.active, start_date=emp.start_date,
                  end_date=emp.end_date)


async def create_entry(
    session: AsyncSession, tenant_id: str, nip: str, data: NewEntry, *, submit: bool,
    cfg: Config, now: dt.datetime | None = None,
) -> Entry:
    await _check_on_duty(session, tenant_id, nip, data.work_date)
    now = now or utcnow()
    ctx = await _entry_context(session, tenant_id, nip, data.work_date, cfg, now)
    minutes = check_entry(data.work_date, data.start, data.end, ctx)
    await _check_links(session, tenant_id, nip, data)
    if submit:
        check_before_deadline(data.work_date, ctx.now_local.date(), ctx.rules)
    entry = Entry(
        id=uuid.uuid4(), tenant_id=tenant_id, nip=nip, work_date=data.work_date,
        start_time=data.start, end_time=data.end, minutes=minutes,
        description=data.description, output_quantity=data.output_quantity,
        output_unit=data.output_unit, plan_item_id=data.plan_item_id,
        agenda_item_id=data.agenda_item_id,
        supervisor_nip=await resolve_supervisor(session, tenant_id, nip, data.work_date),
        status=EntryStatus.DRAFT, created_at=now, updated_at=now,
    )
    session.add(entry)
    await session.flush()
    session.add(EntryTransition(entry_id=entry.id, from_status=None, to_status=EntryStatus.DRAFT,
                                actor_nip=nip, at=now))
    if submit:
        await _submit(session, entry, nip, now)
    return entry


async def _submit(session: AsyncSession, entry: Entry, actor: str, now: dt.datetime) -> None:
    check_transition(EntryStatus(entry.status), EntryStatus.SUBMITTED)
    session.add(transition(entry, EntryStatus.SUBMITTED, actor, None, now))
    entry.status = EntryStatus.SUBMITTED
    entry.decided_by = None
    entry.decided_at = None
    entry.reason = None  # the rejection reason stays in the history
    entry.updated_at = now
    await session.flush()
    stage(session, Outbox, ev.ActivityEntrySubmitted(
        **event_fields(entry, actor, now), supervisor_nip=entry.supervisor_nip))


async def get_entry(session: AsyncSession, tenant_id: str, entry_id: uuid.UUID) -> Entry:
    return await in_tenant(session, Entry, entry_id, tenant_id, "Aktivitas tidak ditemukan.",
                            "unknown_entry")


async def edit_entry(
    session: AsyncSession, tenant_id: str, entry_id: uuid.UUID, actor_nip: str, data: NewEntry,
    *, cfg: Config, expected_version: int | None = None, submit: bool = False,
    now: dt.datetime | None = None,
) -> Entry:
    """The owner revises a draft or a rejected entry (and may submit it again)."""
    now = now or utcnow()
    entry = await get_entry(session, tenant_id, entry_id)
    check_owner(entry.nip, actor_nip)
    check_editable(EntryStatus(entry.status))
    if expected_version is not None and expected_version != entry.version:
        raise DomainError("Aktivitas ini sudah diubah di tempat lain; muat ulang lalu coba lagi.",
                          code="stale_version", status_code=409)
    ctx = await _entry_context(session, tenant_id, entry.nip, entry.work_date, cfg, now,
                               exclude=entry.id)
    # the old date must be open too: moving an entry out of a closed month is a change to it
    check_period_open(entry.work_date, ctx.closed_periods)
    if data.work_date != entry.work_date:  # to a day of duty
        await _check_on_duty(session, tenant_id, entry.nip, data.work_date)
        ctx = await _entry_context(session, tenant_id, entry.nip, data.work_date, cfg, now,
                                   exclude=entry.id)
    else:
        ctx = replace(ctx, revising_rejected=entry.status == EntryStatus.REJECTED)
    minutes = check_entry(data.work_date, data.start, data.end, ctx)
    await _check_links(session, tenant_id, entry.nip, data)
    entry.work_date = data.work_date
    entry.start_time, entry.end_time, entry.minutes = data.start, data.end, minutes
    entry.description = data.description
    entry.output_quantity, entry.output_unit = data.output_quantity, data.output_unit
    entry.plan_item_id, entry.agenda_item_id = data.plan_item_id, data.agenda_item_id
    entry.supervisor_nip = await resolve_supervisor(session, tenant_id, entry.nip,
                                                    data.work_date)
    entry.updated_at = now
    await session.flush()
    if submit:
        check_before_deadline(entry.work_date, ctx.now_local.date(), ctx.rules)
        await _submit(session, entry, actor_nip, now)
    return entry


async def submit_entry(
    session: AsyncSession, tenant_id: str, entry_id: uuid.UUID, actor_nip: str, *,
    cfg: Config, now: dt.datetime | None = None,
) -> Entry:
    """Submit a draft, or resubmit a rejected entry; every check runs again."""
    now = now or utcnow()
    entry = await get_entry(session, tenant_id, entry_id)
    check_owner(entry.nip, actor_nip)
    check_transition(EntryStatus(entry.status), EntryStatus.SUBMITTED)
    ctx = await _entry_context(session, tenant_id, entry.nip, entry.work_date, cfg, now,
                               exclude=entry.id)
    ctx = replace(ctx, revising_rejected=entry.status == EntryStatus.REJECTED)
    check_entry(entry.work_date, entry.start_time, entry.end_time, ctx)
    check_before_deadline(entry.work_date, ctx.now_local.date(), ctx.rules)
    entry.supervisor_nip = await resolve_supervisor(session, tenant_id, entry.nip,
                                                    entry.work_date)
    await _submit(session, entry, actor_nip, now)
    return entry
