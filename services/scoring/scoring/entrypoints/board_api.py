"""HTTP API of the leadership dashboard's figures (HR, leader, the operator): the
regency's month in figures and the month-over-month trend of its average final %.
Aggregates computed here, so that a dashboard reads a few kilobytes, not every score."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from ekinerja_shared.http import PeriodQuery, ReaderDep, TenantPath, TenantSessionDep

from ..domain.trend import MAX_MONTHS
from ..service_layer import reports

router = APIRouter(prefix="/api/scoring/{tenant_id}", tags=["scoring"])


class MonthAverageOut(BaseModel):
    period: str
    employees: int = Field(description="Employees scored in the month")
    avg_final_pct: Decimal | None = Field(description="null: nobody scored that month")


@router.get("/trend", response_model=list[MonthAverageOut],
            summary="The regency's average final % per month: `months` months up to `period`")
async def month_trend(tenant_id: TenantPath, period: PeriodQuery, caller: ReaderDep,
                      session: TenantSessionDep,
                      months: Annotated[int, Query(ge=1, le=MAX_MONTHS)] = 6,
                      ) -> list[MonthAverageOut]:
    rows = await reports.month_trend(session, tenant_id, period, months)
    return [MonthAverageOut(**r.__dict__) for r in rows]


class ComponentAverageOut(BaseModel):
    name: str
    avg_value_pct: Decimal


class UnitFiguresOut(BaseModel):
    unit_id: str
    unit_name: str
    members: int = Field(description="Employees of the OPD scored in the month")
    avg_final_pct: Decimal
    tpp_total: Decimal


class TopOut(BaseModel):
    nip: str
    name: str
    unit_name: str
    final_pct: Decimal


class BoardOut(BaseModel):
    period: str
    employees: int = Field(description="Employees scored in the month")
    avg_final_pct: Decimal | None
    tpp_total: Decimal
    version_sum: int = Field(description="Sum of the scores' versions: changes with any score")
    tens: list[int] = Field(description="Employees per final % band of ten: [0, 10), "
                                        "[10, 20), ... [90, 100), 100")
    components: list[ComponentAverageOut]
    units: list[UnitFiguresOut]
    top: list[TopOut] = Field(description="The ten highest final %")


@router.get("/board", response_model=BoardOut,
            summary="The regency's month in figures (the leadership dashboard)")
async def month_board(tenant_id: TenantPath, period: PeriodQuery, caller: ReaderDep,
                      session: TenantSessionDep) -> BoardOut:
    b = await reports.board(session, tenant_id, period)
    q = Decimal("0.01")
    return BoardOut(
        period=period, employees=b.employees, avg_final_pct=b.avg_final_pct,
        tpp_total=b.tpp_total.quantize(Decimal(1)), version_sum=b.version_sum, tens=b.tens,
        components=[ComponentAverageOut(name=n, avg_value_pct=v) for n, v in b.components],
        units=[UnitFiguresOut(unit_id=u.unit_id, unit_name=u.unit_name, members=u.members,
                              avg_final_pct=u.avg_final_pct,
                              tpp_total=u.tpp_total.quantize(Decimal(1))) for u in b.units],
        top=[TopOut(nip=r.nip, name=r.name, unit_name=r.unit_name,
                    final_pct=r.final_pct.quantize(q)) for r in b.top])
