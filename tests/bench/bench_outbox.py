"""Benchmark of the shared plumbing on the real Kafka and PostgreSQL: how fast the outbox
relay drains staged events, and how fast the idempotent batch consumer applies them, beside
raw aiokafka produce/consume on the same broker in the same run (tests/bench/rawkafka.py).
Prints one JSON object. Run by `make bench` (which starts Kafka and PostgreSQL).

    EK_BENCH_EVENTS=20000 .venv/bin/python tests/bench/bench_outbox.py \
        [--profile .run/perf/outbox-profile.json]

``--profile`` records this process with py-spy while the relay drains (tests/bench/pyspy.py)
and writes the top frames there, the raw collapsed stacks beside it (``.txt``)."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sqlalchemy import func, select, text  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncEngine  # noqa: E402

from ekinerja_shared import events as ev  # noqa: E402
from ekinerja_shared.db import upsert  # noqa: E402
from ekinerja_shared.outbox import stage  # noqa: E402
from ekinerja_shared.runtime import Runtime  # noqa: E402
from ekinerja_shared.settings import ServiceSettings  # noqa: E402
from ekinerja_shared.topics import PERIODS  # noqa: E402
from tests.bench import pyspy  # noqa: E402
from tests.bench.rawkafka import raw_kafka  # noqa: E402
from tests.support.plumbing_models import Base, ClosedPeriod, Inbox, Outbox, Quarantine  # noqa: E402

N = int(os.environ.get("EK_BENCH_EVENTS", "5000"))


async def _empty_schema(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))


async def main(args: argparse.Namespace) -> dict[str, object]:
    url = os.environ["EK_BENCH_PG_GATEWAY_URL"]
    bootstrap = os.environ["EK_BENCH_KAFKA_BOOTSTRAP"]
    settings = ServiceSettings(service_name="bench", database_url=url, kafka_bootstrap=bootstrap,
                               consumer_group_prefix=f"bench-{uuid.uuid4().hex[:6]}")
    rt = Runtime.build(settings, inbox_model=Inbox, quarantine_model=Quarantine,
                       outbox_model=Outbox)
    await _empty_schema(rt.engine)
    async with rt.engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    tenant = f"bench-{uuid.uuid4().hex[:6]}"
    events = [ev.PeriodClosed(tenant_id=f"{tenant}-{i % 50}", period=f"{1970 + i // 600:04d}-{i // 50 % 12 + 1:02d}")
              for i in range(N)]
    t0 = time.perf_counter()
    async with rt.sessionmaker() as s, s.begin():
        for e in events:
            stage(s, Outbox, e)
    stage_s = time.perf_counter() - t0

    raw = await raw_kafka(bootstrap, N)
    await rt.broker.start()
    raw_profile = Path(args.profile).with_suffix(".txt") if args.profile else None
    recorder = pyspy.record(os.getpid(), raw_profile) if raw_profile else None
    t0 = time.perf_counter()
    while await rt.relay.publish_pending():
        pass
    relay_s = time.perf_counter() - t0
    await rt.relay.stop()
    if recorder and raw_profile:
        Path(args.profile).write_text(json.dumps(pyspy.stop(recorder, raw_profile), indent=1))

    consumer = rt.consumer("bench")

    async def apply(session, batch):
        await upsert(session, ClosedPeriod, [{"tenant_id": e.tenant_id, "period": e.period} for e in batch],
                     index_elements=["tenant_id", "period"], update=[])

    bodies = [ev.dump_event(e) for e in events]
    ctx = [{"topic": PERIODS.name, "partition": 0, "offset": i} for i in range(N)]
    t0 = time.perf_counter()
    for i in range(0, N, 500):
        await consumer.handle_batch([], apply, (ev.PeriodClosed,), bodies=bodies[i:i + 500],
                                    contexts=ctx[i:i + 500])
    apply_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    for i in range(0, N, 500):  # replay: all duplicates
        await consumer.handle_batch([], apply, (ev.PeriodClosed,), bodies=bodies[i:i + 500],
                                    contexts=ctx[i:i + 500])
    replay_s = time.perf_counter() - t0
    async with rt.sessionmaker() as s:
        applied = await s.scalar(select(func.count()).select_from(ClosedPeriod))
    await rt.broker.stop()
    # the gateway's bench database as the next bench expects it: empty, for its migrations
    # (this bench's tables are not the gateway's, and carry no migration version)
    await _empty_schema(rt.engine)
    await rt.engine.dispose()
    assert applied == N, applied
    return {
        "outbox": {
            "events": N,
            "stage_events_per_s": round(N / stage_s),
            "relay_publish_events_per_s": round(N / relay_s),
            "consumer_apply_events_per_s": round(N / apply_s),
            "consumer_replay_duplicates_per_s": round(N / replay_s),
            "database": "postgresql",
            "raw_kafka": raw,
            "ratio_relay_to_raw_produce": round(N / relay_s / raw["produce_msgs_per_s"], 4),
            "ratio_apply_to_raw_consume": round(N / apply_s / raw["consume_parse_msgs_per_s"], 4),
            "load_average": [round(x, 2) for x in os.getloadavg()],
            "profiled": bool(args.profile),
        }
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", default=None,
                        help="sample this process's stacks while the relay drains, to this JSON")
    print(json.dumps(asyncio.run(main(parser.parse_args()))))
