"""Access to the real infrastructure that `make test` starts (Kafka, PostgreSQL).

`make test` exports EK_TEST_KAFKA_BOOTSTRAP and EK_TEST_PG_<SERVICE>_URL. Outside it the
integration and e2e tests are skipped, except under CI=true where a missing piece fails.
"""

from __future__ import annotations

import asyncio
import os
import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

SERVICES = ("attendance", "activity", "scoring", "gateway")


def _need(var: str) -> str:
    value = os.environ.get(var)
    if not value:
        if os.environ.get("CI"):
            pytest.fail(f"{var} is not set: run the tests with `make test`")
        pytest.skip(f"{var} not set (run `make test` for integration tests)")
    return value


def kafka_bootstrap() -> str:
    return _need("EK_TEST_KAFKA_BOOTSTRAP")


def pg_url(service: str) -> str:
    """The service's test database as its owner (migrations, resets)."""
    return _need(f"EK_TEST_PG_{service.upper()}_URL")


def pg_app_url(service: str) -> str:
    """The same database as the service's application role (row-level security applies)."""
    return _need(f"EK_TEST_PG_{service.upper()}_APP_URL")


async def reset_database(url: str) -> None:
    """Empty the service's test database (drop and recreate the public schema)."""
    engine = create_async_engine(url)
    try:
        for attempt in range(1, 6):
            try:
                async with engine.begin() as conn:
                    await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
                    await conn.execute(text("CREATE SCHEMA public"))
                return
            except DBAPIError as exc:
                # a previous test's app still finishing its last transaction on these
                # tables: the drop, chosen as the deadlock victim, is simply tried again
                if "deadlock detected" not in str(exc) or attempt == 5:
                    raise
                await asyncio.sleep(attempt)
    finally:
        await engine.dispose()


def unique(prefix: str) -> str:
    """A short unique id: tests isolate themselves on the shared topics by tenant id and
    consumer group prefix."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"
