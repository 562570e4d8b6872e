"""Benchmark of the activity service on the real PostgreSQL and Kafka: a supervisor's bulk
decision on 500 pending entries in one request (one transaction, one audit row and one
outbox event per entry), the approval queue read before it, the time until every approval
event is on Kafka, and the same decision as a bare database transaction (no HTTP; the
request time also includes the outbox relay sharing the event loop once it commits). The
app connects as the application role when EK_BENCH_PG_ACTIVITY_APP_URL is set (row-level
security applies; the tables are FORCE'd, so the owner is bound too) and the supervisor
calls with a token. Prints one JSON object. Run by `make bench`."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import statistics
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from activity.app import create_app  # noqa: E402
from activity.service_layer.decisions import Decision, decide_many  # noqa: E402
from activity.service_layer.directory import apply_directory_event  # noqa: E402
from activity.service_layer.entries import NewEntry, create_entry  # noqa: E402
from activity.settings import Settings  # noqa: E402
from ekinerja_shared import events as ev  # noqa: E402
from ekinerja_shared.timeutil import zone  # noqa: E402
from ekinerja_shared.topics import ACTIVITY_ENTRIES  # noqa: E402
from tests.support.apps import EventProbe, eventually, running_app  # noqa: E402
from tests.support.tokens import TEST_JWKS_JSON, as_user  # noqa: E402

N = int(os.environ.get("EK_BENCH_ACTIVITY_ENTRIES", "500"))
ROUNDS = int(os.environ.get("EK_BENCH_ACTIVITY_ROUNDS", "3"))
PER_EMPLOYEE = 10  # 10 entries of 20 minutes each on one day
SUPERVISOR = "197001012000011001"


async def seed(rt, tenant_id: str, day: dt.date) -> list[str]:
    """A tenant, one Kasubag and N/10 staff with 10 submitted entries each."""
    cfg = rt.config
    staff = [f"1990{n:014d}" for n in range((N + PER_EMPLOYEE - 1) // PER_EMPLOYEE)]

    async def directory(s) -> None:
        await apply_directory_event(s, ev.TenantUpserted(
            tenant_id=tenant_id, name="Bench", timezone="Asia/Jakarta", policy_preset="cilegon"))
        for nip, sup in [(SUPERVISOR, None)] + [(nip, SUPERVISOR) for nip in staff]:
            await apply_directory_event(s, ev.EmployeeUpserted(
                tenant_id=tenant_id, nip=nip, name=nip, unit_id="U", supervisor_nip=sup,
                tpp_base=Decimal("1000000")))

    ids: list[str] = []

    async def entries(s) -> None:
        ids.clear()  # (a retried transaction starts again)
        for nip in staff:
            for k in range(PER_EMPLOYEE):
                if len(ids) == N:
                    break
                start = dt.time(8 + k // 3, (k % 3) * 20)
                end = dt.time(8 + (k + 1) // 3, ((k + 1) % 3) * 20)
                e = await create_entry(s, tenant_id, nip,
                                       NewEntry(day, start, end, f"Kegiatan {k}"),
                                       submit=True, cfg=cfg)
                ids.append(str(e.id))

    uow = rt.uow.in_tenant(tenant_id)
    await uow.run(directory)
    await uow.run(entries)
    return ids


async def one_round(app, client, bootstrap: str) -> dict[str, float]:
    rt = app.state.runtime
    tenant_id = f"bench-{uuid.uuid4().hex[:8]}"
    day = dt.datetime.now(zone("WIB")).date() - dt.timedelta(days=1)
    ids = await seed(rt, tenant_id, day)
    base = f"/api/activity/{tenant_id}"
    me = as_user(tenant_id, SUPERVISOR)
    async with EventProbe(bootstrap, ACTIVITY_ENTRIES.name, tenant_id) as probe:
        t0 = time.perf_counter()
        r = await client.get(f"{base}/approvals/queue", headers=me)
        queue_s = time.perf_counter() - t0
        assert r.status_code == 200 and len(r.json()) == N, r.text[:300]
        t0 = time.perf_counter()
        r = await client.post(f"{base}/approvals/bulk", headers=me, json={
            "decisions": [{"entry_id": i, "approve": True} for i in ids]})
        bulk_s = time.perf_counter() - t0
        assert r.status_code == 200 and r.json()["decided"] == N, r.text[:300]

        async def all_on_kafka():
            n = sum(isinstance(e, ev.ActivityEntryApproved) for e in probe.events)
            return n >= N or None

        await eventually(all_on_kafka, timeout=120, interval=0.05)
        kafka_s = time.perf_counter() - t0
    # the same decision as a bare transaction (no HTTP, relay asleep until the commit)
    tenant_b = f"bench-{uuid.uuid4().hex[:8]}"
    ids_b = await seed(rt, tenant_b, day)
    t0 = time.perf_counter()
    outs = await rt.uow.in_tenant(tenant_b).run(
        decide_many, tenant_b, SUPERVISOR, [Decision(uuid.UUID(i), True) for i in ids_b],
        cfg=rt.config)
    tx_s = time.perf_counter() - t0
    assert all(o.ok for o in outs)
    return {"queue_read_s": queue_s, "bulk_request_s": bulk_s, "until_on_kafka_s": kafka_s,
            "transaction_only_s": tx_s}


async def main() -> dict[str, object]:
    url = os.environ["EK_BENCH_PG_ACTIVITY_URL"]
    bootstrap = os.environ["EK_BENCH_KAFKA_BOOTSTRAP"]
    settings = Settings(database_url=os.environ.get("EK_BENCH_PG_ACTIVITY_APP_URL", url),
                        migration_database_url=url, auth_jwks=TEST_JWKS_JSON,
                        kafka_bootstrap=bootstrap, expiry_interval_s=0,
                        consumer_group_prefix=f"bench-{uuid.uuid4().hex[:6]}",
                        outbox_poll_interval_s=0.1, log_level="WARNING")
    app = create_app(settings)
    rounds = []
    async with running_app(app) as client:
        for _ in range(ROUNDS):
            rounds.append(await one_round(app, client, bootstrap))

    def med(key: str) -> float:
        return round(statistics.median(r[key] for r in rounds), 4)

    return {"activity_bulk_approval": {
        "entries": N, "rounds": ROUNDS,
        "bulk_request_s_median": med("bulk_request_s"),
        "per_entry_ms_median": round(med("bulk_request_s") * 1000 / N, 3),
        "transaction_only_s_median": med("transaction_only_s"),
        "queue_read_s_median": med("queue_read_s"),
        "until_all_events_on_kafka_s_median": med("until_on_kafka_s"),
        "rounds_detail": [{k: round(v, 4) for k, v in r.items()} for r in rounds],
    }}


if __name__ == "__main__":
    import logging

    logging.disable(logging.WARNING)  # stdout carries only the JSON (FastStream logs there)
    print(json.dumps(asyncio.run(main())))
