"""Row-level security as the services use it, on the real PostgreSQL: a table under the
policy, written by the owner, read and written as the application role through the unit
of work. A query that forgets its regency sees nothing; a bound one sees its own rows only
and cannot write another regency's."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import String, func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from ekinerja_shared.db import make_engine, make_sessionmaker
from ekinerja_shared.tenancy import policy_sql
from ekinerja_shared.uow import UnitOfWork
from tests.support import infra

pytestmark = pytest.mark.integration


class Base(DeclarativeBase):
    pass


class Note(Base):
    __tablename__ = "notes"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(String(200))


@pytest.fixture
async def schema():
    """A schema of its own in the scoring test database, with the ``notes`` table under
    the policy and rows of two regencies, written by the owner."""
    name = f"rls_{uuid.uuid4().hex[:8]}"
    owner = create_async_engine(infra.pg_url("scoring"))
    async with owner.begin() as conn:
        await conn.execute(text(f"CREATE SCHEMA {name}"))
        await conn.execute(text(f"SET LOCAL search_path TO {name}"))
        await conn.run_sync(Base.metadata.create_all)
        for statement in policy_sql("notes"):
            await conn.execute(text(statement))
        await conn.execute(text("SELECT set_config('app.cross_tenant', 'on', true)"))
        await conn.execute(text(
            "INSERT INTO notes VALUES ('c1', 'cilegon', 'TPP Cilegon'), "
            "('c2', 'cilegon', 'apel'), ('k1', 'kediri', 'TPP Kediri')"))
    yield name
    async with owner.begin() as conn:
        await conn.execute(text(f"DROP SCHEMA {name} CASCADE"))
    await owner.dispose()


@pytest.fixture
async def app_uow(schema):
    engine = make_engine(infra.pg_app_url("scoring"))

    from sqlalchemy import event

    @event.listens_for(engine.sync_engine, "connect")
    def _search_path(dbapi_conn, _record):
        cur = dbapi_conn.cursor()
        cur.execute(f"SET search_path TO {schema}")
        cur.close()
        dbapi_conn.commit()

    yield UnitOfWork(make_sessionmaker(engine))
    await engine.dispose()


async def _ids(session: AsyncSession) -> list[str]:
    return list((await session.scalars(select(Note.id).order_by(Note.id))).all())


async def test_the_application_role_is_not_the_owner_nor_a_superuser(app_uow) -> None:
    async with app_uow.read() as session:
        row = (await session.execute(text(
            "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"))).one()
        owner = await session.scalar(text(
            "SELECT tableowner FROM pg_tables WHERE tablename = 'notes' "
            "AND schemaname = current_schema()"))
        me = await session.scalar(text("SELECT current_user"))
    assert tuple(row) == (False, False)
    assert owner != me


async def test_a_query_that_forgets_the_regency_sees_nothing(app_uow) -> None:
    async with app_uow.read() as session:
        assert await _ids(session) == []
        # hand-written cross-regency query: still nothing
        assert await session.scalar(text("SELECT count(*) FROM notes")) == 0


async def test_a_bound_unit_of_work_sees_and_writes_its_own_regency_only(app_uow) -> None:
    cilegon = app_uow.in_tenant("cilegon")
    async with cilegon.read() as session:
        assert await _ids(session) == ["c1", "c2"]
        assert await session.scalar(
            text("SELECT count(*) FROM notes WHERE tenant_id = 'kediri'")) == 0

    async def add(session: AsyncSession, note_id: str, tenant_id: str) -> None:
        session.add(Note(id=note_id, tenant_id=tenant_id, text="x"))
        await session.flush()

    await cilegon.run(add, "c3", "cilegon")
    with pytest.raises(DBAPIError, match="row-level security"):
        await cilegon.run(add, "k2", "kediri")

    async def rename_all(session: AsyncSession) -> int:
        result = await session.execute(text("UPDATE notes SET text = 'diubah'"))
        return int(result.rowcount)

    assert await app_uow.in_tenant("kediri").run(rename_all) == 1  # kediri's one row only
    async with app_uow.cross_tenant("test-audit").read() as session:
        assert await _ids(session) == ["c1", "c2", "c3", "k1"]
        assert await session.scalar(
            select(func.count()).select_from(Note).where(Note.text == "diubah")) == 1


async def _terminate_pooled_backend(uow: UnitOfWork) -> None:
    """Kill the server side of the pool's one connection (as PostgreSQL's restart would),
    from a connection of the same role, and wait until it is gone."""
    async with uow.read() as session:
        pid = await session.scalar(text("SELECT pg_backend_pid()"))
    killer = create_async_engine(infra.pg_app_url("scoring"))
    async with killer.connect() as conn:
        assert await conn.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        for _ in range(100):
            if not await conn.scalar(text(
                    "SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}):
                break
    await killer.dispose()


async def test_a_dead_pooled_connection_is_replaced_with_the_binding_kept(app_uow) -> None:
    # no pre-ping: the binding, first statement of each transaction, finds the dead
    # connection and runs again on a fresh one, in the same transaction as the read
    cilegon = app_uow.in_tenant("cilegon")
    await _terminate_pooled_backend(cilegon)
    async with cilegon.read() as session:
        assert await _ids(session) == ["c1", "c2"]

    async def add(session: AsyncSession) -> None:
        session.add(Note(id="c9", tenant_id="cilegon", text="x"))

    await _terminate_pooled_backend(cilegon)
    await cilegon.run(add)
    await _terminate_pooled_backend(app_uow)
    async with app_uow.read() as session:  # unbound: still nothing, on a fresh connection
        assert await _ids(session) == []
    async with app_uow.cross_tenant("test-audit").read() as session:
        assert await _ids(session) == ["c1", "c2", "c9", "k1"]
