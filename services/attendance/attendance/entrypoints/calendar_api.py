"""HTTP API for HR: schedules and their assignments, holidays and cuti bersama, shift
rosters, discipline rules, effective working days.

Who: every change is the regency's HR's (``TenantHrDep``), recorded in the caller's name;
the calendar (schedules, holidays, rules and presets, apel, the month's working dates) is
read by any person of the regency (``StaffDep``; the apel's designated device serials by HR
only); the schedule assignments by HR and leadership (``ReaderDep``); an employee's own
calendar and shifts by the employee, their direct supervisor, HR and leadership; the shift
roster of many is filtered to what the caller may see (``ListingDep``)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from ekinerja_shared.http import (
    DayPath,
    PeriodQuery,
    ReaderDep,
    TenantHrDep,
    TenantPath,
    TenantSessionDep,
)
from ekinerja_shared.identity import Role

from ..domain.rules import RULE_PRESETS
from ..domain.schedule import month_dates
from ..service_layer import calendar
from ..service_layer.context import load_context, tenant_rules
from .audited import (
    ApelUow,
    AssignmentUow,
    HolidayRemoveUow,
    HolidaySetUow,
    RulesUow,
    ScheduleUow,
    ShiftsUow,
)
from .deps import ActingIn, DefaultTzDep, ListingDep, StaffDep, acting, require_team_view

router = APIRouter(prefix="/api/attendance/{tenant_id}", tags=["schedules and calendar"])

Hours = str | None  # "07:30-16:00", "22:00-06:00" (crosses midnight), or null = off


class ScheduleIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    days: dict[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"], Hours] = Field(
        description='Weekday -> "HH:MM-HH:MM" or null (off); a missing weekday is off')


class ScheduleOut(BaseModel):
    id: int
    name: str
    days: dict[str, Hours]


@router.put("/schedules", response_model=ScheduleOut,
            summary="Create or replace a named week (5-day, 6-day, Ramadan...)")
async def save_schedule(tenant_id: TenantPath, body: ScheduleIn, caller: TenantHrDep,
                        uow: ScheduleUow, default_tz: DefaultTzDep) -> ScheduleOut:
    row = await uow.run(calendar.save_schedule, tenant_id, body.name,
                        {str(k): v for k, v in body.days.items()}, default_tz=default_tz)
    return ScheduleOut(id=row.id, name=row.name, days=row.days)


@router.get("/schedules", response_model=list[ScheduleOut])
async def list_schedules(tenant_id: TenantPath, caller: StaffDep,
                         session: TenantSessionDep) -> list[ScheduleOut]:
    rows = await calendar.list_schedules(session, tenant_id)
    return [ScheduleOut(id=r.id, name=r.name, days=r.days) for r in rows]


class AssignmentIn(ActingIn):
    schedule: str = Field(min_length=1, max_length=100, description="schedule name")
    scope: Literal["tenant", "unit", "employee"] = "tenant"
    scope_id: str = Field(default="", max_length=64, description="unit id or NIP")
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    priority: int = Field(default=0, ge=0, le=100,
                          description="higher wins within one scope (e.g. Ramadan = 10)")


class AssignmentOut(BaseModel):
    id: int
    schedule: str
    scope: str
    scope_id: str
    valid_from: dt.date | None
    valid_to: dt.date | None
    priority: int
    created_by: str


@router.post("/schedule-assignments", status_code=201, response_model=AssignmentOut,
             summary="Put a schedule in force for the tenant, a unit or an employee")
async def assign(tenant_id: TenantPath, body: AssignmentIn, caller: TenantHrDep, uow: AssignmentUow,
                 default_tz: DefaultTzDep) -> AssignmentOut:
    a = await uow.run(calendar.assign_schedule, tenant_id, body.schedule, body.scope,
                      body.scope_id, body.valid_from, body.valid_to, body.priority,
                      acting(caller), default_tz=default_tz)
    return AssignmentOut(id=a.id, schedule=body.schedule, scope=a.scope, scope_id=a.scope_id,
                         valid_from=a.valid_from, valid_to=a.valid_to, priority=a.priority,
                         created_by=a.created_by)


@router.get("/schedule-assignments", response_model=list[AssignmentOut])
async def list_assignments(tenant_id: TenantPath, caller: ReaderDep,
                           session: TenantSessionDep) -> list[AssignmentOut]:
    rows = await calendar.list_assignments(session, tenant_id)
    return [AssignmentOut(id=a.id, schedule=name, scope=a.scope, scope_id=a.scope_id,
                          valid_from=a.valid_from, valid_to=a.valid_to, priority=a.priority,
                          created_by=a.created_by) for a, name in rows]


class HolidayIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    kind: Literal["national", "cuti_bersama", "local"] = "national"


class HolidayOut(HolidayIn):
    date: dt.date


@router.put("/holidays/{day}", response_model=HolidayOut,
            summary="Declare a national holiday, cuti bersama or local holiday")
async def set_holiday(tenant_id: TenantPath, day: DayPath, body: HolidayIn,
                      caller: TenantHrDep, uow: HolidaySetUow,
                      default_tz: DefaultTzDep) -> HolidayOut:
    h = await uow.run(calendar.set_holiday, tenant_id, day, body.name, body.kind,
                      default_tz=default_tz)
    return HolidayOut(date=h.date, name=h.name, kind=h.kind)


@router.delete("/holidays/{day}", status_code=204)
async def remove_holiday(tenant_id: TenantPath, day: DayPath, caller: TenantHrDep,
                         uow: HolidayRemoveUow, default_tz: DefaultTzDep) -> None:
    await uow.run(calendar.remove_holiday, tenant_id, day, default_tz=default_tz)


@router.get("/holidays", response_model=list[HolidayOut])
async def list_holidays(tenant_id: TenantPath, caller: StaffDep, session: TenantSessionDep,
                        year: Annotated[int | None, Query(ge=2000, le=2100)] = None
                        ) -> list[HolidayOut]:
    rows = await calendar.list_holidays(session, tenant_id, year)
    return [HolidayOut(date=h.date, name=h.name, kind=h.kind) for h in rows]


class ShiftsIn(BaseModel):
    nip: str = Field(min_length=1, max_length=32)
    shifts: dict[dt.date, Hours] = Field(
        min_length=1, max_length=62,
        description='date -> "HH:MM-HH:MM" (e.g. "22:00-06:00" crosses midnight) or null = off')


class ShiftOut(BaseModel):
    nip: str
    work_date: dt.date
    hours: Hours


@router.put("/shifts", response_model=list[ShiftOut],
            summary="Roster an employee's shifts (24-hour units)")
async def set_shifts(tenant_id: TenantPath, body: ShiftsIn, caller: TenantHrDep, uow: ShiftsUow,
                     default_tz: DefaultTzDep) -> list[ShiftOut]:
    rows = await uow.run(calendar.set_shifts, tenant_id, body.nip, body.shifts,
                         default_tz=default_tz)
    return [ShiftOut(nip=r.nip, work_date=r.work_date, hours=r.hours) for r in rows]


@router.get("/shifts", response_model=list[ShiftOut])
async def list_shifts(tenant_id: TenantPath, period: PeriodQuery, listing: ListingDep,
                      session: TenantSessionDep) -> list[ShiftOut]:
    """One employee's shifts (``?nip=``) or the roster of those the caller may see."""
    rows = await calendar.list_shifts(session, tenant_id, listing.nip, period, listing.among)
    return [ShiftOut(nip=r.nip, work_date=r.work_date, hours=r.hours) for r in rows]


