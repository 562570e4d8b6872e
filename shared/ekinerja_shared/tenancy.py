"""Regency isolation in the database (defence in depth under the routes' decisions).

On PostgreSQL every tenant-scoped table has row-level security: a row is visible and
writable only when its ``tenant_id`` equals the transaction's ``app.tenant_id`` setting, or
when the transaction was opened for a named job that must cross regencies
(``app.cross_tenant``). The services connect as an application role that owns no table and
is no superuser, so the policies apply to them; migrations run as the tables' owner.
A query that forgets its tenant therefore sees nothing.

- ``bind_tenant(session, tenant_id)`` / ``bind_cross_tenant(session, job)``: set for the
  current transaction only (``set_config(..., is_local => true)``); ``UnitOfWork``
  calls them when it is bound (``uow.in_tenant(t)``, ``uow.cross_tenant("job")``), and
  ``bind_none(session)`` when it is not (the transaction sees no regency, said explicitly).
  The binding is the first statement of every unit of work's transaction: it also tells a
  dead pooled connection (``UnitOfWork`` then takes another one; no pre-ping).
- ``enable_rls(table)``: used by the services' Alembic migrations.

SQLite (the local embedded run) has no row-level security; there the binding is a no-op
and isolation rests on the routes and queries alone.
"""

from __future__ import annotations

import logging

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

log = logging.getLogger(__name__)

TENANT_SETTING = "app.tenant_id"
CROSS_TENANT_SETTING = "app.cross_tenant"
POLICY_NAME = "tenant_isolation"


def _is_postgres(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


async def bind_tenant(session: AsyncSession, tenant_id: str) -> None:
    """The current transaction sees only ``tenant_id``'s rows."""
    if _is_postgres(session):
        await session.execute(
            text("SELECT set_config(:name, :value, true), set_config(:cross, 'off', true)"),
            {"name": TENANT_SETTING, "value": tenant_id, "cross": CROSS_TENANT_SETTING})


async def bind_none(session: AsyncSession) -> None:
    """The current transaction sees no tenant-scoped row (what a transaction that sets
    nothing sees; the statement makes it explicit and is the transaction's first)."""
    if _is_postgres(session):
        await session.execute(
            text("SELECT set_config(:name, '', true), set_config(:cross, 'off', true)"),
            {"name": TENANT_SETTING, "cross": CROSS_TENANT_SETTING})


async def bind_cross_tenant(session: AsyncSession, job: str) -> None:
    """The current transaction sees every regency: only for the few named jobs that must
    (the outbox relay's table is not tenant-scoped; listing tenants for a periodic job,
    refreshing dirty marks of many regencies)."""
    if _is_postgres(session):
        log.debug("cross-tenant transaction for %s", job)
        await session.execute(
            text("SELECT set_config(:cross, 'on', true), set_config(:name, '', true)"),
            {"name": TENANT_SETTING, "cross": CROSS_TENANT_SETTING})


def policy_sql(table: str, column: str = "tenant_id") -> list[str]:
    """The statements that put ``table`` under row-level security (PostgreSQL)."""
    condition = (f"({column} = current_setting('{TENANT_SETTING}', true) "
                 f"OR current_setting('{CROSS_TENANT_SETTING}', true) = 'on')")
    return [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
        f"DROP POLICY IF EXISTS {POLICY_NAME} ON {table}",
        f"CREATE POLICY {POLICY_NAME} ON {table} USING {condition} WITH CHECK {condition}",
    ]


def enable_rls(*tables: str, column: str = "tenant_id") -> None:
    """In an Alembic migration's ``upgrade()``: row-level security on ``tables``
    (PostgreSQL only; nothing on SQLite)."""
    from alembic import op

    if op.get_bind().dialect.name != "postgresql":
        return
    for table in tables:
        for statement in policy_sql(table, column):
            op.execute(statement)


def disable_rls(*tables: str) -> None:
    """In an Alembic migration's ``downgrade()``."""
    from alembic import op

    if op.get_bind().dialect.name != "postgresql":
        return
    for table in tables:
        op.execute(f"DROP POLICY IF EXISTS {POLICY_NAME} ON {table}")
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
