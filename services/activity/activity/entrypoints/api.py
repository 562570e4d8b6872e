"""HTTP API of the activity service (thin: parse, call the service layer, shape)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, Field
from sqlalchemy.orm.exc import StaleDataError

from ekinerja_shared.errors import Conflict
from ekinerja_shared.service import Runtime, RuntimeDep

from ..adapters.orm import Entry
from ..service_layer import services

router = APIRouter(prefix="/api/activity/{tenant_id}", tags=["activity"])

Tenant = Annotated[str, Path(min_length=1, max_length=64)]
Period = Annotated[str, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM")]


class EntryIn(BaseModel):
    nip: str = Field(min_length=1, max_length=32)
    work_date: dt.date
    start: dt.time
    end: dt.time
    description: str = Field(min_length=3, max_length=2000)
    output_quantity: Decimal | None = Field(default=None, ge=0)
    output_unit: str | None = Field(default=None, max_length=64)
    submit: bool = True


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
    status: str
    decided_by: str | None
    reason: str | None
    version: int

    @classmethod
    def of(cls, e: Entry) -> "EntryOut":
        return cls(id=e.id, nip=e.nip, work_date=e.work_date, start=e.start_time, end=e.end_time,
                   minutes=e.minutes, description=e.description,
                   output_quantity=e.output_quantity, output_unit=e.output_unit,
                   status=e.status, decided_by=e.decided_by, reason=e.reason, version=e.version)


class DecisionIn(BaseModel):
    approver_nip: str = Field(min_length=1, max_length=32)
    reason: str | None = Field(default=None, max_length=2000)


@router.post("/entries", status_code=201, response_model=EntryOut)
async def create_entry(tenant_id: Tenant, body: EntryIn, rt: Runtime = RuntimeDep) -> EntryOut:
    async with rt.sessionmaker() as session, session.begin():
        entry = await services.create_entry(
            session, tenant_id, body.nip,
            services.NewEntry(body.work_date, body.start, body.end, body.description,
                              body.output_quantity, body.output_unit),
            submit=body.submit, default_tz=rt.settings.default_timezone,  # type: ignore[attr-defined]
        )
    return EntryOut.of(entry)


@router.get("/entries", response_model=list[EntryOut])
async def list_entries(tenant_id: Tenant, nip: str, period: Period,
                       rt: Runtime = RuntimeDep) -> list[EntryOut]:
    async with rt.sessionmaker() as session:
        return [EntryOut.of(e) for e in await services.list_entries(session, tenant_id, nip, period)]


async def _decide(rt: Runtime, tenant_id: str, entry_id: uuid.UUID, body: DecisionIn,
                  approve: bool) -> EntryOut:
    try:
        async with rt.sessionmaker() as session, session.begin():
            entry = await services.decide(session, tenant_id, entry_id, body.approver_nip,
                                          approve=approve, reason=body.reason)
    except StaleDataError as exc:
        raise Conflict("Aktivitas ini baru saja diputuskan oleh pengguna lain.",
                       code="concurrent_decision") from exc
    return EntryOut.of(entry)


@router.post("/entries/{entry_id}/approve", response_model=EntryOut)
async def approve(tenant_id: Tenant, entry_id: uuid.UUID, body: DecisionIn,
                  rt: Runtime = RuntimeDep) -> EntryOut:
    return await _decide(rt, tenant_id, entry_id, body, approve=True)


@router.post("/entries/{entry_id}/reject", response_model=EntryOut)
async def reject(tenant_id: Tenant, entry_id: uuid.UUID, body: DecisionIn,
                 rt: Runtime = RuntimeDep) -> EntryOut:
    return await _decide(rt, tenant_id, entry_id, body, approve=False)
