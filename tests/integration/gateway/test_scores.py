"""The scores read model (durable, idempotent consumer) and the live SSE stream, fed by
ScoreUpdated events on the real Kafka."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from ekinerja_shared import events as ev
from ekinerja_shared.topics import SCORES
from gateway.adapters.orm import Quarantine
from gateway.app import create_app
from tests.integration.gateway.conftest import serve_loopback
from tests.support.apps import eventually, publish, publish_raw, running_app

pytestmark = pytest.mark.integration

NIP = "199001172015031002"
ROSTER = (
    "nip,name,unit_id,unit_name,position,supervisor_nip,tpp_base,employment_type,device_pin\n"
    f"{NIP},\"Dedi Kurniawan, A.Md.\",umum,Bagian Umum,Pelaksana,,4500000,PNS,5\n"
)


def score(tenant_id: str, version: int, pct: str, period: str = "2026-10",
          nip: str = NIP) -> ev.ScoreUpdated:
    final = Decimal(pct)
    return ev.ScoreUpdated(
        tenant_id=tenant_id, nip=nip, period=period, version=version, final_pct=final,
        components=[ev.ScoreComponent(name="performance", weight=Decimal("60"),
                                      value_pct=final),
                    ev.ScoreComponent(name="discipline", weight=Decimal("40"),
                                      value_pct=Decimal("100"))],
        tpp_base=Decimal("4500000"), tpp_amount=(Decimal("4500000") * final / 100).quantize(
            Decimal("0.01")),
        cause_event_id=uuid.uuid4(), cause_type="activity.entry.approved",
    )


async def test_score_read_model_keeps_the_highest_version(settings, kafka_bootstrap, tenant_id):
    url = f"/api/tenants/{tenant_id}/scores/{NIP}"
    async with running_app(create_app(settings)) as client:
        await client.put(f"/api/tenants/{tenant_id}", json={
            "name": "Kota Uji", "timezone": "WIB", "policy_preset": "cilegon"})
        await client.post(f"/api/tenants/{tenant_id}/roster", content=ROSTER,
                          headers={"content-type": "text/csv"})
        r = await client.get(url, params={"period": "2026-10"})
        assert r.status_code == 404 and "Belum ada nilai" in r.json()["detail"]

        v2 = score(tenant_id, 2, "87.5")
        await publish(kafka_bootstrap, v2)

        async def version(period: str = "2026-10") -> int | None:
            resp = await client.get(url, params={"period": period})
            return resp.json()["version"] if resp.status_code == 200 else None

        assert await eventually(version) == 2
        body = (await client.get(url, params={"period": "2026-10"})).json()
        assert body["name"] == "Dedi Kurniawan, A.Md." and body["period"] == "2026-10"
        assert Decimal(body["final_pct"]) == Decimal("87.5")
        assert Decimal(body["tpp_amount"]) == Decimal("3937500.00")
        assert body["cause_type"] == "activity.entry.approved"
        assert [c["name"] for c in body["components"]] == ["performance", "discipline"]

        # an older version, the same event again, and garbage arrive later on the same key;
        # a marker for another month (same key, so after them in the partition) shows when
        # they have all been handled
        await publish(kafka_bootstrap, score(tenant_id, 1, "40"), v2)
        await publish_raw(kafka_bootstrap, SCORES.name, b"{not json",
                          f"{tenant_id}:{NIP}".encode())
        await publish(kafka_bootstrap, score(tenant_id, 1, "10", period="2026-11"))
        assert await eventually(lambda: version("2026-11")) == 1
        body = (await client.get(url, params={"period": "2026-10"})).json()
        assert body["version"] == 2 and Decimal(body["final_pct"]) == Decimal("87.5")

        # a newer version replaces it
        await publish(kafka_bootstrap, score(tenant_id, 3, "95"))
        assert await eventually(lambda: _at_least(version, 3)) == 3

        r = await client.get(url, params={"period": "2026-13"})
        assert r.status_code == 422

    engine = create_async_engine(settings.database_url)
    async with engine.connect() as conn:
        raws = (await conn.scalars(select(Quarantine.raw).where(
            Quarantine.source == f"kafka:{SCORES.name}"))).all()
    await engine.dispose()
    assert "{not json" in raws


async def _at_least(version, wanted: int) -> int | None:
    v = await version()
    return v if v is not None and v >= wanted else None


async def test_live_stream_sends_the_tenants_score_updates(settings, kafka_bootstrap, tenant_id):
    other = f"{tenant_id}-other"
    received: list[dict] = []
    names: list[str] = []
    async with serve_loopback(create_app(settings)) as base, httpx.AsyncClient(
        base_url=base, timeout=30
    ) as client:
        await client.put(f"/api/tenants/{tenant_id}", json={
            "name": "Kota Uji", "timezone": "WIB", "policy_preset": "cilegon"})
        r = await client.get(f"/api/tenants/{other}/scores/stream")
        assert r.status_code == 404

        connected = asyncio.Event()

        async def read() -> None:
            async with client.stream("GET", f"/api/tenants/{tenant_id}/scores/stream",
                                     timeout=None) as resp:
                assert resp.status_code == 200
                assert resp.headers["content-type"].startswith("text/event-stream")
                connected.set()
                event = None
                async for line in resp.aiter_lines():
                    if line.startswith("event:"):
                        event = line.split(":", 1)[1].strip()
                        names.append(event)
                    elif line.startswith("data:") and event == "score":
                        received.append(json.loads(line.split(":", 1)[1]))
                    elif line.startswith(":"):
                        names.append("ping")

        reader = asyncio.create_task(read())
        try:
            await asyncio.wait_for(connected.wait(), 30)
            version = 0

            async def streamed() -> list[dict] | None:
                # the live subscriber starts at the latest offset once it is assigned, so
                # keep producing new versions until one comes through
                nonlocal version
                version += 1
                await publish(kafka_bootstrap, score(other, version, "50"),
                              score(tenant_id, version, "70"))
                return received or None

            await eventually(streamed, timeout=60, interval=1)
            first = received[0]
            assert first["tenant_id"] == tenant_id and first["nip"] == NIP
            assert first["event_type"] == "scoring.score.updated"
            assert Decimal(first["final_pct"]) == Decimal("70")
            assert all(e["tenant_id"] == tenant_id for e in received)
            # heartbeats keep the connection alive (every second in this test)
            await eventually(lambda: _true("ping" in names), timeout=30)
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, httpx.HTTPError):
                await reader


async def _true(value: bool) -> bool:
    return value
