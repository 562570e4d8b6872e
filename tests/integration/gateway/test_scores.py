"""The scores read model (durable, idempotent consumer) and the live SSE stream, fed by
ScoreUpdated events on the real Kafka."""

from __future__ import annotations

import uuid
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import create_async_engine

from ekinerja_shared import events as ev
from ekinerja_shared.topics import SCORES
from gateway.adapters.orm import Quarantine
from gateway.app import create_app
from tests.integration.gateway.conftest import serve_loopback
from tests.support.apps import eventually, from_now_on, publish, publish_raw, running_app
from tests.support.sse import ScoreStream
from tests.support.tokens import as_hr, as_operator

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
    app = create_app(settings)
    await from_now_on(app)  # the scores below are published after the start
    async with running_app(app) as client:
        client.headers.update(as_hr(tenant_id))
        await client.put(f"/api/tenants/{tenant_id}", json={
            "name": "Kota Uji", "timezone": "WIB", "policy_preset": "cilegon"},
            headers=as_operator())
        await client.post(f"/api/tenants/{tenant_id}/roster", content=ROSTER,
                          headers={"content-type": "text/csv"})
        r = await client.get(url, params={"period": "2026-10"})
        assert r.status_code == 404 and "Belum ada nilai" in r.json()["detail"]

        v2 = score(tenant_id, 2, "87.5")
        await publish(kafka_bootstrap, v2)

        async def version(period: str = "2026-10") -> int | None:
            resp = await client.get(url, params={"period": period})
            return resp.json()["version"] if resp.status_code == 200 else None

        # a new consumer group reads the shared topic from its beginning first (the first
        # test of a session applies its whole history to the emptied database)
        assert await eventually(version, timeout=300) == 2
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

        # newer versions replace it: published together (usually one batch of the
        # consumer, one upsert), out of order, the highest wins
        await publish(kafka_bootstrap, score(tenant_id, 4, "90"), score(tenant_id, 6, "95"),
                      score(tenant_id, 5, "92"))
        assert await eventually(lambda: _at_least(version, 6)) == 6
        await publish(kafka_bootstrap, score(tenant_id, 2, "11", period="2026-11"))
        assert await eventually(  # after them on the key's partition: all handled
            lambda: _at_least(lambda: version("2026-11"), 2)) == 2
        body = (await client.get(url, params={"period": "2026-10"})).json()
        assert body["version"] == 6 and Decimal(body["final_pct"]) == Decimal("95")

        # the month's list (the dashboard's first view), highest first, with names
        other = "199203042019032001"
        await publish(kafka_bootstrap, score(tenant_id, 1, "96.25", nip=other))

        async def listed() -> list | None:
            resp = await client.get(f"/api/tenants/{tenant_id}/scores",
                                    params={"period": "2026-10"})
            return resp.json() if resp.status_code == 200 and len(resp.json()) == 2 else None

        rows = await eventually(listed)
        assert [(r["nip"], r["version"]) for r in rows] == [(other, 1), (NIP, 6)]
        assert rows[0]["name"] is None and rows[1]["name"] == "Dedi Kurniawan, A.Md."
        r = await client.get(f"/api/tenants/{tenant_id}/scores",
                             params={"period": "2026-10", "unit_id": "umum"})
        assert [x["nip"] for x in r.json()] == [NIP]
        r = await client.get("/api/tenants/tidak-ada/scores", params={"period": "2026-10"})
        assert r.status_code == 404

        r = await client.get(url, params={"period": "2026-13"})
        assert r.status_code == 422

    engine = create_async_engine(settings.database_url)
    async with engine.begin() as conn:  # the quarantine is read across regencies
        await conn.execute(text("SELECT set_config('app.cross_tenant', 'on', true)"))
        raws = (await conn.scalars(select(Quarantine.raw).where(
            Quarantine.source == f"kafka:{SCORES.name}"))).all()
    await engine.dispose()
    assert "{not json" in raws


async def _at_least(version, wanted: int) -> int | None:
    v = await version()
    return v if v is not None and v >= wanted else None


async def test_live_stream_reaches_the_clients_of_every_instance(settings, kafka_bootstrap,
                                                                tenant_id):
    """Two gateway instances (one consumer group prefix, as in a scaled deployment): the
    clients of both get every update of their tenant, and only of their tenant."""
    other = f"{tenant_id}-other"
    stream_url = f"/api/tenants/{tenant_id}/scores/stream"
    async with serve_loopback(create_app(settings)) as base1, \
            serve_loopback(create_app(settings)) as base2, \
            httpx.AsyncClient(base_url=base1, timeout=30, headers=as_hr(tenant_id)) as c1, \
            httpx.AsyncClient(base_url=base2, timeout=30, headers=as_hr(tenant_id)) as c2:
        await c1.put(f"/api/tenants/{tenant_id}", json={
            "name": "Kota Uji", "timezone": "WIB", "policy_preset": "cilegon"},
            headers=as_operator())
        assert (await c1.get(f"/api/tenants/{other}/scores/stream")).status_code == 404

        async with ScoreStream(c1, stream_url) as s1, ScoreStream(c2, stream_url) as s2:
            version = 0

            async def streamed() -> bool:
                # a live subscriber starts at the latest offset once its partitions are
                # assigned, so keep producing new versions until one comes through on both
                nonlocal version
                version += 1
                await publish(kafka_bootstrap, score(other, version, "50"),
                              score(tenant_id, version, "70"))
                return bool(s1.scores and s2.scores)

            await eventually(streamed, timeout=60, interval=1)
            for s in (s1, s2):
                first = s.scores[0]
                assert first["tenant_id"] == tenant_id and first["nip"] == NIP
                assert first["event_type"] == "scoring.score.updated"
                assert Decimal(first["final_pct"]) == Decimal("70")
                assert all(e["tenant_id"] == tenant_id for e in s.scores)
            # heartbeats keep the connections alive (every second in this test)
            await eventually(lambda: _true(s1.pings > 0 and s2.pings > 0), timeout=30)


async def _true(value: bool) -> bool:
    return value
