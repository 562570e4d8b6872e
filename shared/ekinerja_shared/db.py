"""Database plumbing shared by the services: engine and session factory (PostgreSQL via
asyncpg, SQLite via aiosqlite for the local run), an aware-datetime column type, the
outbox / processed-events / quarantine table mixins, and portable upserts.

Each service declares its own ``DeclarativeBase`` and its own tables; nothing here reads
another service's database.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterable, Sequence
from operator import itemgetter
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Integer,
    Select,
    String,
    Text,
    TypeDecorator,
    Uuid,
    any_,
    bindparam,
    column as sql_column,
    cast,
    event,
    func,
    select,
    table as sql_table,
    text,
    tuple_,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Mapped, Session, mapped_column

from .timeutil import utcnow

BigIntPK = BigInteger().with_variant(Integer(), "sqlite")


class AwareDateTime(TypeDecorator[dt.datetime]):
    """Stores instants in UTC and always returns timezone-aware datetimes (SQLite keeps no
    zone; PostgreSQL ``timestamptz`` does)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: times must be timezone-aware")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def make_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, echo=echo, connect_args={"timeout": 30})

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    # no pool_pre_ping (3 round trips per checkout with asyncpg): the unit of work's first
    # statement, the regency binding, finds a dead connection and takes another (uow.py)
    return create_async_engine(
        url, echo=echo, pool_size=10, max_overflow=10, pool_recycle=1800
    )


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # A Session subclass of its own, so that the outbox relay of this service can listen for
    # commits of this service's sessions only.
    session_cls = type("ServiceSession", (Session,), {})
    return async_sessionmaker(engine, expire_on_commit=False, sync_session_class=session_cls)


# --- table mixins ------------------------------------------------------------------------


class OutboxMixin:
    """Events staged in the same transaction as the state change they describe; the
    relay publishes them to Kafka and deletes the rows the broker took (Kafka keeps the
    events: the topics are the record). What stays is what waits to be sent, and the dead
    letters (``attempts`` at the relay's maximum, with ``last_error``)."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    event_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True)
    event_type: Mapped[str] = mapped_column(String(64))
    topic: Mapped[str] = mapped_column(String(128))
    key: Mapped[str] = mapped_column(String(128))
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(AwareDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)


class ProcessedEventMixin:
    """The inbox: which events a consumer has applied (idempotency by ``event_id``)."""

    __tablename__ = "processed_events"

    consumer: Mapped[str] = mapped_column(String(64), primary_key=True)
    event_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    processed_at: Mapped[dt.datetime] = mapped_column(AwareDateTime, default=utcnow)


class QuarantineMixin:
    """Input that could not be applied, kept with its raw payload and the reason. An entry
    is ``open`` until it is ``replayed`` (applied after a fix) or ``discarded`` (with the
    reason in ``resolution``); it is never deleted."""

    __tablename__ = "quarantine"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(128), index=True)
    tenant_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    raw: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    received_at: Mapped[dt.datetime] = mapped_column(AwareDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default="open", server_default="open")
    resolved_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime, nullable=True)
    resolved_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    resolution: Mapped[str | None] = mapped_column(Text, nullable=True)


class ConsumerAttemptMixin:
    """Failed attempts of a consumer at one event, kept across restarts: after
    ``EK_CONSUMER_MAX_ATTEMPTS`` the event is quarantined (transient faults never count)."""

    __tablename__ = "consumer_attempts"

    consumer: Mapped[str] = mapped_column(String(64), primary_key=True)
    event_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    updated_at: Mapped[dt.datetime] = mapped_column(AwareDateTime, default=utcnow)


# --- portable upserts --------------------------------------------------------------------


def _dialect(session: AsyncSession) -> str:
    """The session's database (PostgreSQL when the session is not bound to one engine)."""
    return session.bind.dialect.name if session.bind is not None else "postgresql"


