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
# the advisory lock the migrations of a service's database run under (its own database:
# PostgreSQL's advisory locks are per database), named as the service's other locks are
MIGRATION_LOCK = "hashtext('ekinerja.migrations')"


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
            # N instances starting at once (EK_MIGRATE_ON_START): one migrates, the others
            # wait here and then find the database at head (Alembic reads the version after
            # this, in the same transaction, which holds the lock until it commits)
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
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


# --- the shared tables' later columns (each service's migration calls these) ------------


def add_quarantine_resolution() -> None:
    """Quarantine entries resolved through the quarantine API (status, who, when, why) and
    the consumers' persisted attempts (``db.QuarantineMixin``, ``db.ConsumerAttemptMixin``)."""
    import sqlalchemy as sa
    from alembic import op

    from .db import AwareDateTime

    with op.batch_alter_table("quarantine") as batch_op:
        batch_op.add_column(sa.Column("status", sa.String(16), nullable=False,
                                      server_default="open"))
        batch_op.add_column(sa.Column("resolved_at", AwareDateTime(), nullable=True))
        batch_op.add_column(sa.Column("resolved_by", sa.String(128), nullable=True))
        batch_op.add_column(sa.Column("resolution", sa.Text(), nullable=True))
    op.create_table(
        "consumer_attempts",
        sa.Column("consumer", sa.String(64), primary_key=True),
        sa.Column("event_id", sa.Uuid(), primary_key=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("updated_at", AwareDateTime(), nullable=False),
    )


def drop_quarantine_resolution() -> None:
    from alembic import op

    op.drop_table("consumer_attempts")
    with op.batch_alter_table("quarantine") as batch_op:
        for column in ("resolution", "resolved_by", "resolved_at", "status"):
            batch_op.drop_column(column)


def drop_outbox_stamp() -> None:
    """The relay deletes what the broker took (``outbox.OutboxRelay``): the rows it stamped
    before go, and with them the stamp and its partial index (every row left waits or is a
    dead letter). The index held only unstamped rows; the primary key serves the relay's
    scan in id order. A deployment with a long history deletes all of it here, once: the
    service's start waits for it (instances migrate under one lock)."""
    from alembic import op

    op.execute("DELETE FROM outbox WHERE published_at IS NOT NULL")
    with op.batch_alter_table("outbox") as batch_op:
        batch_op.drop_index("ix_outbox_pending")
        batch_op.drop_column("published_at")


def restore_outbox_stamp() -> None:
    """Back to the stamp: the rows left are unpublished (the published ones are gone)."""
    import sqlalchemy as sa
    from alembic import op

    from .db import AwareDateTime

    with op.batch_alter_table("outbox") as batch_op:
        batch_op.add_column(sa.Column("published_at", AwareDateTime(), nullable=True))
        batch_op.create_index("ix_outbox_pending", ["id"], unique=False,
                              postgresql_where=sa.text("published_at IS NULL"),
                              sqlite_where=sa.text("published_at IS NULL"))
