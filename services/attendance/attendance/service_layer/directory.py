"""The local copy of the directory: tenants (their zone) and employees (unit, device PIN,
direct supervisor, active flag), and what a change sets off: punches re-read in the
tenant's zone, an employee's own month of effective days, punches waiting for their PIN,
the devices' user lists. With the copy of the acting assignments (Plt/Plh, published by
the activity service) it answers who supervises whom on a day, by the shared rule
(``ekinerja_shared.supervision``)."""

from __future__ import annotations

import datetime as dt
import logging

from typing import Any

from sqlalchemy import delete, literal_column, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from ekinerja_shared import acting_copy
from ekinerja_shared import events as ev
from ekinerja_shared.dated import after_statement
from ekinerja_shared.db import one_of, upsert
from ekinerja_shared.supervision import may_supervise
from ekinerja_shared.timeutil import canonical_zone, local_today, period_of, utcnow, zone

from ..adapters.orm import (
    ActingAssignment,
    Device,
    EffectiveDays,
    Employee,
    EmployeeUnit,
    Punch,
    ScheduleAssignmentRow,
    ShiftRoster,
    Tenant,
)
from ..domain.schedule import month_dates, work_date_of
from .calendar import publish_effective_days
from .context import load_context
from .days import reevaluate
from .device_rules import pins_waiting
from .devices import list_devices, sync_roster_change
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
    """Apply directory events in order; each run of employee events as a set
    (``_apply_employees``): a few statements per regency, not a few per employee, with the
    copy the events applied one after the other give."""
    now = now or utcnow()
    for run, other in ev.employee_runs(events):
        await _apply_employees(session, run, default_tz=default_tz, now=now)
        if isinstance(other, ev.TenantUpserted):
            await _apply_tenant(session, other, default_tz=default_tz, now=now)


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


async def _apply_employees(session: AsyncSession, events: list[ev.EmployeeUpserted], *,
                           default_tz: str, now: dt.datetime) -> None:
    """Employee events of a batch, regency by regency: the employees' rows and unit
    histories are read once, the events applied to them in order in memory (a state older
    than the one held changes nothing; a unit holds from its date by the rule of
    ``ekinerja_shared.dated``), and what changed written back in bulk. Then what the
    changes set off: days already judged under a unit that changed since, punches waiting
    for a PIN, the devices' user lists, and the own months of new or moved employees."""
    for tenant_id in dict.fromkeys(e.tenant_id for e in events):
        mine = [e for e in events if e.tenant_id == tenant_id]
        tenant = await session.get(Tenant, tenant_id, populate_existing=True)
        today = now.astimezone(zone(tenant.timezone if tenant else default_tz)).date()
        nips = sorted({e.nip for e in mine})
        held = {emp.nip: emp for emp in (await session.scalars(select(Employee).where(
            Employee.tenant_id == tenant_id, one_of(session, Employee.nip, nips))
            .execution_options(populate_existing=True))).all()}
        state = {n: (e.updated_at, e.device_pin, e.name, e.active) for n, e in held.items()}
        first_seen = {n: e.first_seen_on for n, e in held.items()}
        current_unit: dict[str, str] = {n: e.unit_id for n, e in held.items()}
        units = await _unit_histories(session, tenant_id, nips)
        before_units = {n: dict(h) for n, h in units.items()}
        rows: dict[str, dict[str, Any]] = {}
        moved: list[ev.EmployeeUpserted] = []
        transfers: dict[str, dt.date] = {}  # since when an employee's days are judged again
        roster_changes: list[tuple[ev.EmployeeUpserted, tuple[str | None, str | None, bool]]] = []
        for e in mine:
            if e.nip in state and state[e.nip][0] > e.occurred_at:
                continue  # an older state arriving late
            _, old_pin, old_name, old_active = state.get(e.nip, (None, None, None, False))
            seen_on = min(today, e.effective_from) if e.effective_from else today
            if e.nip not in first_seen:
                first_seen[e.nip] = seen_on  # a new row
            elif first_seen[e.nip] is not None and seen_on < first_seen[e.nip]:  # type: ignore[operator]
                first_seen[e.nip] = seen_on  # an older producer's dated change
            state[e.nip] = (e.occurred_at, e.device_pin or None, e.name, e.active)
            rows[e.nip] = {
                "tenant_id": tenant_id, "nip": e.nip, "name": e.name, "unit_id": e.unit_id,
                "device_pin": e.device_pin or None, "supervisor_nip": e.supervisor_nip or None,
                "active": e.active, "updated_at": e.occurred_at, "start_date": e.start_date,
                "end_date": e.end_date}
            since = e.effective_from or today
            history = units.get(e.nip, {})
            units[e.nip] = after_statement(history, since, e.unit_id, e.occurred_at)
            if units[e.nip] != history and _unit_changed(history, since, e.unit_id,
                                                        e.occurred_at):
                transfers[e.nip] = min(since, transfers.get(e.nip, since))
            if current_unit.get(e.nip) != e.unit_id:  # new, or in another unit now
                moved.append(e)
            current_unit[e.nip] = e.unit_id
            roster_changes.append((e, (old_pin, old_name, old_active)))
        await upsert(session, Employee, [
            {**row, "first_seen_on": first_seen[n]} for n, row in rows.items()],
            index_elements=["tenant_id", "nip"],
            update=["name", "unit_id", "device_pin", "supervisor_nip", "active", "updated_at",
                    "start_date", "end_date", "first_seen_on"],
            where=Employee.updated_at <= NEWER)
        await _write_unit_histories(session, tenant_id, before_units, units)
        for nip, since in transfers.items():
            await _reevaluate_since(session, tenant_id, nip, since, today,
                                    default_tz=default_tz, now=now)
        pins = {e.device_pin for e, _ in roster_changes
                if e.device_pin and (e.active or e.end_date is not None)}
        for pin in await pins_waiting(session, tenant_id, pins):
            await retry_unknown_pin_lines(session, tenant_id, pin, default_tz=default_tz,
                                          now=now)
        devices = await list_devices(session, tenant_id) if roster_changes else []
        for e, old in roster_changes:
            sync_roster_change(session, devices, e, old, now)
        await _publish_own_months(session, moved, default_tz=default_tz, now=now)


