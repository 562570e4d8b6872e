"""The device simulator against the real service (PostgreSQL + Kafka): handshake with the
device's own zone, retried uploads recorded once, roster pushed to the device by command
polling, OPERLOG user records, online/offline status."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from attendance.adapters.orm import Punch, Quarantine
from attendance.app import create_app
from attendance.jobs import refresh_device_status
from attendance.settings import Settings
from ekinerja_shared import events as ev
from ekinerja_shared.topics import ATTENDANCE_DAY_BATCHES, ATTENDANCE_PUNCH_BATCHES
from tests.support.apps import EventProbe, eventually, publish, running_app
from tests.support.infra import unique
from tests.support.tokens import as_hr

from .conftest import employee, roster_copied, tenant
from .simulator import ZKDeviceSimulator

pytestmark = pytest.mark.integration

NIP_A, NIP_B = "198501012010011001", "199002022015022002"


async def test_device_simulator_end_to_end(
    settings: Settings, kafka_bootstrap: str, tenant_id: str
) -> None:
    await publish(kafka_bootstrap, tenant(tenant_id, "Asia/Makassar"),
                  employee(tenant_id, NIP_A, "21", "Budi Santoso"),
                  employee(tenant_id, NIP_B, "22", "Siti Aminah"))
    app = create_app(settings)
    rt = app.state.runtime
    serial, silent = unique("ZK").upper(), unique("ZK").upper()
    async with (
        running_app(app) as client,
        EventProbe(kafka_bootstrap, ATTENDANCE_PUNCH_BATCHES.name, tenant_id) as punches,
        EventProbe(kafka_bootstrap, ATTENDANCE_DAY_BATCHES.name, tenant_id) as days,
    ):
        client.headers.update(as_hr(tenant_id))
        await roster_copied(rt, tenant_id, NIP_A, NIP_B)
        # a WITA regency with one device whose clock runs on WIB
        for sn, tz in ((serial, "WIB"), (silent, None)):
            r = await client.post(f"/api/attendance/{tenant_id}/devices",
                                  json={"serial_number": sn, "location": "Kantor", "timezone": tz})
            assert r.status_code == 201, r.text
        device = ZKDeviceSimulator(client, serial)
        assert (await device.handshake()).status_code == 200
        assert device.options["TimeZone"] == "7" and device.options["ATTLOGStamp"] == "0"
        assert await device.poll() == []  # nothing queued yet

        # push the roster's PINs and names to the device
        r = await client.post(f"/api/attendance/{tenant_id}/devices/{serial}/sync-users")
        assert r.status_code == 202 and len(r.json()) == 2
        executed = await device.poll()
        assert executed[0].endswith("DATA UPDATE USERINFO PIN=21\tName=Budi Santoso\tPri=0")
        assert set(device.users) == {"21", "22"}
        cmds = (await client.get(f"/api/attendance/{tenant_id}/devices/{serial}/commands")).json()
        assert [(c["status"], c["return_code"]) for c in cmds] == [("done", 0), ("done", 0)]

        # a roster change reaches the device by itself; leaving the roster deletes the user
        await publish(kafka_bootstrap, employee(tenant_id, NIP_B, "22", "Siti Aminah, S.E."),
                      employee(tenant_id, NIP_A, "21", "Budi Santoso", active=False))

        async def device_in_step() -> bool:
            await device.poll()
            return (device.users.get("22", {}).get("Name") == "Siti Aminah, S.E."
                    and "21" not in device.users)

        await eventually(device_in_step)

        # the device reports its user table (OPERLOG)
        r = await device.upload_users()
        assert (r.status_code, r.text) == (200, "OK:1")
        users = (await client.get(f"/api/attendance/{tenant_id}/devices/{serial}/users")).json()
        assert [(u["pin"], u["name"]) for u in users] == [("22", "Siti Aminah, S.E.")]

        # 07:40 on the WIB device clock is 08:40 WITA: 70 minutes late (TL3)
        device.punch("22", dt.datetime(2026, 11, 17, 7, 40))
        device.punch("22", dt.datetime(2026, 11, 17, 15, 5))
        device.lose_next_replies = 1  # the server stores it, the device never hears OK
        assert await device.upload() is False
        assert await device.upload() is True  # the same records again
        assert device.buffer == []
        day = await days.wait_for(lambda e: isinstance(e, ev.AttendanceDayEvaluated)
                                  and e.nip == NIP_B and e.departure is not None)
        assert isinstance(day, ev.AttendanceDayEvaluated)
        assert (day.work_date, day.late_minutes, day.tl_code) == (dt.date(2026, 11, 17), 70, "TL3")
        # departure 15:05 WIB = 16:05 WITA, after the 16:00 end
        assert (day.early_minutes, day.psw_code, day.status) == (0, None, "present")

        # a sentinel punch: once its event is out, any duplicate would have been published
        device.punch("22", dt.datetime(2026, 11, 18, 7, 10))
        assert await device.upload()
        await punches.wait_for_punch(lambda p: p.local_time.date() == dt.date(2026, 11, 18))
        assert len(punches.punches) == 3
        async with rt.uow.in_tenant(tenant_id).read() as s:
            assert await s.scalar(select(func.count()).select_from(Punch)
                                  .where(Punch.tenant_id == tenant_id)) == 3

        # the handshake now tells the device which records the server already has
        await device.handshake()
        assert device.options["ATTLOGStamp"] == str(device.stamp)

        # a result for a command the server never sent is kept in quarantine
        r = await client.post("/iclock/devicecmd", params={"SN": serial},
                              content="ID=987654&Return=0&CMD=DATA\n")
        assert r.text == "OK"
        async with rt.uow.in_tenant(tenant_id).read() as s:
            q = (await s.scalars(select(Quarantine).where(
                Quarantine.tenant_id == tenant_id, Quarantine.source == "iclock:devicecmd"))).all()
        assert [x.context["code"] for x in q] == ["unknown_command"]

        # unregistered serials get nothing
        r = await client.get("/iclock/getrequest", params={"SN": "STRANGER"})
        assert r.status_code == 403

        # online / offline
        listed = {d["serial_number"]: d["online"]
                  for d in (await client.get(f"/api/attendance/{tenant_id}/devices")).json()}
        assert listed == {serial: True, silent: False}
        await refresh_device_status(rt)
        metrics = (await client.get("/metrics")).text
        assert (f'ekinerja_attendance_device_online{{serial_number="{silent}",'
                f'tenant_id="{tenant_id}"}} 0.0') in metrics
        assert (f'ekinerja_attendance_device_online{{serial_number="{serial}",'
                f'tenant_id="{tenant_id}"}} 1.0') in metrics
