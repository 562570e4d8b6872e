"""Background jobs of the attendance service: each runs every ``EK_HOUSEKEEPING_INTERVAL_S``
inside the app's lifespan (``periodic_jobs``); tests call the functions directly. Each
lists its regencies in one named cross-tenant read, then works bound to each regency."""

from __future__ import annotations

import logging
from functools import partial

from ekinerja_shared.jobs import PeriodicJob
from ekinerja_shared.timeutil import utcnow

from .adapters.orm import Device
from .runtime import AttendanceRuntime
from .service_layer import calendar, days, devices, directory

log = logging.getLogger(__name__)


async def refresh_device_status(rt: AttendanceRuntime) -> None:
    """Set the online/offline gauges from each device's last-seen time."""
    metrics = rt.attendance_metrics
    async with rt.uow.cross_tenant("device-status").read() as session:
        tenant_ids = await devices.device_tenant_ids(session)
    statuses: list[tuple[Device, bool]] = []
    for tenant_id in tenant_ids:
        async with rt.uow.in_tenant(tenant_id).read() as session:
            statuses += await devices.device_status_counts(session, tenant_id, utcnow(),
                                                           rt.settings.device_offline_after_s)
    online = sum(1 for _, up in statuses if up)
    metrics.devices_online.set(online)
    metrics.devices_offline.set(len(statuses) - online)
    for device, up in statuses:
        metrics.device_online.labels(device.tenant_id, device.serial_number).set(1 if up else 0)


async def directory_tenants(rt: AttendanceRuntime, job: str) -> list[str]:
    """The regencies of the directory copy: a periodic job's one cross-tenant read."""
    async with rt.uow.cross_tenant(job).read() as session:
        return await directory.tenant_ids(session)


async def close_due_days(rt: AttendanceRuntime) -> None:
    """Close every tenant's days whose windows have ended (TK for the absent)."""
    tz, after, now = rt.settings.default_timezone, rt.close_after, utcnow()
    for tenant_id in await directory_tenants(rt, "close-days"):
        uow = rt.uow.in_tenant(tenant_id)
        async with uow.read() as session:
            due = await days.dates_to_close(session, tenant_id, default_tz=tz, close_after=after,
                                            now=now)
        for work_date in due:
            result = await uow.run(days.close_day, tenant_id, work_date, default_tz=tz,
                                   close_after=after, now=now)
            log.info("closed %s %s: %d employees, %d verdicts changed", tenant_id, work_date,
                     result.employees, result.changed)


async def publish_new_months(rt: AttendanceRuntime) -> None:
    """Each tenant's current and next month get their effective working days once."""
    tz, now = rt.settings.default_timezone, utcnow()
    for tenant_id in await directory_tenants(rt, "new-months"):
        published = await rt.uow.in_tenant(tenant_id).run(
            calendar.ensure_current_months, tenant_id, default_tz=tz, now=now)
        if published:
            log.info("effective days of %s published for %s", tenant_id, published)


def periodic_jobs(rt: AttendanceRuntime) -> list[PeriodicJob]:
    interval = rt.settings.housekeeping_interval_s
    return [
        PeriodicJob("device-status", partial(refresh_device_status, rt), interval),
        PeriodicJob("close-days", partial(close_due_days, rt), interval),
        PeriodicJob("new-months", partial(publish_new_months, rt), interval),
    ]
