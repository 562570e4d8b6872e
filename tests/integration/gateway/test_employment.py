"""Employment over time in the directory, on real PostgreSQL and Kafka: the roster's TMT,
effective dates and end of duty reach the directory events, the history keeps every change,
and an unknown column refuses the file."""

from __future__ import annotations

import datetime as dt

import pytest

from ekinerja_shared import events as ev
from ekinerja_shared.timeutil import local_today
from ekinerja_shared.topics import DIRECTORY
from gateway.app import create_app
from tests.support.apps import EventProbe, running_app
from ekinerja_shared.identity import Role
from tests.support.tokens import as_hr, as_operator, as_user

pytestmark = pytest.mark.integration

HEADER = "nip,name,unit_id,supervisor_nip,tpp_base,tmt,effective_from,end_date,end_reason"
HEAD = "197204121998031005"
STAFF = "199001172015031002"
TENANT = {"name": "Pemerintah Kota Uji", "timezone": "WIB", "policy_preset": "cilegon"}
CSV = {"content-type": "text/csv"}


def roster(*lines: str) -> str:
    return "\n".join([HEADER, *lines]) + "\n"


async def test_dated_roster_events_and_history(settings, kafka_bootstrap, tenant_id):
    today = local_today("Asia/Jakarta")
    tmt = today - dt.timedelta(days=20)
    moved = today - dt.timedelta(days=5)
    async with EventProbe(kafka_bootstrap, DIRECTORY.name, tenant_id) as probe, \
            running_app(create_app(settings)) as client:
        client.headers.update(as_hr(tenant_id))
        r = await client.put(f"/api/tenants/{tenant_id}", json=TENANT, headers=as_operator())
        assert r.status_code == 201, r.text
        # an unknown column: nothing stored, the column named
        r = await client.post(f"/api/tenants/{tenant_id}/roster", headers=CSV,
                              content="nip,name,unit_id,tpp_base,golongan\n"
                                      f"{HEAD},Kepala,dinas,100,IV/a\n")
        assert r.status_code == 422, r.text
        assert "'golongan' tidak dikenal" in r.json()["detail"] + str(r.json())
        r = await client.post(f"/api/tenants/{tenant_id}/roster", headers=CSV, content=roster(
            f"{HEAD},Kepala,dinas,,9000000,{tmt},,,",
            f"{STAFF},Staf,dinas,{HEAD},4000000,,{tmt:%d-%m-%Y},,"))
        assert r.json() == {"created": 2, "updated": 0, "unchanged": 0}, r.text
        # mid-month transfer with a new supervisor (none) and TPP base, from its date
        r = await client.post(f"/api/tenants/{tenant_id}/roster", headers=CSV, content=roster(
            f"{HEAD},Kepala,dinas,,9000000,,,,",
            f"{STAFF},Staf,rsud,,5000000,,{moved},,"))
        assert r.json() == {"created": 0, "updated": 1, "unchanged": 1}, r.text
        # retirement: active again only until the end day
        r = await client.post(f"/api/tenants/{tenant_id}/roster", headers=CSV, content=roster(
            f"{STAFF},Staf,rsud,,5000000,,,{today - dt.timedelta(days=1)},pensiun"))
        assert r.json() == {"created": 0, "updated": 1, "unchanged": 0}, r.text

        await probe.wait_for(lambda e: sum(isinstance(x, ev.EmployeeUpserted) and x.nip == STAFF
                                           for x in probe.events) >= 3)
        staff = [e for e in probe.events if isinstance(e, ev.EmployeeUpserted) and e.nip == STAFF]
        assert [(e.unit_id, e.effective_from, e.start_date, e.active) for e in staff] == [
            ("dinas", tmt, tmt, True), ("rsud", moved, tmt, True), ("rsud", today, tmt, False)]
        assert (staff[-1].end_date, staff[-1].end_reason) == (today - dt.timedelta(days=1),
                                                              "pensiun")

        r = await client.get(f"/api/tenants/{tenant_id}/employees/{STAFF}/history")
        assert r.status_code == 200, r.text
        history = r.json()
        assert [(h["change"], h["effective_from"], h["state"]["unit_id"],
                 h["state"]["tpp_base"]) for h in history] == [
            ("created", tmt.isoformat(), "dinas", "4000000.00"),
            ("updated", moved.isoformat(), "rsud", "5000000.00"),
            ("updated", today.isoformat(), "rsud", "5000000.00")]
        assert history[-1]["state"]["end_reason"] == "pensiun"
        r = await client.get(f"/api/tenants/{tenant_id}/employees/{STAFF}")
        assert (r.json()["start_date"], r.json()["active"]) == (tmt.isoformat(), False)
        # an employee reads neither their own history nor anyone's
        r = await client.get(f"/api/tenants/{tenant_id}/employees/{STAFF}/history",
                             headers=as_user(tenant_id, HEAD, Role.EMPLOYEE))
        assert r.status_code == 403
