"""End to end inside the attendance service, on the real PostgreSQL and Kafka: directory
events in, a device registered, ATTLOG pushed over HTTP exactly as a ZKTeco device does,
PunchesRecorded and AttendanceDayEvaluated out through the outbox."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from attendance.adapters.orm import Employee, Punch, Quarantine, Tenant
from attendance.app import create_app
from attendance.settings import Settings
from ekinerja_shared import events as ev
from ekinerja_shared.topics import ATTENDANCE_CALENDAR, ATTENDANCE_DAY_BATCHES, ATTENDANCE_PUNCH_BATCHES
from tests.support.apps import EventProbe, eventually, publish, running_app
from tests.support.infra import unique
from tests.support.tokens import as_hr

from .conftest import DIRECTORY_WAIT_S, employee, tenant

pytestmark = pytest.mark.integration

WITA = dt.timezone(dt.timedelta(hours=8))


async def test_push_attlog_to_day_evaluation(
    settings: Settings, kafka_bootstrap: str, tenant_id: str
) -> None:
    nip = "198001012005011001"
    serial = unique("SN").upper()
    await publish(kafka_bootstrap, tenant(tenant_id), employee(tenant_id, nip, "11"))
    # the AsyncAPI document is read at the end (internal by default)
    app = create_app(settings.model_copy(update={"http_expose_docs": True}))
    uow = app.state.runtime.uow.in_tenant(tenant_id)  # the app's role: bound to the regency
    async with (
        running_app(app) as client,
        EventProbe(kafka_bootstrap, ATTENDANCE_PUNCH_BATCHES.name, tenant_id) as punches,
        EventProbe(kafka_bootstrap, ATTENDANCE_DAY_BATCHES.name, tenant_id) as days,
        EventProbe(kafka_bootstrap, ATTENDANCE_CALENDAR.name, tenant_id) as calendar,
    ):
        client.headers.update(as_hr(tenant_id))

        async def directory_copied() -> bool:
            async with uow.read() as s:
                return (await s.get(Tenant, tenant_id) is not None
                        and await s.get(Employee, (tenant_id, nip)) is not None)

        await eventually(directory_copied, timeout=DIRECTORY_WAIT_S)
        cal = await calendar.wait_for(lambda e: isinstance(e, ev.EffectiveDaysPublished))
        assert cal.nip is None and cal.revision == 1 and cal.effective_days >= 18  # type: ignore[attr-defined]

        # device registry
        r = await client.post(f"/api/attendance/{tenant_id}/devices",
                              json={"serial_number": serial, "location": "Lobi", "timezone": None})
        assert r.status_code == 201, r.text
        other = unique("other")
        r = await client.post(f"/api/attendance/{other}/devices", headers=as_hr(other),
                              json={"serial_number": serial, "location": "x"})
        assert r.status_code == 409 and r.json()["code"] == "device_taken"

        # handshake: options with the tenant's zone (WITA = UTC+8)
        r = await client.get("/iclock/cdata", params={"SN": serial, "options": "all",
                                                      "pushver": "2.4.1", "language": "69"})
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
        lines = r.text.splitlines()
        assert lines[0] == f"GET OPTION FROM: {serial}" and "TimeZone=8" in lines

        # an unregistered device is refused
        r = await client.post("/iclock/cdata", params={"SN": "NOPE-1", "table": "ATTLOG"},
                              content="11\t2026-11-16 07:45:10\t0\t1\t0\t0\n")
        assert r.status_code == 403

        body = (
            "11\t2026-11-16 07:45:10\t0\t1\t0\t0\t0\t0\t0\t0\r\n"
            "11\t2026-11-16 16:10:00\t1\t1\t0\t0\t0\t0\t0\t0\r\n"
            "11\t2026-11-31 07:00:00\t0\t1\t0\r\n"  # bad date
            "11\t2026-11-16 07:50:00\r\n"  # wrong field count
            "77\t2026-11-16 07:40:00\t0\t1\t0\r\n"  # unknown PIN
        )
        params = {"SN": serial, "table": "ATTLOG", "Stamp": "9999"}
        r = await client.post("/iclock/cdata", params=params, content=body)
        assert (r.status_code, r.text) == (200, "OK:2")  # the bad lines are set aside
        # the device did not get our OK and retries the same records
        r = await client.post("/iclock/cdata", params=params, content=body.replace("\r\n", "\n"))
        assert (r.status_code, r.text) == (200, "OK:2")

        day = await days.wait_for(lambda e: isinstance(e, ev.AttendanceDayEvaluated)
                                  and e.departure is not None)
        assert isinstance(day, ev.AttendanceDayEvaluated)
        assert (day.nip, day.work_date, day.status) == (nip, dt.date(2026, 11, 16), "present")
        assert day.arrival == dt.datetime(2026, 11, 16, 7, 45, 10, tzinfo=WITA)
        assert day.departure == dt.datetime(2026, 11, 16, 16, 10, tzinfo=WITA)
        assert (day.late_minutes, day.tl_code, day.early_minutes, day.psw_code) == (15, "TL1", 0,
                                                                                 None)
        assert day.deduction_pct == Decimal("0.5")

        # a later punch of the same day: recorded once, day re-evaluated as a new revision
        r = await client.post("/iclock/cdata", params={**params, "Stamp": "10000"},
                              content="11\t2026-11-16 16:20:00\t1\t1\t0\t0\n")
        assert r.text == "OK:1"
        latest = await days.wait_for(lambda e: isinstance(e, ev.AttendanceDayEvaluated)
                                     and e.departure == dt.datetime(2026, 11, 16, 16, 20,
                                                                    tzinfo=WITA))
        assert latest.revision == day.revision + 1  # type: ignore[attr-defined]
        await punches.wait_for_punch(lambda p: p.local_time == dt.datetime(2026, 11, 16, 16, 20))
        recorded = punches.punches
        assert sorted(p.local_time.time() for p in recorded) == [
            dt.time(7, 45, 10), dt.time(16, 10), dt.time(16, 20)]
        assert all(p.nip == nip and p.device_sn == serial for p in recorded)
        # one event per upload (one employee: one lane), in the employee's lane
        batches = [e for e in punches.events if isinstance(e, ev.PunchesRecorded)]
        assert [len(b.punches) for b in batches] == [2, 1]
        assert {b.lane for b in batches} == {ev.lane_of(tenant_id, nip)}

        async with uow.read() as s:
            n_punches = await s.scalar(select(func.count()).select_from(Punch)
                                       .where(Punch.tenant_id == tenant_id))
            bad = (await s.scalars(select(Quarantine).where(Quarantine.tenant_id == tenant_id)
                                   .order_by(Quarantine.id))).all()
        assert n_punches == 3
        # each bad line is kept with its reason: twice, since the batch was pushed twice
        codes = sorted(q.context["code"] for q in bad)
        assert codes == sorted(["bad_time", "field_count", "unknown_pin"] * 2)
        assert any("2026-11-31" in q.raw and "tidak valid" in q.reason for q in bad)

        metrics = (await client.get("/metrics")).text
        assert 'ekinerja_attendance_attlog_quarantined_total{reason="bad_time"}' in metrics

        r = await client.get(f"/api/attendance/{tenant_id}/devices")
        [device] = r.json()
        assert device["serial_number"] == serial and device["online"] is True
        assert device["last_seen_at"] is not None

        # the roster learns PIN 77 later: the quarantined punch is recorded then
        await publish(kafka_bootstrap, employee(tenant_id, "199001012015011002", "77"))
        late = await punches.wait_for_punch(lambda p: p.pin == "77")
        assert late.nip == "199001012015011002"

        spec = (await client.get("/asyncapi.json")).json()
        messages = set(spec["components"]["messages"])
        assert {"PunchesRecorded:Message", "AttendanceDaysEvaluated:Message",
                "EffectiveDaysPublished:Message"} <= messages