class RulesIn(ActingIn):
    preset: str | None = Field(default=None, description=f"one of {sorted(RULE_PRESETS)}")
    rules: dict[str, Any] | None = Field(
        default=None, description="own rules: tl, psw (brackets), tk_pct, ... as GET returns")


class RulesOut(BaseModel):
    source: str
    rules: dict[str, Any]


@router.get("/rules", response_model=RulesOut, summary="The tenant's discipline rules")
async def get_rules(tenant_id: TenantPath, caller: StaffDep, session: TenantSessionDep) -> RulesOut:
    rules, source = await tenant_rules(session, tenant_id)
    return RulesOut(source=source, rules=rules.to_dict())


@router.put("/rules", response_model=RulesOut,
            summary="Give the tenant a preset's rules or its own brackets and percentages")
async def put_rules(tenant_id: TenantPath, body: RulesIn, caller: TenantHrDep, uow: RulesUow,
                    default_tz: DefaultTzDep) -> RulesOut:
    rules = await uow.run(calendar.set_rules, tenant_id, preset=body.preset, rules=body.rules,
                          updated_by=acting(caller), default_tz=default_tz)
    return RulesOut(source="custom", rules=rules.to_dict())


@router.get("/rule-presets", response_model=list[dict[str, Any]])
async def rule_presets(tenant_id: TenantPath, caller: StaffDep) -> list[dict[str, Any]]:
    return [r.to_dict() for r in RULE_PRESETS.values()]


