"""Who sees what at the gateway, on the real PostgreSQL as the application role (row-level
security applies) with scores from the real Kafka: lists, single rows, device PINs and the
live stream filtered by role; machine clients by scope; regencies isolated in the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

from ekinerja_shared.identity import Role
from gateway.app import create_app
from tests.integration.gateway.conftest import serve_loopback
from tests.integration.gateway.test_scores import score
from tests.support import infra
from tests.support.apps import eventually, from_now_on, publish, running_app
from tests.support.tokens import as_hr, as_operator, as_user, bearer, client_token

pytestmark = pytest.mark.integration

ROSTER = Path(__file__).resolve().parents[3] / "deploy" / "demo" / "roster-cilegon.csv"
TENANT = {"name": "Pemerintah Kota Uji", "timezone": "WIB", "policy_preset": "cilegon"}
HEAD = "197204121998031005"   # Kepala Dinas: leadership in these tests
RINA = "197809232003122002"   # supervises Siti
BUDI = "198003152005011003"   # supervises Lia, Rizky, Nur
SITI = "198507082010012011"
DEDI = "199001172015031002"   # HR
LIA = "199205302019032009"
RIZKY = "199811112024031001"
NUR = "199402142023212012"
EVERYONE = {HEAD, RINA, BUDI, SITI, DEDI, LIA, RIZKY, NUR}


async def seed(client: httpx.AsyncClient, tenant_id: str) -> None:
    r = await client.put(f"/api/tenants/{tenant_id}", json=TENANT, headers=as_operator())
    assert r.status_code == 201, r.text
    r = await client.post(f"/api/tenants/{tenant_id}/roster", content=ROSTER.read_bytes(),
                          headers={**as_hr(tenant_id, DEDI), "content-type": "text/csv"})
    assert r.status_code == 200, r.text


def nips(r: httpx.Response) -> set[str]:
    assert r.status_code == 200, r.text
    return {row["nip"] for row in r.json()}


def pins(r: httpx.Response) -> set[str | None]:
    return {row["device_pin"] for row in r.json()}


async def test_directory_and_scores_are_filtered_by_role(settings, kafka_bootstrap, tenant_id):
    other = f"{tenant_id}-b"
    employee = as_user(tenant_id, LIA)
    supervisor = as_user(tenant_id, BUDI, Role.EMPLOYEE, Role.SUPERVISOR)
    leader = as_user(tenant_id, HEAD, Role.EMPLOYEE, Role.LEADER)
    hr = as_hr(tenant_id, DEDI)
    other_hr = as_hr(other, DEDI)
    base = f"/api/tenants/{tenant_id}"
    app = create_app(settings)
    await from_now_on(app)  # the scores below are published after the start
    async with running_app(app) as client:
        await seed(client, tenant_id)
        await seed(client, other)
        await publish(kafka_bootstrap, *(score(tenant_id, 1, pct, nip=nip) for nip, pct in
                                         ((LIA, "80"), (RIZKY, "70"), (BUDI, "90"),
                                          (SITI, "60"))))

        async def all_scores() -> bool:
            r = await client.get(f"{base}/scores", params={"period": "2026-10"}, headers=hr)
            return r.status_code == 200 and len(r.json()) == 4

        await eventually(all_scores, timeout=120)
        month = {"period": "2026-10"}

        # employee: own rows only, no PINs, a colleague or an unknown NIP is refused
        assert nips(await client.get(f"{base}/employees", headers=employee)) == {LIA}
        r = await client.get(f"{base}/employees/{LIA}", headers=employee)
        assert r.status_code == 200 and r.json()["device_pin"] is None
        for path in (f"employees/{RIZKY}", f"employees/{BUDI}", "employees/199999999999999999",
                     f"scores/{RIZKY}"):
            r = await client.get(f"{base}/{path}", params=month, headers=employee)
            assert r.status_code == 403 and r.json()["code"] == "own_data_only", path
        assert nips(await client.get(f"{base}/scores", params=month, headers=employee)) == {LIA}
        assert (await client.get(f"{base}/scores/{LIA}", params=month,
                                 headers=employee)).json()["final_pct"] == "80.000"

        # supervisor: self and direct reports (not the reports' colleagues, not the boss)
        team = {BUDI, LIA, RIZKY, NUR}
        r = await client.get(f"{base}/employees", headers=supervisor)
        assert nips(r) == team and pins(r) == {None}
        assert (await client.get(f"{base}/employees/{NUR}", headers=supervisor)).status_code == 200
        assert nips(await client.get(f"{base}/scores", params=month,
                                     headers=supervisor)) == {BUDI, LIA, RIZKY}
        assert (await client.get(f"{base}/scores/{RIZKY}", params=month,
                                 headers=supervisor)).status_code == 200
        for path in (f"employees/{SITI}", f"scores/{SITI}", f"employees/{HEAD}"):
            r = await client.get(f"{base}/{path}", params=month, headers=supervisor)
            assert r.status_code == 403, path

        # leadership: the whole regency, read-only, without PINs
        r = await client.get(f"{base}/employees", headers=leader)
        assert nips(r) == EVERYONE and pins(r) == {None}
        assert len((await client.get(f"{base}/scores", params=month, headers=leader)).json()) == 4
        assert (await client.delete(f"{base}/employees/{LIA}", headers=leader)).status_code == 403
        r = await client.post(f"{base}/roster", content=ROSTER.read_bytes(),
                              headers={**leader, "content-type": "text/csv"})
        assert r.status_code == 403 and r.json()["code"] == "forbidden"

        # HR and the operator see the PINs
        for who in (hr, as_operator()):
            r = await client.get(f"{base}/employees", headers=who)
            assert nips(r) == EVERYONE and pins(r) == {str(i) for i in range(1, 9)}
            assert (await client.get(f"{base}/employees/{LIA}", headers=who)).json()[
                "device_pin"] == "6"

        # another regency's HR learns nothing about this one
        for path in ("", "/employees", f"/employees/{LIA}", "/scores", f"/scores/{LIA}"):
            r = await client.get(f"{base}{path}", params=month, headers=other_hr)
            assert r.status_code == 404 and r.json()["code"] == "tenant_not_found", path

        # regencies: the operator creates them and lists all; anyone else sees their own
        r = await client.put(f"{base}", json=TENANT, headers=hr)
        assert r.status_code == 403 and r.json()["code"] == "forbidden"
        r = await client.put(f"/api/tenants/{tenant_id}-c", json=TENANT, headers=hr)
        assert r.status_code == 404 and r.json()["code"] == "tenant_not_found"
        assert nips_of_tenants(await client.get("/api/tenants", headers=employee)) == \
            [tenant_id]
        assert {tenant_id, other} <= set(
            nips_of_tenants(await client.get("/api/tenants", headers=as_operator())))
        assert (await client.get("/api/tenants")).status_code == 401


def nips_of_tenants(r: httpx.Response) -> list[str]:
    assert r.status_code == 200, r.text
    return [t["tenant_id"] for t in r.json()]


async def test_machine_clients_act_through_their_scopes(settings, tenant_id):
    base = f"/api/tenants/{tenant_id}"
    simpeg = bearer(client_token(tenant_id, f"{tenant_id}.simpeg", "directory.write"))
    reader = bearer(client_token(tenant_id, f"{tenant_id}.dir", "directory.read"))
    payroll = bearer(client_token(tenant_id, f"{tenant_id}.pay", "scores.read"))
    stranger = bearer(client_token(f"{tenant_id}-b", "b.simpeg", "directory.write"))
    async with running_app(create_app(settings)) as client:
        r = await client.put(base, json=TENANT, headers=as_operator())
        assert r.status_code == 201
        r = await client.post(f"{base}/roster", content=ROSTER.read_bytes(),
                              headers={**simpeg, "content-type": "text/csv"})
        assert r.status_code == 200 and r.json()["created"] == 8, r.text
        r = await client.post(f"{base}/roster", content=ROSTER.read_bytes(),
                              headers={**stranger, "content-type": "text/csv"})
        assert r.status_code == 404
        for who in (simpeg, payroll):
            r = await client.get(f"{base}/employees", headers=who)
            assert r.status_code == 403 and r.json()["code"] == "forbidden"
        r = await client.get(f"{base}/employees", headers=reader)
        assert nips(r) == EVERYONE and pins(r) == {None}
        r = await client.get(f"{base}/scores", params={"period": "2026-10"}, headers=payroll)
        assert r.status_code == 200
        r = await client.get(f"{base}/scores", params={"period": "2026-10"}, headers=reader)
        assert r.status_code == 403
        r = await client.delete(f"{base}/employees/{LIA}", headers=simpeg)
        assert r.status_code == 403


async def test_regencies_are_isolated_in_the_database(settings, tenant_id):
    """The gateway's tenant-scoped tables are under row-level security and the gateway
    connects as a role that is neither their owner nor a superuser: a query that forgets
    its regency sees nothing, a bound one sees and writes its own regency only."""
    other = f"{tenant_id}-b"
    async with running_app(create_app(settings)) as client:
        await seed(client, tenant_id)
        await seed(client, other)
    engine = create_async_engine(settings.database_url)
    try:
        async with engine.connect() as conn:
            me = (await conn.execute(text(
                "SELECT current_user, rolsuper, rolbypassrls FROM pg_roles "
                "WHERE rolname = current_user"))).one()
            assert tuple(me) == ("ek_gateway_app", False, False)
            rows = (await conn.execute(text(
                "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, "
                "pg_get_userbyid(c.relowner) FROM pg_class c JOIN pg_policies p "
                "ON p.tablename = c.relname AND p.policyname = 'tenant_isolation' "
                "WHERE c.relnamespace = 'public'::regnamespace"))).all()
            assert {r[0] for r in rows} == {"tenants", "employees", "scores", "quarantine",
                                            "acting_assignments", "employee_history"}
            assert all(r[1] and r[2] and r[3] == "ek_gateway" for r in rows)
            for table in ("tenants", "employees", "scores", "quarantine", "acting_assignments",
                          "employee_history"):
                assert await conn.scalar(text(f"SELECT count(*) FROM {table}")) == 0, table
        async with engine.begin() as conn:
            await conn.execute(text("SELECT set_config('app.tenant_id', :t, true)"),
                               {"t": tenant_id})
            assert await conn.scalar(text("SELECT count(*) FROM employees")) == 8
            assert await conn.scalar(text("SELECT count(*) FROM tenants")) == 1
            assert await conn.scalar(text(
                "SELECT count(*) FROM employees WHERE tenant_id = :o"), {"o": other}) == 0
            changed = await conn.execute(text("UPDATE employees SET name = name"))
            assert changed.rowcount == 8
        with pytest.raises(DBAPIError, match="row-level security"):
            async with engine.begin() as conn:
                await conn.execute(text("SELECT set_config('app.tenant_id', :t, true)"),
                                   {"t": tenant_id})
                await conn.execute(text(
                    "INSERT INTO tenants (tenant_id, name, timezone, policy_preset, "
                    "created_at, updated_at) VALUES (:o, 'x', 'Asia/Jakarta', 'cilegon', "
                    "now(), now())"), {"o": f"{tenant_id}-c"})
    finally:
        await engine.dispose()


@contextlib.asynccontextmanager
async def sse(client: httpx.AsyncClient, url: str, headers: dict[str, str]
              ) -> AsyncIterator[list[tuple[str, Any]]]:
    """The events of one SSE connection, read in the background: (event, data)."""
    got: list[tuple[str, Any]] = []
    connected = asyncio.Event()

    async def run() -> None:
        async with client.stream("GET", url, headers=headers, timeout=None) as resp:
            assert resp.status_code == 200
            connected.set()
            event = None
            async for line in resp.aiter_lines():
                if line.startswith("event:"):
                    event = line.split(":", 1)[1].strip()
                elif line.startswith("data:") and event:
                    data = line.split(":", 1)[1].strip()
                    got.append((event, json.loads(data) if event == "score" else data))
            got.append(("closed", None))

    task = asyncio.create_task(run())
    await asyncio.wait_for(connected.wait(), 30)
    try:
        yield got
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, httpx.HTTPError):
            await task


async def test_live_stream_is_filtered_per_subscriber(settings, kafka_bootstrap, tenant_id):
    """HR gets every update of the regency, a supervisor the team's, an employee their own;
    a stream ends after EK_STREAM_MAX_S (the browser reconnects and is decided again)."""
    url = f"/api/tenants/{tenant_id}/scores/stream"
    async with serve_loopback(create_app(settings)) as base, \
            httpx.AsyncClient(base_url=base, timeout=30) as client:
        await seed(client, tenant_id)
        async with sse(client, url, as_hr(tenant_id, DEDI)) as hr, \
                sse(client, url, as_user(tenant_id, BUDI, Role.SUPERVISOR)) as boss, \
                sse(client, url, as_user(tenant_id, LIA)) as lia:
            version = 0

            async def all_delivered() -> bool:
                # the live subscriber starts at the latest offset once its partitions are
                # assigned: keep producing new versions until HR has had both
                nonlocal version
                version += 1
                await publish(kafka_bootstrap, score(tenant_id, version, "70", nip=LIA),
                              score(tenant_id, version, "60", nip=SITI),
                              score(tenant_id, version, "90", nip=BUDI))
                await asyncio.sleep(0.5)
                seen = {d["nip"] for e, d in hr if e == "score"}
                return seen == {LIA, SITI, BUDI}

            await eventually(all_delivered, timeout=60, interval=0.5)
            await asyncio.sleep(1)  # the last round reaches every subscriber

            def seen(events: list[tuple[str, Any]]) -> set[str]:
                return {d["nip"] for e, d in events if e == "score"}

            assert seen(hr) == {LIA, SITI, BUDI}
            assert seen(boss) == {LIA, BUDI}
            assert seen(lia) == {LIA}
            assert all(d["tenant_id"] == tenant_id for e, d in hr if e == "score")

    short = settings.model_copy(update={"stream_max_s": 1.5})
    async with serve_loopback(create_app(short)) as base, \
            httpx.AsyncClient(base_url=base, timeout=30) as client:
        async with sse(client, url, as_user(tenant_id, LIA)) as lia:
            ended = await eventually(lambda: _closed(lia), timeout=20)
            assert ended[-2][0] == "reconnect"
        async with client.stream("GET", url) as resp:
            assert resp.status_code == 401


async def _closed(events: list[tuple[str, Any]]) -> list[tuple[str, Any]] | None:
    return events if events and events[-1][0] == "closed" else None
