"""HTTP API of the activity service (thin: parse, call the service layer, shape)."""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from ekinerja_shared.errors import Conflict, DomainError
from ekinerja_shared.service import Runtime, RuntimeDep, admin_guard

from ..adapters.orm import ActingAssignmentRow, AgendaItem, Entry, EntryTransition
from ..domain.model import ActingAssignment, ActingKind
from ..domain.plans import AgendaSlot, PlanKind
from ..domain.rules import TenantRules
from ..metrics import ActivityMetrics
from ..service_layer import services
from ..service_layer.services import Config

router = APIRouter(prefix="/api/activity/{tenant_id}", tags=["activity"])

Tenant = Annotated[str, Path(min_length=1, max_length=64)]
Period = Annotated[str, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM")]
NIP = Annotated[str, Field(min_length=1, max_length=32)]


def config_of(rt: Runtime = RuntimeDep) -> Config:
    return rt.extras["config"]


ConfigDep = Depends(config_of)


def metrics_of(rt: Runtime) -> ActivityMetrics:
    return rt.extras["metrics"]


@contextlib.asynccontextmanager
async def unit_of_work(rt: Runtime) -> AsyncIterator[AsyncSession]:
    """One transaction; a concurrent change of the same entry (optimistic lock) is a 409.
    Refusals are counted by code."""
    try:
        async with rt.sessionmaker() as session, session.begin():
            yield session
    except StaleDataError as exc:
        metrics_of(rt).refusals.labels("concurrent_decision").inc()
        raise Conflict(services.CONCURRENT, code="concurrent_decision") from exc
    except DomainError as exc:
        metrics_of(rt).refusals.labels(exc.code).inc()
        raise


def counted(rt: Runtime, entry: Entry) -> "EntryOut":
    metrics_of(rt).transitions.labels(entry.status).inc()
    return EntryOut.of(entry)


# --- shapes ---------------------------------------------------------------------------


class EntryIn(BaseModel):
    nip: NIP
    work_date: dt.date
    start: dt.time
    end: dt.time
    description: str = Field(min_length=3, max_length=2000)
    output_quantity: Decimal | None = Field(default=None, ge=0, max_digits=12, decimal_places=2)
    output_unit: str | None = Field(default=None, max_length=64)
    plan_item_id: uuid.UUID | None = None
    agenda_item_id: uuid.UUID | None = None
    submit: bool = True

    def data(self) -> services.NewEntry:
        return services.NewEntry(self.work_date, self.start.replace(second=0, microsecond=0),
                                 self.end.replace(second=0, microsecond=0), self.description,
                                 self.output_quantity, self.output_unit, self.plan_item_id,
                                 self.agenda_item_id)


class EntryEditIn(EntryIn):
    submit: bool = False
    version: int | None = Field(default=None, ge=1, description="Version the edit is based on")


class EntryOut(BaseModel):
    id: uuid.UUID
    nip: str
    work_date: dt.date
    start: dt.time
    end: dt.time
    minutes: int
    description: str
    output_quantity: Decimal | None
    output_unit: str | None
    plan_item_id: uuid.UUID | None
    agenda_item_id: uuid.UUID | None
    supervisor_nip: str | None
    status: str
    decided_by: str | None
    reason: str | None
    version: int

    @classmethod
    def of(cls, e: Entry) -> "EntryOut":
        return cls(id=e.id, nip=e.nip, work_date=e.work_date, start=e.start_time, end=e.end_time,
                   minutes=e.minutes, description=e.description,
                   output_quantity=e.output_quantity, output_unit=e.output_unit,
                   plan_item_id=e.plan_item_id, agenda_item_id=e.agenda_item_id,
                   supervisor_nip=e.supervisor_nip, status=e.status, decided_by=e.decided_by,
                   reason=e.reason, version=e.version)


class TransitionOut(BaseModel):
    from_status: str | None
    to_status: str
    actor_nip: str | None
    reason: str | None
    at: dt.datetime

    @classmethod
    def of(cls, t: EntryTransition) -> "TransitionOut":
        return cls(from_status=t.from_status, to_status=t.to_status, actor_nip=t.actor_nip,
                   reason=t.reason, at=t.at)


class ActorIn(BaseModel):
    nip: NIP


class DecisionIn(BaseModel):
    approver_nip: NIP
    reason: str | None = Field(default=None, max_length=2000)


class RevokeIn(BaseModel):
    verifier_nip: NIP
    reason: str = Field(min_length=3, max_length=2000)


class BulkItemIn(BaseModel):
    entry_id: uuid.UUID
    approve: bool
    reason: str | None = Field(default=None, max_length=2000)


class BulkIn(BaseModel):
    approver_nip: NIP
    decisions: list[BulkItemIn] = Field(min_length=1)


class BulkItemOut(BaseModel):
    entry_id: uuid.UUID
    ok: bool
    status: str | None = None
    version: int | None = None
    code: str | None = None
    detail: str | None = None


class BulkOut(BaseModel):
    decided: int
    refused: int
    results: list[BulkItemOut]


class PendingOut(BaseModel):
    supervisor_nip: str | None
    pending: int
    oldest_work_date: dt.date
    nearest_deadline: dt.date


class RulesIn(BaseModel):
    edit_window_days: int | None = Field(default=None, ge=0, le=62)
    daily_cap_minutes: int | None = Field(default=None, ge=1, le=1440)
    approval_deadline_day: int | None = Field(default=None, ge=1, le=28)


class RulesOut(BaseModel):
    edit_window_days: int
    daily_cap_minutes: int
    approval_deadline_day: int

    @classmethod
    def of(cls, r: TenantRules) -> "RulesOut":
        return cls(edit_window_days=r.edit_window_days, daily_cap_minutes=r.daily_cap_minutes,
                   approval_deadline_day=r.approval_deadline_day)


class ActingIn(BaseModel):
    principal_nip: NIP
    acting_nip: NIP
    kind: ActingKind
    start_date: dt.date
    end_date: dt.date


class ActingOut(ActingIn):
    id: uuid.UUID

    @classmethod
    def of(cls, r: ActingAssignmentRow) -> "ActingOut":
        return cls(id=r.id, principal_nip=r.principal_nip, acting_nip=r.acting_nip,
                   kind=ActingKind(r.kind), start_date=r.start_date, end_date=r.end_date)


class PlanIn(BaseModel):
    nip: NIP
    period: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")
    kind: PlanKind = PlanKind.SKP
    title: str = Field(min_length=3, max_length=2000)
    target_quantity: Decimal = Field(gt=0, max_digits=12, decimal_places=2)
    unit: str = Field(min_length=1, max_length=64)


class PlanOut(BaseModel):
    id: uuid.UUID
    nip: str
    period: str
    kind: str
    title: str
    target_quantity: Decimal
    unit: str
    approved_quantity: Decimal
    realisation_pct: Decimal
    approved_entries: int

    @classmethod
    def of(cls, r: services.PlanRealisation) -> "PlanOut":
        i = r.item
        return cls(id=i.id, nip=i.nip, period=i.period, kind=i.kind, title=i.title,
                   target_quantity=i.target_quantity, unit=i.unit,
                   approved_quantity=r.approved_quantity, realisation_pct=r.realisation_pct,
                   approved_entries=r.approved_entries)


class AgendaIn(BaseModel):
    nip: NIP
    agenda_date: dt.date
    slot: AgendaSlot
    description: str = Field(min_length=3, max_length=2000)
    plan_item_id: uuid.UUID | None = None


class AgendaItemOut(BaseModel):
    id: uuid.UUID
    nip: str
    agenda_date: dt.date
    slot: str
    description: str
    plan_item_id: uuid.UUID | None
    state: str

    @classmethod
    def of(cls, i: AgendaItem, state: str) -> "AgendaItemOut":
        return cls(id=i.id, nip=i.nip, agenda_date=i.agenda_date, slot=i.slot,
                   description=i.description, plan_item_id=i.plan_item_id, state=state)


class AgendaDayOut(BaseModel):
    agenda_date: dt.date
    planned: int
    done: int
    items: list[AgendaItemOut]


class LinkOut(BaseModel):
    effective_from: dt.date
    supervisor_nip: str | None


class EmployeeOut(BaseModel):
    nip: str
    name: str
    unit_id: str
    unit_name: str | None
    supervisor_nip: str | None
    active: bool
    supervisor_history: list[LinkOut]


# --- directory copy ---------------------------------------------------------------------


@router.get("/employees/{nip}", response_model=EmployeeOut)
async def get_employee(tenant_id: Tenant, nip: str, rt: Runtime = RuntimeDep) -> EmployeeOut:
    """This service's copy of an employee, with the supervisor history it decides by."""
    async with rt.sessionmaker() as session:
        emp, unit_name, links = await services.employee_with_links(session, tenant_id, nip)
    return EmployeeOut(nip=emp.nip, name=emp.name, unit_id=emp.unit_id, unit_name=unit_name,
                       supervisor_nip=emp.supervisor_nip, active=emp.active,
                       supervisor_history=[LinkOut(effective_from=ln.effective_from,
                                                   supervisor_nip=ln.supervisor_nip)
                                           for ln in links])


# --- entries --------------------------------------------------------------------------


@router.post("/entries", status_code=201, response_model=EntryOut)
async def create_entry(tenant_id: Tenant, body: EntryIn, rt: Runtime = RuntimeDep,
                       cfg: Config = ConfigDep) -> EntryOut:
    async with unit_of_work(rt) as session:
        entry = await services.create_entry(session, tenant_id, body.nip, body.data(),
                                            submit=body.submit, cfg=cfg)
    return counted(rt, entry)


@router.get("/entries", response_model=list[EntryOut])
async def list_entries(tenant_id: Tenant, nip: str, period: Period,
                       rt: Runtime = RuntimeDep) -> list[EntryOut]:
    async with rt.sessionmaker() as session:
        return [EntryOut.of(e) for e in await services.list_entries(session, tenant_id, nip, period)]


@router.get("/entries/{entry_id}", response_model=EntryOut)
async def get_entry(tenant_id: Tenant, entry_id: uuid.UUID, rt: Runtime = RuntimeDep) -> EntryOut:
    async with rt.sessionmaker() as session:
        return EntryOut.of(await services.get_entry(session, tenant_id, entry_id))


@router.get("/entries/{entry_id}/history", response_model=list[TransitionOut])
async def entry_history(tenant_id: Tenant, entry_id: uuid.UUID,
                        rt: Runtime = RuntimeDep) -> list[TransitionOut]:
    async with rt.sessionmaker() as session:
        return [TransitionOut.of(t) for t in await services.history(session, tenant_id, entry_id)]


@router.put("/entries/{entry_id}", response_model=EntryOut)
async def edit_entry(tenant_id: Tenant, entry_id: uuid.UUID, body: EntryEditIn,
                     rt: Runtime = RuntimeDep, cfg: Config = ConfigDep) -> EntryOut:
    async with unit_of_work(rt) as session:
        entry = await services.edit_entry(session, tenant_id, entry_id, body.nip, body.data(),
                                          cfg=cfg, expected_version=body.version,
                                          submit=body.submit)
    return counted(rt, entry) if body.submit else EntryOut.of(entry)


@router.post("/entries/{entry_id}/submit", response_model=EntryOut)
async def submit_entry(tenant_id: Tenant, entry_id: uuid.UUID, body: ActorIn,
                       rt: Runtime = RuntimeDep, cfg: Config = ConfigDep) -> EntryOut:
    async with unit_of_work(rt) as session:
        entry = await services.submit_entry(session, tenant_id, entry_id, body.nip, cfg=cfg)
    return counted(rt, entry)


async def _decide(rt: Runtime, cfg: Config, tenant_id: str, entry_id: uuid.UUID,
                  body: DecisionIn, approve: bool) -> EntryOut:
    async with unit_of_work(rt) as session:
        entry = await services.decide(session, tenant_id, entry_id, body.approver_nip,
                                      approve=approve, reason=body.reason, cfg=cfg)
    return counted(rt, entry)


@router.post("/entries/{entry_id}/approve", response_model=EntryOut)
async def approve(tenant_id: Tenant, entry_id: uuid.UUID, body: DecisionIn,
                  rt: Runtime = RuntimeDep, cfg: Config = ConfigDep) -> EntryOut:
    return await _decide(rt, cfg, tenant_id, entry_id, body, approve=True)


@router.post("/entries/{entry_id}/reject", response_model=EntryOut)
async def reject(tenant_id: Tenant, entry_id: uuid.UUID, body: DecisionIn,
                 rt: Runtime = RuntimeDep, cfg: Config = ConfigDep) -> EntryOut:
    return await _decide(rt, cfg, tenant_id, entry_id, body, approve=False)


@router.post("/entries/{entry_id}/revoke", response_model=EntryOut)
async def revoke(tenant_id: Tenant, entry_id: uuid.UUID, body: RevokeIn,
                 rt: Runtime = RuntimeDep, cfg: Config = ConfigDep) -> EntryOut:
    async with unit_of_work(rt) as session:
        entry = await services.revoke(session, tenant_id, entry_id, body.verifier_nip,
                                      body.reason, cfg=cfg)
    return counted(rt, entry)


# --- approvals ------------------------------------------------------------------------


@router.get("/approvals/queue", response_model=list[EntryOut])
async def approval_queue(tenant_id: Tenant, approver_nip: str,
                         period: Annotated[str | None, Query(
                             pattern=r"^\d{4}-(0[1-9]|1[0-2])$")] = None,
                         limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
                         rt: Runtime = RuntimeDep, cfg: Config = ConfigDep) -> list[EntryOut]:
    async with rt.sessionmaker() as session:
        rows = await services.approval_queue(session, tenant_id, approver_nip, cfg=cfg,
                                             period=period, limit=limit)
    return [EntryOut.of(e) for e in rows]


@router.post("/approvals/bulk", response_model=BulkOut)
async def bulk_decisions(tenant_id: Tenant, body: BulkIn, rt: Runtime = RuntimeDep,
                         cfg: Config = ConfigDep) -> BulkOut:
    """Many decisions in one transaction; each refused one is reported with its reason."""
    async with unit_of_work(rt) as session:
        outcomes = await services.decide_many(
            session, tenant_id, body.approver_nip,
            [services.Decision(d.entry_id, d.approve, d.reason) for d in body.decisions],
            cfg=cfg)
        results = [
            BulkItemOut(entry_id=o.entry_id, ok=True, status=o.entry.status,
                        version=o.entry.version)
            if o.entry is not None else
            BulkItemOut(entry_id=o.entry_id, ok=False, code=o.error.code if o.error else None,
                        detail=o.error.message if o.error else None)
            for o in outcomes
        ]
    m = metrics_of(rt)
    for r in results:
        if r.ok:
            m.transitions.labels(r.status).inc()
        else:
            m.refusals.labels(r.code).inc()
    decided = sum(r.ok for r in results)
    return BulkOut(decided=decided, refused=len(results) - decided, results=results)


@router.get("/approvals/pending-counts", response_model=list[PendingOut])
async def pending_counts(tenant_id: Tenant, rt: Runtime = RuntimeDep,
                         cfg: Config = ConfigDep) -> list[PendingOut]:
    async with rt.sessionmaker() as session:
        rows = await services.pending_counts(session, tenant_id, cfg=cfg)
    return [PendingOut(supervisor_nip=r.supervisor_nip, pending=r.pending,
                       oldest_work_date=r.oldest_work_date, nearest_deadline=r.nearest_deadline)
            for r in rows]


# --- plans and agenda -------------------------------------------------------------------


@router.post("/plans", status_code=201, response_model=PlanOut)
async def create_plan(tenant_id: Tenant, body: PlanIn, rt: Runtime = RuntimeDep) -> PlanOut:
    async with unit_of_work(rt) as session:
        item = await services.create_plan_item(
            session, tenant_id, body.nip,
            services.NewPlanItem(body.period, body.kind, body.title, body.target_quantity,
                                 body.unit))
    return PlanOut.of(services.PlanRealisation(item, Decimal("0"), Decimal("0"), 0))


@router.get("/plans", response_model=list[PlanOut])
async def list_plans(tenant_id: Tenant, nip: str, period: Period,
                     rt: Runtime = RuntimeDep) -> list[PlanOut]:
    async with rt.sessionmaker() as session:
        return [PlanOut.of(r) for r in await services.list_plans(session, tenant_id, nip, period)]


@router.post("/agenda", status_code=201, response_model=AgendaItemOut)
async def create_agenda(tenant_id: Tenant, body: AgendaIn,
                        rt: Runtime = RuntimeDep) -> AgendaItemOut:
    async with unit_of_work(rt) as session:
        item = await services.create_agenda_item(
            session, tenant_id, body.nip,
            services.NewAgendaItem(body.agenda_date, body.slot, body.description,
                                   body.plan_item_id))
    return AgendaItemOut.of(item, "planned")


@router.get("/agenda", response_model=list[AgendaDayOut])
async def list_agenda(tenant_id: Tenant, nip: str, date_from: dt.date, date_to: dt.date,
                      rt: Runtime = RuntimeDep) -> list[AgendaDayOut]:
    """Planned versus done per day: an item is done when an approved entry realises it."""
    async with rt.sessionmaker() as session:
        views = await services.list_agenda(session, tenant_id, nip, date_from, date_to)
    days: dict[dt.date, AgendaDayOut] = {}
    for v in views:
        day = days.setdefault(v.item.agenda_date,
                              AgendaDayOut(agenda_date=v.item.agenda_date, planned=0, done=0,
                                           items=[]))
        day.planned += 1
        day.done += v.state == "done"
        day.items.append(AgendaItemOut.of(v.item, v.state))
    return list(days.values())


# --- tenant administration ----------------------------------------------------------------


def admin_router(rt: Runtime) -> APIRouter:
    """Rules, verifiers, acting officials and the expiry run (``EK_ADMIN_TOKEN`` guarded)."""
    admin = APIRouter(prefix="/api/activity/{tenant_id}", tags=["activity admin"])
    guard = [Depends(admin_guard(rt.settings))]

    @admin.get("/rules", response_model=RulesOut)
    async def get_rules(tenant_id: Tenant, rt: Runtime = RuntimeDep,
                        cfg: Config = ConfigDep) -> RulesOut:
        async with rt.sessionmaker() as session:
            return RulesOut.of(await services.load_rules(session, tenant_id, cfg))

    @admin.put("/rules", response_model=RulesOut, dependencies=guard)
    async def put_rules(tenant_id: Tenant, body: RulesIn, rt: Runtime = RuntimeDep,
                        cfg: Config = ConfigDep) -> RulesOut:
        async with unit_of_work(rt) as session:
            return RulesOut.of(await services.set_rules(session, tenant_id,
                                                        body.model_dump(), cfg))

    @admin.get("/verifiers", response_model=list[str])
    async def get_verifiers(tenant_id: Tenant, rt: Runtime = RuntimeDep) -> list[str]:
        async with rt.sessionmaker() as session:
            return await services.list_verifiers(session, tenant_id)

    @admin.put("/verifiers/{nip}", status_code=204, dependencies=guard)
    async def put_verifier(tenant_id: Tenant, nip: str, rt: Runtime = RuntimeDep) -> Response:
        async with unit_of_work(rt) as session:
            await services.add_verifier(session, tenant_id, nip)
        return Response(status_code=204)

    @admin.delete("/verifiers/{nip}", status_code=204, dependencies=guard)
    async def delete_verifier(tenant_id: Tenant, nip: str, rt: Runtime = RuntimeDep) -> Response:
        async with unit_of_work(rt) as session:
            await services.remove_verifier(session, tenant_id, nip)
        return Response(status_code=204)

    @admin.get("/acting", response_model=list[ActingOut])
    async def get_acting(tenant_id: Tenant, rt: Runtime = RuntimeDep) -> list[ActingOut]:
        async with rt.sessionmaker() as session:
            return [ActingOut.of(r) for r in await services.list_acting(session, tenant_id)]

    @admin.post("/acting", status_code=201, response_model=ActingOut, dependencies=guard)
    async def post_acting(tenant_id: Tenant, body: ActingIn,
                          rt: Runtime = RuntimeDep) -> ActingOut:
        async with unit_of_work(rt) as session:
            row = await services.add_acting(session, tenant_id, ActingAssignment(
                body.principal_nip, body.acting_nip, body.kind, body.start_date, body.end_date))
        return ActingOut.of(row)

    @admin.delete("/acting/{acting_id}", status_code=204, dependencies=guard)
    async def delete_acting(tenant_id: Tenant, acting_id: uuid.UUID,
                            rt: Runtime = RuntimeDep) -> Response:
        async with unit_of_work(rt) as session:
            await services.remove_acting(session, tenant_id, acting_id)
        return Response(status_code=204)

    @admin.post("/admin/expire", dependencies=guard)
    async def expire(tenant_id: Tenant, rt: Runtime = RuntimeDep,
                     cfg: Config = ConfigDep) -> dict[str, int]:
        """Expire now what is still pending after the tenant's approval deadline."""
        async with unit_of_work(rt) as session:
            n = await services.expire_pending(session, tenant_id, cfg=cfg)
        metrics_of(rt).transitions.labels("expired").inc(n)
        return {"expired": n}

    return admin

