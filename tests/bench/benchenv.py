"""The benches' databases for the test support code: ``tests.support.processes`` starts
the services on the ``EK_TEST_PG_*`` databases; a bench runs them on its ``EK_BENCH_PG_*``
ones (the tables' owner, and the application role when given)."""

from __future__ import annotations

import os

SERVICES = ("attendance", "activity", "scoring", "gateway")


def bench_databases_for_tests() -> None:
    for svc in SERVICES:
        owner = os.environ[f"EK_BENCH_PG_{svc.upper()}_URL"]
        os.environ[f"EK_TEST_PG_{svc.upper()}_URL"] = owner
        os.environ[f"EK_TEST_PG_{svc.upper()}_APP_URL"] = os.environ.get(
            f"EK_BENCH_PG_{svc.upper()}_APP_URL", owner)
