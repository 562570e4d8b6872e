"""End to end: the four services as real processes on the real Kafka and PostgreSQL.

The platform operator registers a regency and loads its roster through the gateway, and
gives the staff member and the supervisor one-time passwords, which they change at their
first sign-in. A fingerprint device pushes ADMS ATTLOG lines; the staff member, signed in,
logs an activity and the direct supervisor, signed in, approves it. The employee's running
score changes on the gateway's live stream (SSE) and on its GET, first from the attendance
day, then from the approved minutes. Every call carries a token of the signed-in person;
the services verify it against the gateway's JWKS.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import httpx
import pytest

from ekinerja_shared.timeutil import zone
from tests.support.apps import eventually
from tests.support.sse import ScoreStream
from tests.support.processes import (OPERATOR, directory_everywhere, register_regency,
                                     running_system, sign_in)

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

HEAD = "197001011995031001"
STAFF = "198503152010011001"
ROSTER = (
    "nip,name,unit_id,unit_name,position,supervisor_nip,tpp_base,employment_type,device_pin\n"
    f"{HEAD},Hj. Siti Aminah,umum,Bagian Umum,Kepala Bagian Umum,,6000000,PNS,1\n"
    f"{STAFF},Budi Santoso,umum,Bagian Umum,Pelaksana,{HEAD},4500000,PNS,11\n"
)
REGENCY = {"name": "Pemerintah Kabupaten Uji", "timezone": "WITA",
           "policy_preset": "performance60_discipline40"}


def last_mon_to_thu_before(today: dt.date) -> dt.date:
    day = today - dt.timedelta(days=1)
    while day.weekday() > 3:  # Mon-Thu: one schedule (07:30-16:00) for the whole check
        day -= dt.timedelta(days=1)
    return day


@pytest.mark.parametrize("consumer_instances", [(), ("attendance", "scoring")],
                         ids=["one-process-each", "consumer-instances"])
async def test_punch_and_approval_reach_the_live_score(kafka_bootstrap, tenant_id, tmp_path,
                                                       consumer_instances):
    """Also with attendance and scoring each as an HTTP instance beside a consumer instance
    (README, scaling): the two instances of a service start and migrate at once."""
    async with running_system(kafka_bootstrap, tmp_path,
                              consumer_instances=consumer_instances) as system, httpx.AsyncClient(
        base_url=system.gateway, timeout=15
    ) as gw:
        assert len(system.procs) == 4 + len(consumer_instances)
        # 1. the regency and its roster, owned by the gateway
        r = await gw.put(f"/api/tenants/{tenant_id}", json=REGENCY)
        assert r.status_code == 401, "nobody may create a regency"
        assert (await register_regency(gw, tenant_id, ROSTER))["created"] == 2
        staff = await sign_in(gw, tenant_id, STAFF)
        # the head of the office is also the regency's HR officer in this small roster
        head = await sign_in(gw, tenant_id, HEAD, roles=("hr",))

        # every service has its local copy of the directory before devices push
        await directory_everywhere(system)

        today = dt.datetime.now(zone("WITA")).date()
        day = last_mon_to_thu_before(today)
        period = f"{day:%Y-%m}"
        score_url = f"/api/tenants/{tenant_id}/scores/{STAFF}"

        # a request straight to a service without a token is refused there too
        async with httpx.AsyncClient(base_url=system.urls["activity"], timeout=15) as direct:
            r = await direct.get(f"/api/activity/{tenant_id}/entries",
                                 params={"nip": STAFF, "period": period})
            assert r.status_code == 401, r.text

        async with ScoreStream(gw, f"/api/tenants/{tenant_id}/scores/stream",
                                headers=head) as sse:
            # 2. a ZKTeco device registered for the tenant pushes ADMS lines via the gateway
            serial = f"CQZ{tenant_id[-8:].upper()}"
            r = await gw.post(f"/api/attendance/{tenant_id}/devices", headers=head,
                              json={"serial_number": serial, "location": "Kantor Bupati"})
            assert r.status_code in (200, 201), r.text
            r = await gw.get("/iclock/cdata", params={"SN": serial, "options": "all",
                                                      "pushver": "2.4.1"})
            assert r.status_code == 200 and "ATTLOGStamp" in r.text, r.text
            attlog = (f"11\t{day} 07:45:10\t0\t1\t0\t0\t0\t0\t0\t0\r\n"
                      f"11\t{day} 16:05:00\t1\t1\t0\t0\t0\t0\t0\t0\r\n")
            for _ in range(2):  # the device retries: recorded once
                r = await gw.post("/iclock/cdata", params={"SN": serial, "table": "ATTLOG",
                                                           "Stamp": "1"}, content=attlog)
                assert r.status_code == 200 and r.text.startswith("OK"), r.text

            async def attendance_scored():
                resp = await gw.get(score_url, params={"period": period}, headers=staff)
                if resp.status_code != 200:
                    return None
                body = resp.json()
                return body if body.get("cause_type") == "attendance.day.evaluated" or any(
                    Decimal(str(c["value_pct"])) < 100 for c in body["components"]
                    if "attend" in c["name"] or "discipl" in c["name"]) else None

            first = await eventually(attendance_scored, timeout=60)
            discipline = [c for c in first["components"]
                          if "attend" in c["name"] or "discipl" in c["name"]]
            assert discipline and all(Decimal(str(c["value_pct"])) < 100 for c in discipline)

            # 3. the staff member logs two hours; the direct supervisor approves
            r = await gw.post(f"/api/activity/{tenant_id}/entries", headers=staff, json={
                "work_date": str(day), "start": "08:00", "end": "10:00",
                "description": "Menyusun laporan realisasi anggaran", "submit": True})
            assert r.status_code == 201, r.text
            entry = r.json()
            assert entry["nip"] == STAFF, "the entry is the signed-in person's own"
            r = await gw.post(f"/api/activity/{tenant_id}/entries/{entry['id']}/approve",
                              headers=staff, json={})
            assert r.status_code in (403, 422), "self-approval must be refused"
            r = await gw.post(f"/api/activity/{tenant_id}/entries/{entry['id']}/approve",
                              headers=head, json={})
            assert r.status_code == 200 and r.json()["status"] == "approved", r.text

            async def approval_scored():
                resp = await gw.get(score_url, params={"period": period}, headers=staff)
                body = resp.json()
                return body if Decimal(str(body["final_pct"])) > Decimal(
                    str(first["final_pct"])) else None

            second = await eventually(approval_scored, timeout=60)
            assert second["version"] > first["version"]
            assert Decimal(str(second["tpp_amount"])) > Decimal(str(first["tpp_amount"]))

            async def streamed():
                mine = [e for e in sse.scores if e["nip"] == STAFF and e["period"] == period]
                return mine if any(e["version"] >= second["version"] for e in mine) else None

            streamed_events = await eventually(streamed, timeout=30)
            assert {e["cause_type"] for e in streamed_events} >= {"activity.entry.approved"}
            assert all(e["tenant_id"] == tenant_id for e in sse.scores)

        # 4. the services' metrics (internal ports) count what went through
        async with httpx.AsyncClient(base_url=system.urls["scoring"], timeout=15) as internal:
            r = await internal.get("/metrics")
            assert r.status_code == 200 and "ekinerja_events_consumed_total" in r.text