async def plan_for_values(session: AsyncSession) -> None:
    """The rest of the transaction plans each statement for the values it is executed with
    (PostgreSQL's ``plan_cache_mode``, local), never a cached generic plan: see
    ``UnitOfWork.custom_plans``."""
    if _dialect(session) == "postgresql":
        await session.execute(text("SELECT set_config('plan_cache_mode', "
                                   "'force_custom_plan', true)"))


def _insert_for(session: AsyncSession, model: Any) -> Any:
    return (sqlite.insert if _dialect(session) == "sqlite" else postgresql.insert)(model)


def one_of(session: AsyncSession, column: Any, values: Iterable[Any]) -> Any:
    """``column IN values`` as one array parameter on PostgreSQL (``column = ANY(:values)``):
    one statement text, prepared once per connection, whatever the number of values, where
    an expanding IN is a new statement (a parameter per value to render, parse and plan)
    for every count, as a consumer's batches of varying sizes give; elsewhere ``IN``."""
    values = list(values)
    if _dialect(session) != "postgresql":
        return column.in_(values)
    return column == any_(bindparam(None, values, type_=postgresql.ARRAY(column.type)))


def pairs_of(session: AsyncSession, columns: Sequence[Any],
             keys: Iterable[tuple[Any, ...]]) -> Any:
    """``(c1, c2, ..) IN keys`` with the keys as one array parameter per column on
    PostgreSQL (``IN (SELECT * FROM unnest(..))``): one statement text, cheap to plan,
    where a row-constructor ``IN`` list is planned as an ``OR`` of every key (500 pairs of
    the day records: 160 ms to plan, 10 ms to run); elsewhere the ``IN`` list.

    Give the whole key, the regency's column first (``tenant_id, nip, work_date``), not
    the regency as a separate ``tenant_id = :t`` filter beside the other columns' pairs:
    with that filter the planner may read the regency's every row by the index's first
    column and compare each with every key, which a plan made while the table held a
    regency's first rows keeps doing as it grows (400 keys in 10,000 day records: 1.4 s,
    against 5 ms for the whole key; docs/perf/live.md, "The day records' lock")."""
    keys = list(keys)
    if _dialect(session) != "postgresql":
        return tuple_(*columns).in_(keys)
    names = [f"k{i}" for i in range(len(columns))]
    arrays = func.unnest(*(
        cast(bindparam(None, [k[i] for k in keys], type_=postgresql.ARRAY(c.type)),
             postgresql.ARRAY(c.type))
        for i, c in enumerate(columns))).table_valued(*names).render_derived()
    return tuple_(*columns).in_(select(*(arrays.c[n] for n in names)))


def _table_of(model: Any) -> Any:
    """The Core table of an ORM class (or the table itself)."""
    return getattr(model, "__table__", model)


async def _written(session: AsyncSession, stmt: Any,
                   params: list[dict[str, Any]] | dict[str, Any]) -> list[tuple[Any, ...]]:
    """Execute a Core INSERT .. RETURNING (of ``_insert_rows``); the rows it wrote (what
    the statement returns)."""
    result = await session.execute(stmt, params)
    return [tuple(r) for r in result.all()]


def _type_of(column: Any) -> Any:
    """The column's SQL type, a ``TypeDecorator``'s underlying one."""
    return getattr(column.type, "impl_instance", column.type)


def _is_json(column: Any) -> bool:
    return isinstance(_type_of(column), JSON)


