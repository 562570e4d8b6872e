"""The approver's side: the queue of entries to decide, bulk decisions, and what is pending
per supervisor.

Who: the queue is the caller's own (HR may read anyone's with ``?approver_nip=``); bulk
decisions are taken in the caller's name (the domain checks each entry's supervisor or
Plt/Plh); the pending counts per supervisor are for HR and leadership; the month's
undecided entries (the month check before a close) are HR's."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from ekinerja_shared.http import (
    MemberDep,
    OptionalPeriodQuery,
    PeriodPath,
    ReaderDep,
    TenantHrDep,
    TenantPath,
    TenantSessionDep,
    audited,
)
from ekinerja_shared.uow import UnitOfWork

from ..service_layer import decisions, queries
from .deps import ConfigDep, PersonDep, RuntimeDep, queue_owner
from .schemas import (
    BulkIn,
    BulkItemOut,
    BulkOut,
    EntryOut,
    MonthOpenOut,
    PendingOut,
    UndecidedOut,
)

router = APIRouter(prefix="/api/activity/{tenant_id}", tags=["activity"])


def bulk_decided(outcomes: Sequence[decisions.Outcome]) -> dict[str, Any]:
    """What the audit trail keeps of a bulk decision: the entries decided, the refusals."""
    done = [o.entry for o in outcomes if o.entry is not None]
    return {"approved": [str(e.id) for e in done if e.status == "approved"][:60],
            "rejected": [str(e.id) for e in done if e.status == "rejected"][:60],
            "refused": sum(o.entry is None for o in outcomes)}


BulkUow = Annotated[UnitOfWork, Depends(audited("activity.entry.bulk_decide",
                                                describe=bulk_decided))]


@router.get("/approvals/queue", response_model=list[EntryOut])
async def approval_queue(
    tenant_id: TenantPath, caller: MemberDep, session: TenantSessionDep, cfg: ConfigDep,
    approver_nip: Annotated[str | None, Query(
        min_length=1, max_length=32,
        description="HR only: another approver's queue (default: the caller's)")] = None,
    period: OptionalPeriodQuery = None, limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
) -> list[EntryOut]:
    """Submitted entries the approver may decide today (own subordinates and those of the
    officials they stand in for)."""
    approver = queue_owner(caller, tenant_id, approver_nip)
    rows = await queries.approval_queue(session, tenant_id, approver, cfg=cfg,
                                        period=period, limit=limit)
    return [EntryOut.of(e) for e in rows]


@router.post("/approvals/bulk", response_model=BulkOut)
async def bulk_decisions(tenant_id: TenantPath, me: PersonDep, body: BulkIn, uow: BulkUow,
                         rt: RuntimeDep, cfg: ConfigDep) -> BulkOut:
    """Many decisions in one transaction; each refused one is reported with its reason."""
    outcomes = await uow.run(
        decisions.decide_many, tenant_id, me.nip,
        [decisions.Decision(d.entry_id, d.approve, d.reason) for d in body.decisions],
        cfg=cfg)
    results = [
        BulkItemOut(entry_id=o.entry_id, ok=True, status=o.entry.status,
                    version=o.entry.version)
        if o.entry is not None else
        BulkItemOut(entry_id=o.entry_id, ok=False, code=o.error.code if o.error else None,
                    detail=o.error.message if o.error else None)
        for o in outcomes
    ]
    m = rt.activity_metrics
    for r in results:
        if r.ok:
            m.transitions.labels(r.status).inc()
        else:
            m.refusals.labels(r.code).inc()
    decided = sum(r.ok for r in results)
    return BulkOut(decided=decided, refused=len(results) - decided, results=results)


@router.get("/approvals/pending-counts", response_model=list[PendingOut])
async def pending_counts(tenant_id: TenantPath, caller: ReaderDep, session: TenantSessionDep,
                         cfg: ConfigDep) -> list[PendingOut]:
    rows = await queries.pending_counts(session, tenant_id, cfg=cfg)
    return [PendingOut(supervisor_nip=r.supervisor_nip, pending=r.pending,
                       oldest_work_date=r.oldest_work_date, nearest_deadline=r.nearest_deadline)
            for r in rows]


@router.get("/periods/{period}/open-items", response_model=MonthOpenOut,
            summary="Entries of a month still undecided, per supervisor (HR, before the "
                    "month is closed)")
async def month_open_items(tenant_id: TenantPath, period: PeriodPath, caller: TenantHrDep,
                           session: TenantSessionDep) -> MonthOpenOut:
    rows = await queries.undecided_in_month(session, tenant_id, period)
    return MonthOpenOut(
        tenant_id=tenant_id, period=period, undecided_entries=sum(r.entries for r in rows),
        oldest_work_date=min((r.oldest_work_date for r in rows), default=None),
        by_supervisor=[UndecidedOut(supervisor_nip=r.supervisor_nip, entries=r.entries,
                                    oldest_work_date=r.oldest_work_date) for r in rows])
