"""The local copy of the directory: tenants (their zone) and employees (unit, device PIN,
direct supervisor, active flag), and what a change sets off: punches re-read in the
tenant's zone, an employee's own month of effective days, punches waiting for their PIN,
the devices' user lists. With the copy of the acting assignments (Plt/Plh, published by
the activity service) it answers who supervises whom on a day, by the shared rule
(``ekinerja_shared.supervision``)."""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ekinerja_shared import acting_copy
from ekinerja_shared import events as ev
from ekinerja_shared.db import upsert
from ekinerja_shared.supervision import may_supervise
from ekinerja_shared.timeutil import canonical_zone, local_today, period_of, utcnow, zone

from ..adapters.orm import (
    ActingAssignment,
    Device,
    EffectiveDays,
    Employee,
    EmployeeUnit,
    Punch,
    Tenant,
)
from ..domain.schedule import month_dates, work_date_of
from .calendar import publish_effective_days
from .context import load_context
from .days import reevaluate
from .devices import sync_roster_change
from .ingest import retry_unknown_pin_lines

log = logging.getLogger(__name__)


async def tenant_ids(session: AsyncSession) -> list[str]:
    """Every tenant known from the directory (a periodic job's cross-tenant listing)."""
    return list((await session.scalars(select(Tenant.tenant_id))).all())


async def tenant_today(session: AsyncSession, tenant_id: str, default_tz: str,
                       now: dt.datetime | None = None) -> dt.date:
    tenant = await session.get(Tenant, tenant_id)
    return local_today(tenant.timezone if tenant else default_tz, now)


async def team_of(session: AsyncSession, tenant_id: str, caller_nip: str,
                  day: dt.date) -> set[str]:
    """The NIPs ``caller_nip`` supervises on ``day``: whose direct supervisor (the directory
    copy) they are, or they act for (Plt/Plh in force)."""
    return await acting_copy.team_of(session, ActingAssignment, Employee, tenant_id,
                                     caller_nip, day)


async def supervises(session: AsyncSession, tenant_id: str, caller_nip: str, nip: str,
                     day: dt.date) -> bool:
    """``caller_nip`` supervises ``nip`` on ``day`` (direct, or Plt/Plh in force)."""
    emp = await session.get(Employee, (tenant_id, nip))
    if emp is None:
        return False
    acting = await acting_copy.acting_in_force(session, ActingAssignment, tenant_id, day,
                                               acting_nip=caller_nip)
    return may_supervise(caller_nip, nip, [emp.supervisor_nip], acting, day=day)


async def apply_directory_event(
    session: AsyncSession, event: ev.Event, *, default_tz: str, now: dt.datetime | None = None
) -> None:
    await apply_directory_batch(session, [event], default_tz=default_tz, now=now)


async def apply_directory_batch(
    session: AsyncSession, events: list[ev.Event], *, default_tz: str,
    now: dt.datetime | None = None,
) -> None:
    """Apply directory events in order. The own months of effective days of the employees
    the batch adds or moves (``_publish_own_months``) are published together once the
    employees are applied (before a regency's change, and at the end): one read of the
    regency's calendar for all of them instead of two per employee."""
    now = now or utcnow()
    moved: list[ev.EmployeeUpserted] = []
    for event in events:
        if isinstance(event, ev.EmployeeUpserted):
            if await _apply_employee(session, event, default_tz=default_tz, now=now):
                moved.append(event)
        elif isinstance(event, ev.TenantUpserted):
            await _publish_own_months(session, moved, default_tz=default_tz, now=now)
            moved = []
            await _apply_tenant(session, event, default_tz=default_tz, now=now)
    await _publish_own_months(session, moved, default_tz=default_tz, now=now)


