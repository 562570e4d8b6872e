"""``ekinerja_shared.db.one_of``: a set of values as one array parameter on PostgreSQL (one
statement text whatever the count), an IN list elsewhere; both select the same rows."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Column, Date, MetaData, String, Table, insert, select
from sqlalchemy.dialects import postgresql

from ekinerja_shared.db import make_engine, make_sessionmaker, one_of, pairs_of

ROWS = Table("rows", MetaData(), Column("nip", String(32), primary_key=True))


def on(dialect: str) -> Any:
    return SimpleNamespace(bind=SimpleNamespace(dialect=SimpleNamespace(name=dialect)))


def test_on_postgresql_any_count_of_values_is_one_statement() -> None:
    texts = {str(select(ROWS.c.nip).where(one_of(on("postgresql"), ROWS.c.nip, values))
                 .compile(dialect=postgresql.asyncpg.dialect()))  # type: ignore[no-untyped-call]
             for values in (["a"], ["a", "b"], [f"n{i}" for i in range(1000)])}
    assert len(texts) == 1 and "= ANY ($1::VARCHAR(32)[])" in texts.pop()


async def test_elsewhere_an_in_list_selects_the_values(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'one_of.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(ROWS.metadata.create_all)
        await conn.execute(insert(ROWS), [{"nip": n} for n in ("a", "b", "c")])
    async with make_sessionmaker(engine)() as session:
        got = (await session.scalars(select(ROWS.c.nip).where(
            one_of(session, ROWS.c.nip, iter(["c", "a", "x"]))).order_by(ROWS.c.nip))).all()
    await engine.dispose()
    assert got == ["a", "c"]


DAYS = Table("days", MetaData(), Column("nip", String(32), primary_key=True),
             Column("work_date", Date, primary_key=True))


def test_pairs_on_postgresql_any_count_of_keys_is_one_statement() -> None:
    texts = {str(select(DAYS.c.nip).where(
        pairs_of(on("postgresql"), (DAYS.c.nip, DAYS.c.work_date), keys))
        .compile(dialect=postgresql.asyncpg.dialect()))  # type: ignore[no-untyped-call]
        for keys in ([("a", dt.date(2026, 11, 2))],
                     [(f"n{i}", dt.date(2026, 11, 2)) for i in range(500)])}
    assert len(texts) == 1 and "unnest(CAST($1::VARCHAR(32)[] AS VARCHAR(32)[])" in texts.pop()


async def test_pairs_elsewhere_select_exactly_the_keys(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'pairs_of.db'}")
    day, next_day = dt.date(2026, 11, 2), dt.date(2026, 11, 3)
    async with engine.begin() as conn:
        await conn.run_sync(DAYS.metadata.create_all)
        await conn.execute(insert(DAYS), [{"nip": n, "work_date": d}
                                          for n in ("a", "b") for d in (day, next_day)])
    async with make_sessionmaker(engine)() as session:
        got = (await session.execute(select(DAYS.c.nip, DAYS.c.work_date).where(
            pairs_of(session, (DAYS.c.nip, DAYS.c.work_date),
                     iter([("a", day), ("b", next_day), ("x", day)])))
            .order_by(DAYS.c.nip))).all()
    await engine.dispose()
    assert [tuple(r) for r in got] == [("a", day), ("b", next_day)]
