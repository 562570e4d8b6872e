"""A/B of the pages' reads of the gateway's own directory, in one gateway process on PostgreSQL
(the application role, row-level security on), for a regency of EMPLOYEES: each read the way
the pages made it before (an in-process HTTP request through the app and its middleware, the
answer's JSON parsed) against the way they make it now
(``gateway.service_layer.page_reads``), the two asked in turn, so that the machine's load at
any moment weighs on both alike. p50/p95/p99 in ms and the ratio of the medians.

    EK_BENCH_AB_ROUNDS=60 .venv/bin/python tests/bench/bench_page_reads.py

Prints one JSON object. Uses the EK_BENCH_PG_GATEWAY_* database and EK_BENCH_KAFKA_BOOTSTRAP,
as ``make bench`` sets them (its own regency, its own consumer groups reading from now
on)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from ekinerja_shared.identity import Caller, Role  # noqa: E402
from gateway.app import create_app  # noqa: E402
from gateway.settings import Settings  # noqa: E402
from gateway.service_layer.page_reads import Directory  # noqa: E402
from tests.bench.bench_pages import EMPLOYEES, UNITS, nip_of, roster  # noqa: E402
from tests.bench.benchenv import bench_databases_for_tests  # noqa: E402
from tests.bench.latency import _at  # noqa: E402
from tests.support import infra  # noqa: E402
from tests.support.apps import from_now_on, running_app  # noqa: E402
from tests.support.tokens import TEST_JWKS_JSON, as_operator, as_user  # noqa: E402

ROUNDS = int(os.environ.get("EK_BENCH_AB_ROUNDS", "60"))
Call = Callable[[], Awaitable[Any]]


def figures(samples: list[float]) -> dict[str, float]:
    samples = sorted(samples)
    return {"p50_ms": _at(samples, 0.5), "p95_ms": _at(samples, 0.95),
            "p99_ms": _at(samples, 0.99)}


async def in_turn(before: Call, after: Call) -> dict[str, Any]:
    """Both once to warm up, then ROUNDS times each, in turn (the order swapped every
    round)."""
    await before()
    await after()
    times: dict[str, list[float]] = {"before": [], "after": []}
    for i in range(ROUNDS):
        for name, call in (("before", before), ("after", after))[::1 if i % 2 else -1]:
            start = time.perf_counter()
            await call()
            times[name].append((time.perf_counter() - start) * 1000)
    out = {name: figures(s) for name, s in times.items()}
    out["median_ratio"] = round(out["before"]["p50_ms"] / max(out["after"]["p50_ms"], 0.01), 1)
    return out


async def main() -> dict[str, Any]:
    bench_databases_for_tests()
    settings = Settings(database_url=infra.pg_app_url("gateway"),
                        migration_database_url=infra.pg_url("gateway"),
                        kafka_bootstrap=os.environ["EK_BENCH_KAFKA_BOOTSTRAP"],
                        consumer_group_prefix=f"ab-{uuid.uuid4().hex[:8]}",
                        admin_token=None, auth_jwks=TEST_JWKS_JSON)
    tenant = f"ab{uuid.uuid4().hex[:6]}"
    app = create_app(settings)
    await from_now_on(app)
    async with running_app(app) as client:
        r = await client.put(f"/api/tenants/{tenant}", headers=as_operator(), json={
            "name": "Kabupaten A/B", "timezone": "WIB", "policy_preset": "cilegon"})
        r.raise_for_status()
        r = await client.post(f"/api/tenants/{tenant}/roster", content=roster(),
                              headers={**as_operator(), "content-type": "text/csv"})
        r.raise_for_status()
        rt = app.state.runtime
        hr_nip = nip_of(1)
        hr = Caller(subject=f"user:{hr_nip}", tenant_id=tenant, nip=hr_nip,
                    roles=frozenset({Role.HR, Role.EMPLOYEE}))
        hr_headers = as_user(tenant, hr_nip, Role.HR, Role.EMPLOYEE)
        directory = Directory(rt, hr, tenant)
        base = f"/api/tenants/{tenant}"
        shown = [nip_of(i) for i in range(0, EMPLOYEES, EMPLOYEES // 50)]  # a page's 50 rows

        async def get(path: str) -> Any:
            r = await client.get(path, headers=hr_headers)
            r.raise_for_status()
            return r.json()

        async def basics_before() -> Any:
            return await asyncio.gather(get(base), get(f"{base}/employees/{hr_nip}"))

        async def names_before() -> Any:
            return {e["nip"]: e["name"] for e in await get(f"{base}/employees")}

        async def names_after() -> Any:
            return await directory.names(set(shown))

        result = {
            "employees": EMPLOYEES, "units": UNITS, "rounds": ROUNDS,
            "page's regency and person (every page)": await in_turn(basics_before,
                                                                    directory.basics),
            "names of a page's 50 rows (leave, Plt/Plh, queue, team)": await in_turn(
                names_before, names_after),
            # before: every employee through the API (the list filtered them in Python);
            # after: the list's page of 100, filtered and paged by the database
            "HR's employee list (every employee / a page of 100)": await in_turn(
                lambda: get(f"{base}/employees"), directory.employees),
        }
    return {"page_reads_ab": {**result,
                              "load_average": [round(x, 2) for x in os.getloadavg()]}}


if __name__ == "__main__":
    import logging

    logging.disable(logging.WARNING)  # stdout carries only the JSON (FastStream logs there)
    print(json.dumps(asyncio.run(main())))
