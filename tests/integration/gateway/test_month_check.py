"""The month check and close through the gateway, with the attendance, activity and scoring
services running (their own PostgreSQL databases, the real Kafka carrying the directory):
last month has an undecided entry, unclosed working days and a device that never uploaded;
the check lists them beside scoring's own items; HR's month page shows them, and with one
service down still answers, saying which part is missing (the API's check is a 502 then);
the close without confirmation is a 409
with the list; with confirmation the month closes and the confirmation (the token's
person, when, the items) is read back from scoring's period state."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import httpx
import pytest

from sqlalchemy import update

from activity.adapters.orm import Entry
from activity.app import create_app as create_activity
from activity.settings import Settings as ActivitySettings
from attendance.adapters.orm import Device
from attendance.app import create_app as create_attendance
from attendance.settings import Settings as AttendanceSettings
from ekinerja_shared.timeutil import zone
from gateway.app import create_app as create_gateway
from gateway.settings import Settings
from scoring.app import create_app as create_scoring
from scoring.settings import Settings as ScoringSettings
from tests.integration.gateway.conftest import serve_loopback
from tests.support.ports import free_port
from tests.support import infra
from tests.support.apps import eventually, from_now_on, running_app
from tests.support.tokens import TEST_JWKS_JSON, as_hr, as_operator, as_user

pytestmark = pytest.mark.integration

BOSS, STAFF, HR = "198003152005011003", "199402142023212012", "199001172015031002"
ROSTER = "\n".join([
    "nip,name,unit_id,unit_name,position,supervisor_nip,tpp_base,employment_type,device_pin",
    f"{BOSS},Budi Santoso,diskominfo,Diskominfo,Kepala Bidang,,8500000,PNS,1",
    f"{STAFF},Nur Aisyah,diskominfo,Diskominfo,Pranata Komputer,{BOSS},4800000,PNS,8",
    f"{HR},Dedi Kurniawan,bkpsdm,BKPSDM,Pengelola Kepegawaian,{BOSS},4500000,PNS,3",
])


def last_month() -> str:
    today = dt.datetime.now(zone("Asia/Jakarta")).date()
    first = today.replace(day=1) - dt.timedelta(days=1)
    return f"{first:%Y-%m}"


@asynccontextmanager
async def services(kafka_bootstrap: str, group_prefix: str) -> AsyncIterator[dict[str, object]]:
    """The three services on loopback ports (real lifespans), each on its own database."""
    common = {"auth_jwks": TEST_JWKS_JSON, "kafka_bootstrap": kafka_bootstrap,
              "consumer_group_prefix": group_prefix}
    apps: dict[str, object] = {}
    for name, make, settings in (
            ("attendance", create_attendance, AttendanceSettings),
            ("activity", create_activity, ActivitySettings),
            ("scoring", create_scoring, ScoringSettings)):
        await infra.reset_database(infra.pg_url(name))
        extra = {"expiry_interval_s": 0} if name == "activity" else {}
        apps[name] = make(settings(database_url=infra.pg_app_url(name),
                                   migration_database_url=infra.pg_url(name),
                                   **common, **extra))
        await from_now_on(apps[name])  # not the shared directory topic's history
    async with AsyncExitStack() as stack:
        urls = {name: await stack.enter_async_context(serve_loopback(app))
                for name, app in apps.items()}
        yield {"urls": urls, "apps": apps}


async def test_month_check_and_confirmed_close(settings: Settings, kafka_bootstrap: str,
                                               group_prefix: str, tenant_id: str) -> None:
    t, period = tenant_id, last_month()
    hr = as_hr(t, HR)
    year, month = (int(x) for x in period.split("-"))
    async with services(kafka_bootstrap, group_prefix) as running:
        urls = running["urls"]
        assert isinstance(urls, dict)
        gateway = create_gateway(settings.model_copy(update={
            "attendance_url": urls["attendance"], "activity_url": urls["activity"],
            "scoring_url": urls["scoring"]}))
        await from_now_on(gateway)
        async with running_app(gateway) as client, httpx.AsyncClient(timeout=60) as direct:
            r = await client.put(f"/api/tenants/{t}", headers=as_operator(), json={
                "name": "Kota Uji", "timezone": "WIB", "policy_preset": "cilegon"})
            assert r.status_code in (200, 201), r.text
            r = await client.post(f"/api/tenants/{t}/roster", content=ROSTER,
                                  headers={**hr, "content-type": "text/csv"})
            assert r.status_code == 200, r.text

            async def directory_arrived() -> bool:
                a = await direct.get(f"{urls['activity']}/api/activity/{t}/employees/{STAFF}",
                                     headers=hr)
                s = await direct.get(f"{urls['scoring']}/api/scoring/{t}/periods/{period}/check",
                                     headers=hr)
                nips = {n for i in s.json().get("open_items", []) for n in i["nips"]}
                return a.status_code == 200 and {BOSS, STAFF, HR} <= nips

            await eventually(directory_arrived, timeout=120)

            # an entry of last month still waiting for the supervisor (written as the
            # activity service stores it: its edit window is long past)
            activity = running["apps"]["activity"]
            worked = dt.date(year, month, 5)

            async def add_entry(session) -> None:  # type: ignore[no-untyped-def]
                session.add(Entry(id=uuid.uuid4(), tenant_id=t, nip=STAFF, work_date=worked,
                                  start_time=dt.time(8), end_time=dt.time(11), minutes=180,
                                  description="Menyusun laporan", supervisor_nip=BOSS,
                                  status="submitted"))

            await activity.state.runtime.uow.in_tenant(t).run(add_entry)  # type: ignore[attr-defined]

            # two devices: one uploads a punch of last month, the other never does
            for serial in ("SNMONTH0001", "SNMONTH0002"):
                r = await client.post(f"/api/attendance/{t}/devices", headers=hr,
                                      json={"serial_number": serial, "location": "Kantor"})
                assert r.status_code == 201, r.text
            attendance = running["apps"]["attendance"]

            async def registered_last_month(session) -> None:  # type: ignore[no-untyped-def]
                await session.execute(update(Device).where(Device.tenant_id == t).values(
                    registered_at=dt.datetime(year, month, 1, 1, tzinfo=dt.UTC)))

            await attendance.state.runtime.uow.in_tenant(t).run(  # type: ignore[attr-defined]
                registered_last_month)
            await client.get("/iclock/cdata", params={"SN": "SNMONTH0001", "options": "all"})
            punch = f"8\t{worked:%Y-%m-%d} 07:41:12\t0\t1\t0\t0\t0\t0\t0\t0\r\n"
            r = await client.post("/iclock/cdata", content=punch,
                                  params={"SN": "SNMONTH0001", "table": "ATTLOG", "Stamp": "1"})
            assert r.text.startswith("OK:1"), r.text
            # one working day of the month is closed by HR
            r = await client.post(f"/api/attendance/{t}/days/close", headers=hr,
                                  json={"work_date": str(worked)})
            assert r.status_code == 200, r.text

            # only HR of the regency may ask
            r = await client.get(f"/api/tenants/{t}/periods/{period}/check",
                                 headers=as_user(t, STAFF))
            assert r.status_code == 403
            r = await client.get(f"/api/tenants/{t}/periods/{period}/check", headers=hr)
            assert r.status_code == 200, r.text
            items = {i["code"]: i for i in r.json()["open_items"]}
            undecided = items["undecided_entries"]
            assert (undecided["source"], undecided["count"]) == ("activity", 1)
            assert undecided["by_supervisor"] == [
                {"supervisor_nip": BOSS, "entries": 1, "oldest_work_date": str(worked)}]
            assert f"tertua {worked:%d-%m-%Y}" in undecided["detail"]
            days = items["unclosed_days"]
            assert days["source"] == "attendance" and str(worked) not in days["dates"]
            weekday = next(dt.date(year, month, d) for d in range(6, 14)
                           if dt.date(year, month, d).weekday() < 5)
            assert str(weekday) in days["dates"] and days["count"] == len(days["dates"])
            assert "hari kerja belum ditutup" in days["detail"]
            silent = items["silent_devices"]
            assert [d["serial_number"] for d in silent["devices"]] == ["SNMONTH0002"]
            assert "1 dari 2 mesin presensi" in silent["detail"]
            assert any(i["source"] == "scoring" for i in r.json()["open_items"])
            listed = r.json()["open_items"]

            # HR's month page asks the three at once; with activity down the page still
            # answers (200), says so for activity and lists the other services' items
            page_headers = {**hr, "accept": "text/html"}
            r = await client.get("/app/sdm/bulan", params={"period": period},
                                 headers=page_headers)
            assert r.status_code == 200 and "tidak tersedia" not in r.text, r.text
            assert undecided["detail"] in r.text and silent["detail"] in r.text
            rt = gateway.state.runtime  # type: ignore[attr-defined]
            up = rt.settings
            rt.settings = up.model_copy(update={"activity_url": f"http://127.0.0.1:{free_port()}"})
            try:
                r = await client.get("/app/sdm/bulan", params={"period": period},
                                     headers=page_headers)
            finally:
                rt.settings = up
            assert r.status_code == 200, r.text
            assert ("Pemeriksaan aktivitas tidak tersedia: Layanan activity tidak dapat "
                    "dihubungi.") in r.text
            assert undecided["detail"] not in r.text and silent["detail"] in r.text
            assert "Pemeriksaan presensi" not in r.text and "tetap menutup bulan ini" in r.text
            # the API's check is not composed blind: 502 while a service is down
            rt.settings = up.model_copy(update={"activity_url": f"http://127.0.0.1:{free_port()}"})
            try:
                r = await client.get(f"/api/tenants/{t}/periods/{period}/check", headers=hr)
            finally:
                rt.settings = up
            assert (r.status_code, r.json()["code"]) == (502, "backend_unavailable")

            # the close without confirmation: 409 with the list, nothing closed
            r = await client.post(f"/api/tenants/{t}/periods/{period}/close", headers=hr)
            assert (r.status_code, r.json()["code"]) == (409, "open_items"), r.text
            assert [i["code"] for i in r.json()["open_items"]] == [i["code"] for i in listed]
            state = await client.get(f"/api/scoring/{t}/periods/{period}", headers=hr)
            assert state.json()["closed"] is False

            # confirmed: closed, and the confirmation is recorded with the token's person
            r = await client.post(f"/api/tenants/{t}/periods/{period}/close", headers=hr,
                                  json={"confirm": True, "closed_by": "orang lain"})
            assert r.status_code == 200, r.text
            state = (await client.get(f"/api/scoring/{t}/periods/{period}", headers=hr)).json()
            assert state["closed"] is True
            confirmation = state["confirmation"]
            assert confirmation["confirmed_by"] == HR
            assert dt.datetime.fromisoformat(confirmation["confirmed_at"]) > (
                dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5))
            recorded = [(i["source"], i["code"], i["count"])
                        for i in confirmation["open_items"]]
            assert recorded[:3] == [("activity", "undecided_entries", 1),
                                    ("attendance", "unclosed_days", days["count"]),
                                    ("attendance", "silent_devices", 1)]
            assert [i["code"] for i in confirmation["open_items"]] == [
                i["code"] for i in listed]
            assert state["history"][-1]["open_items"] == confirmation["open_items"]
            # the check now says closed
            r = await client.get(f"/api/tenants/{t}/periods/{period}/check", headers=hr)
            assert r.json()["closed"] is True
