"""The tenant's verifier team and its acting officials (Plt/Plh), kept by HR. The activity
service owns the acting assignments: each change is published through the outbox
(``ActingAssignmentUpserted`` on ``ekinerja.activity.acting.v1``, a removal with
``removed``) so that attendance and scoring apply the same supervision rule."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ekinerja_shared import events as ev
from ekinerja_shared.db import insert_ignore
from ekinerja_shared.errors import NotFound
from ekinerja_shared.outbox import stage
from ekinerja_shared.timeutil import utcnow

from ..adapters.orm import ActingAssignmentRow, Outbox, Verifier
from ..domain.model import ActingAssignment, ActingKind, check_acting_assignment
from .directory import get_employee
from .tenants import in_tenant


async def add_verifier(session: AsyncSession, tenant_id: str, nip: str) -> None:
    await get_employee(session, tenant_id, nip)
    await insert_ignore(session, Verifier, {"tenant_id": tenant_id, "nip": nip,
                                            "created_at": utcnow()})


async def remove_verifier(session: AsyncSession, tenant_id: str, nip: str) -> None:
    row = await session.get(Verifier, (tenant_id, nip))
    if row is None:
        raise NotFound(f"NIP {nip} bukan verifikator.", code="unknown_verifier")
    await session.delete(row)


async def is_verifier(session: AsyncSession, tenant_id: str, nip: str) -> bool:
    return await session.get(Verifier, (tenant_id, nip)) is not None


async def list_verifiers(session: AsyncSession, tenant_id: str) -> list[str]:
    rows = await session.scalars(select(Verifier.nip).where(Verifier.tenant_id == tenant_id)
                                 .order_by(Verifier.nip))
    return list(rows.all())


async def add_acting(session: AsyncSession, tenant_id: str,
                     a: ActingAssignment) -> ActingAssignmentRow:
    check_acting_assignment(a)
    await get_employee(session, tenant_id, a.principal_nip)
    await get_employee(session, tenant_id, a.acting_nip)
    row = ActingAssignmentRow(id=uuid.uuid4(), tenant_id=tenant_id,
                              principal_nip=a.principal_nip, acting_nip=a.acting_nip,
                              kind=a.kind.value, start_date=a.start, end_date=a.end,
                              created_at=utcnow())
    session.add(row)
    await session.flush()
    _publish(session, row)
    return row


async def list_acting(session: AsyncSession, tenant_id: str) -> list[ActingAssignmentRow]:
    rows = await session.scalars(select(ActingAssignmentRow).where(
        ActingAssignmentRow.tenant_id == tenant_id).order_by(ActingAssignmentRow.start_date))
    return list(rows.all())


async def remove_acting(session: AsyncSession, tenant_id: str, acting_id: uuid.UUID) -> None:
    row = await in_tenant(session, ActingAssignmentRow, acting_id, tenant_id,
                          "Penugasan Plt/Plh tidak ditemukan.", "unknown_acting")
    await session.delete(row)
    _publish(session, row, removed=True)


def _publish(session: AsyncSession, row: ActingAssignmentRow, *, removed: bool = False) -> None:
    stage(session, Outbox, ev.ActingAssignmentUpserted(
        tenant_id=row.tenant_id, assignment_id=row.id, principal_nip=row.principal_nip,
        acting_nip=row.acting_nip, kind=ActingKind(row.kind), start_date=row.start_date,
        end_date=row.end_date, removed=removed))


async def acting_assignments(session: AsyncSession, tenant_id: str,
                             acting_nip: str) -> list[ActingAssignment]:
    """The assignments in which ``acting_nip`` stands in for someone (any dates)."""
    rows = await session.scalars(select(ActingAssignmentRow).where(
        ActingAssignmentRow.tenant_id == tenant_id, ActingAssignmentRow.acting_nip == acting_nip))
    return [_acting(r) for r in rows.all()]


def _acting(r: ActingAssignmentRow) -> ActingAssignment:
    return ActingAssignment(r.principal_nip, r.acting_nip, ActingKind(r.kind), r.start_date,
                            r.end_date)
