"""HTTP API of the TPP pay slip: the payroll unit's inputs and disciplinary penalties (HR
of the regency, audited), and the pay slip of an employee's month (the employee's own;
HR sees every employee of the regency). Shown in Bahasa Indonesia: every line has its
label, amount (and the amount written ``Rp1.234.567``), reason and rule."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Response
from pydantic import BaseModel, Field

from ekinerja_shared.audit import fields
from ekinerja_shared.http import (
    NipPath,
    PeriodQuery,
    TenantHrDep,
    TenantPath,
    TenantSessionDep,
    allow_self_or,
    audited,
)
from ekinerja_shared.identity import Caller, Role
from ekinerja_shared.uow import UnitOfWork

from ..adapters import repository as repo
from ..adapters.orm import DisciplinaryPenalty, PayslipInput
from ..domain.flags import FLAG_TEXT
from ..domain.payroll import month_name
from ..domain.payslip import Line, PaySlip, rp
from ..service_layer import payslips
from .deps import RuntimeDep, acting

router = APIRouter(prefix="/api/scoring/{tenant_id}", tags=["pay slip"])

PayslipReaderDep = Annotated[Caller, Depends(allow_self_or(Role.HR))]
"""A pay slip: the employee's own, or HR of the regency (and the operator)."""

PERIOD_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"

InputsUow = Annotated[UnitOfWork, Depends(audited(
    "scoring.payslip.inputs.set", target="nip", describe=fields("period")))]
PenaltyAddUow = Annotated[UnitOfWork, Depends(audited(
    "scoring.penalty.add", target="nip",
    describe=fields("id", "pct", "from_period", "to_period", "decree")))]
PenaltyDeleteUow = Annotated[UnitOfWork, Depends(audited(
    "scoring.penalty.delete", target="nip",
    describe=fields("id", "pct", "from_period", "to_period", "decree")))]


class LineOut(BaseModel):
    code: str
    label: str = Field(description="Uraian")
    amount: Decimal = Field(description="Rupiah")
    amount_text: str = Field(description="The amount in Indonesian format, e.g. Rp1.234.567")
    reason: str = Field(description="How the amount was computed (alasan)")
    rule: str = Field(description="The rule it applies (dasar aturan)")

    @classmethod
    def of(cls, line: Line) -> "LineOut":
        return cls(code=line.code, label=line.label, amount=line.amount,
                   amount_text=rp(line.amount), reason=line.reason, rule=line.rule)


class InputsOut(BaseModel):
    salary: Decimal
    pph21_pct: Decimal | None
    pph21_amount: Decimal | None
    note: str
    entered_by: str
    entered_at: dt.datetime | None

    @classmethod
    def of(cls, r: PayslipInput) -> "InputsOut":
        return cls(salary=Decimal(r.salary).quantize(Decimal(1)),
                   pph21_pct=None if r.pph21_pct is None else Decimal(r.pph21_pct),
                   pph21_amount=None if r.pph21_amount is None
                   else Decimal(r.pph21_amount).quantize(Decimal(1)),
                   note=r.note, entered_by=r.entered_by, entered_at=r.entered_at)


class PaySlipOut(BaseModel):
    tenant_id: str
    nip: str
    name: str
    unit: str
    period: str
    period_name: str = Field(description="e.g. November 2026")
    status: str = Field(description="`final` (the month is closed) or `sementara`")
    employment_type: str
    tpp_base: Decimal
    final_pct: Decimal
    earnings: list[LineOut] = Field(description="Bruto by score component")
    bruto: Decimal
    cuts: list[LineOut] = Field(description="Potongan: CPNS adjustment, discipline, leave "
                                            "and duty, disciplinary penalties")
    tpp_after_cuts: Decimal
    deductions: list[LineOut] = Field(description="BPJS Kesehatan (employee), PPh 21")
    employer: list[LineOut] = Field(description="BPJS Kesehatan (employer): paid by the "
                                                "regency, shown, not deducted")
    netto: Decimal
    netto_text: str
    notes: list[str] = Field(description="What the score's figures rest on (flags)")
    inputs: InputsOut | None = Field(description="What the payroll unit entered; null: "
                                                 "nothing yet (salary 0, PPh 21 0)")


def _out(tenant_id: str, row: dict[str, Any], slip: PaySlip, given: PayslipInput | None,
         closed: bool) -> PaySlipOut:
    return PaySlipOut(
        tenant_id=tenant_id, nip=str(row["nip"]), name=str(row["name"]), unit=str(row["unit"]),
        period=slip.period, period_name=month_name(slip.period),
        status="final" if closed else "sementara",
        employment_type=str(row.get("employment_type") or ""),
        tpp_base=Decimal(row["tpp_base"]).quantize(Decimal(1)),
        final_pct=Decimal(row["final_pct"]).quantize(Decimal("0.01")),
        earnings=[LineOut.of(x) for x in slip.earnings], bruto=slip.bruto,
        cuts=[LineOut.of(x) for x in slip.cuts], tpp_after_cuts=slip.tpp_after_cuts,
        deductions=[LineOut.of(x) for x in slip.deductions],
        employer=[LineOut.of(x) for x in slip.employer], netto=slip.netto,
        netto_text=rp(slip.netto),
        notes=[FLAG_TEXT.get(f, f) for f in row.get("flags") or []],
        inputs=InputsOut.of(given) if given else None)


