"""Monthly plan items (SKP/RPOK) with their realisation, and the daily agenda.

Who: an employee plans for themselves (``PersonDep``); the plans and agenda of the
``?nip=`` employee are read by the employee, their supervisor in force (direct or Plt/Plh),
HR and leadership (``TeamReaderDep``)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from fastapi import APIRouter

from ekinerja_shared.http import PeriodQuery, TenantPath, TenantSessionDep, TenantUowDep

from ..service_layer import plans
from .deps import NipQuery, PersonDep, TeamReaderDep
from .schemas import AgendaDayOut, AgendaIn, AgendaItemOut, PlanChangeIn, PlanIn, PlanOut

router = APIRouter(prefix="/api/activity/{tenant_id}", tags=["activity"])


@router.post("/plans", status_code=201, response_model=PlanOut)
async def create_plan(tenant_id: TenantPath, me: PersonDep, body: PlanIn,
                      uow: TenantUowDep) -> PlanOut:
    item = await uow.run(
        plans.create_plan_item, tenant_id, me.nip,
        plans.NewPlanItem(body.period, body.kind, body.title, body.target_quantity, body.unit))
    return PlanOut.of(plans.PlanRealisation(item, Decimal("0"), Decimal("0"), 0))


@router.put("/plans/{plan_id}", response_model=PlanOut)
async def update_plan(tenant_id: TenantPath, plan_id: uuid.UUID, me: PersonDep,
                      body: PlanChangeIn, uow: TenantUowDep) -> PlanOut:
    """The owner changes kind, title, target or unit while the month is open (another's
    item: 422 ``not_owner``; a closed month: 422 ``period_closed``)."""
    return PlanOut.of(await uow.run(
        plans.update_plan_item, tenant_id, me.nip, plan_id,
        plans.PlanChange(body.kind, body.title, body.target_quantity, body.unit)))


@router.get("/plans", response_model=list[PlanOut])
async def list_plans(tenant_id: TenantPath, nip: NipQuery, period: PeriodQuery,
                     caller: TeamReaderDep, session: TenantSessionDep) -> list[PlanOut]:
    return [PlanOut.of(r) for r in await plans.list_plans(session, tenant_id, nip, period)]


@router.post("/agenda", status_code=201, response_model=AgendaItemOut)
async def create_agenda(tenant_id: TenantPath, me: PersonDep, body: AgendaIn,
                        uow: TenantUowDep) -> AgendaItemOut:
    item = await uow.run(
        plans.create_agenda_item, tenant_id, me.nip,
        plans.NewAgendaItem(body.agenda_date, body.slot, body.description, body.plan_item_id))
    return AgendaItemOut.of(item, "planned")


@router.get("/agenda", response_model=list[AgendaDayOut])
async def list_agenda(tenant_id: TenantPath, nip: NipQuery, date_from: dt.date,
                      date_to: dt.date, caller: TeamReaderDep,
                      session: TenantSessionDep) -> list[AgendaDayOut]:
    """Planned versus done per day: an item is done when an approved entry realises it."""
    views = await plans.list_agenda(session, tenant_id, nip, date_from, date_to)
    days: dict[dt.date, AgendaDayOut] = {}
    for v in views:
        day = days.setdefault(v.item.agenda_date,
                              AgendaDayOut(agenda_date=v.item.agenda_date, planned=0, done=0,
                                           items=[]))
        day.planned += 1
        day.done += v.state == "done"
        day.items.append(AgendaItemOut.of(v.item, v.state))
    return list(days.values())
