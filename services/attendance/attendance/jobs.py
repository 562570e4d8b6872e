"""Background jobs of the attendance service (run inside the app's lifespan)."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ekinerja_shared.service import Runtime
from ekinerja_shared.timeutil import period_of, utcnow

from .metrics import AttendanceMetrics
from .adapters.orm import Tenant
from .service_layer import calendar, days, services
from .service_layer.context import load_context

log = logging.getLogger(__name__)


async def refresh_device_status(rt: Runtime) -> None:
    """Set the online/offline gauges from each device's last-seen time."""
    metrics: AttendanceMetrics = rt.extras["metrics"]
    offline_after: float = rt.settings.device_offline_after_s  # type: ignore[attr-defined]
    async with rt.sessionmaker() as session:
        statuses = await services.device_status_counts(session, utcnow(), offline_after)
    online = sum(1 for _, up in statuses if up)
    metrics.devices_online.set(online)
    metrics.devices_offline.set(len(statuses) - online)
    for device, up in statuses:
        metrics.device_online.labels(device.tenant_id, device.serial_number).set(1 if up else 0)


async def close_due_days(rt: Runtime) -> None:
    """Close every tenant's days whose windows have ended (TK for the absent)."""
    tz: str = rt.settings.default_timezone  # type: ignore[attr-defined]
    after = dt.timedelta(seconds=rt.settings.day_close_after_s)  # type: ignore[attr-defined]
    now = utcnow()
    async with rt.sessionmaker() as session:
        tenant_ids = list((await session.scalars(select(Tenant.tenant_id))).all())
    for tenant_id in tenant_ids:
        async with rt.sessionmaker() as session:
            due = await days.dates_to_close(session, tenant_id, default_tz=tz, close_after=after,
                                            now=now)
        for work_date in due:
            async def work(session: AsyncSession, d: dt.date = work_date) -> days.CloseResult:
                return await days.close_day(session, tenant_id, d, default_tz=tz,
                                            close_after=after, now=now)

            result = await services.run_in_transaction(rt.sessionmaker, work)
            log.info("closed %s %s: %d employees, %d verdicts changed", tenant_id, work_date,
                     result.employees, result.changed)


async def publish_new_months(rt: Runtime) -> None:
    """Each tenant's current and next month get their effective working days once."""
    tz: str = rt.settings.default_timezone  # type: ignore[attr-defined]
    now = utcnow()
    async with rt.sessionmaker() as session:
        tenant_ids = list((await session.scalars(select(Tenant.tenant_id))).all())
    for tenant_id in tenant_ids:
        async def work(session: AsyncSession, t: str = tenant_id) -> list[str]:
            ctx = await load_context(session, t, tz, nips=[], span=None)
            today = ctx.today(now)
            nxt = (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
            return await calendar.ensure_months_published(
                session, t, [period_of(today), period_of(nxt)], default_tz=tz, now=now)

        published = await services.run_in_transaction(rt.sessionmaker, work)
        if published:
            log.info("effective days of %s published for %s", tenant_id, published)


def periodic(rt: Runtime, name: str, job: Callable[[Runtime], Awaitable[object]],
             interval_s: float) -> Callable[[], Awaitable[None]]:
    """A lifespan background task running ``job`` every ``interval_s`` seconds."""

    async def loop() -> None:
        while True:
            try:
                await job(rt)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - a failed pass is retried next interval
                log.exception("background job %s failed", name)
            await asyncio.sleep(interval_s)

    loop.__name__ = name
    return loop
