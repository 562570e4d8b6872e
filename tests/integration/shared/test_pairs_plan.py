"""``db.pairs_of`` with the whole key, the regency's column first, on the real PostgreSQL:
a plan made while the table held a regency's first rows stays linear as the table grows.

The day records' lock of attendance's evaluation (``tenant_id = :t AND (nip, work_date)
IN (unnest ..)``) had its generic plan made on a nearly empty table: it read the regency's
every row by the index's first column and compared each with every key, 348 ms a batch at
10,000 rows in the live bench (docs/perf/live.md, "The day records' lock"). The plan is
made here as PostgreSQL makes it for a statement prepared by asyncpg (``PREPARE``, the
generic plan kept), while the table holds 20 rows; it is then executed on 3,000 rows of
the regency with 300 keys, and the server's own count of the rows each node compared and
dropped (``EXPLAIN ANALYZE``) must stay within the table's size, not rows x keys."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from sqlalchemy import Column, Date, MetaData, String, Table, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from ekinerja_shared.db import make_engine, make_sessionmaker, pairs_of
from tests.support import infra

pytestmark = pytest.mark.integration

DAYS = Table("plans_days", MetaData(), Column("tenant_id", String(64)),
             Column("nip", String(32)), Column("work_date", Date))
TENANT = "kota-cilegon"
FIRST_ROWS, ROWS, KEYS = 20, 3_000, 300
DAY0 = dt.date(2026, 10, 1)


def day_rows(n: int) -> list[dict[str, Any]]:
    return [{"tenant_id": TENANT, "nip": f"19800101{i // 30:010d}", "work_date":
             DAY0 + dt.timedelta(days=i % 30)} for i in range(n)]


def removed(plan: dict[str, Any]) -> int:
    """Rows the plan's nodes read and dropped, by filter or join filter, in all loops."""
    own = (plan.get("Rows Removed by Filter", 0) + plan.get("Rows Removed by Join Filter", 0))
    return own + sum(removed(p) for p in plan.get("Plans", []))


async def test_a_plan_made_on_the_first_rows_stays_linear_as_the_table_grows() -> None:
    engine = make_engine(infra.pg_app_url("scoring"))
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            await session.execute(text(
                "CREATE TEMPORARY TABLE plans_days (tenant_id varchar(64), nip varchar(32),"
                " work_date date, verdict varchar(400),"  # as wide as a day record
                " PRIMARY KEY (tenant_id, nip, work_date)) ON COMMIT DROP"))
            rows = day_rows(ROWS)
            await session.execute(DAYS.insert(), rows[:FIRST_ROWS])
            keys = [(r["tenant_id"], r["nip"], r["work_date"]) for r in rows[::ROWS // KEYS]]
            stmt = select(DAYS).where(pairs_of(
                session, (DAYS.c.tenant_id, DAYS.c.nip, DAYS.c.work_date), keys)
            ).with_for_update()
            sql, params = await prepared(session, stmt)
            await session.execute(text("SET LOCAL plan_cache_mode = force_generic_plan"))
            await session.execute(text(f"PREPARE plans_lock AS {sql}"))
            await session.execute(text(f"EXECUTE plans_lock ({params})"))  # plan made: 20 rows
            await session.execute(DAYS.insert(), rows[FIRST_ROWS:])
            explained = await session.scalar(text(
                f"EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE plans_lock ({params})"))
            plan = (json.loads(explained) if isinstance(explained, str) else explained)[0]["Plan"]
            await session.execute(text("DEALLOCATE plans_lock"))
        assert plan["Actual Rows"] == KEYS
        assert removed(plan) <= ROWS, json.dumps(plan, indent=1)
    finally:
        await engine.dispose()


async def prepared(session: AsyncSession, stmt: Any) -> tuple[str, str]:
    """The statement's SQL as asyncpg sends it (``$n`` parameters), and its parameters as
    SQL literals for ``EXECUTE`` (quoted by the server)."""
    compiled = stmt.compile(dialect=session.bind.dialect)
    values = [compiled.params[name] for name in compiled.positiontup]
    literals = [await session.scalar(text("SELECT quote_literal(CAST(:v AS text))"),
                                     {"v": v if not isinstance(v, list) else
                                      "{" + ",".join(str(x) for x in v) + "}"})
                for v in values]
    return str(compiled), ", ".join(literals)
