"""The directory the gateway owns: tenants and rosters on real PostgreSQL, published through
the outbox to the real Kafka."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

import pytest

from ekinerja_shared import events as ev
from ekinerja_shared.topics import DIRECTORY
from gateway.app import create_app
from tests.support.apps import EventProbe, Staged, running_app
from tests.support.tokens import as_hr, as_operator

pytestmark = pytest.mark.integration

DEMO = Path(__file__).resolve().parents[3] / "deploy" / "demo" / "roster-cilegon.csv"
HEADER = "nip,name,unit_id,unit_name,position,supervisor_nip,tpp_base,employment_type,device_pin"
HEAD = "197204121998031005"
STAFF = "199001172015031002"
TENANT = {"name": "Pemerintah Kota Uji", "timezone": "WIB", "policy_preset": "cilegon"}
OPERATOR = as_operator()


async def staged_count(outbox: Staged, tenant_id: str, event_type: str) -> int:
    return len(await outbox.payloads(tenant_id, event_type))


def employees_of(probe: EventProbe, nip: str | None = None) -> list[ev.EmployeeUpserted]:
    return [e for e in probe.events
            if isinstance(e, ev.EmployeeUpserted) and (nip is None or e.nip == nip)]


async def test_tenant_and_roster_are_published_once(settings, kafka_bootstrap, tenant_id):
    roster = DEMO.read_text()
    nips = [line.split(",")[0] for line in roster.splitlines()[1:]]
    app = create_app(settings)
    outbox = Staged(app.state.runtime)  # what it staged, published or not
    async with EventProbe(kafka_bootstrap, DIRECTORY.name, tenant_id) as probe, \
            running_app(app) as client:
        client.headers.update(as_hr(tenant_id))
        r = await client.put(f"/api/tenants/{tenant_id}", json=TENANT, headers=OPERATOR)
        assert r.status_code == 201, r.text
        assert r.json()["timezone"] == "Asia/Jakarta"
        r = await client.put(f"/api/tenants/{tenant_id}", json=TENANT, headers=OPERATOR)
        assert r.status_code == 200

        r = await client.post(f"/api/tenants/{tenant_id}/roster", content=roster,
                              headers={"content-type": "text/csv"})
        assert r.status_code == 200, r.text
        assert r.json() == {"created": 8, "updated": 0, "unchanged": 0}

        tenant = await probe.wait_for(lambda e: isinstance(e, ev.TenantUpserted))
        assert tenant.timezone == "Asia/Jakarta" and tenant.policy_preset == "cilegon"
        await probe.wait_for(lambda e: len(employees_of(probe)) >= 8)
        staff = employees_of(probe, STAFF)[0]
        assert staff.supervisor_nip == "198507082010012011"
        assert staff.tpp_base == Decimal("4500000") and staff.device_pin == "5"
        assert staff.key() == f"{tenant_id}:{STAFF}"

        # the same CSV again: nothing changes, nothing is published
        r = await client.post(f"/api/tenants/{tenant_id}/roster", content=roster,
                              headers={"content-type": "text/csv"})
        assert r.json() == {"created": 0, "updated": 0, "unchanged": 8}
        assert await staged_count(outbox, tenant_id,
                                  "directory.employee.upserted") == 8

        # a real change to every employee: on each key the change follows the creation
        # directly (a re-publication by the reload would sit in between)
        raised = roster.replace("00,PNS,", "01,PNS,").replace("00,CPNS,", "01,CPNS,") \
            .replace("00,PPPK,", "01,PPPK,")
        r = await client.post(f"/api/tenants/{tenant_id}/roster", content=raised,
                              headers={"content-type": "text/csv"})
        assert r.json() == {"created": 0, "updated": 8, "unchanged": 0}
        await probe.wait_for(lambda e: len(employees_of(probe)) >= 16)
        for nip in nips:
            mine = employees_of(probe, nip)
            assert [e.tpp_base % 100 for e in mine] == [0, 1], nip
        tenants = [e for e in probe.events if isinstance(e, ev.TenantUpserted)]
        assert len(tenants) == 1

        r = await client.get(f"/api/tenants/{tenant_id}/employees",
                             params={"unit_id": "diskominfo-aptika"})
        assert sorted(e["device_pin"] for e in r.json()) == ["3", "6", "7", "8"]


async def test_invalid_roster_applies_nothing(settings, tenant_id):
    app = create_app(settings)
    outbox = Staged(app.state.runtime)
    async with running_app(app) as client:
        client.headers.update(as_hr(tenant_id))
        r = await client.put(f"/api/tenants/{tenant_id}", json=TENANT, headers=OPERATOR)
        assert r.status_code == 201
        bad = "\n".join([
            HEADER,
            f"{HEAD},Kepala Dinas,dinas,Dinas,Kepala,,12500000,PNS,1",
            f"{STAFF},Staf,umum,Umum,Pelaksana,{HEAD},-1,PNS,2",
            "1234,Pendek,umum,Umum,Pelaksana,,100,GURU,3",
        ])
        r = await client.post(f"/api/tenants/{tenant_id}/roster", content=bad,
                              headers={"content-type": "text/csv"})
        assert r.status_code == 422
        body = r.json()
        assert body["code"] == "invalid_roster" and "tidak ada data yang disimpan" in body["detail"]
        assert {(e["baris"], e["kolom"]) for e in body["errors"]} == {
            (3, "tpp_base"), (4, "nip"), (4, "employment_type")}
        assert (await client.get(f"/api/tenants/{tenant_id}/employees")).json() == []
        assert await staged_count(outbox, tenant_id,
                                  "directory.employee.upserted") == 0


async def test_multipart_upload_deactivation_and_lookups(settings, kafka_bootstrap, tenant_id):
    roster = "\n".join([
        HEADER.replace(",", ";"),
        f"{HEAD};Kepala Dinas;dinas;Dinas;Kepala;;12.500.000;PNS;1",
        f"{STAFF};Staf;umum;Umum;Pelaksana;{HEAD};4500000;PPPK;2",
    ])
    async with EventProbe(kafka_bootstrap, DIRECTORY.name, tenant_id) as probe, \
            running_app(create_app(settings)) as client:
        client.headers.update(as_hr(tenant_id))
        r = await client.post(f"/api/tenants/{tenant_id}/roster", content=roster,
                              headers={"content-type": "text/csv"})
        assert r.status_code == 404 and "belum terdaftar" in r.json()["detail"]
        await client.put(f"/api/tenants/{tenant_id}", json={**TENANT, "timezone": "WITA"},
                         headers=OPERATOR)
        r = await client.post(f"/api/tenants/{tenant_id}/roster",
                              files={"file": ("pegawai.csv", roster.encode(), "text/csv")})
        assert r.status_code == 200 and r.json()["created"] == 2, r.text
        r = await client.get(f"/api/tenants/{tenant_id}/employees/{HEAD}")
        assert Decimal(r.json()["tpp_base"]) == Decimal("12500000")

        r = await client.delete(f"/api/tenants/{tenant_id}/employees/{STAFF}")
        assert r.status_code == 200 and r.json()["active"] is False
        gone = await probe.wait_for(
            lambda e: isinstance(e, ev.EmployeeUpserted) and e.nip == STAFF and not e.active)
        assert gone.employment_type == "PPPK"

        # a reload without the employee does not delete anyone
        only_head = "\n".join(roster.splitlines()[:2])
        r = await client.post(f"/api/tenants/{tenant_id}/roster", content=only_head,
                              headers={"content-type": "text/csv"})
        assert r.json() == {"created": 0, "updated": 0, "unchanged": 1}
        assert len((await client.get(f"/api/tenants/{tenant_id}/employees")).json()) == 2

        r = await client.get(f"/api/tenants/{tenant_id}/employees/199999999999999999")
        assert r.status_code == 404 and "tidak terdaftar" in r.json()["detail"]
        assert (await client.get(f"/api/tenants/{tenant_id}")).json()["timezone"] == \
            "Asia/Makassar"
        assert tenant_id in [t["tenant_id"] for t in (await client.get("/api/tenants")).json()]


async def test_tenant_input_is_checked(settings, tenant_id):
    async with running_app(create_app(settings)) as client:
        client.headers.update(as_hr(tenant_id))
        r = await client.put(f"/api/tenants/{tenant_id}", json={**TENANT, "timezone": "GMT+7x"},
                             headers=OPERATOR)
        assert r.status_code == 422 and r.json()["code"] == "unknown_timezone"
        r = await client.put(f"/api/tenants/{tenant_id}", json={**TENANT, "policy_preset": "x"},
                             headers=OPERATOR)
        assert r.status_code == 422 and "Preset kebijakan" in r.json()["detail"]
        r = await client.get(f"/api/tenants/{tenant_id}")
        assert r.status_code == 404


async def test_a_tenant_created_by_concurrent_requests_is_created_once(settings, tenant_id):
    """The requests that lose the race on the new key are run again by the unit of work and
    find the tenant there: one creation, one event, no error."""
    app = create_app(settings)
    outbox = Staged(app.state.runtime)
    async with running_app(app) as client:
        answers = await asyncio.gather(*(client.put(f"/api/tenants/{tenant_id}", json=TENANT,
                                                    headers=OPERATOR)
                                         for _ in range(4)))
        assert sorted(r.status_code for r in answers) == [200, 200, 200, 201], \
            [r.text for r in answers]
    assert await staged_count(outbox, tenant_id,
                              "directory.tenant.upserted") == 1


async def test_admin_endpoints_need_the_token_when_set(settings, tenant_id):
    """EK_ADMIN_TOKEN stays the break-glass operator credential at the gateway; without
    credentials a caller is refused, and reading needs a member of the regency."""
    guarded = settings.model_copy(update={"admin_token": "rahasia"})
    async with running_app(create_app(guarded)) as client:
        r = await client.put(f"/api/tenants/{tenant_id}", json=TENANT)
        assert r.status_code == 401 and r.json()["code"] == "not_signed_in"
        r = await client.put(f"/api/tenants/{tenant_id}", json=TENANT,
                             headers={"Authorization": "Bearer salah"})
        assert r.status_code == 401 and r.json()["code"] == "invalid_token"
        r = await client.put(f"/api/tenants/{tenant_id}", json=TENANT,
                             headers={"Authorization": "Bearer rahasia"})
        assert r.status_code == 201
        # reading needs a signed-in member of the regency
        assert (await client.get(f"/api/tenants/{tenant_id}")).status_code == 401
        r = await client.get(f"/api/tenants/{tenant_id}", headers=as_hr(tenant_id))
        assert r.status_code == 200


async def test_dashboard_and_operations(settings):
    async with running_app(create_app(settings)) as client:
        # the web application: a browser not signed in is sent to the sign-in page
        r = await client.get("/")
        assert r.status_code == 303 and r.headers["location"] == "/app"
        r = await client.get("/app", headers={"accept": "text/html"})
        assert r.status_code == 303 and r.headers["location"] == "/app/masuk?next=%2Fapp"
        assert (await client.get("/app")).json()["code"] == "not_signed_in"  # API clients
        r = await client.get("/app/masuk")
        assert r.status_code == 200 and "Kode instansi" in r.text and 'lang="id"' in r.text
        assert "script-src 'self'" in r.headers["content-security-policy"]
        assert "EventSource" in (await client.get("/app/static/app.js")).text
        r = await client.get("/health")
        assert r.status_code == 200 and r.json()["database"] == "ok" and r.json()["kafka"] == "ok"
        # internal by default at the public edge
        for page in ("/metrics", "/docs", "/redoc", "/openapi.json", "/asyncapi",
                     "/asyncapi.json"):
            r = await client.get(page)
            assert r.status_code == 404 and r.json()["code"] == "not_found", page
    exposed = settings.model_copy(update={"http_expose_metrics": True, "http_expose_docs": True})
    async with running_app(create_app(exposed)) as client:
        r = await client.get("/metrics")
        assert "ekinerja_gateway_stream_clients" in r.text
        assert (await client.get("/openapi.json")).json()["info"]["title"] == "e-Kinerja gateway"
        assert (await client.get("/docs")).status_code == 200
        assert (await client.get("/asyncapi.json")).status_code == 200
