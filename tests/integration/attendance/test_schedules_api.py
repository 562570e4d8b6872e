"""Schedules through the HTTP API on the real PostgreSQL and Kafka: a unit's 6-day week
(its staff get their own effective days), a Ramadan range for the tenant, holidays set and
removed."""

from __future__ import annotations

import datetime as dt

import pytest

from attendance.app import create_app
from attendance.settings import Settings
from ekinerja_shared import events as ev
from ekinerja_shared.topics import ATTENDANCE_CALENDAR, ATTENDANCE_DAY_BATCHES
from tests.support.apps import EventProbe, publish, running_app
from tests.support.infra import unique
from tests.support.tokens import as_hr

from .conftest import employee, roster_copied, tenant
from .simulator import ZKDeviceSimulator

pytestmark = pytest.mark.integration

P, Q = "198801012010011111", "198802022010022222"  # P: puskesmas (6 days), Q: dinas
SIX_DAYS = {"mon": "07:30-14:30", "tue": "07:30-14:30", "wed": "07:30-14:30",
            "thu": "07:30-14:30", "fri": "07:30-11:30", "sat": "07:30-13:00"}
RAMADAN = {"mon": "08:00-15:00", "tue": "08:00-15:00", "wed": "08:00-15:00",
           "thu": "08:00-15:00", "fri": "08:00-15:30"}


async def test_unit_week_ramadan_and_holidays(settings: Settings, kafka_bootstrap: str,
                                              tenant_id: str) -> None:
    await publish(kafka_bootstrap, tenant(tenant_id, "WIB"),
                  employee(tenant_id, P, "31", unit_id="puskesmas",
                           effective_from=dt.date(2026, 11, 1)),
                  employee(tenant_id, Q, "32", unit_id="dinas",
                           effective_from=dt.date(2026, 11, 1)))
    app = create_app(settings)
    rt = app.state.runtime
    api = f"/api/attendance/{tenant_id}"
    serial = unique("ZK").upper()
    async with (
        running_app(app) as client,
        EventProbe(kafka_bootstrap, ATTENDANCE_DAY_BATCHES.name, tenant_id) as days,
        EventProbe(kafka_bootstrap, ATTENDANCE_CALENDAR.name, tenant_id) as cal,
    ):
        client.headers.update(as_hr(tenant_id))
        await roster_copied(rt, tenant_id, P, Q)
        r = await client.put(f"{api}/schedules", json={"name": "6 hari", "days": SIX_DAYS})
        assert r.status_code == 200, r.text
        r = await client.put(f"{api}/schedules", json={"name": "x", "days": {"mon": "7-16"}})
        assert r.status_code == 422 and r.json()["code"] == "bad_hours"
        r = await client.post(f"{api}/schedule-assignments", json={
            "schedule": "6 hari", "scope": "unit", "scope_id": "puskesmas",
            "valid_from": "2026-11-01"})
        assert r.status_code == 201, r.text
        own = await cal.wait_for(lambda e: isinstance(e, ev.EffectiveDaysPublished)
                                 and e.nip == P and e.period == "2026-11")
        assert own.effective_days == 25 and own.unit_id == "puskesmas"  # type: ignore[attr-defined]
        assert dt.date(2026, 11, 14) in own.working_dates  # type: ignore[attr-defined]
        assert (await client.get(f"{api}/calendar", params={"period": "2026-11", "nip": Q})
                ).json()["effective_days"] == "21"

        r = await client.put(f"{api}/schedules", json={"name": "Ramadan", "days": RAMADAN})
        assert r.status_code == 200
        r = await client.post(f"{api}/schedule-assignments", json={
            "schedule": "Ramadan", "valid_from": "2026-11-09", "valid_to": "2026-11-13",
            "priority": 10})
        assert r.status_code == 201, r.text
        listed = (await client.get(f"{api}/schedule-assignments")).json()
        assert [a["schedule"] for a in listed] == ["6 hari", "Ramadan"]

        r = await client.post(f"{api}/devices", json={"serial_number": serial})
        assert r.status_code == 201
        device = ZKDeviceSimulator(client, serial)
        device.punch("32", dt.datetime(2026, 11, 10, 8, 10))  # Ramadan week: 10 min late
        device.punch("32", dt.datetime(2026, 11, 10, 15, 0))
        device.punch("31", dt.datetime(2026, 11, 10, 7, 40))  # the unit's own week
        device.punch("31", dt.datetime(2026, 11, 10, 14, 30))
        device.punch("31", dt.datetime(2026, 11, 14, 7, 29))  # Saturday is a working day
        device.punch("31", dt.datetime(2026, 11, 14, 13, 1))
        device.punch("32", dt.datetime(2026, 11, 14, 9, 0))  # ... but not for the dinas
        assert await device.upload()

        def final(nip: str, d: dt.date):  # type: ignore[no-untyped-def]
            return lambda e: (isinstance(e, ev.AttendanceDayEvaluated) and e.nip == nip
                              and e.work_date == d and e.status != "incomplete")

        q10 = await days.wait_for(final(Q, dt.date(2026, 11, 10)))
        p10 = await days.wait_for(final(P, dt.date(2026, 11, 10)))
        p14 = await days.wait_for(final(P, dt.date(2026, 11, 14)))
        q14 = await days.wait_for(lambda e: isinstance(e, ev.AttendanceDayEvaluated)
                                  and e.nip == Q and e.work_date == dt.date(2026, 11, 14))
        assert (q10.late_minutes, q10.tl_code, q10.psw_code) == (10, "TL1", None)  # type: ignore[attr-defined]
        assert (p10.late_minutes, p10.tl_code, p10.psw_code) == (10, "TL1", None)  # type: ignore[attr-defined]
        assert (p14.status, p14.is_working_day, p14.tl_code) == ("present", True, None)  # type: ignore[attr-defined]
        assert (q14.status, q14.is_working_day) == ("off", False)  # type: ignore[attr-defined]

        # a holiday set and removed again
        r = await client.put(f"{api}/holidays/2026-11-20", json={"name": "Cuti bersama",
                                                                 "kind": "cuti_bersama"})
        assert r.status_code == 200
        got = (await client.get(f"{api}/calendar", params={"period": "2026-11"})).json()
        assert "2026-11-20" not in got["working_dates"] and got["effective_days"] == "20"
        assert (await client.delete(f"{api}/holidays/2026-11-20")).status_code == 204
        assert (await client.delete(f"{api}/holidays/2026-11-20")).status_code == 404
        got = (await client.get(f"{api}/calendar", params={"period": "2026-11"})).json()
        assert "2026-11-20" in got["working_dates"]
        assert (await client.get(f"{api}/holidays", params={"year": 2026})).json() == []
