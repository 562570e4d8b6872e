"""HTTP API of the scoring service (thin: parse, call the service layer, shape)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel

from ekinerja_shared.service import Runtime, RuntimeDep

from ..adapters.orm import ScoreRow
from ..service_layer import services

router = APIRouter(prefix="/api/scoring/{tenant_id}", tags=["scoring"])

Tenant = Annotated[str, Path(min_length=1, max_length=64)]
PERIOD_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
Period = Annotated[str, Query(pattern=PERIOD_PATTERN, description="YYYY-MM")]


class ComponentOut(BaseModel):
    name: str
    weight: Decimal
    value_pct: Decimal


class ScoreOut(BaseModel):
    tenant_id: str
    nip: str
    period: str
    unit_id: str
    policy: str
    components: list[ComponentOut]
    sources: dict[str, Decimal]
    approved_minutes: int
    effective_minutes: Decimal
    final_pct: Decimal
    tpp_base: Decimal
    tpp_amount: Decimal
    version: int
    cause_event_id: uuid.UUID | None
    cause_type: str | None
    updated_at: dt.datetime

    @classmethod
    def of(cls, r: ScoreRow) -> "ScoreOut":
        return cls(
            tenant_id=r.tenant_id, nip=r.nip, period=r.period, unit_id=r.unit_id,
            policy=r.policy_name,
            components=[ComponentOut(name=c["name"], weight=Decimal(c["weight"]),
                                     value_pct=Decimal(c["value_pct"])) for c in r.components],
            sources={k: Decimal(v) for k, v in r.sources.items()},
            approved_minutes=r.approved_minutes,
            effective_minutes=Decimal(r.effective_minutes).quantize(Decimal("0.01")),
            final_pct=Decimal(r.final_pct).quantize(Decimal("0.01")),
            tpp_base=Decimal(r.tpp_base).quantize(Decimal("1")),
            tpp_amount=Decimal(r.tpp_amount).quantize(Decimal("1")),
            version=r.version, cause_event_id=r.cause_event_id, cause_type=r.cause_type,
            updated_at=r.updated_at,
        )


@router.get("/scores/{nip}", response_model=ScoreOut, summary="Running score of one employee")
async def get_score(tenant_id: Tenant, nip: str, period: Period,
                    rt: Runtime = RuntimeDep) -> ScoreOut:
    async with rt.sessionmaker() as session:
        return ScoreOut.of(await services.get_score(session, tenant_id, nip, period))


@router.get("/scores", response_model=list[ScoreOut], summary="Running scores of a month")
async def list_scores(tenant_id: Tenant, period: Period, unit_id: str | None = None,
                      rt: Runtime = RuntimeDep) -> list[ScoreOut]:
    async with rt.sessionmaker() as session:
        rows = await services.list_scores(session, tenant_id, period, unit_id)
    return [ScoreOut.of(r) for r in rows]
