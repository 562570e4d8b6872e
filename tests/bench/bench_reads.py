"""Benchmark of the month's reads through the gateway (issue 13): an OPD's scores, the
month list whole and paged, and the rankings, for a regency of 2,000 employees (20 OPDs of
100, every employee scored; the set-up of bench_pages), the four services as real
processes on the real Kafka and PostgreSQL. Each read is asked ROUNDS times in a row
(after one warm-up) by HR; p50/p95/p99/max in ms. Target: p99 <= 50 ms for an OPD's scores
and the rankings. Beside them: raw aiokafka on the same broker in the same run.

    EK_BENCH_READS_ROUNDS=200 .venv/bin/python tests/bench/bench_reads.py \\
        [--profile .run/perf/reads] [--only rankings,one OPD]

``--profile DIR`` records the gateway and scoring processes with py-spy while each read is
asked and writes DIR/<read>-<service>.json (the top frames by self and inclusive share of
the busy samples) beside the raw stacks; ``--only`` measures the reads whose name contains
one of the comma-separated words.
Prints one JSON object. Run by `make bench`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import httpx  # noqa: E402

from tests.bench import pyspy  # noqa: E402
from tests.bench.benchenv import analysed, bench_databases_for_tests  # noqa: E402
from tests.bench.bench_pages import (  # noqa: E402
    EMPLOYEES,
    OPERATOR,
    PERIOD,
    account,
    facts,
    nip_of,
    person,
    roster,
)
from tests.bench.latency import sample  # noqa: E402
from tests.bench.rawkafka import raw_kafka  # noqa: E402
from tests.support.apps import eventually, publish  # noqa: E402
from tests.support.processes import running_system  # noqa: E402

ROUNDS = int(os.environ.get("EK_BENCH_READS_ROUNDS", "200"))
TARGET_P99_MS = 50
PROFILED = ("gateway", "scoring")


async def timed(gw: httpx.AsyncClient, path: str, headers: dict[str, str]) -> dict[str, Any]:
    async def get() -> httpx.Response:
        r = await gw.get(path, headers=headers)
        assert r.status_code == 200, (path, r.status_code, r.text[:300])
        return r

    figures, r = await sample(get, ROUNDS)
    body = r.json()
    return {**figures, "rows": len(body) if isinstance(body, list) else None,
            "bytes": len(r.content)}


async def main(args: argparse.Namespace) -> dict[str, object]:
    bootstrap = os.environ["EK_BENCH_KAFKA_BOOTSTRAP"]
    bench_databases_for_tests()  # the processes' databases
    raw = await raw_kafka(bootstrap, 20_000)
    tenant = f"bench{uuid.uuid4().hex[:6]}"
    profile = Path(args.profile) if args.profile else None
    with tempfile.TemporaryDirectory() as scratch:
        async with running_system(bootstrap, Path(scratch)) as system, httpx.AsyncClient(
                base_url=system.gateway, timeout=60) as gw:
            r = await gw.put(f"/api/tenants/{tenant}", headers=OPERATOR, json={
                "name": "Kabupaten Bench", "timezone": "WIB", "policy_preset": "cilegon"})
            r.raise_for_status()
            r = await gw.post(f"/api/tenants/{tenant}/roster", content=roster(),
                              headers={**OPERATOR, "content-type": "text/csv"})
            r.raise_for_status()
            await account(gw, tenant, nip_of(1), roles=("hr",))
            await publish(bootstrap, *facts(tenant))

            def all_scored(service_path: str) -> Any:
                async def check() -> bool:
                    hr = await person(gw, tenant, nip_of(1))
                    r = await gw.get(service_path, params={"period": PERIOD}, headers=hr)
                    return r.status_code == 200 and len(r.json()) >= EMPLOYEES
                return check

            await eventually(all_scored(f"/api/scoring/{tenant}/scores"), timeout=1200,
                             interval=5)
            # the gateway's read model follows ScoreUpdated (on a shared broker, with every
            # other regency's): its reads are timed with the rows it has (``rows``)
            with contextlib.suppress(AssertionError, TimeoutError):
                await eventually(all_scored(f"/api/tenants/{tenant}/scores"), timeout=300,
                                 interval=5)
            await analysed("gateway", "scoring")  # as autovacuum would by now (benchenv)
            q = f"?period={PERIOD}"
            opd = "&unit_id=opd03"
            reads = {
                "baseline: gateway GET /api/tenants/{t}": f"/api/tenants/{tenant}",
                "gateway scores of one OPD": f"/api/tenants/{tenant}/scores{q}{opd}",
                "gateway scores, a page of 100": f"/api/tenants/{tenant}/scores{q}&limit=100",
                "gateway scores, the whole month": f"/api/tenants/{tenant}/scores{q}",
                "scoring scores of one OPD (proxied)": f"/api/scoring/{tenant}/scores{q}{opd}",
                "scoring OPD rankings (proxied)": f"/api/scoring/{tenant}/rankings/units{q}",
                "scoring employee ranking of one OPD (proxied)":
                    f"/api/scoring/{tenant}/rankings/employees{q}{opd}",
            }
            only = [w for w in (args.only or "").split(",") if w]
            results = {}
            for name, path in reads.items():
                if only and not any(w in name for w in only):
                    continue
                hr = {**await person(gw, tenant, nip_of(1)),  # a token lives 10 minutes
                      "Accept": "application/json"}
                if not profile:
                    results[name] = await timed(gw, path, hr)
                    continue
                slug = name.split(" (")[0].split(":")[0].replace(" ", "_").replace(",", "")
                raws = {svc: profile / f"{slug}-{svc}.txt" for svc in PROFILED}
                recorders = {svc: pyspy.record(system.procs[svc].pid, raws[svc])
                             for svc in PROFILED}
                await asyncio.sleep(1)  # py-spy attached
                results[name] = await timed(gw, path, hr)
                for svc, recorder in recorders.items():
                    raws[svc].with_suffix(".json").write_text(json.dumps(
                        pyspy.stop(recorder, raws[svc]), indent=1))
    targeted = [v["p99_ms"] for k, v in results.items()
                if "one OPD" in k or "rankings" in k]
    return {"month_reads": {
        "employees": EMPLOYEES, "rounds": ROUNDS, "reads": results,
        "worst_targeted_p99_ms": max(targeted, default=0.0), "target_p99_ms": TARGET_P99_MS,
        "within_target": max(targeted, default=0.0) <= TARGET_P99_MS, "raw_kafka": raw,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "profiled": bool(profile)}}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", default=None,
                        help="a directory: sample the gateway and scoring with py-spy "
                             "while each read is asked")
    parser.add_argument("--only", default=None,
                        help="comma-separated words: only the reads whose name has one")
    print(json.dumps(asyncio.run(main(parser.parse_args()))))
