"""HTTP API for an employee's days: punches and day records of a month, leave and permits,
HR corrections (with their audit trail), closing a day, the regency's month summary and what
a month still has open.

Who: an employee's punches, days and corrections are read by the employee, their direct
supervisor (the directory copy), HR and leadership (``EmployeeViewerDep``); the leave list
is filtered to what the caller may see (``ListingDep``); leave, corrections and closing a
day are HR's (``TenantHrDep``), recorded in the caller's name; so is the month's open
items (the month check before a close); the month summary of the whole regency is
HR's and leadership's (``ReaderDep``)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import AwareDatetime, BaseModel, Field

from ekinerja_shared.http import (
    NipPath,
    OptionalPeriodQuery,
    PeriodPath,
    PeriodQuery,
    ReaderDep,
    TenantHrDep,
    TenantPath,
    TenantSessionDep,
)

from ..adapters.orm import Correction, DayRecord, Leave
from ..domain.leave import LEAVE_KINDS
from ..domain.discipline import Discipline
from ..domain.employment import SKIP_REASONS
from ..service_layer import days, month_open, summary
from .audited import CloseDayUow, CloseRangeUow, CorrectionUow, LeaveAddUow, LeaveCancelUow
from .deps import (
    ActingIn,
    DefaultTzDep,
    EmployeeViewerDep,
    ListingDep,
    RuntimeDep,
    acting,
)

router = APIRouter(prefix="/api/attendance/{tenant_id}", tags=["days, leave, corrections"])


class PunchOut(BaseModel):
    punched_at: dt.datetime
    local_time: dt.datetime = Field(description="device wall clock as sent")
    device_sn: str
    pin: str
    status_code: int
    verify_type: int
    received_at: dt.datetime


@router.get("/employees/{nip}/punches", response_model=list[PunchOut],
            summary="Raw punches of an employee in a month (tenant-local times)")
async def month_punches(tenant_id: TenantPath, nip: NipPath, period: PeriodQuery,
                        caller: EmployeeViewerDep, session: TenantSessionDep,
                        default_tz: DefaultTzDep) -> list[PunchOut]:
    ctx, rows = await days.month_punches(session, tenant_id, nip, period, default_tz=default_tz)
    return [PunchOut(punched_at=p.punched_at.astimezone(ctx.tz), local_time=p.local_time,
                     device_sn=p.device_sn, pin=p.pin, status_code=p.status_code,
                     verify_type=p.verify_type, received_at=p.received_at) for p in rows]


class DayOut(BaseModel):
    work_date: dt.date
    revision: int
    is_working_day: bool
    status: str
    arrival: dt.datetime | None
    departure: dt.datetime | None
    late_minutes: int
    early_minutes: int
    tl_code: str | None
    psw_code: str | None
    absence_code: str | None
    apel_attended: bool | None
    deduction_pct: Decimal
    evaluated_at: dt.datetime

    @classmethod
    def of(cls, r: DayRecord) -> "DayOut":
        return cls(work_date=r.work_date, revision=r.revision, is_working_day=r.is_working_day,
                   status=r.status, arrival=r.arrival, departure=r.departure,
                   late_minutes=r.late_minutes, early_minutes=r.early_minutes,
                   tl_code=r.tl_code, psw_code=r.psw_code, absence_code=r.absence_code,
                   apel_attended=r.apel_attended, deduction_pct=r.deduction_pct,
                   evaluated_at=r.evaluated_at)


class MonthOut(BaseModel):
    nip: str
    period: str
    days: list[DayOut]
    total_deduction_pct: Decimal = Field(description="sum of the days, capped at 100")


@router.get("/employees/{nip}/days", response_model=MonthOut,
            summary="Day records (verdicts) of an employee in a month")
async def month_days(tenant_id: TenantPath, nip: NipPath, period: PeriodQuery,
                     caller: EmployeeViewerDep, session: TenantSessionDep) -> MonthOut:
    rows = await days.month_days(session, tenant_id, nip, period)
    total = min(sum((Decimal(r.deduction_pct) for r in rows), Decimal(0)), Decimal(100))
    return MonthOut(nip=nip, period=period, days=[DayOut.of(r) for r in rows],
                    total_deduction_pct=total)


class LeaveIn(ActingIn):
    nip: str = Field(min_length=1, max_length=32)
    kind: str = Field(description=", ".join(f"{k} = {v}" for k, v in LEAVE_KINDS.items()))
    start_date: dt.date
    end_date: dt.date
    note: str = Field(default="", max_length=2000)


class LeaveOut(BaseModel):
    id: int
    nip: str
    kind: str
    kind_name: str
    start_date: dt.date
    end_date: dt.date
    note: str
    entered_by: str
    created_at: dt.datetime
    cancelled_at: dt.datetime | None
    cancelled_by: str | None

    @classmethod
    def of(cls, x: Leave) -> "LeaveOut":
        return cls(id=x.id, nip=x.nip, kind=x.kind, kind_name=LEAVE_KINDS.get(x.kind, x.kind),
                   start_date=x.start_date, end_date=x.end_date, note=x.note,
                   entered_by=x.entered_by, created_at=x.created_at,
                   cancelled_at=x.cancelled_at, cancelled_by=x.cancelled_by)


@router.post("/leaves", status_code=201, response_model=LeaveOut,
             summary="Enter leave or a permit; the days it covers are re-evaluated")
async def add_leave(tenant_id: TenantPath, body: LeaveIn, caller: TenantHrDep, uow: LeaveAddUow,
                    default_tz: DefaultTzDep) -> LeaveOut:
    return LeaveOut.of(await uow.run(days.add_leave, tenant_id, body.nip, body.kind,
                                     body.start_date, body.end_date, body.note, acting(caller),
                                     default_tz=default_tz))


@router.post("/leaves/{leave_id}/cancel", response_model=LeaveOut)
async def cancel_leave(tenant_id: TenantPath, leave_id: int, caller: TenantHrDep,
                       uow: LeaveCancelUow, default_tz: DefaultTzDep) -> LeaveOut:
    """Cancel leave in the caller's name (the row is kept)."""
    return LeaveOut.of(await uow.run(days.cancel_leave, tenant_id, leave_id, acting(caller),
                                     default_tz=default_tz))


