"""Reads: an employee's month, the approval queue of an approver, what is pending per
supervisor, an entry's history."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..adapters.orm import Entry, EntryTransition
from ..domain.model import EntryStatus, principals_on
from ..domain.rules import approval_deadline, expirable_before
from .admin import acting_assignments
from .entries import get_entry
from .tenants import Config, load_rules, tenant_now


def month_bounds(period: str) -> tuple[dt.date, dt.date]:
    year, month = (int(x) for x in period.split("-"))
    return dt.date(year, month, 1), dt.date(year + (month == 12), month % 12 + 1, 1)


async def list_entries(session: AsyncSession, tenant_id: str, nip: str, period: str) -> list[Entry]:
    first, nxt = month_bounds(period)
    rows = await session.scalars(
        select(Entry)
        .where(Entry.tenant_id == tenant_id, Entry.nip == nip,
               Entry.work_date >= first, Entry.work_date < nxt)
        .order_by(Entry.work_date, Entry.start_time)
    )
    return list(rows.all())


async def approval_queue(
    session: AsyncSession, tenant_id: str, approver_nip: str, *, cfg: Config,
    period: str | None = None, limit: int = 1000, now: dt.datetime | None = None,
) -> list[Entry]:
    """Submitted entries the approver may decide today: of their own subordinates and of
    those of the officials they stand in for (Plt/Plh); never their own."""
    today = (await tenant_now(session, tenant_id, cfg, now)).date()
    rules = await load_rules(session, tenant_id, cfg)
    acting = await acting_assignments(session, tenant_id, approver_nip)
    principals = {approver_nip} | principals_on(approver_nip, acting, today)
    q = select(Entry).where(
        Entry.tenant_id == tenant_id, Entry.status == EntryStatus.SUBMITTED,
        Entry.supervisor_nip.in_(sorted(principals)), Entry.nip != approver_nip,
        Entry.work_date >= expirable_before(today, rules))  # past the deadline: not decidable
    if period:
        first, nxt = month_bounds(period)
        q = q.where(Entry.work_date >= first, Entry.work_date < nxt)
    rows = await session.scalars(
        q.order_by(Entry.work_date, Entry.nip, Entry.start_time).limit(limit))
    return list(rows.all())


@dataclass(frozen=True)
class PendingCount:
    supervisor_nip: str | None
    pending: int
    oldest_work_date: dt.date
    nearest_deadline: dt.date


async def pending_counts(session: AsyncSession, tenant_id: str, *, cfg: Config,
                         now: dt.datetime | None = None) -> list[PendingCount]:
    """Submitted entries still decidable, per supervisor (for reminders before the
    deadline)."""
    rules = await load_rules(session, tenant_id, cfg)
    today = (await tenant_now(session, tenant_id, cfg, now)).date()
    rows = await session.execute(
        select(Entry.supervisor_nip, func.count(), func.min(Entry.work_date))
        .where(Entry.tenant_id == tenant_id, Entry.status == EntryStatus.SUBMITTED,
               Entry.work_date >= expirable_before(today, rules))
        .group_by(Entry.supervisor_nip)
        .order_by(func.count().desc()))
    return [PendingCount(sup, int(n), oldest, approval_deadline(oldest, rules))
            for sup, n, oldest in rows.all()]


@dataclass(frozen=True)
class Undecided:
    """Submitted entries of a month still waiting for a decision, of one supervisor."""

    supervisor_nip: str | None
    entries: int
    oldest_work_date: dt.date


async def undecided_in_month(session: AsyncSession, tenant_id: str,
                             period: str) -> list[Undecided]:
    """Every entry of the month still submitted (decidable or past its deadline, not yet
    expired), per supervisor, the most first: what is open before the month is closed."""
    first, nxt = month_bounds(period)
    rows = await session.execute(
        select(Entry.supervisor_nip, func.count(), func.min(Entry.work_date))
        .where(Entry.tenant_id == tenant_id, Entry.status == EntryStatus.SUBMITTED,
               Entry.work_date >= first, Entry.work_date < nxt)
        .group_by(Entry.supervisor_nip)
        .order_by(func.count().desc(), Entry.supervisor_nip))
    return [Undecided(sup, int(n), oldest) for sup, n, oldest in rows.all()]


async def history(session: AsyncSession, tenant_id: str,
                  entry_id: uuid.UUID) -> list[EntryTransition]:
    await get_entry(session, tenant_id, entry_id)
    rows = await session.scalars(select(EntryTransition).where(
        EntryTransition.entry_id == entry_id).order_by(EntryTransition.id))
    return list(rows.all())
