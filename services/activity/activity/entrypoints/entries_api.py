"""An employee's entries, and the single decisions on one entry (approve, reject, revoke).

Who: the owner creates, edits and submits their own entries (``PersonDep``: the NIP is the
token's); the approver and the verifier decide in their own name (the domain checks the
direct supervisor or Plt/Plh in force, self-approval and the verifier team); an employee's
month is read by the employee, their supervisor in force, HR and leadership
(``TeamReaderDep``); one entry and its history also by the entry's supervisor and the
verifiers (``require_entry_view``)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends

from ekinerja_shared.http import (
    MemberDep,
    PeriodQuery,
    TenantPath,
    TenantSessionDep,
    TenantUowDep,
    audited,
)
from ekinerja_shared.uow import UnitOfWork

from ..adapters.orm import Entry
from ..runtime import ActivityRuntime
from ..service_layer import decisions, entries, queries
from ..service_layer.tenants import Config
from .deps import (
    ConfigDep,
    NipQuery,
    PersonDep,
    RuntimeDep,
    TeamReaderDep,
    require_entry_view,
)
from .schemas import DecisionIn, EntryEditIn, EntryIn, EntryOut, RevokeIn, TransitionOut

router = APIRouter(prefix="/api/activity/{tenant_id}", tags=["activity"])


def decided(entry: Entry) -> dict[str, Any]:
    """What the audit trail keeps of a decided entry."""
    return {"nip": entry.nip, "work_date": entry.work_date.isoformat(),
            "minutes": entry.minutes, "status": entry.status, "reason": entry.reason}


# decisions are recorded in the audit trail, in their own transaction
ApproveUow = Annotated[UnitOfWork, Depends(audited("activity.entry.approve", target="entry_id",
                                                   describe=decided))]
RejectUow = Annotated[UnitOfWork, Depends(audited("activity.entry.reject", target="entry_id",
                                                  describe=decided))]
RevokeUow = Annotated[UnitOfWork, Depends(audited("activity.entry.revoke", target="entry_id",
                                                  describe=decided))]


def counted(rt: ActivityRuntime, entry: Entry) -> EntryOut:
    """The entry's shape, its status change counted."""
    rt.activity_metrics.transitions.labels(entry.status).inc()
    return EntryOut.of(entry)


@router.post("/entries", status_code=201, response_model=EntryOut)
async def create_entry(tenant_id: TenantPath, me: PersonDep, body: EntryIn, uow: TenantUowDep,
                       rt: RuntimeDep, cfg: ConfigDep) -> EntryOut:
    """Log one of the caller's own activities (``submit: true`` submits it at once)."""
    entry = await uow.run(entries.create_entry, tenant_id, me.nip, body.data(),
                          submit=body.submit, cfg=cfg)
    return counted(rt, entry)


@router.get("/entries", response_model=list[EntryOut])
async def list_entries(tenant_id: TenantPath, nip: NipQuery, period: PeriodQuery,
                       caller: TeamReaderDep, session: TenantSessionDep) -> list[EntryOut]:
    return [EntryOut.of(e) for e in await queries.list_entries(session, tenant_id, nip, period)]


@router.get("/entries/{entry_id}", response_model=EntryOut)
async def get_entry(tenant_id: TenantPath, entry_id: uuid.UUID, caller: MemberDep,
                    session: TenantSessionDep, cfg: ConfigDep) -> EntryOut:
    entry = await entries.get_entry(session, tenant_id, entry_id)
    await require_entry_view(session, caller, tenant_id, entry, cfg)
    return EntryOut.of(entry)


@router.get("/entries/{entry_id}/history", response_model=list[TransitionOut])
async def entry_history(tenant_id: TenantPath, entry_id: uuid.UUID, caller: MemberDep,
                        session: TenantSessionDep, cfg: ConfigDep) -> list[TransitionOut]:
    entry = await entries.get_entry(session, tenant_id, entry_id)
    await require_entry_view(session, caller, tenant_id, entry, cfg)
    return [TransitionOut.of(t) for t in await queries.history(session, tenant_id, entry_id)]


@router.put("/entries/{entry_id}", response_model=EntryOut)
async def edit_entry(tenant_id: TenantPath, entry_id: uuid.UUID, me: PersonDep,
                     body: EntryEditIn, uow: TenantUowDep, rt: RuntimeDep,
                     cfg: ConfigDep) -> EntryOut:
    """The owner revises a draft or rejected entry (optional ``version``, ``submit``)."""
    entry = await uow.run(entries.edit_entry, tenant_id, entry_id, me.nip, body.data(),
                          cfg=cfg, expected_version=body.version, submit=body.submit)
    return counted(rt, entry) if body.submit else EntryOut.of(entry)


@router.post("/entries/{entry_id}/submit", response_model=EntryOut)
async def submit_entry(tenant_id: TenantPath, entry_id: uuid.UUID, me: PersonDep,
                       uow: TenantUowDep, rt: RuntimeDep, cfg: ConfigDep) -> EntryOut:
    """The owner submits a draft or resubmits a rejected entry."""
    entry = await uow.run(entries.submit_entry, tenant_id, entry_id, me.nip, cfg=cfg)
    return counted(rt, entry)


async def _decide(uow: UnitOfWork, rt: ActivityRuntime, cfg: Config, tenant_id: str,
                  entry_id: uuid.UUID, approver_nip: str, body: DecisionIn | None,
                  approve: bool) -> EntryOut:
    entry = await uow.run(decisions.decide, tenant_id, entry_id, approver_nip,
                          approve=approve, reason=body.reason if body else None, cfg=cfg)
    return counted(rt, entry)


@router.post("/entries/{entry_id}/approve", response_model=EntryOut)
async def approve(tenant_id: TenantPath, entry_id: uuid.UUID, me: PersonDep,
                  uow: ApproveUow, rt: RuntimeDep, cfg: ConfigDep,
                  body: DecisionIn | None = None) -> EntryOut:
    """The caller approves as the entry's direct supervisor or their Plt/Plh."""
    return await _decide(uow, rt, cfg, tenant_id, entry_id, me.nip, body, approve=True)


@router.post("/entries/{entry_id}/reject", response_model=EntryOut)
async def reject(tenant_id: TenantPath, entry_id: uuid.UUID, me: PersonDep, body: DecisionIn,
                 uow: RejectUow, rt: RuntimeDep, cfg: ConfigDep) -> EntryOut:
    """The caller rejects as the entry's direct supervisor or their Plt/Plh (``reason``)."""
    return await _decide(uow, rt, cfg, tenant_id, entry_id, me.nip, body, approve=False)


@router.post("/entries/{entry_id}/revoke", response_model=EntryOut)
async def revoke(tenant_id: TenantPath, entry_id: uuid.UUID, me: PersonDep, body: RevokeIn,
                 uow: RevokeUow, rt: RuntimeDep, cfg: ConfigDep) -> EntryOut:
    """The caller, a verifier of the regency, takes back an approved entry."""
    entry = await uow.run(decisions.revoke, tenant_id, entry_id, me.nip, body.reason, cfg=cfg)
    return counted(rt, entry)
