"""Benchmark of a roster reaching every service (issue 13): HR's roster of N employees
(default 10,000, 100 OPDs; the head of each supervises the others) is uploaded to the
gateway, which records it and publishes one ``EmployeeUpserted`` per row through its outbox;
attendance, activity and scoring apply them to their directory copies. The four services
run as real processes on the real Kafka and PostgreSQL. Prints one JSON object: the
upload's answer time, and per service the seconds from the upload until its copy holds
all N employees of the regency (polled in its database), with the events per second that
makes; beside them raw aiokafka on the same broker in the same run. Target: every copy
within 10 s for 10,000 employees.

    EK_BENCH_ROSTER_EMPLOYEES=10000 .venv/bin/python tests/bench/bench_roster.py \\
        [--profile .run/perf/roster.json --profile-service attendance]

``--profile`` records one service process (default attendance) with py-spy while the
roster propagates. Run by `make bench`."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import httpx  # noqa: E402
from sqlalchemy import text  # noqa: E402

from ekinerja_shared.db import make_engine  # noqa: E402
from ekinerja_shared.tenancy import TENANT_SETTING  # noqa: E402
from tests.bench import pyspy  # noqa: E402
from tests.bench.bench_pages import OPERATOR, roster  # noqa: E402
from tests.bench.benchenv import bench_databases_for_tests  # noqa: E402
from tests.bench.rawkafka import raw_kafka  # noqa: E402
from tests.support.processes import running_system  # noqa: E402

EMPLOYEES = int(os.environ.get("EK_BENCH_ROSTER_EMPLOYEES", "10000"))
UNITS = 100
COPIES = ("attendance", "activity", "scoring")  # the services keeping a directory copy
TARGET_S = 10.0
TIMEOUT_S = float(os.environ.get("EK_BENCH_ROSTER_TIMEOUT_S", "900"))


async def seconds_until(svc: str, tenant: str, n: int, t0: float, sql: str,
                        every: float = 0.1) -> float | None:
    """Seconds from ``t0`` until ``sql`` (a count, parameter ``:t`` the regency) reaches
    ``n`` in ``svc``'s database (read as the tables' owner, in the regency: row-level
    security is forced)."""
    engine = make_engine(os.environ[f"EK_BENCH_PG_{svc.upper()}_URL"])
    try:
        deadline = t0 + TIMEOUT_S
        while time.perf_counter() < deadline:
            async with engine.begin() as conn:
                await conn.execute(text(f"SELECT set_config('{TENANT_SETTING}', :t, true)"),
                                   {"t": tenant})
                count = await conn.scalar(text(sql), {"t": tenant})
            if (count or 0) >= n:
                return time.perf_counter() - t0
            await asyncio.sleep(every)
        return None
    finally:
        await engine.dispose()


async def watch(svc: str, tenant: str, n: int, t0: float) -> float | None:
    """Seconds from ``t0`` until ``svc``'s directory copy holds ``n`` employees."""
    return await seconds_until(svc, tenant, n, t0,
                               "SELECT count(*) FROM employees WHERE tenant_id = :t")


async def published(tenant: str, n: int, t0: float) -> float | None:
    """Seconds from ``t0`` until the gateway's relay has published the ``n`` employee events
    of the upload: the gateway holds the ``n`` employees (their outbox rows were written
    with them) and its relay has deleted the rows it published. What bounds the copies
    from below."""
    return await seconds_until(
        "gateway", tenant, n, t0,
        "SELECT CASE WHEN EXISTS (SELECT 1 FROM outbox"
        " WHERE event_type = 'directory.employee.upserted' AND key LIKE :t || ':%')"
        " THEN 0 ELSE (SELECT count(*) FROM employees WHERE tenant_id = :t) END", every=0.5)


async def main(args: argparse.Namespace) -> dict[str, Any]:
    bootstrap = os.environ["EK_BENCH_KAFKA_BOOTSTRAP"]
    bench_databases_for_tests()
    raw = await raw_kafka(bootstrap, 20_000)
    tenant = f"bench{uuid.uuid4().hex[:6]}"
    body = roster(args.employees, UNITS)
    profile = Path(args.profile) if args.profile else None
    with tempfile.TemporaryDirectory() as scratch:
        async with running_system(bootstrap, Path(scratch)) as system, httpx.AsyncClient(
                base_url=system.gateway, timeout=600) as gw:
            r = await gw.put(f"/api/tenants/{tenant}", headers=OPERATOR, json={
                "name": "Kabupaten Bench", "timezone": "WIB", "policy_preset": "cilegon"})
            r.raise_for_status()
            recorder = None
            if profile:
                recorder = pyspy.record(system.procs[args.profile_service].pid,
                                        profile.with_suffix(".collapsed"))
            t0 = time.perf_counter()
            watchers = [asyncio.create_task(watch(svc, tenant, args.employees, t0))
                        for svc in COPIES]
            relayed = asyncio.create_task(published(tenant, args.employees, t0))
            r = await gw.post(f"/api/tenants/{tenant}/roster", content=body,
                              headers={**OPERATOR, "content-type": "text/csv"})
            upload_s = time.perf_counter() - t0
            assert r.status_code == 200, (r.status_code, r.text[:500])
            done = await asyncio.gather(*watchers)
            published_s = await relayed
            if recorder and profile:
                profile.write_text(json.dumps(pyspy.stop(recorder,
                                                         profile.with_suffix(".collapsed")),
                                              indent=1))
    copies = {svc: {"seconds": round(s, 2) if s is not None else None,
                    "events_per_s": round(args.employees / s, 1) if s else None}
              for svc, s in zip(COPIES, done)}
    slowest = max((s for s in done if s is not None), default=None)
    return {"roster_propagation": {
        "employees": args.employees, "units": UNITS, "roster_bytes": len(body),
        "upload_answer_s": round(upload_s, 2),
        "gateway_published_s": round(published_s, 2) if published_s is not None else None,
        "copies": copies,
        "all_copies_s": round(slowest, 2) if slowest is not None and None not in done else None,
        "target_s": TARGET_S,
        "within_target": None not in done and slowest is not None and slowest <= TARGET_S,
        "raw_kafka": raw,
        "ratio_slowest_events_per_s_to_raw_produce": (
            round(args.employees / slowest / raw["produce_msgs_per_s"], 4)
            if slowest else None),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "profiled": args.profile_service if profile else None}}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--employees", type=int, default=EMPLOYEES)
    parser.add_argument("--profile", default=None,
                        help="sample one service with py-spy while the roster propagates")
    parser.add_argument("--profile-service", default="attendance",
                        choices=("attendance", "activity", "scoring", "gateway"))
    print(json.dumps(asyncio.run(main(parser.parse_args()))))