async def _apply_tenant(session: AsyncSession, event: ev.TenantUpserted, *, default_tz: str,
                        now: dt.datetime) -> None:
    try:
        tz_name = canonical_zone(event.timezone)
    except ValueError:
        tz_name = default_tz
        log.warning("tenant %s: unknown zone %r, using %s", event.tenant_id, event.timezone,
                    default_tz)
    existing = await session.get(Tenant, event.tenant_id, populate_existing=True)
    if existing is not None and existing.updated_at > event.occurred_at:
        return  # an older state arriving late
    await upsert(
        session, Tenant,
        {"tenant_id": event.tenant_id, "name": event.name, "timezone": tz_name,
         "policy_preset": event.policy_preset, "updated_at": event.occurred_at},
        index_elements=["tenant_id"],
    )
    if existing is None:
        ctx = await load_context(session, event.tenant_id, default_tz, nips=[], span=None)
        await publish_effective_days(session, ctx, period_of(ctx.today(now)))
    old_tz = existing.timezone if existing else default_tz
    if existing is not None:
        await session.refresh(existing)  # the upsert bypassed the identity map
    if old_tz != tz_name:
        await _rezone_punches(session, event.tenant_id, old_tz, default_tz=default_tz,
                              now=now)


async def _apply_employee(session: AsyncSession, event: ev.EmployeeUpserted, *,
                          default_tz: str, now: dt.datetime) -> bool:
    """Apply one employee's state; True when they are new or changed unit (their own month
    of effective days is then due)."""
    before = await session.get(Employee, (event.tenant_id, event.nip), populate_existing=True)
    if before is not None and before.updated_at > event.occurred_at:
        return False  # an older state arriving late
    old = (before.device_pin, before.name, before.active) if before else (None, None, False)
    tenant = await session.get(Tenant, event.tenant_id, populate_existing=True)
    seen_on = now.astimezone(zone(tenant.timezone if tenant else default_tz)).date()
    if event.effective_from is not None:
        seen_on = min(seen_on, event.effective_from)
    await upsert(
        session, Employee,
        {
            "tenant_id": event.tenant_id, "nip": event.nip, "name": event.name,
            "unit_id": event.unit_id, "device_pin": event.device_pin or None,
            "supervisor_nip": event.supervisor_nip or None,
            "active": event.active, "updated_at": event.occurred_at,
            "first_seen_on": seen_on, "start_date": event.start_date,
            "end_date": event.end_date,
        },
        index_elements=["tenant_id", "nip"],
        update=["name", "unit_id", "device_pin", "supervisor_nip", "active", "updated_at",
                "start_date", "end_date"],
        where=Employee.updated_at <= event.occurred_at,
    )
    if before is not None and before.first_seen_on is not None \
            and seen_on < before.first_seen_on:
        # an older producer's dated change: the employee was there on that date
        await session.execute(update(Employee).where(
            Employee.tenant_id == event.tenant_id, Employee.nip == event.nip)
            .values(first_seen_on=seen_on))
    today = now.astimezone(zone(tenant.timezone if tenant else default_tz)).date()
    if await _record_unit(session, event, event.effective_from or today):
        await _reevaluate_since(session, event, event.effective_from or today, today,
                                default_tz=default_tz, now=now)
    if event.device_pin and (event.active or event.end_date is not None):
        await retry_unknown_pin_lines(session, event.tenant_id, event.device_pin,
                                      default_tz=default_tz, now=now)
    await sync_roster_change(session, event, old, now)
    return before is None or before.unit_id != event.unit_id


async def _record_unit(session: AsyncSession, event: ev.EmployeeUpserted,
                       since: dt.date) -> bool:
    """Record "from ``since`` the employee belongs to ``event.unit_id``"; a statement
    published later wins over an older one arriving late. True when the unit of some day
    changed."""
    unit = EmployeeUnit
    mine = (unit.tenant_id == event.tenant_id, unit.nip == event.nip)
    known = (await session.execute(select(unit.effective_from, unit.unit_id, unit.updated_at)
                                   .where(*mine))).all()
    if any(d <= since and at > event.occurred_at for d, _, at in known):
        return False  # a newer statement already holds from an earlier date
    in_force = [u for d, u, _ in sorted(known) if d <= since][-1:] or [
        u for _, u, _ in sorted(known)][:1]
    later = [d for d, _, at in known if d > since and at < event.occurred_at]
    if later:
        await session.execute(delete(unit).where(*mine, unit.effective_from.in_(later)))
    await upsert(session, unit, {"tenant_id": event.tenant_id, "nip": event.nip,
                                 "effective_from": since, "unit_id": event.unit_id,
                                 "updated_at": event.occurred_at},
                 index_elements=["tenant_id", "nip", "effective_from"],
                 where=unit.updated_at <= event.occurred_at)
    return bool(known) and (in_force != [event.unit_id] or bool(later))