NEWER: ColumnElement[Any] = literal_column("excluded.updated_at")  # the upsert's proposed row


async def _unit_histories(session: AsyncSession, tenant_id: str,
                          nips: list[str]) -> dict[str, dict[dt.date, tuple[str, dt.datetime]]]:
    out: dict[str, dict[dt.date, tuple[str, dt.datetime]]] = {}
    for nip, since, unit_id, at in (await session.execute(select(
            EmployeeUnit.nip, EmployeeUnit.effective_from, EmployeeUnit.unit_id,
            EmployeeUnit.updated_at).where(EmployeeUnit.tenant_id == tenant_id,
                                           one_of(session, EmployeeUnit.nip, nips)))).all():
        out.setdefault(nip, {})[since] = (unit_id, at)
    return out


def _unit_changed(history: dict[dt.date, tuple[str, dt.datetime]], since: dt.date,
                  unit_id: str, stated_at: dt.datetime) -> bool:
    """Whether "from ``since``, ``unit_id``" changes the unit of some day already known: the
    unit in force on ``since`` was another, or a later statement was dropped."""
    if not history:
        return False
    ordered = sorted(history.items())
    in_force = ([u for d, (u, _) in ordered if d <= since][-1:] or [ordered[0][1][0]])[0]
    return in_force != unit_id or any(d > since and at < stated_at
                                      for d, (_, at) in history.items())


async def _write_unit_histories(
        session: AsyncSession, tenant_id: str,
        before: dict[str, dict[dt.date, tuple[str, dt.datetime]]],
        after: dict[str, dict[dt.date, tuple[str, dt.datetime]]]) -> None:
    gone = [(n, d) for n, h in before.items() for d in h if d not in after.get(n, {})]
    if gone:
        await session.execute(delete(EmployeeUnit).where(
            EmployeeUnit.tenant_id == tenant_id,
            tuple_(EmployeeUnit.nip, EmployeeUnit.effective_from).in_(gone)))
    await upsert(session, EmployeeUnit, [
        {"tenant_id": tenant_id, "nip": n, "effective_from": d, "unit_id": u, "updated_at": at}
        for n, h in after.items() for d, (u, at) in h.items()
        if before.get(n, {}).get(d) != (u, at)],
        index_elements=["tenant_id", "nip", "effective_from"])


async def _reevaluate_since(session: AsyncSession, tenant_id: str, nip: str,
                            since: dt.date, today: dt.date, *, default_tz: str,
                            now: dt.datetime) -> None:
    """A transfer dated in the past: the days already evaluated since then (at most 62)
    are evaluated again under the new unit's schedule, as new revisions."""
    first = max(since, today - dt.timedelta(days=61))
    dates = [first + dt.timedelta(days=i) for i in range((today - first).days + 1)]
    await reevaluate(session, tenant_id, [nip], dates, default_tz=default_tz,
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
        if not await _may_have_own_month(session, tenant_id, period, (dates[0], dates[-1]),
                                         list(latest)):
            continue  # everyone works the regency's month: the calendar need not be read
        ctx = await load_context(session, tenant_id, default_tz, nips=list(latest),
                                 span=(dates[0], dates[-1]))
        common = ctx.calendar.working_dates(period)
        had_own = set((await session.scalars(select(EffectiveDays.nip).where(
            EffectiveDays.tenant_id == tenant_id, EffectiveDays.period == period,
            one_of(session, EffectiveDays.nip, latest)))).all())
        months = ctx.calendar.working_dates_of(period, latest)
        for nip, event in latest.items():
            if nip in had_own or months[nip] != common:
                await publish_effective_days(session, ctx, period, nip, event.unit_id, now=now)


async def _may_have_own_month(session: AsyncSession, tenant_id: str, period: str,
                              span: tuple[dt.date, dt.date], nips: list[str]) -> bool:
    """Whether one of ``nips`` may get (or has) effective days of their own for ``period``:
    a week assigned to a unit or an employee in the regency, a rostered shift of theirs in
    the month, or own effective days published already. Without any of these an employee's
    days are the regency's (``Calendar.schedule_for`` falls back to the tenant's week), so
    one query spares the calendar read of a roster where every unit works the same week."""
    scoped = select(ScheduleAssignmentRow.id).where(
        ScheduleAssignmentRow.tenant_id == tenant_id,
        ScheduleAssignmentRow.scope.in_(("unit", "employee")))
    rostered = select(ShiftRoster.nip).where(
        ShiftRoster.tenant_id == tenant_id, one_of(session, ShiftRoster.nip, nips),
        ShiftRoster.work_date >= span[0], ShiftRoster.work_date <= span[1])
    had_own = select(EffectiveDays.nip).where(
        EffectiveDays.tenant_id == tenant_id, EffectiveDays.period == period,
        one_of(session, EffectiveDays.nip, nips))
    return bool(await session.scalar(select(or_(
        scoped.exists(), rostered.exists(), had_own.exists()))))
