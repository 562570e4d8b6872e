"""Who may call what, on a migrated SQLite database (no broker needed for these routes):
every write of the attendance API is HR's (a signed-in employee is refused, a caller without
a token is not signed in); reads need a person of the regency; the device protocol carries
no token (a device is identified by its registered serial). The full matrix of every route
and persona is tests/authz/attendance.toml."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from attendance.app import create_app
from attendance.settings import Settings
from ekinerja_shared.migrations import upgrade_async
from tests.support.tokens import TEST_JWKS_JSON, as_hr, as_user

T = "t-guard"
ADMIN = as_hr(T)
PATH_VALUES = {"tenant_id": T, "serial": "CQZ0001", "nip": "198507082010012011",
               "leave_id": "1", "work_date": "2026-11-02", "day": "2026-11-02", "entry_id": "1",
               "period": "2026-11"}


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[FastAPI]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'guard.db'}"
    await upgrade_async("attendance", url)
    app = create_app(Settings(database_url=url, auth_jwks=TEST_JWKS_JSON))
    yield app
    await app.state.runtime.engine.dispose()


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://test") as c:
        yield c


def _writes(app: FastAPI) -> list[tuple[str, str]]:
    """Every non-GET operation of the attendance API, from its OpenAPI document."""
    out = []
    for template, operations in app.openapi()["paths"].items():
        if template.startswith("/api/attendance/"):
            path = re.sub(r"\{(\w+)\}", lambda m: PATH_VALUES[m.group(1)], template)
            out += [(method.upper(), path) for method in operations if method != "get"]
    return out


async def test_every_write_needs_hr(app: FastAPI, client: httpx.AsyncClient) -> None:
    writes = _writes(app)
    assert len(writes) == 17, writes  # with the quarantine's replay and discard, close-range
    for method, path in writes:
        r = await client.request(method, path, json={})
        assert r.status_code == 401 and r.json()["code"] == "not_signed_in", (method, path)
        r = await client.request(method, path, json={}, headers={"Authorization": "Bearer no"})
        assert r.status_code == 401, (method, path)
        r = await client.request(method, path, json={}, headers=as_user(T, "199001012020011001"))
        assert r.status_code == 403 and r.json()["code"] == "forbidden", (method, path)


async def test_hr_writes_reads_and_devices_open(client: httpx.AsyncClient) -> None:
    base = f"/api/attendance/{T}"
    r = await client.post(f"{base}/devices", json={"serial_number": "CQZ0001",
                                                   "timezone": "WITA"}, headers=ADMIN)
    assert r.status_code == 201, r.text
    r = await client.post(f"{base}/devices/CQZ0001/sync-users", headers=ADMIN)
    assert r.status_code == 202 and r.json() == []
    r = await client.put(f"{base}/rules", json={"preset": "nope"}, headers=ADMIN)
    assert r.status_code == 404 and r.json()["code"] == "unknown_preset"

    r = await client.get(f"{base}/devices", headers=ADMIN)
    assert r.status_code == 200
    assert [(d["serial_number"], d["timezone"], d["online"]) for d in r.json()] == [
        ("CQZ0001", "Asia/Makassar", False)]
    r = await client.get(f"{base}/rules", headers=as_user(T, "199001012020011001"))
    assert r.status_code == 200 and r.json()["source"] == "preset:kemenkeu"
    # own rules: only the fields given change, the others keep their value
    r = await client.put(f"{base}/rules", json={"rules": {"late_tolerance_minutes": 5}},
                         headers=ADMIN)
    assert r.status_code == 200, r.text
    first = r.json()["rules"]
    r = await client.put(f"{base}/rules", json={"rules": {"tk_pct": "4"}}, headers=ADMIN)
    assert r.status_code == 200, r.text
    rules = r.json()["rules"]
    assert (rules["tk_pct"], rules["late_tolerance_minutes"]) == ("4", 5)
    assert rules["tl"] == first["tl"] and rules["psw"] == first["psw"]

    r = await client.get("/iclock/cdata", params={"SN": "CQZ0001", "options": "all"})
    assert r.status_code == 200 and "TimeZone=8" in r.text.splitlines()
    r = await client.get("/iclock/getrequest", params={"SN": "CQZ0001"})
    assert r.status_code == 200 and r.text == "OK"
    r = await client.get("/iclock/cdata", params={"SN": "UNKNOWN"})
    assert r.status_code == 403 and r.text.startswith("ERROR: device not registered")
    r = await client.get(f"{base}/devices", headers=ADMIN)
    assert r.json()[0]["online"] is True  # the handshake was seen