@router.get("/leaves", response_model=list[LeaveOut])
async def list_leaves(tenant_id: TenantPath, listing: ListingDep, session: TenantSessionDep,
                      period: OptionalPeriodQuery = None) -> list[LeaveOut]:
    """One employee's leave (``?nip=``) or the leave of those the caller may see."""
    rows = await days.list_leaves(session, tenant_id, listing.nip, period, listing.among)
    return [LeaveOut.of(x) for x in rows]


class CorrectionIn(ActingIn):
    arrival: dt.datetime | None = Field(default=None, description="naive = tenant local time")
    departure: dt.datetime | None = None
    reason: str = Field(min_length=1, max_length=2000)


class CorrectionOut(BaseModel):
    id: int
    work_date: dt.date
    arrival: dt.datetime | None
    departure: dt.datetime | None
    reason: str
    corrected_by: str
    created_at: dt.datetime

    @classmethod
    def of(cls, c: Correction) -> "CorrectionOut":
        return cls(id=c.id, work_date=c.work_date, arrival=c.arrival, departure=c.departure,
                   reason=c.reason, corrected_by=c.corrected_by, created_at=c.created_at)


class CorrectedDayOut(BaseModel):
    correction: CorrectionOut
    day: DayOut | None = Field(description="the new revision, or null if the verdict is "
                                           "unchanged")


@router.post("/employees/{nip}/days/{work_date}/corrections", status_code=201,
             response_model=CorrectedDayOut,
             summary="Correct a day's arrival/departure (who, when, why); punches stay as sent")
