"""The HTTP API on a migrated SQLite database (no broker needed for these routes)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from ekinerja_shared.migrations import upgrade_async
from scoring.app import create_app
from scoring.settings import Settings

T = "t-api"


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'api.db'}"
    await upgrade_async("scoring", url)
    app = create_app(Settings(database_url=url, admin_token="rahasia"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://test") as c:
        yield c
    await app.state.runtime.engine.dispose()


ADMIN = {"Authorization": "Bearer rahasia"}


async def test_policy_admin_api(client: httpx.AsyncClient) -> None:
    base = f"/api/scoring/{T}"
    r = await client.put(f"{base}/policies/2026-11", json={"preset": "cilegon"})
    assert r.status_code == 403 and r.json()["code"] == "admin_required"
    r = await client.put(f"{base}/policies/2026-11", json={"preset": "cilegon",
                                                           "actor": "bkpsdm"}, headers=ADMIN)
    assert r.status_code == 200, r.text
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
    assert (await client.get(f"{base}/policy", params={"period": "2026-10"})).json()[
        "policy"]["name"] == "performance60_discipline40"
    assert (await client.get(f"{base}/policy", params={"period": "2027-02"})).json()[
        "policy"]["name"] == "cilegon"
    assert [p["effective_period"] for p in (await client.get(f"{base}/policies")).json()] == [
        "2026-11"]


async def test_scores_periods_and_exports_errors(client: httpx.AsyncClient) -> None:
    base = f"/api/scoring/{T}"
    r = await client.get(f"{base}/scores/1990", params={"period": "2026-10"})
    assert r.status_code == 404 and "belum ada" in r.json()["detail"]
    assert (await client.get(f"{base}/scores", params={"period": "2026-1"})).status_code == 422
    r = await client.post(f"{base}/periods/2098-01/close", json={}, headers=ADMIN)
    assert r.status_code == 422 and "belum berakhir" in r.json()["detail"]
    r = await client.post(f"{base}/periods/2026-01/reopen", json={"actor": "x", "reason": "r"},
                          headers=ADMIN)
    assert r.status_code == 409
    r = await client.get(f"{base}/exports/tpp", params={"period": "2026-01"})
    assert r.status_code == 409 and "belum ditutup" in r.json()["detail"]
    r = await client.post(f"{base}/periods/2026-01/close", json={"actor": "bkpsdm"},
                          headers=ADMIN)
    assert r.status_code == 200 and r.json()["closed"] is True
    r = await client.get(f"{base}/exports/tpp", params={"period": "2026-01", "format": "xlsx"})
    assert r.status_code == 200 and r.content[:2] == b"PK"
    r = await client.put(f"{base}/compliance/1990", params={"period": "2026-01"},
                         json={"value_pct": "80"}, headers=ADMIN)
    assert r.status_code == 409 and r.json()["code"] == "period_closed"
    r = await client.put(f"{base}/compliance/1990", params={"period": "2026-02"},
                         json={"value_pct": "180"}, headers=ADMIN)
    assert r.status_code == 422
    r = await client.put(f"{base}/compliance/1990", params={"period": "2026-02"},
                         json={"value_pct": "80"}, headers=ADMIN)
    assert r.status_code == 200
    # an unknown tenant/employee under the default 60/40: attendance 100 -> 40.00
    assert r.json()["final_pct"] == "40.00"
