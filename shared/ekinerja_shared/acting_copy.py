"""The copy of the acting assignments (Plt/Plh) kept by the services that do not own them
(attendance, scoring): the table mixin, storing an ``ActingAssignmentUpserted`` and reading
the assignments in force on a day as ``supervision.ActingAssignment`` values.

The activity service owns the assignments (HR records them there) and publishes each change
through its outbox on ``ekinerja.activity.acting.v1``. A copy keeps one row per assignment
with its latest state: a later event replaces an earlier one, a removal is kept as a
tombstone (``removed``) so that a late or replayed earlier state cannot bring it back.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import Boolean, Date, Index, String, Uuid, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from .applying import Apply
from .db import AwareDateTime, upsert
from .events import ActingAssignmentUpserted, Event
from .supervision import ActingAssignment, ActingKind, principals_on, team_on

TABLE = "acting_assignments"


class ActingAssignmentCopyMixin:
    """One acting assignment as last published by the activity service."""

    __tablename__ = TABLE

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    assignment_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    principal_nip: Mapped[str] = mapped_column(String(32))
    acting_nip: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(8))
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date] = mapped_column(Date)
    removed: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[dt.datetime] = mapped_column(AwareDateTime)

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Index, ...]:
        return (Index("ix_acting_assignments_acting", "tenant_id", "acting_nip"),)


async def store_acting(session: AsyncSession, model: type[ActingAssignmentCopyMixin],
                       event: ActingAssignmentUpserted) -> bool:
    """Keep the event's state unless a later one is stored; True when the row changed."""
    n = await upsert(
        session, model,
        {"tenant_id": event.tenant_id, "assignment_id": event.assignment_id,
         "principal_nip": event.principal_nip, "acting_nip": event.acting_nip,
         "kind": event.kind, "start_date": event.start_date, "end_date": event.end_date,
         "removed": event.removed, "updated_at": event.occurred_at},
        index_elements=["tenant_id", "assignment_id"],
        where=model.updated_at <= event.occurred_at,
    )
    return bool(n)


async def acting_in_force(session: AsyncSession, model: type[ActingAssignmentCopyMixin],
                          tenant_id: str, day: dt.date, *,
                          acting_nip: str | None = None) -> list[ActingAssignment]:
    """The tenant's assignments in force on ``day`` (those of ``acting_nip`` only, when
    given), not removed."""
    query = select(model).where(model.tenant_id == tenant_id, model.removed.is_(False),
                                model.start_date <= day, model.end_date >= day)
    if acting_nip is not None:
        query = query.where(model.acting_nip == acting_nip)
    return [ActingAssignment(r.principal_nip, r.acting_nip, ActingKind(r.kind), r.start_date,
                             r.end_date) for r in (await session.scalars(query)).all()]


def applier(model: type[ActingAssignmentCopyMixin]) -> Apply:
    """The apply function of a consumer of ``ekinerja.activity.acting.v1``."""

    async def apply(session: AsyncSession, event: Event) -> None:
        if isinstance(event, ActingAssignmentUpserted):
            await store_acting(session, model, event)

    return apply


async def team_of(session: AsyncSession, model: type[ActingAssignmentCopyMixin],
                  employees: Any, tenant_id: str, caller_nip: str, day: dt.date,
                  *conditions: Any) -> set[str]:
    """The NIPs ``caller_nip`` supervises on ``day`` by the shared rule, from a service's
    copies: ``employees`` is its directory table (``tenant_id``, ``nip`` and the latest
    ``supervisor_nip``), narrowed by ``conditions`` (e.g. active employees, one NIP)."""
    acting = await acting_in_force(session, model, tenant_id, day, acting_nip=caller_nip)
    principals = {caller_nip} | principals_on(caller_nip, acting, day)
    rows = await session.execute(select(employees.nip, employees.supervisor_nip).where(
        employees.tenant_id == tenant_id, employees.supervisor_nip.in_(principals),
        *conditions))
    return team_on(caller_nip, {nip: sup for nip, sup in rows.all()}, acting, day)


def create_table() -> None:
    """In a service's Alembic migration: the copy table (row-level security is enabled by
    the migration with ``tenancy.enable_rls``)."""
    import sqlalchemy as sa
    from alembic import op

    op.create_table(
        TABLE,
        sa.Column("tenant_id", sa.String(64), primary_key=True),
        sa.Column("assignment_id", sa.Uuid(), primary_key=True),
        sa.Column("principal_nip", sa.String(32), nullable=False),
        sa.Column("acting_nip", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("removed", sa.Boolean(), nullable=False),
        sa.Column("updated_at", AwareDateTime(), nullable=False),
    )
    op.create_index("ix_acting_assignments_acting", TABLE, ["tenant_id", "acting_nip"])


def drop_table() -> None:
    from alembic import op

    op.drop_index("ix_acting_assignments_acting", table_name=TABLE)
    op.drop_table(TABLE)
