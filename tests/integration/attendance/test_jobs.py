"""The background jobs against the real PostgreSQL and Kafka: closing the days that have
ended since the tenant's first device (TK on working days, nothing twice) and publishing
the months that were never published."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from attendance.adapters.orm import DayClosure, DayRecord, Device, EffectiveDays
from attendance.app import create_app
from attendance.jobs import close_due_days, publish_new_months
from attendance.settings import Settings
from ekinerja_shared import events as ev
from ekinerja_shared.tenancy import bind_tenant
from ekinerja_shared.timeutil import utcnow
from ekinerja_shared.topics import ATTENDANCE_DAY_BATCHES
from tests.support.apps import EventProbe, publish, running_app
from tests.support.infra import unique
from tests.support.tokens import as_hr

from .conftest import employee, roster_copied, tenant

pytestmark = pytest.mark.integration

NIP = "196001012000011009"


async def test_close_job_and_month_publication(settings: Settings, kafka_bootstrap: str,
                                               tenant_id: str) -> None:
    since = utcnow().date() - dt.timedelta(days=30)
    await publish(kafka_bootstrap, tenant(tenant_id, "WIT"),
                  employee(tenant_id, NIP, "9", effective_from=since))
    app = create_app(settings)
    rt = app.state.runtime
    serial = unique("ZK").upper()
    async with running_app(app) as client, EventProbe(
            kafka_bootstrap, ATTENDANCE_DAY_BATCHES.name, tenant_id) as days:
        client.headers.update(as_hr(tenant_id))
        await roster_copied(rt, tenant_id, NIP)
        await close_due_days(rt)
        # no device yet: nobody could punch, no TK
        async with rt.uow.in_tenant(tenant_id).read() as s:
            assert not (await s.scalars(select(DayClosure).where(
                DayClosure.tenant_id == tenant_id))).all()

        r = await client.post(f"/api/attendance/{tenant_id}/devices",
                              json={"serial_number": serial, "timezone": "WIT"})
        assert r.status_code == 201
        # the .aspx spelling of older firmware reaches the same handshake
        r = await client.get("/iclock/cdata.aspx", params={"SN": serial, "options": "all"})
        assert r.status_code == 200 and "TimeZone=9" in r.text.splitlines()
        async with rt.sessionmaker() as s, s.begin():  # the device was installed 4 days ago
            await bind_tenant(s, tenant_id)
            await s.execute(update(Device).where(Device.serial_number == serial)
                            .values(registered_at=utcnow() - dt.timedelta(days=4)))
        await close_due_days(rt)
        await close_due_days(rt)  # nothing is closed twice
        async with rt.uow.in_tenant(tenant_id).read() as s:
            closed = sorted((await s.scalars(select(DayClosure.work_date).where(
                DayClosure.tenant_id == tenant_id))).all())
            records = {r.work_date: r for r in (await s.scalars(select(DayRecord).where(
                DayRecord.tenant_id == tenant_id, DayRecord.nip == NIP))).all()}
        assert len(closed) >= 2
        assert closed == [closed[0] + dt.timedelta(days=i) for i in range(len(closed))]
        for d in closed:
            rec = records[d]
            if d.weekday() < 5:
                assert (rec.status, rec.absence_code, rec.revision) == ("absent", "TK", 1), d
            else:
                assert (rec.status, rec.is_working_day) == ("off", False), d
        weekday = next((d for d in closed if d.weekday() < 5), None)
        if weekday is not None:
            await days.wait_for(lambda e: isinstance(e, ev.AttendanceDayEvaluated)
                                and e.work_date == weekday and e.absence_code == "TK")

        # current and next month are published once
        async with rt.sessionmaker() as s, s.begin():
            await bind_tenant(s, tenant_id)
            await s.execute(EffectiveDays.__table__.delete().where(
                EffectiveDays.tenant_id == tenant_id))
        await publish_new_months(rt)
        await publish_new_months(rt)
        async with rt.uow.in_tenant(tenant_id).read() as s:
            rows = (await s.scalars(select(EffectiveDays).where(
                EffectiveDays.tenant_id == tenant_id, EffectiveDays.nip == ""))).all()
        assert len(rows) == 2 and all(r.revision == 1 for r in rows)
