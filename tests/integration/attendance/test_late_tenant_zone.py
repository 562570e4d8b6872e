"""Punches pushed before the tenant's zone is known are read in the default zone; when the
directory tells the zone, they are re-read from their wall-clock time and the day is
re-evaluated as a new revision (real PostgreSQL and Kafka)."""

from __future__ import annotations

import datetime as dt

import pytest

from attendance.app import create_app
from attendance.settings import Settings
from ekinerja_shared import events as ev
from ekinerja_shared.topics import ATTENDANCE_DAY_BATCHES
from tests.support.apps import EventProbe, publish, running_app
from tests.support.infra import unique
from tests.support.tokens import as_hr

from .conftest import employee, roster_copied, tenant
from .simulator import ZKDeviceSimulator

pytestmark = pytest.mark.integration

NIP = "197707072005071007"
WIB = dt.timezone(dt.timedelta(hours=7))
WITA = dt.timezone(dt.timedelta(hours=8))


async def test_zone_learnt_after_the_punches(settings: Settings, kafka_bootstrap: str,
                                             tenant_id: str) -> None:
    await publish(kafka_bootstrap, employee(tenant_id, NIP, "44"))
    app = create_app(settings)  # default zone: Asia/Jakarta (WIB)
    rt = app.state.runtime
    serial = unique("ZK").upper()
    async with running_app(app) as client, EventProbe(
            kafka_bootstrap, ATTENDANCE_DAY_BATCHES.name, tenant_id) as days:
        client.headers.update(as_hr(tenant_id))
        await roster_copied(rt, tenant_id, NIP)
        r = await client.post(f"/api/attendance/{tenant_id}/devices",
                              json={"serial_number": serial})
        assert r.status_code == 201
        device = ZKDeviceSimulator(client, serial)
        device.punch("44", dt.datetime(2026, 11, 11, 7, 45))
        device.punch("44", dt.datetime(2026, 11, 11, 16, 5))
        assert await device.upload()
        first = await days.wait_for(lambda e: isinstance(e, ev.AttendanceDayEvaluated)
                                    and e.departure is not None)
        assert first.arrival == dt.datetime(2026, 11, 11, 7, 45, tzinfo=WIB)  # type: ignore[attr-defined]

        await publish(kafka_bootstrap, tenant(tenant_id, "Asia/Makassar"))
        second = await days.wait_for(lambda e: isinstance(e, ev.AttendanceDayEvaluated)
                                     and e.revision == first.revision + 1)  # type: ignore[attr-defined]
        assert second.work_date == dt.date(2026, 11, 11)  # type: ignore[attr-defined]
        assert second.arrival == dt.datetime(2026, 11, 11, 7, 45, tzinfo=WITA)  # type: ignore[attr-defined]
        assert second.departure == dt.datetime(2026, 11, 11, 16, 5, tzinfo=WITA)  # type: ignore[attr-defined]
        assert (second.late_minutes, second.tl_code) == (15, "TL1")  # type: ignore[attr-defined]
        punches = (await client.get(f"/api/attendance/{tenant_id}/employees/{NIP}/punches",
                                    params={"period": "2026-11"})).json()
        assert [p["punched_at"] for p in punches] == ["2026-11-11T07:45:00+08:00",
                                                      "2026-11-11T16:05:00+08:00"]