async def _slip(session: TenantSessionDep, tenant_id: str, nip: str, period: str,
                default_preset: str) -> PaySlipOut:
    row, slip, given = await payslips.payslip(session, tenant_id, nip, period, default_preset)
    closed = period in await repo.closed_periods(session, tenant_id)
    return _out(tenant_id, row, slip, given, closed)


@router.get("/payslips/{nip}", response_model=PaySlipOut,
            summary="The TPP pay slip of an employee's month (own; HR: any of the regency)")
async def get_payslip(tenant_id: TenantPath, nip: NipPath, period: PeriodQuery,
                      caller: PayslipReaderDep, session: TenantSessionDep,
                      rt: RuntimeDep) -> PaySlipOut:
    return await _slip(session, tenant_id, nip, period, rt.default_preset)


class InputsIn(BaseModel):
    salary: Decimal = Field(ge=0, max_digits=14, decimal_places=2,
                            description="Gaji pokok + tunjangan melekat: with the TPP, the "
                                        "BPJS Kesehatan base (capped at the ceiling)")
    pph21_pct: Decimal | None = Field(default=None, ge=0, le=100, max_digits=6,
                                      decimal_places=3, description="PPh 21 rate on the TPP "
                                      "after cuts; or give `pph21_amount`")
    pph21_amount: Decimal | None = Field(default=None, ge=0, max_digits=14, decimal_places=2)
    note: str = Field(default="", max_length=2000)


@router.put("/payslips/{nip}/inputs", response_model=PaySlipOut,
            summary="Enter the payroll unit's inputs of an employee's month (salary, PPh 21); "
                    "answers the pay slip")
async def set_inputs(tenant_id: TenantPath, nip: NipPath, period: PeriodQuery, body: InputsIn,
                     caller: TenantHrDep, uow: InputsUow, session: TenantSessionDep,
                     rt: RuntimeDep) -> PaySlipOut:
    await uow.run(payslips.set_inputs, tenant_id, nip, period, salary=body.salary,
                  pph21_pct=body.pph21_pct, pph21_amount=body.pph21_amount, note=body.note,
                  actor=acting(caller))
    return await _slip(session, tenant_id, nip, period, rt.default_preset)


class PenaltyIn(BaseModel):
    pct: Decimal = Field(gt=0, le=100, max_digits=6, decimal_places=3,
                         description="Percent of the TPP cut in each month (PP 94/2021: 25)")
    from_period: str = Field(pattern=PERIOD_PATTERN, description="First month (YYYY-MM)")
    to_period: str = Field(pattern=PERIOD_PATTERN, description="Last month (YYYY-MM)")
    decree: str = Field(default="", max_length=100, description="Nomor SK")
    reason: str = Field(default="", max_length=2000)


class PenaltyOut(BaseModel):
    id: int
    nip: str
    pct: Decimal
    from_period: str
    to_period: str
    decree: str
    reason: str
    entered_by: str
    entered_at: dt.datetime | None

    @classmethod
    def of(cls, r: DisciplinaryPenalty) -> "PenaltyOut":
        return cls(id=r.id, nip=r.nip, pct=Decimal(r.pct), from_period=r.from_period,
                   to_period=r.to_period, decree=r.decree, reason=r.reason,
                   entered_by=r.entered_by, entered_at=r.entered_at)


@router.get("/penalties/{nip}", response_model=list[PenaltyOut],
            summary="An employee's disciplinary penalties (HR)")
async def list_penalties(tenant_id: TenantPath, nip: NipPath, caller: TenantHrDep,
                         session: TenantSessionDep) -> list[PenaltyOut]:
    return [PenaltyOut.of(r) for r in await payslips.penalties(session, tenant_id, nip)]


@router.post("/penalties/{nip}", response_model=PenaltyOut, status_code=201,
             summary="Record a disciplinary penalty cutting the TPP from a month to a month "
                     "(hukuman disiplin, PP 94/2021)")
async def add_penalty(tenant_id: TenantPath, nip: NipPath, body: PenaltyIn,
                      caller: TenantHrDep, uow: PenaltyAddUow) -> PenaltyOut:
    row = await uow.run(payslips.add_penalty, tenant_id, nip, pct=body.pct,
                        from_period=body.from_period, to_period=body.to_period,
                        decree=body.decree, reason=body.reason, actor=acting(caller))
    return PenaltyOut.of(row)


@router.delete("/penalties/{nip}/{penalty_id}", status_code=204, response_class=Response,
               summary="Remove a disciplinary penalty recorded in error (HR)")
async def delete_penalty(tenant_id: TenantPath, nip: NipPath,
                         penalty_id: Annotated[int, Path(ge=1, le=2**63 - 1)],
                         caller: TenantHrDep, uow: PenaltyDeleteUow) -> Response:
    await uow.run(payslips.delete_penalty, tenant_id, nip, penalty_id)
    return Response(status_code=204)