class EffectiveDaysOut(BaseModel):
    period: str
    nip: str | None
    effective_days: Decimal
    working_dates: list[dt.date]
    holidays: dict[dt.date, str]


@router.get("/calendar", response_model=EffectiveDaysOut,
            summary="Working dates of a month (tenant default, or one employee's)")
async def month_calendar(tenant_id: TenantPath, period: PeriodQuery, caller: StaffDep,
                         session: TenantSessionDep, default_tz: DefaultTzDep,
                         nip: str | None = None) -> EffectiveDaysOut:
    if nip:  # one employee's own working dates
        await require_team_view(session, caller, tenant_id, nip, default_tz=default_tz)
    days = month_dates(period)
    ctx = await load_context(session, tenant_id, default_tz, nips=[nip] if nip else [],
                             span=(days[0], days[-1]))
    dates = ctx.calendar.working_dates(period, nip)
    return EffectiveDaysOut(period=period, nip=nip, effective_days=Decimal(len(dates)),
                            working_dates=dates,
                            holidays={d: n for d, n in ctx.calendar.holidays.items()
                                      if days[0] <= d <= days[-1]})


class ApelIn(ActingIn):
    window_start: dt.time
    window_end: dt.time
    weekdays: list[int] = Field(min_length=1, max_length=7,
                                description="0 = Monday ... 6 = Sunday, e.g. [0] for the "
                                            "Monday ceremony")
    device_serials: list[str] = Field(default_factory=list, max_length=200,
                                      description="designated devices; empty = any device")


class ApelOut(BaseModel):
    window_start: dt.time
    window_end: dt.time
    weekdays: list[int]
    device_serials: list[str] | None = Field(
        description="designated devices (empty = any device); null = not shown (HR only)")


@router.put("/apel", response_model=ApelOut,
            summary="Define the apel/ceremony window, weekdays and designated devices")
async def put_apel(tenant_id: TenantPath, body: ApelIn, caller: TenantHrDep, uow: ApelUow,
                   default_tz: DefaultTzDep) -> ApelOut:
    row = await uow.run(calendar.set_apel, tenant_id, start=body.window_start,
                        end=body.window_end, weekdays=body.weekdays,
                        devices=body.device_serials, updated_by=acting(caller),
                        default_tz=default_tz)
    return ApelOut(window_start=row.window_start, window_end=row.window_end,
                   weekdays=row.weekdays, device_serials=row.device_serials)


@router.get("/apel", response_model=ApelOut)
async def get_apel(tenant_id: TenantPath, caller: StaffDep,
                   session: TenantSessionDep) -> ApelOut:
    row = await calendar.get_apel(session, tenant_id)
    return ApelOut(window_start=row.window_start, window_end=row.window_end,
                   weekdays=row.weekdays,
                   device_serials=row.device_serials if caller.has(Role.HR) else None)
