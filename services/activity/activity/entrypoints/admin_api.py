"""Tenant administration: rules, the verifier team, acting officials (Plt/Plh) and the expiry
run. Who: the rules are read by anyone of the regency (``StaffDep``), the verifier team and
the Plt/Plh assignments by HR and leadership (``ReaderDep``); every change needs the
regency's HR (``TenantHrDep``)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Response

from ekinerja_shared.http import (
    NipPath,
    ReaderDep,
    TenantHrDep,
    TenantPath,
    TenantSessionDep,
    audited,
)
from ekinerja_shared.uow import UnitOfWork

from ..domain.model import ActingAssignment
from ..service_layer import admin, deadlines, tenants
from .deps import ConfigDep, RuntimeDep, StaffDep
from .schemas import ActingIn, ActingOut, RulesIn, RulesOut

router = APIRouter(prefix="/api/activity/{tenant_id}", tags=["activity admin"])

# every change is recorded in the audit trail, in its own transaction
RulesUow = Annotated[UnitOfWork, Depends(audited(
    "activity.rules.put", describe=lambda r: RulesOut.of(r).model_dump(mode="json")))]
VerifierPutUow = Annotated[UnitOfWork, Depends(audited("activity.verifier.add", target="nip"))]
VerifierDeleteUow = Annotated[UnitOfWork, Depends(audited("activity.verifier.remove",
                                                          target="nip"))]
ActingPostUow = Annotated[UnitOfWork, Depends(audited(
    "activity.acting.add",
    describe=lambda r: {"target": str(r.id), "principal_nip": r.principal_nip,
                        "acting_nip": r.acting_nip, "kind": r.kind,
                        "start_date": r.start_date, "end_date": r.end_date}))]
ActingDeleteUow = Annotated[UnitOfWork, Depends(audited("activity.acting.remove",
                                                        target="acting_id"))]
ExpireUow = Annotated[UnitOfWork, Depends(audited("activity.entry.expire_now",
                                                  describe=lambda n: {"expired": n}))]


@router.get("/rules", response_model=RulesOut)
async def get_rules(tenant_id: TenantPath, caller: StaffDep, session: TenantSessionDep,
                    cfg: ConfigDep) -> RulesOut:
    return RulesOut.of(await tenants.load_rules(session, tenant_id, cfg))


@router.put("/rules", response_model=RulesOut)
async def put_rules(tenant_id: TenantPath, body: RulesIn, caller: TenantHrDep, uow: RulesUow,
                    cfg: ConfigDep) -> RulesOut:
    return RulesOut.of(await uow.run(tenants.set_rules, tenant_id, body.model_dump(), cfg))


@router.get("/verifiers", response_model=list[str])
async def get_verifiers(tenant_id: TenantPath, caller: ReaderDep,
                        session: TenantSessionDep) -> list[str]:
    return await admin.list_verifiers(session, tenant_id)


@router.put("/verifiers/{nip}", status_code=204)
async def put_verifier(tenant_id: TenantPath, nip: NipPath, caller: TenantHrDep,
                       uow: VerifierPutUow) -> Response:
    await uow.run(admin.add_verifier, tenant_id, nip)
    return Response(status_code=204)


@router.delete("/verifiers/{nip}", status_code=204)
async def delete_verifier(tenant_id: TenantPath, nip: NipPath, caller: TenantHrDep,
                          uow: VerifierDeleteUow) -> Response:
    await uow.run(admin.remove_verifier, tenant_id, nip)
    return Response(status_code=204)


@router.get("/acting", response_model=list[ActingOut])
async def get_acting(tenant_id: TenantPath, caller: ReaderDep,
                     session: TenantSessionDep) -> list[ActingOut]:
    return [ActingOut.of(r) for r in await admin.list_acting(session, tenant_id)]


@router.post("/acting", status_code=201, response_model=ActingOut)
async def post_acting(tenant_id: TenantPath, body: ActingIn, caller: TenantHrDep,
                      uow: ActingPostUow) -> ActingOut:
    row = await uow.run(admin.add_acting, tenant_id, ActingAssignment(
        body.principal_nip, body.acting_nip, body.kind, body.start_date, body.end_date))
    return ActingOut.of(row)


@router.delete("/acting/{acting_id}", status_code=204)
async def delete_acting(tenant_id: TenantPath, acting_id: uuid.UUID, caller: TenantHrDep,
                        uow: ActingDeleteUow) -> Response:
    await uow.run(admin.remove_acting, tenant_id, acting_id)
    return Response(status_code=204)


@router.post("/admin/expire")
async def expire(tenant_id: TenantPath, caller: TenantHrDep, uow: ExpireUow, rt: RuntimeDep,
                 cfg: ConfigDep) -> dict[str, int]:
    """Expire now what is still pending after the tenant's approval deadline."""
    n = await uow.run(deadlines.expire_pending, tenant_id, cfg=cfg)
    rt.activity_metrics.transitions.labels("expired").inc(n)
    return {"expired": n}
