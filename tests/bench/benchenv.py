"""The benches' databases for the test support code: ``tests.support.processes`` starts
the services on the ``EK_TEST_PG_*`` databases; a bench runs them on its ``EK_BENCH_PG_*``
ones (the tables' owner, and the application role when given)."""

from __future__ import annotations

import os

from sqlalchemy import text

from ekinerja_shared.db import make_engine

SERVICES = ("attendance", "activity", "scoring", "gateway")


def bench_databases_for_tests() -> None:
    for svc in SERVICES:
        owner = os.environ[f"EK_BENCH_PG_{svc.upper()}_URL"]
        os.environ[f"EK_TEST_PG_{svc.upper()}_URL"] = owner
        os.environ[f"EK_TEST_PG_{svc.upper()}_APP_URL"] = os.environ.get(
            f"EK_BENCH_PG_{svc.upper()}_APP_URL", owner)


async def analysed(*services: str) -> None:
    """Have PostgreSQL's statistics of the services' tables brought up to date (``ANALYZE``
    as the tables' owner), as autovacuum does within its naptime (a minute) of a table
    being filled: a read of a month is not timed in the first minute of a new deployment.
    Tables filled seconds before and never analysed are planned from no statistics (one
    row each), and the gateway's scores of an OPD took 1.1-1.3 s instead of 17-22 ms in the
    first rounds (a nested loop reading the regency's every employee for each score;
    docs/perf/reads.md, round 6)."""
    for svc in services:
        engine = make_engine(os.environ[f"EK_BENCH_PG_{svc.upper()}_URL"])
        try:
            async with engine.begin() as conn:
                await conn.execute(text("ANALYZE"))
        finally:
            await engine.dispose()
