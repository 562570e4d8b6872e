"""Loading what the rules need to know about a tenant: its zone, its discipline rules and
its calendar (schedules, holidays, shift rosters, employees' units)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import partial
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ekinerja_shared.db import one_of
from ekinerja_shared.timeutil import zone

from ..adapters.orm import (
    ApelSettings,
    Employee,
    EmployeeUnit,
    Holiday,
    Schedule,
    ScheduleAssignmentRow,
    ShiftRoster,
    Tenant,
    TenantRules,
)
from ..domain.apel import ApelRule
from ..domain.rules import SEED_TENANT_RULES, RuleSet, rules_for_preset
from ..domain.schedule import (
    Calendar,
    Hours,
    HoursLookup,
    ScheduleAssignment,
    ScopedAssignment,
    WeekSchedule,
    parse_hours,
)


@dataclass
class TenantContext:
    """What the rules need of one tenant, loaded for one use (a consumer's batch, a
    request): its calendar does not change while the context lives."""

    tenant_id: str
    tz_name: str
    rules: RuleSet
    calendar: Calendar
    apel: ApelRule | None = None
    # (nip, date) -> the calendar's hours: each looked up once per context (``hours``)
    _hours: dict[tuple[str | None, dt.date], Hours | None] = field(
        default_factory=dict, repr=False, compare=False)

    @property
    def tz(self) -> ZoneInfo:
        return zone(self.tz_name)

    def hours(self, nip: str | None, day: dt.date) -> Hours | None:
        """``Calendar.hours``, remembered: a batch's evaluation asks the same employee-dates
        again for every punch it dates and every day it evaluates, and the calendar's
        lookups (scope by scope through every assignment) were a fifth of the evaluation
        consumer's CPU (docs/perf/live.md, session 11)."""
        key = (nip, day)
        try:
            return self._hours[key]
        except KeyError:
            self._hours[key] = found = self.calendar.hours(nip, day)
            return found

    def hours_of(self, nip: str | None) -> HoursLookup:
        return partial(self.hours, nip)

    def today(self, now: dt.datetime) -> dt.date:
        return now.astimezone(self.tz).date()


async def tenant_rules(session: AsyncSession, tenant_id: str) -> tuple[RuleSet, str]:
    """The tenant's rules and where they come from (``custom`` or ``preset:<name>``)."""
    row = await session.get(TenantRules, tenant_id)
    if row is not None:
        return RuleSet.from_dict(row.rules), "custom"
    rules = rules_for_preset(SEED_TENANT_RULES.get(tenant_id))
    return rules, f"preset:{rules.name}"


def date_span(dates: Iterable[dt.date]) -> tuple[dt.date, dt.date] | None:
    """The span of ``dates`` with a day of margin each side (kept inside the calendar's
    range), for ``load_context``; None without dates."""
    ordered = sorted(set(dates))
    if not ordered:
        return None
    one = dt.timedelta(days=1)
    lo, hi = ordered[0], ordered[-1]
    return (lo - one if lo > dt.date.min else lo), (hi + one if hi < dt.date.max else hi)


async def load_context(
    session: AsyncSession, tenant_id: str, default_tz: str, *,
    nips: Iterable[str] | None = None, span: tuple[dt.date, dt.date] | None = None,
) -> TenantContext:
    """``nips``: the employees whose units and rosters are needed (None = all);
    ``span``: the dates whose rostered shifts are needed (one day of margin is added)."""
    tenant = await session.get(Tenant, tenant_id)
    tz_name = tenant.timezone if tenant else default_tz
    rules, _ = await tenant_rules(session, tenant_id)
    cal = Calendar()

    rows = await session.execute(
        select(ScheduleAssignmentRow, Schedule)
        .join(Schedule, Schedule.id == ScheduleAssignmentRow.schedule_id)
        .where(ScheduleAssignmentRow.tenant_id == tenant_id)
        .order_by(ScheduleAssignmentRow.id)
    )
    for a, s in rows.all():
        cal.assignments.append(ScopedAssignment(
            a.scope, a.scope_id,
            ScheduleAssignment(WeekSchedule.from_dict(s.name, s.days), a.valid_from, a.valid_to,
                               a.priority)))
    for h in (await session.scalars(select(Holiday).where(Holiday.tenant_id == tenant_id))).all():
        cal.holidays[h.date] = h.name

    nip_list = None if nips is None else sorted(set(nips))
    emp_q = select(Employee.nip, Employee.unit_id).where(Employee.tenant_id == tenant_id)
    if nip_list is not None:
        emp_q = emp_q.where(one_of(session, Employee.nip, nip_list))
    cal.units = {nip: unit for nip, unit in (await session.execute(emp_q)).all()}
    unit_q = select(EmployeeUnit.nip, EmployeeUnit.effective_from, EmployeeUnit.unit_id).where(
        EmployeeUnit.tenant_id == tenant_id)
    if nip_list is not None:
        unit_q = unit_q.where(one_of(session, EmployeeUnit.nip, nip_list))
    for nip, since, unit in (await session.execute(unit_q)).all():
        cal.unit_history.setdefault(nip, []).append((since, unit))

    if span is not None and nip_list != []:
        lo, hi = span[0] - dt.timedelta(days=1), span[1] + dt.timedelta(days=1)
        shift_q = select(ShiftRoster).where(ShiftRoster.tenant_id == tenant_id,
                                            ShiftRoster.work_date >= lo,
                                            ShiftRoster.work_date <= hi)
        if nip_list is not None:
            shift_q = shift_q.where(one_of(session, ShiftRoster.nip, nip_list))
        for r in (await session.scalars(shift_q)).all():
            hours: Hours | None = parse_hours(r.hours) if r.hours else None
            cal.shifts[(r.nip, r.work_date)] = hours
    apel = await session.get(ApelSettings, tenant_id)
    apel_rule = (ApelRule(apel.window_start, apel.window_end, frozenset(apel.weekdays),
                          frozenset(apel.device_serials)) if apel else None)
    return TenantContext(tenant_id, tz_name, rules, cal, apel_rule)
