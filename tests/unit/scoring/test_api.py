"""The HTTP API on a migrated SQLite database (no broker needed for these routes), called
with tokens of the test run as the gateway signs them."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from ekinerja_shared import events as ev
from ekinerja_shared.identity import Role
from ekinerja_shared.migrations import upgrade_async
from ekinerja_shared.timeutil import local_today
from scoring.app import create_app
from scoring.service_layer import services
from scoring.settings import Settings
from tests.support.tokens import TEST_JWKS_JSON, as_hr, as_user, bearer, client_token

T = "t-api"


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[FastAPI]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'api.db'}"
    await upgrade_async("scoring", url)
    app = create_app(Settings(database_url=url, auth_jwks=TEST_JWKS_JSON))
    yield app
    await app.state.runtime.engine.dispose()


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://test") as c:
        yield c


HR_NIP = "199001172015031002"
ADMIN = as_hr(T, HR_NIP)


async def test_policy_admin_api(client: httpx.AsyncClient) -> None:
    base = f"/api/scoring/{T}"
    r = await client.put(f"{base}/policies/2026-11", json={"preset": "cilegon"})
    assert r.status_code == 401 and r.json()["code"] == "not_signed_in"
    r = await client.put(f"{base}/policies/2026-11", json={"preset": "cilegon"},
                         headers=as_user(T, "1990"))
    assert r.status_code == 403 and r.json()["code"] == "forbidden"
    # an acting person in the body is not taken: the token's is recorded
    r = await client.put(f"{base}/policies/2026-11", json={"preset": "cilegon",
                                                           "actor": "bkpsdm"}, headers=ADMIN)
    assert r.status_code == 200, r.text
    assert r.json()["set_by"] == HR_NIP
    assert [c["weight"] for c in r.json()["policy"]["components"]] == ["52.5", "30", "17.5"]
    custom = {"name": "kolaka", "components": [
        {"name": "kinerja", "weight": "60", "parts": [{"source": "performance", "weight": 100}]},
        {"name": "disiplin", "weight": "30", "parts": [{"source": "attendance", "weight": 100}]},
    ]}
    r = await client.put(f"{base}/policies/2027-01", json={"policy": custom}, headers=ADMIN)
    assert r.status_code == 422 and "harus 100" in r.json()["detail"]
    r = await client.put(f"{base}/policies/2027-01", json={"preset": "nope"}, headers=ADMIN)
    assert r.status_code == 422 and r.json()["code"] == "unknown_preset"
    r = await client.put(f"{base}/policies/2027-13", json={"preset": "cilegon"}, headers=ADMIN)
    assert r.status_code == 422
    member = as_user(T, "1990")  # any member of the regency reads the policies
    assert (await client.get(f"{base}/policy", params={"period": "2026-10"},
                             headers=member)).json()["policy"]["name"] == (
        "performance60_discipline40")
    assert (await client.get(f"{base}/policy", params={"period": "2027-02"},
                             headers=member)).json()["policy"]["name"] == "cilegon"
    policies = (await client.get(f"{base}/policies", headers=member)).json()
    assert [(p["effective_period"], p["set_by"]) for p in policies] == [("2026-11", HR_NIP)]
    # a partial policy changes only what it gives: the components of cilegon are kept
    r = await client.put(f"{base}/policies/2027-03", json={"policy": {
        "minutes_per_day": 270, "tpp_adjustments": {"CPNS": "80", "PPPK": "90"}}},
        headers=ADMIN)
    assert r.status_code == 200, r.text
    changed = r.json()["policy"]
    assert (changed["name"], changed["minutes_per_day"]) == ("cilegon", 270)
    assert [c["weight"] for c in changed["components"]] == ["52.5", "30", "17.5"]
    assert changed["tpp_adjustments"] == {"CPNS": "80", "PPPK": "90"}
    r = await client.put(f"{base}/policies/2027-04", json={"policy": {"components": [
        {"name": "kinerja", "weight": "100", "parts": [{"source": "performance"}]}]}},
        headers=ADMIN)
    assert r.status_code == 200, r.text
    assert (r.json()["policy"]["name"], r.json()["policy"]["minutes_per_day"]) == (
        "custom", 270)


async def test_scores_periods_and_exports_errors(client: httpx.AsyncClient) -> None:
    base = f"/api/scoring/{T}"
    r = await client.get(f"{base}/scores/1990", params={"period": "2026-10"}, headers=ADMIN)
    assert r.status_code == 404 and "belum ada" in r.json()["detail"]
    assert (await client.get(f"{base}/scores", params={"period": "2026-1"},
                             headers=ADMIN)).status_code == 422
    r = await client.post(f"{base}/periods/2098-01/close", json={}, headers=ADMIN)
    assert r.status_code == 422 and "belum berakhir" in r.json()["detail"]
    r = await client.post(f"{base}/periods/2026-01/reopen", json={"reason": "r"},
                          headers=ADMIN)
    assert r.status_code == 409
    r = await client.get(f"{base}/exports/tpp", params={"period": "2026-01"}, headers=ADMIN)
    assert r.status_code == 409 and "belum ditutup" in r.json()["detail"]
    r = await client.post(f"{base}/periods/2026-01/close", json={"actor": "bkpsdm"},
                          headers=ADMIN)
    assert r.status_code == 200 and r.json()["closed"] is True
    assert [(h["action"], h["actor"]) for h in r.json()["history"]] == [("close", HR_NIP)]
    payroll = bearer(client_token(T, "simpeg", "tpp:read"))
    r = await client.get(f"{base}/exports/tpp", params={"period": "2026-01", "format": "xlsx"},
                         headers=payroll)
    assert r.status_code == 200 and r.content[:2] == b"PK"
    r = await client.put(f"{base}/compliance/1990", params={"period": "2026-01"},
                         json={"value_pct": "80"}, headers=ADMIN)
    assert r.status_code == 409 and r.json()["code"] == "period_closed"
    r = await client.put(f"{base}/compliance/1990", params={"period": "2026-02"},
                         json={"value_pct": "180"}, headers=ADMIN)
    assert r.status_code == 422
    # a NIP the directory does not know: refused, no made-up score
    r = await client.put(f"{base}/compliance/1990", params={"period": "2026-02"},
                         json={"value_pct": "80"}, headers=ADMIN)
    assert (r.status_code, r.json()["code"]) == (404, "employee_not_found")
    assert "tidak terdaftar" in r.json()["detail"]
    assert (await client.get(f"{base}/scores/1990", params={"period": "2026-02"},
                             headers=ADMIN)).status_code == 404


async def test_compliance_needs_a_known_employee_and_a_policy_that_uses_it(
        app: FastAPI, client: httpx.AsyncClient) -> None:
    base = f"/api/scoring/{T}"
    staff = ev.EmployeeUpserted(tenant_id=T, nip="1990", name="Lia", unit_id="u1",
                                tpp_base=1000000)
    await app.state.runtime.uow.in_tenant(T).run(services.apply_events, [staff])
    # the default 60/40 has no compliance component: refused, nothing stored
    r = await client.put(f"{base}/compliance/1990", params={"period": "2026-02"},
                         json={"value_pct": "80"}, headers=ADMIN)
    assert (r.status_code, r.json()["code"]) == (422, "compliance_not_used")
    assert "tidak memiliki komponen kepatuhan" in r.json()["detail"]
    r = await client.put(f"{base}/policies/2026-02",
                         json={"preset": "performance60_attendance30_compliance10"},
                         headers=ADMIN)
    assert r.status_code == 200, r.text
    # before HR enters it, the month's figures say compliance is missing
    r = await client.get(f"{base}/scores/1990", params={"period": "2026-03"}, headers=ADMIN)
    assert r.status_code == 404  # no fact yet: no running score
    r = await client.put(f"{base}/compliance/1990", params={"period": "2026-02"},
                         json={"value_pct": "80"}, headers=ADMIN)
    assert r.status_code == 200, r.text
    # no activity, no attendance data (100 x 30) + compliance 80 x 10 = 38.00
    assert r.json()["final_pct"] == "38.00"
    codes = [f["code"] for f in r.json()["flags"]]
    assert "compliance_not_entered" not in codes
    assert {"no_attendance_data", "no_approved_activity"} <= set(codes)


SUPERVISOR = "198507082010012011"
STAFF, OTHER, STRANGER = "199205302019032009", "199301012020121001", "199401012021121001"


async def seed_team(app: FastAPI, client: httpx.AsyncClient) -> None:
    """Two direct reports of SUPERVISOR and one employee of another team, each with a
    score of 2026-10 (an attendance day makes the score row)."""
    rt = app.state.runtime
    directory = [ev.EmployeeUpserted(tenant_id=T, nip=nip, name=nip, unit_id="u1",
                                     supervisor_nip=boss, tpp_base=1000000)
                 for nip, boss in ((STAFF, SUPERVISOR), (OTHER, SUPERVISOR),
                                   (STRANGER, "198003152005011003"), (SUPERVISOR, None))]
    days = [ev.AttendanceDayEvaluated(tenant_id=T, nip=nip, work_date=dt.date(2026, 10, 1),
                                      revision=1)
            for nip in (STAFF, OTHER, STRANGER, SUPERVISOR)]
    await rt.uow.in_tenant(T).run(services.apply_events, [*directory, *days])


async def test_scores_are_read_by_the_employee_their_supervisor_hr_and_leader(
        app: FastAPI, client: httpx.AsyncClient) -> None:
    await seed_team(app, client)
    base, month = f"/api/scoring/{T}", {"period": "2026-10"}

    async def status(nip: str, headers: dict[str, str]) -> tuple[int, str | None]:
        r = await client.get(f"{base}/scores/{nip}", params=month, headers=headers)
        return r.status_code, None if r.status_code == 200 else r.json()["code"]

    boss = as_user(T, SUPERVISOR, Role.EMPLOYEE, Role.SUPERVISOR)
    assert await status(STAFF, as_user(T, STAFF)) == (200, None)
    assert await status(OTHER, as_user(T, STAFF)) == (403, "own_data_only")
    assert await status(STAFF, boss) == (200, None)
    assert await status(STRANGER, boss) == (403, "own_data_only")  # not a direct report
    # the directory copy decides, as in attendance and activity, not the token's role (a
    # Plt/Plh holds none): a token without the supervisor role still sees the team
    assert await status(STAFF, as_user(T, SUPERVISOR)) == (200, None)
    assert await status(STRANGER, as_user(T, "197001011995031001", Role.LEADER)) == (200, None)
    assert await status(STRANGER, ADMIN) == (200, None)
    assert await status(STAFF, as_user("t-lain", STAFF)) == (404, "tenant_not_found")
    payroll = bearer(client_token(T, "simpeg", "tpp:read"))
    assert await status(STAFF, payroll) == (403, "own_data_only")

    async def listed(headers: dict[str, str]) -> list[str]:
        r = await client.get(f"{base}/scores", params=month, headers=headers)
        assert r.status_code == 200, r.text
        return [s["nip"] for s in r.json()]

    assert await listed(as_user(T, STAFF)) == [STAFF]
    assert await listed(boss) == sorted([SUPERVISOR, STAFF, OTHER])
    assert await listed(as_user(T, SUPERVISOR)) == sorted([SUPERVISOR, STAFF, OTHER])
    assert await listed(ADMIN) == sorted([SUPERVISOR, STAFF, OTHER, STRANGER])
    assert await listed(payroll) == []
    # a supervisor's team changes with the directory
    moved = ev.EmployeeUpserted(tenant_id=T, nip=OTHER, name=OTHER, unit_id="u1",
                                supervisor_nip="198003152005011003", tpp_base=1000000)
    await app.state.runtime.uow.in_tenant(T).run(services.apply_events, [moved])
    assert await listed(boss) == sorted([SUPERVISOR, STAFF])
    assert await status(OTHER, boss) == (403, "own_data_only")


async def test_a_plh_reads_the_team_s_scores_over_the_assignment_s_dates(
        app: FastAPI, client: httpx.AsyncClient) -> None:
    """The copy of the activity service's Plt/Plh assignments decides with the directory
    copy: STRANGER acts for SUPERVISOR (his token has no supervisor role); an assignment
    that ended yesterday, one that starts tomorrow and a withdrawn one give nothing."""
    await seed_team(app, client)
    base, month = f"/api/scoring/{T}", {"period": "2026-10"}
    plh = as_user(T, STRANGER)
    today = local_today("Asia/Jakarta")  # T is not in the directory copy: WIB

    async def status(nip: str) -> int:
        return (await client.get(f"{base}/scores/{nip}", params=month,
                                 headers=plh)).status_code

    async def listed() -> list[str]:
        r = await client.get(f"{base}/scores", params=month, headers=plh)
        return [s["nip"] for s in r.json()]

    async def assign(start: int, end: int, removed: bool = False,
                     assignment_id: uuid.UUID | None = None) -> uuid.UUID:
        event = ev.ActingAssignmentUpserted(
            tenant_id=T, assignment_id=assignment_id or uuid.uuid4(),
            principal_nip=SUPERVISOR, acting_nip=STRANGER, kind="plh",
            start_date=today + dt.timedelta(days=start), end_date=today + dt.timedelta(days=end),
            removed=removed)
        await app.state.runtime.uow.in_tenant(T).run(services.apply_events, [event])
        return event.assignment_id

    await assign(-3, -1)  # ended yesterday
    await assign(1, 2)  # from tomorrow
    assert await status(STAFF) == 403 and await listed() == [STRANGER]
    in_force = await assign(0, 0)  # today only: its first and last day
    assert await status(STAFF) == 200 and await status(OTHER) == 200
    assert await status(SUPERVISOR) == 403  # a Plh is not the principal's supervisor
    assert await listed() == sorted([STAFF, OTHER, STRANGER])
    await assign(0, 0, removed=True, assignment_id=in_force)
    assert await status(STAFF) == 403 and await listed() == [STRANGER]


async def test_readers_clients_and_hr_routes(client: httpx.AsyncClient) -> None:
    base, month = f"/api/scoring/{T}", {"period": "2026-10"}
    leader = as_user(T, "197001011995031001", Role.EMPLOYEE, Role.LEADER)
    payroll = bearer(client_token(T, "simpeg", "tpp:read"))
    other_client = bearer(client_token(T, "simpeg", "roster:write"))
    for path, params in ((f"{base}/rankings/units", month),
                         (f"{base}/rankings/employees", {**month, "unit_id": "u1"}),
                         (f"{base}/trend", month), (f"{base}/board", month),
                         (f"{base}/periods/2026-10", {})):
        assert (await client.get(path, params=params, headers=leader)).status_code == 200
        r = await client.get(path, params=params, headers=payroll)
        assert r.status_code == 403 and r.json()["code"] == "forbidden"
    r = await client.get(f"{base}/exports/tpp", params=month, headers=leader)
    assert r.status_code == 409 and r.json()["code"] == "period_open"  # allowed, not closed
    r = await client.get(f"{base}/exports/tpp", params=month, headers=other_client)
    assert r.status_code == 403 and r.json()["code"] == "forbidden"
    r = await client.get("/api/scoring/t-lain/exports/tpp", params=month, headers=payroll)
    assert r.status_code == 404 and r.json()["code"] == "tenant_not_found"
    # leadership reads, never writes
    r = await client.post(f"{base}/periods/2026-10/close", headers=leader)
    assert r.status_code == 403 and r.json()["code"] == "forbidden"
    r = await client.put(f"{base}/compliance/1990", params=month, json={"value_pct": "80"},
                         headers=leader)
    assert r.status_code == 403 and r.json()["code"] == "forbidden"
    # the reopen records the token's person, not a name in the body
    r = await client.post(f"{base}/periods/2026-10/close", headers=ADMIN)
    assert r.status_code == 200, r.text
    r = await client.post(f"{base}/periods/2026-10/reopen", headers=ADMIN,
                          json={"actor": "orang lain", "reason": "koreksi"})
    assert r.status_code == 200, r.text
    assert [(h["action"], h["actor"]) for h in r.json()["history"]] == [
        ("close", HR_NIP), ("reopen", HR_NIP)]
