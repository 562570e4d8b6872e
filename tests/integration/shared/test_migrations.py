"""Migrations on the real PostgreSQL when N instances of a service start at once: each
applies them at start (``EK_MIGRATE_ON_START``), so they meet on an empty database. One
migrates; the others wait on the migrations' advisory lock and then find it at head. Before
the lock, the second instance of attendance died at start creating a type the first had
just created (``pg_type_typname_nsp_index``)."""

from __future__ import annotations

import asyncio
import os
import sys

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from ekinerja_shared.migrations import alembic_config
from tests.support import infra

pytestmark = pytest.mark.integration
INSTANCES = 3


async def migrate(url: str) -> tuple[int, str]:
    """``python -m attendance migrate``: what an instance does first at start."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "attendance", "migrate",
        env={**os.environ, "EK_DATABASE_URL": url, "EK_MIGRATION_DATABASE_URL": url},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await asyncio.wait_for(proc.communicate(), timeout=120)
    return proc.returncode or 0, out.decode(errors="replace")[-2000:]


async def test_instances_starting_together_migrate_once() -> None:
    url = infra.pg_url("attendance")
    await infra.reset_database(url)

    outcomes = await asyncio.gather(*(migrate(url) for _ in range(INSTANCES)))

    assert [out for code, out in outcomes if code != 0] == []
    head = ScriptDirectory.from_config(alembic_config("attendance", url)).get_current_head()
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            versions = (await conn.execute(text("SELECT version_num FROM alembic_version"))
                        ).scalars().all()
            tables = await conn.scalar(text(
                "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"))
    finally:
        await engine.dispose()
    assert versions == [head]
    assert tables and tables > 5  # the service's tables, once
