"""An employee's entries, and the single decisions on one entry (approve, reject, revoke)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from ekinerja_shared.http import PeriodQuery, SessionDep, TenantPath, UowDep
from ekinerja_shared.uow import UnitOfWork

from ..adapters.orm import Entry
from ..runtime import ActivityRuntime
from ..service_layer import decisions, entries, queries
from ..service_layer.tenants import Config
from .deps import ConfigDep, RuntimeDep
from .schemas import ActorIn, DecisionIn, EntryEditIn, EntryIn, EntryOut, RevokeIn, TransitionOut

router = APIRouter(prefix="/api/activity/{tenant_id}", tags=["activity"])


def counted(rt: ActivityRuntime, entry: Entry) -> EntryOut:
    """The entry's shape, its status change counted."""
    rt.activity_metrics.transitions.labels(entry.status).inc()
    return EntryOut.of(entry)


@router.post("/entries", status_code=201, response_model=EntryOut)
async def create_entry(tenant_id: TenantPath, body: EntryIn, uow: UowDep, rt: RuntimeDep,
                       cfg: ConfigDep) -> EntryOut:
    entry = await uow.run(entries.create_entry, tenant_id, body.nip, body.data(),
                          submit=body.submit, cfg=cfg)
    return counted(rt, entry)


@router.get("/entries", response_model=list[EntryOut])
async def list_entries(tenant_id: TenantPath, nip: str, period: PeriodQuery,
                       session: SessionDep) -> list[EntryOut]:
    return [EntryOut.of(e) for e in await queries.list_entries(session, tenant_id, nip, period)]


@router.get("/entries/{entry_id}", response_model=EntryOut)
async def get_entry(tenant_id: TenantPath, entry_id: uuid.UUID, session: SessionDep) -> EntryOut:
    return EntryOut.of(await entries.get_entry(session, tenant_id, entry_id))


@router.get("/entries/{entry_id}/history", response_model=list[TransitionOut])
async def entry_history(tenant_id: TenantPath, entry_id: uuid.UUID,
                        session: SessionDep) -> list[TransitionOut]:
    return [TransitionOut.of(t) for t in await queries.history(session, tenant_id, entry_id)]


@router.put("/entries/{entry_id}", response_model=EntryOut)
async def edit_entry(tenant_id: TenantPath, entry_id: uuid.UUID, body: EntryEditIn,
                     uow: UowDep, rt: RuntimeDep, cfg: ConfigDep) -> EntryOut:
    entry = await uow.run(entries.edit_entry, tenant_id, entry_id, body.nip, body.data(),
                          cfg=cfg, expected_version=body.version, submit=body.submit)
    return counted(rt, entry) if body.submit else EntryOut.of(entry)


@router.post("/entries/{entry_id}/submit", response_model=EntryOut)
async def submit_entry(tenant_id: TenantPath, entry_id: uuid.UUID, body: ActorIn, uow: UowDep,
                       rt: RuntimeDep, cfg: ConfigDep) -> EntryOut:
    entry = await uow.run(entries.submit_entry, tenant_id, entry_id, body.nip, cfg=cfg)
    return counted(rt, entry)


async def _decide(uow: UnitOfWork, rt: ActivityRuntime, cfg: Config, tenant_id: str,
                  entry_id: uuid.UUID, body: DecisionIn, approve: bool) -> EntryOut:
    entry = await uow.run(decisions.decide, tenant_id, entry_id, body.approver_nip,
                          approve=approve, reason=body.reason, cfg=cfg)
    return counted(rt, entry)


@router.post("/entries/{entry_id}/approve", response_model=EntryOut)
async def approve(tenant_id: TenantPath, entry_id: uuid.UUID, body: DecisionIn, uow: UowDep,
                  rt: RuntimeDep, cfg: ConfigDep) -> EntryOut:
    return await _decide(uow, rt, cfg, tenant_id, entry_id, body, approve=True)


@router.post("/entries/{entry_id}/reject", response_model=EntryOut)
async def reject(tenant_id: TenantPath, entry_id: uuid.UUID, body: DecisionIn, uow: UowDep,
                 rt: RuntimeDep, cfg: ConfigDep) -> EntryOut:
    return await _decide(uow, rt, cfg, tenant_id, entry_id, body, approve=False)


@router.post("/entries/{entry_id}/revoke", response_model=EntryOut)
async def revoke(tenant_id: TenantPath, entry_id: uuid.UUID, body: RevokeIn, uow: UowDep,
                 rt: RuntimeDep, cfg: ConfigDep) -> EntryOut:
    entry = await uow.run(decisions.revoke, tenant_id, entry_id, body.verifier_nip,
                          body.reason, cfg=cfg)
    return counted(rt, entry)
