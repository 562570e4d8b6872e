"""The units of work of attendance's HR changes: each stages its audit record (caller,
source, target, what changed) in the change's own transaction (``ekinerja_shared.audit``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends

from ekinerja_shared.audit import fields
from ekinerja_shared.http import audited
from ekinerja_shared.uow import UnitOfWork


def _first_nip(rows: list[Any]) -> dict[str, Any]:
    return {"target": rows[0].nip if rows else None,
            "dates": [r.work_date for r in rows][:62]}


def _correction(result: tuple[Any, Any]) -> dict[str, Any]:
    correction, record = result
    return {"arrival": correction.arrival, "departure": correction.departure,
            "reason": correction.reason, "new_revision": record.revision if record else None}


ScheduleUow = Annotated[UnitOfWork, Depends(audited(
    "attendance.schedule.save", describe=fields("id", "days", target="name")))]
AssignmentUow = Annotated[UnitOfWork, Depends(audited(
    "attendance.schedule.assign",
    describe=fields("schedule_id", "scope", "scope_id", "valid_from", "valid_to", "priority",
                    target="id")))]
HolidaySetUow = Annotated[UnitOfWork, Depends(audited(
    "attendance.holiday.set", target="day", describe=fields("name", "kind")))]
HolidayRemoveUow = Annotated[UnitOfWork, Depends(audited("attendance.holiday.remove",
                                                         target="day"))]
ShiftsUow = Annotated[UnitOfWork, Depends(audited("attendance.shifts.set",
                                                  describe=_first_nip))]
RulesUow = Annotated[UnitOfWork, Depends(audited(
    "attendance.rules.put", describe=lambda rules: {"rules": rules.to_dict()}))]
ApelUow = Annotated[UnitOfWork, Depends(audited(
    "attendance.apel.put",
    describe=fields("window_start", "window_end", "weekdays", "device_serials")))]
LeaveAddUow = Annotated[UnitOfWork, Depends(audited(
    "attendance.leave.add",
    describe=fields("id", "kind", "start_date", "end_date", target="nip")))]
LeaveCancelUow = Annotated[UnitOfWork, Depends(audited(
    "attendance.leave.cancel", target="leave_id",
    describe=fields("nip", "kind", "start_date", "end_date")))]
CorrectionUow = Annotated[UnitOfWork, Depends(audited(
    "attendance.day.correct", target="nip", describe=_correction))]
CloseDayUow = Annotated[UnitOfWork, Depends(audited(
    "attendance.day.close", describe=fields("work_date", "employees", "changed")))]
CloseRangeUow = Annotated[UnitOfWork, Depends(audited(
    "attendance.days.close_range",
    describe=lambda days: {"dates": [d.work_date for d in days if d.closed],
                           "employees": sum(d.employees for d in days),
                           "tk": sum(d.tk for d in days),
                           "changed": sum(d.changed for d in days)}))]
DeviceUow = Annotated[UnitOfWork, Depends(audited(
    "attendance.device.register",
    describe=fields("location", "timezone", target="serial_number")))]
SyncUsersUow = Annotated[UnitOfWork, Depends(audited(
    "attendance.device.sync_users", target="serial",
    describe=lambda commands: {"commands": len(commands)}))]
PunchWindowUow = Annotated[UnitOfWork, Depends(audited(
    "attendance.punch_window.put",
    describe=lambda w: {"max_future_hours": int(w.max_future.total_seconds() // 3600),
                        "max_age_days": w.max_age.days}))]