async def _reevaluate_since(session: AsyncSession, event: ev.EmployeeUpserted,
                            since: dt.date, today: dt.date, *, default_tz: str,
                            now: dt.datetime) -> None:
    """A transfer dated in the past: the days already evaluated since then (at most 62)
    are evaluated again under the new unit's schedule, as new revisions."""
    first = max(since, today - dt.timedelta(days=61))
    dates = [first + dt.timedelta(days=i) for i in range((today - first).days + 1)]
    await reevaluate(session, event.tenant_id, [event.nip], dates, default_tz=default_tz,
                     now=now, existing_only=True)


async def _rezone_punches(session: AsyncSession, tenant_id: str, old_tz: str, *,
                          default_tz: str, now: dt.datetime) -> None:
    """The tenant's zone became known or changed: punches of its devices that follow the
    tenant's zone are re-read from their wall-clock time, and their days re-evaluated."""
    serials = (await session.scalars(select(Device.serial_number).where(
        Device.tenant_id == tenant_id, Device.timezone.is_(None)))).all()
    if not serials:
        return
    ctx = await load_context(session, tenant_id, default_tz, nips=[], span=None)
    punches = [p for p in (await session.scalars(select(Punch).where(
        Punch.tenant_id == tenant_id, Punch.device_sn.in_(serials)))).all()
        if p.local_time.replace(tzinfo=ctx.tz) != p.punched_at]
    if not punches:
        return
    new_dates = [p.local_time.date() for p in punches]
    ctx = await load_context(session, tenant_id, default_tz, nips={p.nip for p in punches},
                             span=(min(new_dates), max(new_dates)))
    before: dict[str, set[dt.date]] = {}  # the days the punches were counted on
    after: dict[str, set[dt.date]] = {}  # the days they belong to now
    for p in punches:
        old_local = p.punched_at.astimezone(zone(old_tz)).date()
        before.setdefault(p.nip, set()).update({old_local, old_local - dt.timedelta(days=1)})
        p.punched_at = p.local_time.replace(tzinfo=ctx.tz)
        after.setdefault(p.nip, set()).add(work_date_of(p.punched_at, ctx.tz,
                                                        ctx.hours_of(p.nip)))
    await session.flush()
    for nip in sorted(after):
        await reevaluate(session, tenant_id, [nip], before[nip] - after[nip],
                         default_tz=default_tz, now=now, existing_only=True)
        await reevaluate(session, tenant_id, [nip], after[nip], default_tz=default_tz, now=now)


async def _publish_own_months(session: AsyncSession, events: list[ev.EmployeeUpserted], *,
                              default_tz: str, now: dt.datetime) -> None:
    """Employees whose unit works another week than the tenant get their own effective days
    for the current month (and keep them up to date once they have them); one calendar read
    per regency for all of ``events`` (an employee's latest event counts)."""
    by_tenant: dict[str, dict[str, ev.EmployeeUpserted]] = {}
    for event in events:
        by_tenant.setdefault(event.tenant_id, {})[event.nip] = event
    for tenant_id, latest in by_tenant.items():
        tenant = await session.get(Tenant, tenant_id)
        period = period_of(local_today(tenant.timezone if tenant else default_tz, now))
        dates = month_dates(period)
        ctx = await load_context(session, tenant_id, default_tz, nips=list(latest),
                                 span=(dates[0], dates[-1]))
        common = ctx.calendar.working_dates(period)
        had_own = set((await session.scalars(select(EffectiveDays.nip).where(
            EffectiveDays.tenant_id == tenant_id, EffectiveDays.period == period,
            EffectiveDays.nip.in_(list(latest))))).all())
        for nip, event in latest.items():
            if nip in had_own or ctx.calendar.working_dates(period, nip) != common:
                await publish_effective_days(session, ctx, period, nip, event.unit_id, now=now)