def _unnested(table: Any, columns: Sequence[str]) -> Select[Any] | None:
    """PostgreSQL: ``SELECT * FROM unnest(CAST(:c1 AS t1[]), ...)``, the rows given as one
    array parameter per column, for an ``INSERT .. SELECT``: one statement of one size
    whatever the number of rows, prepared once per connection, where the multi-row VALUES
    of insertmanyvalues is a new statement (thousands of parameters to parse and plan) for
    every row count; a 600-row upsert 100-150 ms -> 35-50 ms (scoring's activity entries).
    A JSON column travels as text (``_array_values``) and is cast back per row.
    None when it does not apply: an array column, or a column left out that a Python-side
    default fills per row (an INSERT .. SELECT would evaluate it once)."""
    cols = [table.c[c] for c in columns]
    if any(isinstance(_type_of(c), postgresql.ARRAY) for c in cols):
        return None
    if any(c.default is not None and c.key not in columns for c in table.columns):
        return None
    arrays = func.unnest(
        *(cast(bindparam(c.key), postgresql.ARRAY(Text if _is_json(c) else c.type))
          for c in cols)
    ).table_valued(*columns).render_derived()
    return select(*(cast(arrays.c[c.key], c.type) if _is_json(c) else arrays.c[c.key]
                    for c in cols))


def _array_values(table: Any, column: str, rows: list[dict[str, Any]]) -> list[Any]:
    """One column of ``rows`` as the array ``_unnested`` binds: a JSON column's values as
    their JSON text (``json.dumps``, SQLAlchemy's own serializer of the JSON type)."""
    if _is_json(table.c[column]):
        return [json.dumps(r[column]) for r in rows]
    return [r[column] for r in rows]


def _columns_of(rows: list[dict[str, Any]], *, looked_up: bool = False) -> list[str]:
    """The columns the rows name (every row the same: an executemany would drop the extra
    keys of some). ``looked_up``: the caller reads every column of every row by key (a
    missing one raises ``KeyError``), so equal lengths suffice (10 times cheaper than
    comparing the key sets: 0.8 ms against 5 ms for 6,000 rows of 11 columns)."""
    first = rows[0].keys()
    if any(len(r) != len(first) if looked_up else r.keys() != first for r in rows):
        raise ValueError("every row of one INSERT must name the same columns")
    return list(first)


def _insert_rows(session: AsyncSession, table: Any,
                 rows: list[dict[str, Any]]) -> tuple[Any, Any]:
    """The INSERT of ``rows`` into ``table`` and its parameters, compiled once and cached
    whatever the number of rows: from unnested arrays on PostgreSQL where it applies
    (``_unnested``), else the rows as parameter sets (SQLAlchemy's insertmanyvalues batches
    them into multi-row VALUES at execution), where ``.values(rows)`` compiled a new
    statement of every size: a 2,000-row upsert took 576-848 ms that way against 95-108 ms
    (measured on PostgreSQL, the employees copy of attendance)."""
    columns = _columns_of(rows)
    source = _unnested(table, columns) if _dialect(session) == "postgresql" else None
    if source is None:
        return _insert_for(session, table), rows
    params = {c: _array_values(table, c, rows) for c in columns}
    return postgresql.insert(table).from_select(columns, source), params


async def insert_all(session: AsyncSession, model: Any, rows: Sequence[dict[str, Any]]) -> None:
    """A plain multi-row INSERT of ``rows`` in one statement (``_insert_rows``: one array per
    column on PostgreSQL, where the executemany of a list of parameter sets is a statement
    execution per row on the server); the rows are inserted in the order given."""
    if rows:
        stmt, params = _insert_rows(session, _table_of(model), list(rows))
        await session.execute(stmt, params)


