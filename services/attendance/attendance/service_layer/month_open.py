"""The month check's attendance part: working days not yet closed (up to the regency's
today) and devices that have not uploaded (during the month, or since a given instant)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ekinerja_shared.timeutil import utcnow

from ..adapters.orm import DayClosure, Device, Punch
from ..domain.month_open import DeviceUploads, silent_devices, unclosed_days
from ..domain.schedule import local_midnight, month_dates
from .context import load_context


@dataclass(frozen=True)
class MonthOpen:
    timezone: str
    today: dt.date
    working_days: int
    unclosed_days: list[dt.date]
    window: tuple[dt.datetime, dt.datetime]  # the uploads looked at: from, until
    devices: int
    silent: list[DeviceUploads]


async def month_open(session: AsyncSession, tenant_id: str, period: str, *, default_tz: str,
                     since: dt.datetime | None = None,
                     now: dt.datetime | None = None) -> MonthOpen:
    """``since`` None: a device is silent when no punch of the month (by its time) came from
    it; else when it sent no punch at or after ``since`` (by the time it was received)."""
    now = now or utcnow()
    ctx = await load_context(session, tenant_id, default_tz, nips=[], span=None)
    dates = month_dates(period)
    first, nxt = dates[0], dates[-1] + dt.timedelta(days=1)
    closed = set((await session.scalars(select(DayClosure.work_date).where(
        DayClosure.tenant_id == tenant_id, DayClosure.work_date >= first,
        DayClosure.work_date < nxt))).all())
    working = ctx.calendar.working_dates(period)
    today = ctx.today(now)

    start, until = ((since, now) if since is not None
                    else (local_midnight(first, ctx.tz), local_midnight(nxt, ctx.tz)))
    in_window = (Punch.received_at >= start if since is not None
                 else (Punch.punched_at >= start) & (Punch.punched_at < until))
    rows = (await session.scalars(select(Device).where(Device.tenant_id == tenant_id))).all()
    serials = [d.serial_number for d in rows]
    counts = {sn: (int(n or 0), last) for sn, n, last in (await session.execute(
        select(Punch.device_sn,
               func.sum(case((in_window, 1), else_=0)), func.max(Punch.received_at))
        .where(Punch.tenant_id == tenant_id, Punch.device_sn.in_(serials))
        .group_by(Punch.device_sn))).all()} if serials else {}
    uploads = [DeviceUploads(d.serial_number, d.location, d.registered_at, d.last_seen_at,
                             counts.get(d.serial_number, (0, None))[1],
                             counts.get(d.serial_number, (0, None))[0]) for d in rows]
    return MonthOpen(ctx.tz_name, today, len(working), unclosed_days(working, closed, today),
                     (start, until), len(rows), silent_devices(uploads, until))