async def correct_day(tenant_id: TenantPath, nip: NipPath, work_date: dt.date,
                      body: CorrectionIn, caller: TenantHrDep, uow: CorrectionUow,
                      default_tz: DefaultTzDep) -> CorrectedDayOut:
    correction, record = await uow.run(days.correct_day, tenant_id, nip, work_date,
                                       arrival=body.arrival, departure=body.departure,
                                       reason=body.reason, corrected_by=acting(caller),
                                       default_tz=default_tz)
    return CorrectedDayOut(correction=CorrectionOut.of(correction),
                           day=DayOut.of(record) if record else None)


@router.get("/employees/{nip}/corrections", response_model=list[CorrectionOut],
            summary="The audit trail of an employee's corrections")
async def list_corrections(tenant_id: TenantPath, nip: NipPath, caller: EmployeeViewerDep,
                           session: TenantSessionDep,
                           work_date: dt.date | None = None) -> list[CorrectionOut]:
    rows = await days.list_corrections(session, tenant_id, nip, work_date)
    return [CorrectionOut.of(c) for c in rows]


class CloseIn(BaseModel):
    work_date: dt.date


class SkippedOut(BaseModel):
    reason: str = Field(description="not_yet_employed (before the TMT), ended (after the "
                                    "last day of duty), inactive (deactivated without a date)")
    employees: int
    detail: str = Field(description="the reason for staff")


class CloseOut(BaseModel):
    work_date: dt.date
    employees: int = Field(description="employees on duty that day, evaluated")
    changed: int = Field(description="verdicts that changed (each a new revision)")
    tk: int = Field(default=0, description="of the evaluated, absent without notice (TK)")
    closed: bool = Field(default=True, description="false: the day's hours are not over")
    day_kind: str = Field(default="work", description="the regency calendar's day: work, "
                                                      "off or holiday")
    note: str | None = Field(default=None, description="why no TK (holiday, off day) or why "
                                                       "the day was not closed")
    skipped: list[SkippedOut] = Field(default_factory=list,
                                      description="employees not evaluated, by reason")

    @classmethod
    def of(cls, r: days.CloseResult) -> "CloseOut":
        return cls(work_date=r.work_date, employees=r.employees, changed=r.changed, tk=r.tk,
                   closed=r.closed, day_kind=r.day_kind, note=r.note,
                   skipped=[SkippedOut(reason=k, employees=n, detail=SKIP_REASONS[k])
                            for k, n in sorted(r.skipped.items())])


@router.post("/days/close", response_model=CloseOut,
             summary="Close a day: the scheduled who did not punch and are not on leave get TK")
async def close_day(tenant_id: TenantPath, body: CloseIn, caller: TenantHrDep, uow: CloseDayUow,
                    rt: RuntimeDep) -> CloseOut:
    r = await uow.run(days.close_day, tenant_id, body.work_date,
                      default_tz=rt.settings.default_timezone, close_after=rt.close_after)
    return CloseOut.of(r)


class CloseRangeIn(BaseModel):
    start: dt.date
    end: dt.date = Field(description=f"inclusive; at most {days.MAX_CLOSE_RANGE} days")


class CloseRangeOut(BaseModel):
    start: dt.date
    end: dt.date
    employees: int = Field(description="employee-days evaluated")
    tk: int = Field(description="employee-days absent without notice (TK)")
    changed: int
    days: list[CloseOut]


@router.post("/days/close-range", response_model=CloseRangeOut,
             summary="Close or re-close a range of days (a month back-filled after the fact): "
                     "per day, who was evaluated, how many became TK, who was skipped and why")
