"""The regency's audit trail at the gateway, on the real PostgreSQL and Kafka: the other
services' records (``ekinerja.audit.v1``) and the gateway's own changes arrive in the list
next to the sign-ins, once each; HR filters and pages it; HR of another regency gets 404;
the table refuses UPDATE and DELETE as the application role."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

from ekinerja_shared import events as ev
from gateway.app import create_app
from tests.support.apps import eventually, publish
from tests.support.auth import (
    ADMIN,
    DEDI,
    LIA,
    SITI,
    auth_settings,
    bearer,
    running_auth_app,
    seed_regency,
    signed_in,
)

pytestmark = pytest.mark.integration


async def test_records_of_every_service_in_the_regencys_list(settings, kafka_bootstrap,
                                                              tenant_id):
    other = tenant_id + "-lain"
    approval = ev.AuditRecorded(  # as the activity service stages it
        tenant_id=tenant_id, service="activity", action="activity.entry.approve",
        actor=f"{tenant_id}:{SITI}", actor_nip=SITI, actor_roles=["employee", "supervisor"],
        target="0b6f5c4e-1111-4d2a-9c3e-000000000001", detail={"status": "approved"},
        source_ip="10.1.2.3", forwarded_for="203.0.113.9")
    async with running_auth_app(create_app(auth_settings(settings))) as client:
        await seed_regency(client, tenant_id)
        await seed_regency(client, other)
        hr = bearer((await signed_in(client, tenant_id, DEDI, roles=["hr"]))["access_token"])
        r = await client.delete(f"/api/tenants/{tenant_id}/employees/{LIA}", headers=hr)
        assert r.status_code == 200, r.text
        await publish(kafka_bootstrap, approval, approval)  # delivered twice: kept once

        async def arrived():
            rows = (await client.get(f"/api/tenants/{tenant_id}/audit", headers=hr)).json()
            actions = [e["action"] for e in rows]
            wanted = {"activity.entry.approve", "directory.employee.deactivate",
                      "directory.roster.upload", "login"}
            return rows if wanted <= set(actions) else None

        rows = await eventually(arrived, timeout=120)
        assert all(e["tenant_id"] == tenant_id for e in rows)
        [kept] = [e for e in rows if e["action"] == "activity.entry.approve"]
        assert (kept["service"], kept["actor"], kept["actor_nip"], kept["target"]) == (
            "activity", f"{tenant_id}:{SITI}", SITI, approval.target)
        assert (kept["source_ip"], kept["forwarded_for"]) == ("10.1.2.3", "203.0.113.9")
        [gone] = [e for e in rows if e["action"] == "directory.employee.deactivate"]
        assert (gone["service"], gone["actor"], gone["actor_nip"], gone["target"]) == (
            "gateway", f"{tenant_id}:{DEDI}", DEDI, LIA)
        [upload] = [e for e in rows if e["action"] == "directory.roster.upload"]
        assert upload["actor_roles"] == ["operator"] and upload["detail"]["created"] > 0
        assert any(e["action"] == "operator.access" for e in rows)
        assert [e["id"] for e in rows] == sorted((e["id"] for e in rows), reverse=True)

        # filters: an exact action, a prefix, a person (their sign-ins too), a time range
        async def listed(**params):
            r = await client.get(f"/api/tenants/{tenant_id}/audit", params=params, headers=hr)
            assert r.status_code == 200, r.text
            return r.json()

        assert [e["id"] for e in await listed(action="activity.entry.approve")] == [kept["id"]]
        assert {e["action"] for e in await listed(action="directory.")} == {
            "directory.tenant.put", "directory.roster.upload", "directory.employee.deactivate"}
        mine = {e["action"] for e in await listed(actor=DEDI)}
        assert {"login", "password_changed", "directory.employee.deactivate"} <= mine
        assert "activity.entry.approve" not in mine
        at = dt.datetime.fromisoformat(kept["at"])
        assert [e["id"] for e in await listed(action="activity.entry.approve",
                                              since=at.isoformat(),
                                              until=(at + dt.timedelta(seconds=1)).isoformat())
                ] == [kept["id"]]
        assert await listed(action="activity.entry.approve",
                            since=(at + dt.timedelta(seconds=1)).isoformat()) == []
        first, second = await listed(limit=2)
        assert [e["id"] for e in await listed(limit=1, before=first["id"])] == [second["id"]]
        r = await client.get(f"/api/tenants/{tenant_id}/audit", params={"since": "2026-11-01"},
                             headers=hr)
        assert r.status_code == 422  # a time without its zone is refused

        # another regency's HR does not see this regency (nor learns it exists)
        other_hr = bearer((await signed_in(client, other, DEDI, roles=["hr"]))["access_token"])
        r = await client.get(f"/api/tenants/{tenant_id}/audit", headers=other_hr)
        assert r.status_code == 404 and r.json()["code"] == "tenant_not_found"
        assert not [e for e in (await client.get(f"/api/tenants/{other}/audit",
                                                 headers=other_hr)).json()
                    if e["tenant_id"] != other]
        r = await client.get(f"/api/tenants/{tenant_id}/audit", headers=ADMIN)
        assert r.status_code == 200  # the operator reads it (and that read is recorded)

    engine = create_async_engine(settings.database_url)  # the application role
    try:
        for statement in ("UPDATE auth_audit SET actor = 'someone' WHERE event_id = :e",
                          "DELETE FROM auth_audit WHERE event_id = :e",
                          "TRUNCATE auth_audit"):
            with pytest.raises(DBAPIError, match="append-only|permission denied"):
                async with engine.begin() as conn:
                    await conn.execute(text(statement), {"e": approval.event_id})
        async with engine.connect() as conn:
            assert await conn.scalar(text("SELECT actor FROM auth_audit WHERE event_id = :e"),
                                     {"e": approval.event_id}) == f"{tenant_id}:{SITI}"
    finally:
        await engine.dispose()
