"""Database sessions of the gateway beyond the shared unit of work."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session, SessionTransaction

from ekinerja_shared.tenancy import CROSS_TENANT_SETTING, TENANT_SETTING

log = logging.getLogger(__name__)


def cross_tenant_sessionmaker(engine: AsyncEngine, job: str) -> async_sessionmaker[AsyncSession]:
    """Sessions whose every transaction sees every regency (PostgreSQL row-level security,
    ``ekinerja_shared.tenancy``), for one named part of the gateway that must: ``job`` is
    logged with each transaction. The gateway gives it to the sign-in package only (it
    finds accounts by login, machine clients by id, OIDC states by hash, and the directory
    facts of a sign-in in any regency)."""
    session_cls: type[Session] = type("CrossTenantSession", (Session,), {})
    if engine.dialect.name == "postgresql":

        @event.listens_for(session_cls, "after_begin")
        def _bind(_session: Session, _tx: SessionTransaction, connection: Connection,
                  *_: Any) -> None:
            log.debug("cross-tenant transaction for %s", job)
            connection.execute(
                text("SELECT set_config(:cross, 'on', true), set_config(:name, '', true)"),
                {"cross": CROSS_TENANT_SETTING, "name": TENANT_SETTING})

    return async_sessionmaker(engine, expire_on_commit=False, sync_session_class=session_cls)
