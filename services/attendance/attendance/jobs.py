"""Background jobs of the attendance service (run inside the app's lifespan)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from ekinerja_shared.service import Runtime
from ekinerja_shared.timeutil import utcnow

from .metrics import AttendanceMetrics
from .service_layer import services

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