async def _copied_rows(session: AsyncSession, table: Any, rows: list[dict[str, Any]]) -> Any:
    """PostgreSQL: ``rows`` written by a binary COPY (asyncpg's ``copy_records_to_table``,
    on the session's connection, in its transaction) into a temporary table of the same
    columns (``ON COMMIT DROP``, no WAL), and the ``INSERT INTO table .. SELECT`` of them
    for an upsert to finish. Where ``_insert_rows`` sends one array per column, which
    asyncpg encodes element by element with an abstract-class test each (a quarter of the
    rebuild's CPU, docs/perf/rebuild.md round 3), COPY encodes the values only. Worth it
    for thousands of rows: it costs three more round trips (create, copy, drop)."""
    columns = _columns_of(rows, looked_up=True)
    conn = await session.connection()
    quote = conn.dialect.identifier_preparer.quote
    name = f"copy_{table.name}"
    await conn.execute(text(f"DROP TABLE IF EXISTS pg_temp.{quote(name)}"))
    await conn.execute(text(
        f"CREATE TEMPORARY TABLE {quote(name)} ON COMMIT DROP AS SELECT "
        f"{', '.join(quote(c) for c in columns)} FROM "
        f"{conn.dialect.identifier_preparer.format_table(table)} WITH NO DATA"))
    raw = (await conn.get_raw_connection()).driver_connection
    assert raw is not None  # asyncpg's connection, checked out by the session
    values = itemgetter(*columns) if len(columns) > 1 else (lambda r: (r[columns[0]],))
    await raw.copy_records_to_table(name, records=[values(r) for r in rows],
                                    columns=columns, schema_name="pg_temp")
    staged = sql_table(name, *(sql_column(c) for c in columns))
    return postgresql.insert(table).from_select(columns, select(*staged.c))


async def insert_ignore(
    session: AsyncSession, model: Any, rows: Sequence[dict[str, Any]] | dict[str, Any]
) -> int:
    """``INSERT ... ON CONFLICT DO NOTHING``; returns how many rows were inserted."""
    rows = [rows] if isinstance(rows, dict) else list(rows)
    if not rows:
        return 0
    table = _table_of(model)
    stmt, params = _insert_rows(session, table, rows)
    stmt = stmt.on_conflict_do_nothing()
    return len(await _written(session, stmt.returning(*table.primary_key.columns), params))


async def insert_ignore_returning(
    session: AsyncSession, model: Any, rows: Sequence[dict[str, Any]], returning: Sequence[Any]
) -> list[tuple[Any, ...]]:
    """``INSERT ... ON CONFLICT DO NOTHING RETURNING <returning>`` of many rows in one
    statement (Core, see ``_insert_rows``): the rows actually inserted,
    in no particular order."""
    if not rows:
        return []
    stmt, params = _insert_rows(session, _table_of(model), list(rows))
    return await _written(session, stmt.on_conflict_do_nothing().returning(*returning), params)


async def upsert(
    session: AsyncSession, model: Any, rows: Sequence[dict[str, Any]] | dict[str, Any],
    **options: Any,
) -> int:
    """``upserted_keys`` counted: how many rows were written (new or updated)."""
    return len(await upserted_keys(session, model, rows, **options))


async def upserted_keys(
    session: AsyncSession,
    model: Any,
    rows: Sequence[dict[str, Any]] | dict[str, Any],
    *,
    index_elements: Iterable[str],
    update: Iterable[str] | None = None,
    where: Any = None,
    copy: bool = False,
) -> list[tuple[Any, ...]]:
    """``INSERT ... ON CONFLICT (index_elements) DO UPDATE SET update...`` (all non-key
    columns given when ``update`` is None). ``where`` guards the update, e.g. only a higher
    revision replaces a lower one. Returns the ``index_elements`` of the rows written (new
    or updated, in no particular order): which rows a guarded upsert actually changed.
    ``copy``: the rows go through a binary COPY into a temporary table first
    (``_copied_rows``; PostgreSQL only, elsewhere ignored): for the rebuild's bulk loads."""
    rows = [rows] if isinstance(rows, dict) else list(rows)
    if not rows:
        return []
    keys = list(index_elements)
    table = _table_of(model)
    params: Any = {}
    if copy and _dialect(session) == "postgresql":
        stmt = await _copied_rows(session, table, rows)
    else:
        stmt, params = _insert_rows(session, table, rows)
    cols = list(update) if update is not None else [c for c in rows[0] if c not in keys]
    if not cols:
        stmt = stmt.on_conflict_do_nothing(index_elements=keys)
    else:
        stmt = stmt.on_conflict_do_update(
            index_elements=keys, set_={c: stmt.excluded[c] for c in cols}, where=where
        )
    return await _written(session, stmt.returning(*(table.c[k] for k in keys)), params)
