"""Kafka subscribers of the attendance service (thin: hand the records to the service layer)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from ekinerja_shared import acting_copy
from ekinerja_shared import events as ev
from ekinerja_shared.applying import in_order
from ekinerja_shared.timeutil import utcnow
from ekinerja_shared.topics import (
    ACTIVITY_ACTING,
    ATTENDANCE_PUNCH_BATCHES,
    ATTENDANCE_PUNCHES,
    DIRECTORY,
)

from ..adapters.orm import ActingAssignment
from ..runtime import AttendanceRuntime
from ..service_layer import directory, evaluation


def register(rt: AttendanceRuntime) -> None:
    default_tz = rt.settings.default_timezone

    async def apply_directory(session: AsyncSession, events: list[ev.Event]) -> None:
        await directory.apply_directory_batch(session, events, default_tz=default_tz)

    # batches: a new deployment catches up with the whole roster in few transactions
    # (consumer group and inbox name: attendance-directory)
    rt.subscribe_batch(DIRECTORY, "directory", apply_directory,
                       (ev.TenantUpserted, ev.EmployeeUpserted),
                       description="Keeps the local copy of tenants, employees and device PINs",
                       custom_plans=True)  # a roster's batches of 1,000 (uow.py)
    # acting assignments (Plt/Plh) of the activity service: who supervises a team on a day
    # (consumer group and inbox name: attendance-acting)
    rt.subscribe_batch(ACTIVITY_ACTING, "acting", in_order(acting_copy.applier(ActingAssignment)),
                       (ev.ActingAssignmentUpserted,),
                       description="Keeps the copy of the acting assignments (Plt/Plh)")

    async def evaluate_days(session: AsyncSession, events: list[ev.Event]) -> None:
        await evaluation.evaluate_punched_days(session, events, default_tz=default_tz,
                                               now=utcnow())

    # the service's own punches: one event per upload and lane of employees (a lane is a
    # partition: one employee's punches stay in order on one partition); the days of a
    # batch are evaluated together, off the devices' path (consumer group and inbox name:
    # attendance-evaluation-v2)
    rt.subscribe_batch(ATTENDANCE_PUNCH_BATCHES, "evaluation-v2", evaluate_days,
                       (ev.PunchesRecorded,),
                       description="Evaluates the employee-days that new punches touch "
                                   "(day records and their attendance.day.evaluated events)")
    # v1, one event per punch, no longer written: what an earlier version left is still
    # evaluated (consumer group and inbox name: attendance-evaluation, as before)
    rt.subscribe_batch(ATTENDANCE_PUNCHES, "evaluation", evaluate_days, (ev.PunchRecorded,),
                       description="Evaluates the employee-days of the v1 punches an "
                                   "earlier version published (one event per punch)")
