"""An employee's monthly plan items (SKP/RPOK) with their realisation, and the daily agenda
(planned versus done): both realised by approved entries that link to them."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ekinerja_shared.timeutil import utcnow

from ..adapters.orm import AgendaItem, Entry, PlanItem
from ..domain.model import EntryStatus, RuleViolation
from ..domain.plans import (
    AgendaSlot,
    PlanKind,
    agenda_state,
    approved_output,
    check_plan_link,
    check_plan_owner,
    realisation_pct,
)
from .directory import get_employee
from .tenants import closed_periods, in_tenant


@dataclass(frozen=True)
class NewPlanItem:
    period: str
    kind: PlanKind
    title: str
    target_quantity: Decimal
    unit: str


async def create_plan_item(session: AsyncSession, tenant_id: str, nip: str,
                           data: NewPlanItem) -> PlanItem:
    await get_employee(session, tenant_id, nip)
    if data.target_quantity <= 0:
        raise RuleViolation("Target kuantitas harus lebih dari nol.", "invalid_target")
    if data.period in await closed_periods(session, tenant_id):
        raise RuleViolation(f"Periode {data.period} sudah ditutup.", "period_closed")
    item = PlanItem(id=uuid.uuid4(), tenant_id=tenant_id, nip=nip, period=data.period,
                    kind=data.kind.value, title=data.title,
                    target_quantity=data.target_quantity, unit=data.unit, created_at=utcnow())
    session.add(item)
    await session.flush()
    return item


@dataclass(frozen=True)
class PlanRealisation:
    item: PlanItem
    approved_quantity: Decimal
    realisation_pct: Decimal
    approved_entries: int


@dataclass(frozen=True)
class PlanChange:
    kind: PlanKind
    title: str
    target_quantity: Decimal
    unit: str


async def update_plan_item(session: AsyncSession, tenant_id: str, nip: str,
                           plan_id: uuid.UUID, data: PlanChange) -> PlanRealisation:
    """The owner changes their plan item (its month stays) while the month is open."""
    item = await plan_item(session, tenant_id, plan_id)
    check_plan_owner(item.nip, nip)
    if data.target_quantity <= 0:
        raise RuleViolation("Target kuantitas harus lebih dari nol.", "invalid_target")
    if item.period in await closed_periods(session, tenant_id):
        raise RuleViolation(f"Periode {item.period} sudah ditutup.", "period_closed")
    item.kind, item.title = data.kind.value, data.title
    item.target_quantity, item.unit = data.target_quantity, data.unit
    await session.flush()
    return (await _realisations(session, [item]))[0]


async def list_plans(session: AsyncSession, tenant_id: str, nip: str,
                     period: str) -> list[PlanRealisation]:
    items = list((await session.scalars(select(PlanItem).where(
        PlanItem.tenant_id == tenant_id, PlanItem.nip == nip, PlanItem.period == period)
        .order_by(PlanItem.created_at))).all())
    return await _realisations(session, items)


async def _realisations(session: AsyncSession,
                        items: list[PlanItem]) -> list[PlanRealisation]:
    linked = await _linked(session, Entry.plan_item_id, [i.id for i in items])
    out = []
    for item in items:
        rows = linked.get(item.id, [])
        qty = approved_output(rows)
        out.append(PlanRealisation(item, qty, realisation_pct(item.target_quantity, qty),
                                   sum(1 for s, _ in rows if s == EntryStatus.APPROVED)))
    return out


async def _linked(session: AsyncSession, column: Any,
                  ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[tuple[str, Decimal | None]]]:
    ids = list(ids)
    if not ids:
        return {}
    rows = await session.execute(select(column, Entry.status, Entry.output_quantity)
                                 .where(column.in_(ids)))
    linked: dict[uuid.UUID, list[tuple[str, Decimal | None]]] = {}
    for key, status, qty in rows.all():
        linked.setdefault(key, []).append((status, qty))
    return linked


@dataclass(frozen=True)
class NewAgendaItem:
    agenda_date: dt.date
    slot: AgendaSlot
    description: str
    plan_item_id: uuid.UUID | None = None


async def create_agenda_item(session: AsyncSession, tenant_id: str, nip: str,
                             data: NewAgendaItem) -> AgendaItem:
    await get_employee(session, tenant_id, nip)
    if data.plan_item_id is not None:
        plan = await plan_item(session, tenant_id, data.plan_item_id)
        check_plan_link(plan.nip, plan.period, nip, data.agenda_date)
    item = AgendaItem(id=uuid.uuid4(), tenant_id=tenant_id, nip=nip,
                      agenda_date=data.agenda_date, slot=data.slot.value,
                      description=data.description, plan_item_id=data.plan_item_id,
                      created_at=utcnow())
    session.add(item)
    await session.flush()
    return item


@dataclass(frozen=True)
class AgendaView:
    item: AgendaItem
    state: str  # planned | reported | done


async def list_agenda(session: AsyncSession, tenant_id: str, nip: str, first: dt.date,
                      last: dt.date) -> list[AgendaView]:
    items = list((await session.scalars(select(AgendaItem).where(
        AgendaItem.tenant_id == tenant_id, AgendaItem.nip == nip,
        AgendaItem.agenda_date >= first, AgendaItem.agenda_date <= last)
        .order_by(AgendaItem.agenda_date, AgendaItem.slot.desc(), AgendaItem.created_at)))
        .all())
    linked = await _linked(session, Entry.agenda_item_id, [i.id for i in items])
    return [AgendaView(i, agenda_state(s for s, _ in linked.get(i.id, []))) for i in items]


async def plan_item(session: AsyncSession, tenant_id: str, plan_id: uuid.UUID) -> PlanItem:
    return await in_tenant(session, PlanItem, plan_id, tenant_id,
                           "Rencana kerja tidak ditemukan.", "unknown_plan_item")
