"""Who may call what, on a migrated SQLite database (no broker needed for these routes):
with EK_ADMIN_TOKEN set, every write of the attendance API is HR's and needs the token;
reads and the device protocol stay open."""

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

T = "t-guard"
ADMIN = {"Authorization": "Bearer rahasia"}
PATH_VALUES = {"tenant_id": T, "serial": "CQZ0001", "nip": "198507082010012011",
               "leave_id": "1", "work_date": "2026-11-02", "day": "2026-11-02"}


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[FastAPI]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'guard.db'}"
    await upgrade_async("attendance", url)
    app = create_app(Settings(database_url=url, admin_token="rahasia"))
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


async def test_every_write_needs_the_token(app: FastAPI, client: httpx.AsyncClient) -> None:
    writes = _writes(app)
    assert len(writes) == 14, writes
    for method, path in writes:
        r = await client.request(method, path, json={})
        assert r.status_code == 403 and r.json()["code"] == "admin_required", (method, path)
        r = await client.request(method, path, json={}, headers={"Authorization": "Bearer no"})
        assert r.status_code == 403, (method, path)


async def test_hr_writes_with_the_token_reads_and_devices_open(client: httpx.AsyncClient) -> None:
    base = f"/api/attendance/{T}"
    r = await client.post(f"{base}/devices", json={"serial_number": "CQZ0001",
                                                   "timezone": "WITA"}, headers=ADMIN)
    assert r.status_code == 201, r.text
    r = await client.post(f"{base}/devices/CQZ0001/sync-users", headers=ADMIN)
    assert r.status_code == 202 and r.json() == []
    r = await client.put(f"{base}/rules", json={"preset": "nope", "updated_by": "bkpsdm"},
                         headers=ADMIN)
    assert r.status_code == 404 and r.json()["code"] == "unknown_preset"

    r = await client.get(f"{base}/devices")
    assert r.status_code == 200
    assert [(d["serial_number"], d["timezone"], d["online"]) for d in r.json()] == [
        ("CQZ0001", "Asia/Makassar", False)]
    r = await client.get(f"{base}/rules")
    assert r.status_code == 200 and r.json()["source"] == "preset:kemenkeu"

    r = await client.get("/iclock/cdata", params={"SN": "CQZ0001", "options": "all"})
    assert r.status_code == 200 and "TimeZone=8" in r.text.splitlines()
    r = await client.get("/iclock/getrequest", params={"SN": "CQZ0001"})
    assert r.status_code == 200 and r.text == "OK"
    r = await client.get("/iclock/cdata", params={"SN": "UNKNOWN"})
    assert r.status_code == 403 and r.text.startswith("ERROR: device not registered")
    r = await client.get(f"{base}/devices")
    assert r.json()[0]["online"] is True  # the handshake was seen
