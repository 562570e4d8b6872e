"""``UnitOfWork.custom_plans()`` on the real PostgreSQL: its transactions plan every
execution of a prepared statement for its values, where a plain unit of work lets
PostgreSQL switch a statement executed often to one generic plan (what made scoring's
directory batches of a first roster five times slower, docs/perf/roster.md round 6).
Counted by the server itself (``pg_prepared_statements``), on the connection that ran the
statement."""

from __future__ import annotations

import pytest
from sqlalchemy import Column, MetaData, String, Table, func, select, text

from ekinerja_shared.db import make_engine, make_sessionmaker, one_of
from ekinerja_shared.uow import UnitOfWork
from tests.support import infra

pytestmark = pytest.mark.integration

# a table as a new deployment's: created empty, never analysed
STAFF = Table("plans_staff", MetaData(), Column("nip", String(32)))
EXECUTIONS = 8  # PostgreSQL considers a generic plan from the sixth execution on
KEYS = 500  # a batch's key list (a generic plan assumes an array parameter of 10)


@pytest.fixture
async def uow():
    engine = make_engine(infra.pg_app_url("scoring"))
    yield UnitOfWork(make_sessionmaker(engine))
    await engine.dispose()


async def plans(uow: UnitOfWork) -> tuple[str, int, int]:
    """The transaction's plan_cache_mode, then the generic and custom plans the server
    made for a key-list statement executed ``EXECUTIONS`` times in it."""
    async with uow.transaction() as session:
        await session.execute(text(
            "CREATE TEMPORARY TABLE plans_staff (nip varchar(32) PRIMARY KEY) ON COMMIT DROP"))
        for i in range(EXECUTIONS):
            await session.scalar(select(func.count()).select_from(STAFF).where(
                one_of(session, STAFF.c.nip, [f"1980{i}{n:014d}" for n in range(KEYS)])))
        mode = await session.scalar(text("SELECT current_setting('plan_cache_mode')"))
        generic, custom = (await session.execute(text(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements"
            " WHERE statement LIKE :asked"), {"asked": "%FROM plans_staff%ANY%"})).one()
    return mode, generic, custom


async def test_custom_plans_plan_every_execution_for_its_values(uow) -> None:
    mode, generic, custom = await plans(uow.custom_plans())
    assert mode == "force_custom_plan"
    assert generic == 0 and custom >= EXECUTIONS


async def test_a_plain_unit_of_work_lets_the_server_keep_a_generic_plan(uow) -> None:
    mode, generic, custom = await plans(uow)
    assert mode == "auto"
    assert generic > 0 and custom < EXECUTIONS


async def test_the_setting_ends_with_the_transaction(uow) -> None:
    asked = text("SELECT pg_backend_pid(), current_setting('plan_cache_mode')")
    async with uow.custom_plans().transaction() as session:
        pid, mode = (await session.execute(asked)).one()
        assert mode == "force_custom_plan"
    async with uow.transaction() as session:  # the pool's one connection, given back
        assert tuple((await session.execute(asked)).one()) == (pid, "auto")
