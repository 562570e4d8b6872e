"""Alembic plumbing: each service keeps its own migrations in ``<service>/migrations``;
their ``env.py`` calls ``run_env``. Services apply them at start (``EK_MIGRATE_ON_START``)
or with ``python -m <service> migrate``."""

from __future__ import annotations

import asyncio
import logging

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection

from .db import is_sqlite, make_engine
from .tenancy import CROSS_TENANT_SETTING

log = logging.getLogger(__name__)


def alembic_config(package: str, url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", f"{package}:migrations")
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(package: str, url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(package, url), revision)


async def upgrade_async(package: str, url: str) -> None:
    # env.py runs its own event loop, so do it in a worker thread
    await asyncio.to_thread(upgrade, package, url)


def run_env(target_metadata: MetaData) -> None:
    """Body of every service's ``migrations/env.py``."""
    url = context.config.get_main_option("sqlalchemy.url")
    assert url, "sqlalchemy.url not set"
    batch = is_sqlite(url)
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=target_metadata, literal_binds=True,
                          render_as_batch=batch)
        with context.begin_transaction():
            context.run_migrations()
        return

    def do_run(connection: Connection) -> None:
        if connection.dialect.name == "postgresql":
            # migrations (run as the tables' owner) may touch every regency's rows
            connection.exec_driver_sql(
                f"SELECT set_config('{CROSS_TENANT_SETTING}', 'on', false)")
        context.configure(connection=connection, target_metadata=target_metadata,
                          render_as_batch=batch, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()

    async def run_async() -> None:
        engine = make_engine(url)
        async with engine.connect() as conn:
            await conn.run_sync(do_run)
            await conn.commit()
        await engine.dispose()

    asyncio.run(run_async())
