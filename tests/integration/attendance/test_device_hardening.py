"""Issue 11, device protocol: a device never gets a 5xx and is never blocked, and no good
punch is lost behind a bad line. On the real PostgreSQL (column ranges, NUL bytes) and
Kafka: extreme dates and numbers, the plausibility window (service default and the
tenant's own), firmware dialects, body and line limits, bounded metric labels, command
resends."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import select

from attendance.adapters.orm import Device, DeviceCommand, DeviceUser, Punch, Quarantine
from attendance.app import create_app
from attendance.runtime import AttendanceRuntime as Runtime
from attendance.settings import Settings
from ekinerja_shared.timeutil import zone
from tests.support.apps import running_app
from tests.support.infra import unique
from tests.support.tokens import as_hr

from .conftest import apply_directory, employee, tenant

pytestmark = pytest.mark.integration

NIP, NIP_B = "197001012000011001", "197002022000022002"
WITA = zone("WITA")


def local_now() -> dt.datetime:
    return dt.datetime.now(WITA).replace(tzinfo=None, microsecond=0)


def row(pin: str, when: dt.datetime | str, status: str = "0", tail: str = "1\t0\t0\t0\t0\t0\t0"
        ) -> str:
    stamp = when if isinstance(when, str) else f"{when:%Y-%m-%d %H:%M:%S}"
    return f"{pin}\t{stamp}\t{status}\t{tail}"


async def punches_of(rt: Runtime, tenant_id: str) -> list[Punch]:
    async with rt.uow.in_tenant(tenant_id).read() as s:
        return list((await s.scalars(select(Punch).where(Punch.tenant_id == tenant_id)
                                     .order_by(Punch.local_time))).all())


async def quarantined(rt: Runtime, tenant_id: str) -> list[Quarantine]:
    async with rt.uow.in_tenant(tenant_id).read() as s:
        return list((await s.scalars(select(Quarantine).where(Quarantine.tenant_id == tenant_id)
                                     .order_by(Quarantine.id))).all())


Running = tuple[httpx.AsyncClient, Runtime, str]


@contextlib.asynccontextmanager
async def one_device(settings: Settings, tenant_id: str,
                     *pins: tuple[str, str]) -> AsyncIterator[Running]:
    """The service running for a WITA tenant with these (NIP, PIN) employees and one
    registered device."""
    app = create_app(settings)
    rt = app.state.runtime
    serial = unique("ZK").upper()
    async with running_app(app) as client:
        client.headers.update(as_hr(tenant_id))
        await apply_directory(rt, tenant(tenant_id, "WITA"),
                              *(employee(tenant_id, nip, pin) for nip, pin in pins))
        r = await client.post(f"/api/attendance/{tenant_id}/devices",
                              json={"serial_number": serial, "location": "Lobi"})
        assert r.status_code == 201, r.text
        yield client, rt, serial


async def test_bad_lines_are_set_aside_and_the_batch_is_recorded(
    settings: Settings, tenant_id: str
) -> None:
    now = local_now()
    yesterday = (now - dt.timedelta(days=1)).replace(hour=7, minute=31, second=0)
    async with one_device(settings, tenant_id, (NIP, "11")) as running:
        client, rt, serial = running
        good = [
            row("11", yesterday),  # 10 fields
            row("11", yesterday + dt.timedelta(minutes=1), "255", "15\t0\t0\t0"),  # 7 fields
            row("11", yesterday + dt.timedelta(minutes=2), "1", "1\t\t0\t0\t"),  # 8 fields
            row("11", yesterday + dt.timedelta(minutes=3), "", "\t"),  # empty status, verify
            row("11", now + dt.timedelta(hours=23)),  # inside the day ahead
        ]
        bad = {
            row("11", "0001-01-01 00:00:00"): "bad_time",
            row("11", "9999-12-31 23:59:59"): "bad_time",
            row("11", yesterday, "2147483648"): "bad_status",
            row("11", yesterday, "0", "99999999999"): "bad_status",
            row("11", yesterday + dt.timedelta(minutes=9), "0", "1\t0\x00"): "bad_bytes",
            row("11\x00", yesterday - dt.timedelta(minutes=1)): "bad_bytes",
            row("11", now + dt.timedelta(days=2)): "future_time",
            row("11", yesterday, "0", "1\t" + "0\t" * 300): "line_too_long",
            row("77", yesterday): "unknown_pin",
        }
        body = "\r\n".join([good[0], *bad, *good[1:]]) + "\r\n"
        params = {"SN": serial, "table": "ATTLOG", "Stamp": "3000000000"}
        for _ in range(2):  # the device resends; the answer is the same, nothing twice
            r = await client.post("/iclock/cdata", params=params, content=body.encode())
            assert (r.status_code, r.text) == (200, f"OK:{len(good)}")

        stored = await punches_of(rt, tenant_id)
        assert [p.local_time for p in stored] == sorted(
            [yesterday + dt.timedelta(minutes=m) for m in range(4)]
            + [now + dt.timedelta(hours=23)])
        assert stored[1].status_code == 255
        assert (stored[3].status_code, stored[3].verify_type) == (0, 0)
        rows = await quarantined(rt, tenant_id)
        assert sorted(q.context["code"] for q in rows) == sorted(list(bad.values()) * 2)
        nul = next(q for q in rows if q.context["code"] == "bad_bytes")
        assert nul.raw.endswith("\t0\\x00") and "\x00" not in nul.raw
        future = next(q for q in rows if q.context["code"] == "future_time")
        assert "lebih dari 24 jam di depan jam server" in future.reason

        # a stamp beyond 32 bits is kept (and told back); one beyond 64 bits is ignored
        r = await client.post("/iclock/cdata", params={**params, "Stamp": "9" * 25},
                              content=good[0])
        assert r.text == "OK:1"
        r = await client.get("/iclock/cdata", params={"SN": serial, "options": "all",
                                                      "pushver": "2.4.1"})
        assert "ATTLOGStamp=3000000000" in r.text.splitlines()

        metrics = (await client.get("/metrics")).text
        for code in ("bad_time", "bad_status", "bad_bytes", "future_time", "line_too_long"):
            assert f'ekinerja_attendance_attlog_quarantined_total{{reason="{code}"}}' in metrics


async def test_the_tenants_own_window(settings: Settings, tenant_id: str) -> None:
    now = local_now()
    async with one_device(settings, tenant_id, (NIP, "11")) as running:
        client, rt, serial = running
        url = f"/api/attendance/{tenant_id}/punch-window"
        r = await client.get(url)
        assert r.json() == {"max_future_hours": 24, "max_age_days": 3660, "source": "default"}
        r = await client.put(url, json={"max_future_hours": 2, "max_age_days": 30})
        assert r.json() == {"max_future_hours": 2, "max_age_days": 30, "source": "tenant"}
        assert (await client.get(url)).json()["source"] == "tenant"
        r = await client.put(url, json={"max_future_hours": 500, "max_age_days": 0})
        assert r.status_code == 422 and r.json()["code"] == "invalid_request"

        lines = [row("11", now - dt.timedelta(days=29)), row("11", now - dt.timedelta(days=31)),
                 row("11", now + dt.timedelta(hours=1)), row("11", now + dt.timedelta(hours=3))]
        r = await client.post("/iclock/cdata", params={"SN": serial, "table": "ATTLOG"},
                              content="\n".join(lines))
        assert r.text == "OK:2"
        assert [q.context["code"] for q in await quarantined(rt, tenant_id)] == [
            "old_time", "future_time"]
        assert "lebih lama dari 30 hari" in (await quarantined(rt, tenant_id))[0].reason


async def test_old_and_new_firmware_dialects(settings: Settings, tenant_id: str) -> None:
    async with one_device(settings, tenant_id, (NIP, "11")) as running:
        client, rt, serial = running
        # old firmware: no pushver; OPERLOG mixes OPLOG, USER and FP lines, stamped OpStamp
        r = await client.get("/iclock/cdata", params={"SN": serial, "options": "all"})
        assert r.status_code == 200
        options = r.text.splitlines()
        assert {"Stamp=0", "OpStamp=0", "PhotoStamp=0", "TransFlag=1111000000"} <= set(options)
        assert not any(o.startswith("ATTLOGStamp") for o in options)
        operlog = ("OPLOG 4\t0\t2026-11-20 10:00:00\t0\t0\t0\t0\r\n"
                   "USER PIN=11\tName=Budi\x00 Santoso\tPri=14\tPasswd=\tCard=123\tGrp=1\r\n"
                   "FP PIN=11\tFID=6\tSize=8\tValid=1\tTMP=" + "A" * 400 + "\xff\r\n"
                   "USER PIN=\tName=Tanpa PIN\r\n"
                   "USER PIN=12\tName=Siti\tPri=99999999999\r\n")
        r = await client.post("/iclock/cdata", params={"SN": serial, "table": "OPERLOG",
                                                       "OpStamp": "41"},
                              content=operlog.encode("utf-8"))
        assert (r.status_code, r.text) == (200, "OK:4")
        async with rt.uow.in_tenant(tenant_id).read() as s:
            users = (await s.scalars(select(DeviceUser).where(DeviceUser.device_sn == serial)
                                     .order_by(DeviceUser.pin))).all()
        assert [(u.pin, u.name, u.privilege, u.card) for u in users] == [
            ("11", "Budi Santoso", 14, "123"), ("12", "Siti", 0, "")]
        r = await client.get("/iclock/cdata", params={"SN": serial, "options": "all"})
        assert "OpStamp=41" in r.text.splitlines()
        # new firmware names its push version and reads the table-named stamps
        r = await client.get("/iclock/cdata", params={"SN": serial, "options": "all",
                                                      "pushver": "2.4.1"})
        assert {"ATTLOGStamp=0", "OPERLOGStamp=41", "TransFlag=TransData AttLog OpLog"} <= set(
            r.text.splitlines())
        # a table the service does not use is acknowledged line by line
        r = await client.post("/iclock/cdata", params={"SN": serial, "table": "ATTPHOTO"},
                              content=b"PIN=11\nSN=x\n\xff\xfe")
        assert (r.status_code, r.text) == (200, "OK:3")


async def test_limits_and_bounded_labels(settings: Settings, tenant_id: str) -> None:
    base = local_now().replace(hour=7, minute=0, second=0) - dt.timedelta(days=1)
    small = settings.model_copy(update={"iclock_max_body_bytes": 2048, "iclock_max_lines": 3})
    async with one_device(small, tenant_id, (NIP, "11")) as running:
        client, rt, serial = running
        lines = [row("11", base + dt.timedelta(minutes=m)) for m in range(5)]
        r = await client.post("/iclock/cdata", params={"SN": serial, "table": "ATTLOG"},
                              content="\n".join(lines))
        assert (r.status_code, r.text) == (200, "OK:3")
        assert len(await punches_of(rt, tenant_id)) == 3
        [overflow] = await quarantined(rt, tenant_id)
        assert overflow.context["code"] == "too_many_lines"
        assert overflow.raw == "\n".join(lines[3:])  # kept, not lost

        big = ("x" * 100 + "\n") * 30
        for path in ("/iclock/cdata", "/iclock/devicecmd"):
            r = await client.post(path, params={"SN": serial, "table": "ATTLOG"}, content=big)
            assert r.status_code == 413 and r.json()["code"] == "body_too_large", path

        async def chunks():  # type: ignore[no-untyped-def]
            for _ in range(30):
                yield b"y" * 100

        r = await client.post("/iclock/cdata", params={"SN": serial, "table": "ATTLOG"},
                              content=chunks())  # no Content-Length: cut while streaming
        assert r.status_code == 413
        # an unregistered device is refused before its body is read
        r = await client.post("/iclock/cdata", params={"SN": "NOPE\x00", "table": "x" * 200},
                              content=big)
        assert r.status_code == 403
        r = await client.get("/iclock/getrequest", params={"SN": "S" * 300})
        assert r.status_code == 403
        metrics = (await client.get("/metrics")).text
        assert 'endpoint="cdata:other"' in metrics and "xxxx" not in metrics
        assert ('ekinerja_attendance_oversized_uploads_total{endpoint="cdata:ATTLOG"} 2.0'
                in metrics)
        assert 'ekinerja_attendance_oversized_uploads_total{endpoint="devicecmd"} 1.0' in metrics


async def test_commands_are_resent_until_answered(settings: Settings, tenant_id: str) -> None:
    # 2 s: the two polls below must fall within it even on a loaded machine
    quick = settings.model_copy(update={"command_result_timeout_s": 2.0,
                                        "command_max_resends": 1})
    async with one_device(quick, tenant_id, (NIP, "11"), (NIP_B, "12")) as (
            client, rt, serial):
        r = await client.post(f"/api/attendance/{tenant_id}/devices/{serial}/sync-users")
        ids = [c["id"] for c in r.json()]
        assert len(ids) == 2

        async def poll() -> list[str]:
            r = await client.get("/iclock/getrequest", params={"SN": serial})
            assert r.status_code == 200
            return [line for line in r.text.splitlines() if line != "OK"]

        first = await poll()
        assert [c.split(":")[1] for c in first] == [str(i) for i in ids]
        assert await poll() == []  # sent, waiting for the result
        # the device answers only the first (lower-case keys); the other reply is lost
        r = await client.post("/iclock/devicecmd", params={"SN": serial},
                              content=f"id={ids[0]}&return=0&cmd=DATA\n")
        assert r.text == "OK"
        await asyncio.sleep(2.1)
        assert await poll() == first[1:]  # resent once
        await asyncio.sleep(2.1)
        assert await poll() == []  # given up
        async with rt.uow.in_tenant(tenant_id).read() as s:
            cmds = (await s.scalars(select(DeviceCommand).where(DeviceCommand.device_sn == serial)
                                    .order_by(DeviceCommand.id))).all()
        assert [(c.status, c.attempts) for c in cmds] == [("done", 1), ("unanswered", 2)]
        listed = (await client.get(f"/api/attendance/{tenant_id}/devices/{serial}/commands")
                  ).json()
        assert listed[0]["problem"] is None
        assert "tidak menjawab setelah perintah dikirim 2 kali" in listed[1]["problem"]
        # a late answer still counts; several results in one POST, one of them unknown
        r = await client.post("/iclock/devicecmd", params={"SN": serial},
                              content=f"ID={ids[1]}&Return=-1002&CMD=DATA&ID=999999999&Return=0"
                                      "\r\nID=x&Return=0\n")
        assert (r.status_code, r.text) == (200, "OK")
        listed = (await client.get(f"/api/attendance/{tenant_id}/devices/{serial}/commands")
                  ).json()
        assert [(c["status"], c["return_code"], c["attempts"]) for c in listed] == [
            ("done", 0, 1), ("failed", -1002, 2)]
        assert listed[1]["problem"] == "Mesin menolak perintah (kode -1002)."
        codes = [q.context["code"] for q in await quarantined(rt, tenant_id)]
        assert codes == ["unknown_command", "bad_command_result"]
        async with rt.uow.in_tenant(tenant_id).read() as s:
            device = await s.get(Device, serial)
        assert device is not None and device.last_seen_at is not None