async def close_range(tenant_id: TenantPath, body: CloseRangeIn, caller: TenantHrDep,
                      uow: CloseRangeUow, rt: RuntimeDep) -> CloseRangeOut:
    out = [CloseOut.of(r) for r in await uow.run(
        days.close_range, tenant_id, body.start, body.end,
        default_tz=rt.settings.default_timezone, close_after=rt.close_after)]
    return CloseRangeOut(start=body.start, end=body.end,
                         employees=sum(d.employees for d in out), tk=sum(d.tk for d in out),
                         changed=sum(d.changed for d in out), days=out)


class DisciplineOut(BaseModel):
    tl: int = Field(description="working days with a late arrival (TL)")
    psw: int = Field(description="working days with an early departure (PSW)")
    tk: int = Field(description="working days absent without leave (TK)")
    codes: dict[str, int] = Field(description="days per code: TL1..TL4, PSW1..PSW4, TK")
    working_days: int = Field(description="working-day records evaluated")

    @classmethod
    def of(cls, d: Discipline) -> "DisciplineOut":
        return cls(tl=d.tl, psw=d.psw, tk=d.tk, codes=dict(sorted(d.codes.items())),
                   working_days=d.working_days)


class UnitDisciplineOut(DisciplineOut):
    unit_id: str


class MonthSummaryOut(BaseModel):
    period: str
    total: DisciplineOut
    units: list[UnitDisciplineOut] = Field(description="per OPD (unit_id of the directory)")


@router.get("/month-summary", response_model=MonthSummaryOut,
            summary="The regency's discipline of a month: TL/PSW/TK days per code and per OPD")
async def month_summary(tenant_id: TenantPath, period: PeriodQuery, caller: ReaderDep,
                        session: TenantSessionDep) -> MonthSummaryOut:
    month = await summary.month_summary(session, tenant_id, period)
    return MonthSummaryOut(period=period, total=DisciplineOut.of(month.total),
                           units=[UnitDisciplineOut(unit_id=u, **DisciplineOut.of(d).model_dump())
                                  for u, d in month.units.items()])


class SilentDeviceOut(BaseModel):
    serial_number: str
    location: str
    registered_at: dt.datetime
    last_seen_at: dt.datetime | None
    last_upload_at: dt.datetime | None = Field(description="The last punch received from it")


class MonthOpenOut(BaseModel):
    """What the attendance service still has open in a month (before it is closed)."""

    tenant_id: str
    period: str
    timezone: str
    today: dt.date = Field(description="The regency's date now: days before it are over")
    working_days: int = Field(description="Working days of the regency's calendar")
    unclosed_days: list[dt.date] = Field(description="Working days before today not closed "
                                                     "(no TK yet for those who never came)")
    uploads_from: dt.datetime
    uploads_until: dt.datetime
    devices: int = Field(description="Devices registered to the regency")
    silent_devices: list[SilentDeviceOut] = Field(
        description="Registered before `uploads_until`, no punch in the window")


@router.get("/periods/{period}/open-items", response_model=MonthOpenOut,
            summary="Working days not yet closed and devices that have not uploaded (HR, "
                    "before the month is closed)")
async def month_open_items(
    tenant_id: TenantPath, period: PeriodPath, caller: TenantHrDep, session: TenantSessionDep,
    default_tz: DefaultTzDep,
    silent_since: Annotated[AwareDatetime | None, Query(
        description="A device is silent when it sent no punch since this instant "
                    "(default: no punch of the month)")] = None,
) -> MonthOpenOut:
    m = await month_open.month_open(session, tenant_id, period, default_tz=default_tz,
                                    since=silent_since)
    return MonthOpenOut(
        tenant_id=tenant_id, period=period, timezone=m.timezone, today=m.today,
        working_days=m.working_days, unclosed_days=m.unclosed_days,
        uploads_from=m.window[0], uploads_until=m.window[1], devices=m.devices,
        silent_devices=[SilentDeviceOut(serial_number=d.serial_number, location=d.location,
                                        registered_at=d.registered_at,
                                        last_seen_at=d.last_seen_at,
                                        last_upload_at=d.last_upload_at) for d in m.silent])
