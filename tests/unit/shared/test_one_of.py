"""``ekinerja_shared.db.one_of``: a set of values as one array parameter on PostgreSQL (one
statement text whatever the count), an IN list elsewhere; both select the same rows."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Column, MetaData, String, Table, insert, select
from sqlalchemy.dialects import postgresql

from ekinerja_shared.db import make_engine, make_sessionmaker, one_of

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
