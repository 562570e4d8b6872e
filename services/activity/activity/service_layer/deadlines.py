"""The approval deadline: submitted entries not decided by the tenant's deadline expire
(on demand for one tenant, or for every tenant by the periodic expiry job)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ekinerja_shared import events as ev
from ekinerja_shared.outbox import stage
from ekinerja_shared.timeutil import utcnow
from ekinerja_shared.uow import UnitOfWork

from ..adapters.orm import ENTRIES, Entry, EntryTransition, Outbox
from ..domain.model import EntryStatus
from ..domain.rules import expirable_before, expiry_reason, period_of
from .queries import month_bounds
from .tenants import Config, load_rules, tenant_now


async def expire_pending(session: AsyncSession, tenant_id: str, *, cfg: Config,
                         now: dt.datetime | None = None) -> int:
    """Expire the tenant's submitted entries whose approval deadline has passed, each with
    its recorded reason and an ActivityEntryExpired event; returns how many. One guarded
    UPDATE per month: an entry decided meanwhile is left alone."""
    now = now or utcnow()
    rules = await load_rules(session, tenant_id, cfg)
    today = (await tenant_now(session, tenant_id, cfg, now)).date()
    cutoff = expirable_before(today, rules)
    dates = (await session.scalars(select(Entry.work_date).where(
        Entry.tenant_id == tenant_id, Entry.status == EntryStatus.SUBMITTED,
        Entry.work_date < cutoff).distinct())).all()
    months = sorted({d.replace(day=1) for d in dates})
    t = ENTRIES.c
    count = 0
    for first in months:
        reason = expiry_reason(first, rules)
        nxt = min(month_bounds(period_of(first))[1], cutoff)
        result = await session.execute(
            update(ENTRIES)
            .where(t.tenant_id == tenant_id, t.status == EntryStatus.SUBMITTED.value,
                   t.work_date >= first, t.work_date < nxt)
            .values(status=EntryStatus.EXPIRED.value, reason=reason, decided_by=None,
                    decided_at=now, updated_at=now, version=t.version + 1)
            .returning(t.id, t.nip, t.work_date, t.minutes, t.version))
        for entry_id, nip, work_date, minutes, version in result.all():
            session.add(EntryTransition(entry_id=entry_id, from_status=EntryStatus.SUBMITTED,
                                        to_status=EntryStatus.EXPIRED, actor_nip=None,
                                        reason=reason, at=now))
            stage(session, Outbox, ev.ActivityEntryExpired(
                tenant_id=tenant_id, entry_id=entry_id, nip=nip, work_date=work_date,
                minutes=minutes, version=version, actor_nip=None, occurred_at=now,
                reason=reason))
            count += 1
    return count


EXPIRY_JOB = "activity-expiry"


async def expire_all_tenants(uow: UnitOfWork, *, cfg: Config,
                             now: dt.datetime | None = None) -> dict[str, int]:
    """One pass of the expiry job: the tenants with pending entries are listed across
    regencies (the job's one cross-tenant read), then each is expired in its own
    transaction bound to it."""
    async with uow.cross_tenant(EXPIRY_JOB).read() as session:
        tenants = (await session.scalars(select(Entry.tenant_id).where(
            Entry.status == EntryStatus.SUBMITTED).distinct())).all()
    result: dict[str, int] = {}
    for tenant_id in tenants:
        n = await uow.in_tenant(tenant_id).run(expire_pending, tenant_id, cfg=cfg, now=now)
        if n:
            result[tenant_id] = n
    return result
