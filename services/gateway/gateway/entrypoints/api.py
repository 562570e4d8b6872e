"""HTTP API of the gateway: the directory (tenants, rosters, employees), the scores read
model and the live score stream. Thin: parse, call the service layer, shape."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.datastructures import UploadFile

from ekinerja_shared.errors import DomainError
from ekinerja_shared.http import NipPath, PeriodQuery, SessionDep, TenantHrDep, TenantPath, UowDep

from ..adapters.orm import Employee, Tenant
from ..domain.roster import decode_upload
from ..domain.tenant import check_tenant
from ..service_layer import services
from .deps import RuntimeDep


class TenantIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    timezone: str = Field(min_length=1, max_length=64, description="WIB, WITA, WIT or IANA")
    policy_preset: str = Field(min_length=1, max_length=64)


class TenantOut(BaseModel):
    tenant_id: str
    name: str
    timezone: str
    policy_preset: str
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def of(cls, t: Tenant) -> "TenantOut":
        return cls(tenant_id=t.tenant_id, name=t.name, timezone=t.timezone,
                   policy_preset=t.policy_preset, created_at=t.created_at,
                   updated_at=t.updated_at)


class EmployeeOut(BaseModel):
    tenant_id: str
    nip: str
    name: str
    unit_id: str
    unit_name: str
    position: str
    supervisor_nip: str | None
    tpp_base: Decimal
    employment_type: str
    device_pin: str | None
    active: bool
    updated_at: dt.datetime

    @classmethod
    def of(cls, e: Employee) -> "EmployeeOut":
        return cls(tenant_id=e.tenant_id, nip=e.nip, name=e.name, unit_id=e.unit_id,
                   unit_name=e.unit_name, position=e.position, supervisor_nip=e.supervisor_nip,
                   tpp_base=e.tpp_base, employment_type=e.employment_type,
                   device_pin=e.device_pin, active=e.active, updated_at=e.updated_at)


class RosterOut(BaseModel):
    created: int
    updated: int
    unchanged: int


class ScoreOut(BaseModel):
    tenant_id: str
    nip: str
    name: str | None
    period: str
    final_pct: Decimal
    components: list[dict[str, Any]]
    tpp_base: Decimal
    tpp_amount: Decimal
    version: int
    cause_type: str | None = Field(description="event type of the fact that changed the score")
    cause_event_id: uuid.UUID | None
    updated_at: dt.datetime

    @classmethod
    def of(cls, score: Any, emp: Any) -> "ScoreOut":
        return cls(tenant_id=score.tenant_id, nip=score.nip, name=emp.name if emp else None,
                   period=score.period, final_pct=score.final_pct, components=score.components,
                   tpp_base=score.tpp_base, tpp_amount=score.tpp_amount, version=score.version,
                   cause_type=score.cause_type, cause_event_id=score.cause_event_id,
                   updated_at=score.updated_at)


_ROSTER_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "multipart/form-data": {
                "schema": {"type": "object", "required": ["file"],
                           "properties": {"file": {"type": "string", "format": "binary"}}}
            },
        },
    }
}


router = APIRouter(prefix="/api/tenants", tags=["directory"])


@router.get("", response_model=list[TenantOut])
async def list_tenants(session: SessionDep) -> list[TenantOut]:
    return [TenantOut.of(t) for t in await services.list_tenants(session)]


@router.put("/{tenant_id}", response_model=TenantOut,
            responses={201: {"model": TenantOut, "description": "Tenant created"}})
async def put_tenant(tenant_id: TenantPath, body: TenantIn, response: Response,
                     caller: TenantHrDep, uow: UowDep) -> TenantOut:
    spec = check_tenant(tenant_id, body.name, body.timezone, body.policy_preset)
    # created concurrently by another request: the unit of work runs it again, as an update
    tenant, created = await uow.run(services.upsert_tenant, spec)
    response.status_code = 201 if created else 200
    return TenantOut.of(tenant)


@router.get("/{tenant_id}", response_model=TenantOut)
async def get_tenant(tenant_id: TenantPath, session: SessionDep) -> TenantOut:
    return TenantOut.of(await services.get_tenant(session, tenant_id))


@router.post("/{tenant_id}/roster", response_model=RosterOut, openapi_extra=_ROSTER_BODY,
             summary="Load a roster CSV (all rows valid or nothing applied)")
async def post_roster(tenant_id: TenantPath, request: Request, caller: TenantHrDep,
                      uow: UowDep, rt: RuntimeDep) -> RosterOut:
    text = decode_upload(await _read_upload(request, rt.settings.roster_max_bytes))
    result = await uow.run(services.load_roster, tenant_id, text)
    return RosterOut(created=result.created, updated=result.updated,
                     unchanged=result.unchanged)


@router.get("/{tenant_id}/employees", response_model=list[EmployeeOut])
async def list_employees(tenant_id: TenantPath, session: SessionDep,
                         unit_id: str | None = None) -> list[EmployeeOut]:
    await services.get_tenant(session, tenant_id)
    return [EmployeeOut.of(e)
            for e in await services.list_employees(session, tenant_id, unit_id)]


@router.get("/{tenant_id}/employees/{nip}", response_model=EmployeeOut)
async def get_employee(tenant_id: TenantPath, nip: NipPath,
                       session: SessionDep) -> EmployeeOut:
    return EmployeeOut.of(await services.get_employee(session, tenant_id, nip))


@router.delete("/{tenant_id}/employees/{nip}", response_model=EmployeeOut,
               summary="Mark an employee inactive")
async def delete_employee(tenant_id: TenantPath, nip: NipPath, caller: TenantHrDep,
                          uow: UowDep) -> EmployeeOut:
    return EmployeeOut.of(await uow.run(services.deactivate_employee, tenant_id, nip))


# declared before /scores/{nip} so that "stream" is not taken for a NIP
@router.get("/{tenant_id}/scores/stream", tags=["scores"],
            summary="Server-Sent Events: every score update of the tenant (event 'score')")
async def score_stream(tenant_id: TenantPath, uow: UowDep,
                       rt: RuntimeDep) -> EventSourceResponse:
    # a session of its own, closed before streaming (a SessionDep would be held, with its
    # connection, for as long as the client stays connected)
    async with uow.read() as session:
        await services.get_tenant(session, tenant_id)
    hub = rt.hub
    sub = hub.subscribe(tenant_id)  # before the response starts: nothing is missed

    async def events() -> AsyncIterator[ServerSentEvent]:
        try:
            async for payload in sub.messages():
                yield ServerSentEvent(data=payload.decode(), event="score")
            if sub.dropped:
                yield ServerSentEvent(
                    data="Koneksi terlalu lambat; sambungkan ulang.", event="dropped",
                    retry=1000,
                )
        finally:
            hub.unsubscribe(sub)

    return EventSourceResponse(events(), ping=rt.settings.stream_heartbeat_s,
                               send_timeout=30, headers={"Cache-Control": "no-store"})


@router.get("/{tenant_id}/scores", response_model=list[ScoreOut], tags=["scores"],
            summary="The tenant's running scores of a month, highest first")
async def list_scores(tenant_id: TenantPath, period: PeriodQuery, session: SessionDep,
                      unit_id: str | None = None) -> list[ScoreOut]:
    rows = await services.list_scores(session, tenant_id, period, unit_id)
    return [ScoreOut.of(score, emp) for score, emp in rows]


@router.get("/{tenant_id}/scores/{nip}", response_model=ScoreOut, tags=["scores"])
async def get_score(tenant_id: TenantPath, nip: NipPath, period: PeriodQuery,
                    session: SessionDep) -> ScoreOut:
    score, emp = await services.get_score(session, tenant_id, nip, period)
    return ScoreOut.of(score, emp)


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
