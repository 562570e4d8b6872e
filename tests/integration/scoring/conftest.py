"""Fixtures of scoring's PostgreSQL tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ekinerja_shared.db import make_engine, make_sessionmaker
from ekinerja_shared.migrations import upgrade_async
from tests.support.infra import pg_app_url, pg_url, reset_database


@pytest.fixture
async def sm() -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A fresh scoring schema, migrated by its owner; sessions of the service's role (as the
    service: row-level security applies)."""
    await reset_database(pg_url("scoring"))
    await upgrade_async("scoring", pg_url("scoring"))
    engine = make_engine(pg_app_url("scoring"))
    yield make_sessionmaker(engine)
    await engine.dispose()
