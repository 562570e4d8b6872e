"""HTTP API of the directory the gateway owns: regencies (tenants), rosters, employees.
Thin: decide, parse, call the service layer, shape. Who may call what: see the service
README ("Who may call what") and gateway.domain.access."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from starlette.datastructures import UploadFile

from ekinerja_shared.errors import DomainError
from ekinerja_shared.http import (
    MemberDep,
    NipPath,
    SignedInDep,
    TenantHrDep,
    TenantPath,
    TenantSessionDep,
    audited,
)
from ekinerja_shared.uow import UnitOfWork

from ..domain.access import DIRECTORY_READ, sees_device_pins
from ..domain.roster import decode_upload
from ..domain.tenant import check_tenant
from ..service_layer import services
from .deps import OperatorDep, RosterWriterDep, RuntimeDep
from .schemas import (
    ROSTER_BODY,
    EmployeeOut,
    HistoryEntryOut,
    RosterOut,
    TenantIn,
    TenantOut,
)

router = APIRouter(prefix="/api/tenants", tags=["directory"])

# changes recorded in the audit trail, in their own transaction
TenantPutUow = Annotated[UnitOfWork, Depends(audited(
    "directory.tenant.put", describe=lambda r: {"created": r[1], "name": r[0].name,
                                                "timezone": r[0].timezone,
                                                "policy_preset": r[0].policy_preset}))]
RosterUow = Annotated[UnitOfWork, Depends(audited(
    "directory.roster.upload",
    describe=lambda r: {"created": r.created, "updated": r.updated, "unchanged": r.unchanged}))]
DeactivateUow = Annotated[UnitOfWork, Depends(audited("directory.employee.deactivate",
                                                      target="nip"))]


@router.get("", response_model=list[TenantOut],
            summary="Regencies: all of them for the operator, the caller's own otherwise")
async def list_tenants(caller: SignedInDep, rt: RuntimeDep) -> list[TenantOut]:
    own = None if caller.is_operator else caller.tenant_id
    # the operator's list is the one read that crosses regencies (named, audited)
    uow = rt.uow.cross_tenant("operator-tenant-list") if own is None else rt.uow.in_tenant(own)
    async with uow.read() as session:
        return [TenantOut.of(t) for t in await services.list_tenants(session, only=own)]


@router.put("/{tenant_id}", response_model=TenantOut,
            responses={201: {"model": TenantOut, "description": "Tenant created"}},
            summary="Create or change a regency (platform operator)")
async def put_tenant(tenant_id: TenantPath, body: TenantIn, response: Response,
                     caller: OperatorDep, uow: TenantPutUow) -> TenantOut:
    spec = check_tenant(tenant_id, body.name, body.timezone, body.policy_preset)
    # created concurrently by another request: the unit of work runs it again, as an update
    tenant, created = await uow.run(services.upsert_tenant, spec)
    response.status_code = 201 if created else 200
    return TenantOut.of(tenant)


@router.get("/{tenant_id}", response_model=TenantOut)
async def get_tenant(tenant_id: TenantPath, caller: MemberDep,
                     session: TenantSessionDep) -> TenantOut:
    return TenantOut.of(await services.get_tenant(session, tenant_id))


@router.post("/{tenant_id}/roster", response_model=RosterOut, openapi_extra=ROSTER_BODY,
             summary="Load a roster CSV (all rows valid or nothing applied)")
async def post_roster(tenant_id: TenantPath, request: Request, caller: RosterWriterDep,
                      uow: RosterUow, rt: RuntimeDep) -> RosterOut:
    text = decode_upload(await _read_upload(request, rt.settings.roster_max_bytes))
    result = await uow.run(services.load_roster, tenant_id, text)
    return RosterOut(created=result.created, updated=result.updated,
                     unchanged=result.unchanged)


@router.get("/{tenant_id}/employees", response_model=list[EmployeeOut],
            summary="The roster: all of it for HR and leadership, else oneself and one's team")
async def list_employees(tenant_id: TenantPath, caller: MemberDep, session: TenantSessionDep,
                         unit_id: str | None = None) -> list[dict[str, Any]]:
    await services.get_tenant(session, tenant_id)
    audience = await services.audience_of(session, tenant_id, caller, DIRECTORY_READ)
    return EmployeeOut.listing(
        await services.list_employees(session, tenant_id, unit_id, audience),
        with_pin=sees_device_pins(caller))


@router.get("/{tenant_id}/employees/{nip}", response_model=EmployeeOut,
            summary="One employee: oneself, one's direct report, or anyone for HR/leadership")
async def get_employee(tenant_id: TenantPath, nip: NipPath, caller: MemberDep,
                       session: TenantSessionDep) -> EmployeeOut:
    await services.check_visible(session, tenant_id, caller, nip, DIRECTORY_READ)
    return EmployeeOut.of(await services.get_employee(session, tenant_id, nip),
                          with_pin=sees_device_pins(caller))


@router.get("/{tenant_id}/employees/{nip}/history", response_model=list[HistoryEntryOut],
            summary="An employee's recorded changes, each with the date it holds from (HR)")
async def get_employee_history(tenant_id: TenantPath, nip: NipPath, caller: TenantHrDep,
                               session: TenantSessionDep) -> list[HistoryEntryOut]:
    return [HistoryEntryOut.of(h)
            for h in await services.employee_history(session, tenant_id, nip)]


@router.delete("/{tenant_id}/employees/{nip}", response_model=EmployeeOut,
               summary="Mark an employee inactive (HR)")
async def delete_employee(tenant_id: TenantPath, nip: NipPath, caller: TenantHrDep,
                          uow: DeactivateUow) -> EmployeeOut:
    return EmployeeOut.of(await uow.run(services.deactivate_employee, tenant_id, nip),
                          with_pin=sees_device_pins(caller))


async def _read_upload(request: Request, limit: int) -> bytes:
    """The CSV of a roster upload: the raw body (text/csv) or the multipart field ``file``."""
    too_large = DomainError(f"Berkas terlalu besar (maksimal {limit:,} byte).".replace(",", "."),
                            code="file_too_large", status_code=413)
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        form = await request.form(max_files=1)
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise DomainError("Unggahan multipart harus berisi berkas pada kolom 'file'.",
                              code="missing_file")
        data = await upload.read(limit + 1)
        if len(data) > limit:
            raise too_large
        return data
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise too_large
    return bytes(body)
