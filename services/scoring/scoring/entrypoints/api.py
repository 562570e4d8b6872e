"""HTTP API of the scoring service (thin: parse, call the service layer, shape).

Every route takes one authorization decision as a dependency (refined in the route where
it needs the directory copy, ``service_layer.access``) and works bound to the path's
regency (row-level security). Who may call what (the operator may call everything):

- one employee's score: the employee, their direct supervisor, HR, leader;
- the month's scores: HR and leader see the regency; others their own and their team's;
- policies, the policy in force, presets: any member of the regency;
- policy, compliance, month close and reopen: HR (recorded as the token's person);
- month state (history, late facts), the pre-close check, rankings: HR and leader (the
  dashboard's figures and trend too, in ``board_api``);
- TPP export: HR, leader, or a machine client with ``tpp:read``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field, TypeAdapter

from ekinerja_shared import events as ev
from ekinerja_shared.audit import fields
from ekinerja_shared.errors import DomainError
from ekinerja_shared.http import (
    AuditorDep,
    LimitQuery,
    MemberDep,
    NipPath,
    OffsetQuery,
    PeriodPath,
    PeriodQuery,
    ReaderDep,
    TenantHrDep,
    TenantPath,
    TenantSessionDep,
    audited,
)
from ekinerja_shared.uow import UnitOfWork

from ..adapters import repository as repo
from ..adapters.export import to_csv, to_xlsx
from ..adapters.orm import ScoreRow
from ..domain.flags import FLAG_TEXT
from ..domain.month_end import OpenItem
from ..domain.payslip import signature_block
from ..domain.policy import PRESETS, policy_from_dict, preset
from ..service_layer import access, admin, month_end, reports, services
from .deps import RuntimeDep, ScoreReaderDep, TppExportDep, acting
from .policy_schema import PolicySpecModel

router = APIRouter(prefix="/api/scoring/{tenant_id}", tags=["scoring"])


def _recomputed(rows: list[ScoreRow]) -> dict[str, Any]:
    return {"recomputed": len(rows)}


# HR changes recorded in the audit trail, in their own transaction (the export: a read)
PolicyUow = Annotated[UnitOfWork, Depends(audited(
    "scoring.policy.set", target="effective_period", describe=_recomputed))]
ComplianceUow = Annotated[UnitOfWork, Depends(audited(
    "scoring.compliance.set", target="nip",
    describe=fields("period", "final_pct", "tpp_amount")))]
ReopenUow = Annotated[UnitOfWork, Depends(audited("scoring.period.reopen", target="period",
                                                  describe=_recomputed))]


class ComponentOut(BaseModel):
    name: str
    weight: Decimal
    value_pct: Decimal


class FlagOut(BaseModel):
    code: str
    detail: str


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
    employment_type: str
    tpp_adjustment_pct: Decimal = Field(description="Percent of the computed TPP paid "
                                                    "for the employment type (CPNS 80)")
    tpp_amount: Decimal
    flags: list[FlagOut] = Field(description="What the figures rest on that HR should "
                                             "know (a default applied, an input missing)")
    version: int
    cause_event_id: uuid.UUID | None
    cause_type: str | None
    updated_at: dt.datetime
    closed: bool = Field(default=False, description="The month is closed: the score is frozen")

    @classmethod
    def of(cls, r: ScoreRow, closed: bool = False) -> "ScoreOut":
        return cls.model_validate(_score_fields(r, closed))

    @classmethod
    def many(cls, rows: list[ScoreRow], closed: bool = False) -> list["ScoreOut"]:
        """``of`` for a list, validated in one call (a list of 100 scores: a third of the
        time of one model per row)."""
        return _SCORES.validate_python([_score_fields(r, closed) for r in rows])


_CENT, _ONE = Decimal("0.01"), Decimal("1")


def _score_fields(r: ScoreRow, closed: bool) -> dict[str, Any]:
    """A score's answer before validation (the components' and sources' figures are
    stored as strings: the model reads them as decimals)."""
    return {
        "tenant_id": r.tenant_id, "nip": r.nip, "period": r.period, "unit_id": r.unit_id,
        "policy": r.policy_name, "components": r.components, "sources": r.sources,
        "approved_minutes": r.approved_minutes,
        "effective_minutes": Decimal(r.effective_minutes).quantize(_CENT),
        "final_pct": Decimal(r.final_pct).quantize(_CENT),
        "tpp_base": Decimal(r.tpp_base).quantize(_ONE),
        "employment_type": r.employment_type,
        "tpp_adjustment_pct": Decimal(r.tpp_adjustment_pct).quantize(_CENT),
        "tpp_amount": Decimal(r.tpp_amount).quantize(_ONE),
        "flags": [{"code": f, "detail": FLAG_TEXT.get(f, f)} for f in r.flags or []],
        "version": r.version, "cause_event_id": r.cause_event_id, "cause_type": r.cause_type,
        "updated_at": r.updated_at, "closed": closed,
    }


_SCORES = TypeAdapter(list[ScoreOut])


@router.get("/scores/{nip}", response_model=ScoreOut,
            summary="Running score of one employee (own, a direct report's, or HR/leader)")
async def get_score(tenant_id: TenantPath, nip: NipPath, period: PeriodQuery,
                    caller: ScoreReaderDep, session: TenantSessionDep) -> ScoreOut:
    await access.require_sees_employee(session, caller, tenant_id, nip)
    row = await services.get_score(session, tenant_id, nip, period)
    closed = period in await repo.closed_periods(session, tenant_id)
    return ScoreOut.of(row, closed)


@router.get("/scores", response_model=list[ScoreOut],
            summary="Running scores of a month: the regency (HR, leader), else own and team "
                    "(one OPD with `unit_id`; a page with `limit` and `offset`, by NIP)")
async def list_scores(tenant_id: TenantPath, period: PeriodQuery, caller: MemberDep,
                      session: TenantSessionDep, unit_id: str | None = None,
                      limit: LimitQuery = None, offset: OffsetQuery = 0) -> list[ScoreOut]:
    nips = await access.visible_nips(session, caller, tenant_id)
    rows = await services.list_scores(session, tenant_id, period, unit_id, nips,
                                      limit=limit, offset=offset)
    closed = period in await repo.closed_periods(session, tenant_id)
    return ScoreOut.many(rows, closed)


# --- policy (admin) -------------------------------------------------------------------


class PolicyIn(BaseModel):
    preset: str | None = Field(default=None, description="A preset name, or give `policy`")
    policy: PolicySpecModel | None = Field(
        default=None, description="Changes to the policy in force for the month: the "
        "fields given (name, description, components as a whole list, minutes_per_day, "
        "tpp_adjustments, discipline, pay) replace the current ones, the others are kept")


class PolicyVersionOut(BaseModel):
    effective_period: str | None
    policy: PolicySpecModel
    set_by: str = ""
    set_at: dt.datetime | None = None


class PolicySetOut(PolicyVersionOut):
    recomputed: int


@router.get("/policies", response_model=list[PolicyVersionOut],
            summary="The tenant's policy versions by the month they take effect")
async def list_policies(tenant_id: TenantPath, caller: MemberDep,
                        session: TenantSessionDep) -> list[PolicyVersionOut]:
    rows = await admin.list_policies(session, tenant_id)
    return [PolicyVersionOut(effective_period=r.effective_period,
                             policy=policy_from_dict(r.spec).to_dict(),
                             set_by=r.set_by, set_at=r.set_at) for r in rows]


@router.get("/policy", response_model=PolicyVersionOut,
            summary="The policy in force for a month")
async def policy_in_force(tenant_id: TenantPath, period: PeriodQuery, caller: MemberDep,
                          session: TenantSessionDep, rt: RuntimeDep) -> PolicyVersionOut:
    policy = await repo.policy_for(session, tenant_id, period, rt.default_preset)
    return PolicyVersionOut(effective_period=None, policy=policy.to_dict())


@router.put("/policies/{effective_period}", response_model=PolicySetOut,
            summary="Set the policy from a month on (a preset, or changes to the policy in "
                    "force); recomputes the open months it governs; 409 for a closed month")
async def set_policy(tenant_id: TenantPath, effective_period: PeriodPath, body: PolicyIn,
                     caller: TenantHrDep, uow: PolicyUow, rt: RuntimeDep) -> PolicySetOut:
    if (body.preset is None) == (body.policy is None):
        raise DomainError("Isi salah satu: nama preset atau perubahan kebijakan.",
                          code="invalid_policy")
    actor = acting(caller)
    if body.preset:
        policy = preset(body.preset)
        rows = await uow.run(admin.set_policy, tenant_id, effective_period, policy,
                             actor=actor, default_preset=rt.default_preset)
    else:
        policy, rows = await uow.run(admin.change_policy, tenant_id, effective_period,
                                     body.policy.changes() if body.policy else {},
                                     actor=actor,
                                     default_preset=rt.default_preset)
    return PolicySetOut(effective_period=effective_period, policy=policy.to_dict(),
                        set_by=actor, recomputed=len(rows))


@router.get("/presets", response_model=dict[str, PolicySpecModel],
            summary="Policy presets available (each with its description: the cilegon "
                    "preset's measure of collective work, apel participation, is a policy "
                    "choice; the unit's average performance is the alternative)")
async def presets(tenant_id: TenantPath, caller: MemberDep) -> dict[str, dict[str, Any]]:
    return {name: p.to_dict() for name, p in PRESETS.items()}


# --- compliance (HR) ------------------------------------------------------------------


class ComplianceIn(BaseModel):
    value_pct: Decimal = Field(ge=0, le=100, max_digits=6, decimal_places=2)
    note: str = Field(default="", max_length=2000)


@router.put("/compliance/{nip}", response_model=ScoreOut,
            summary="Enter the compliance % of an employee's month (LHKPN/LHKASN, duties)")
async def set_compliance(tenant_id: TenantPath, nip: NipPath, period: PeriodQuery,
                         body: ComplianceIn, caller: TenantHrDep, uow: ComplianceUow,
                         rt: RuntimeDep) -> ScoreOut:
    row = await uow.run(admin.set_compliance, tenant_id, nip, period, body.value_pct,
                        note=body.note, actor=acting(caller), default_preset=rt.default_preset)
    return ScoreOut.of(row)


# --- month close ----------------------------------------------------------------------


class ReopenIn(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


@router.get("/periods/{period}", summary="Close state, history and late facts of a month")
async def period_state(tenant_id: TenantPath, period: PeriodPath, caller: ReaderDep,
                       session: TenantSessionDep) -> dict[str, object]:
    return await admin.period_state(session, tenant_id, period)


@router.get("/periods/{period}/check",
            summary="What is still open in a month before it is closed")
async def period_check(tenant_id: TenantPath, period: PeriodPath, caller: ReaderDep,
                       session: TenantSessionDep, rt: RuntimeDep) -> dict[str, object]:
    items = await month_end.month_check(session, tenant_id, period, rt.default_preset)
    closed = period in await repo.closed_periods(session, tenant_id)
    return {"tenant_id": tenant_id, "period": period, "closed": closed,
            "open_items": month_end.items_out(items), "not_known": NOT_KNOWN}


NOT_KNOWN = ("Aktivitas yang belum diputuskan atasan, hari yang belum ditutup dan mesin "
             "presensi yang belum mengirim data tidak diketahui layanan penilaian: lihat "
             "pemeriksaan bulan di gateway (/api/tenants/{tenant_id}/periods/{period}/check).")


class ReportedItemIn(BaseModel):
    """An open item another service reported to the gateway's month check."""

    source: Literal["activity", "attendance"]
    code: str = Field(min_length=1, max_length=64)
    detail: str = Field(min_length=1, max_length=2000)
    count: int = Field(default=0, ge=0)


class CloseIn(BaseModel):
    confirm: bool = Field(default=False, description="Close although items are still open "
                          "(recorded with the token's person, the time and the items)")
    reported: list[ReportedItemIn] = Field(
        default_factory=list, max_length=50,
        description="Open items of the activity and attendance services (the gateway's "
                    "month check passes them; this service adds its own)")


def _confirmed(event: ev.PeriodClosed) -> dict[str, Any]:
    return {"open_items_confirmed": [f"{i.source}:{i.code}:{i.count}"
                                     for i in event.open_items_confirmed]}


CloseUow = Annotated[UnitOfWork, Depends(audited("scoring.period.close", target="period",
                                                 describe=_confirmed))]


@router.post("/periods/{period}/close",
             summary="Close a month: every roster member gets a frozen score, PeriodClosed "
                     "is published. With items still open: 409 `open_items` (the list in "
                     "the body) unless `confirm` is true; the confirmation is recorded",
             responses={409: {"description": "Items still open (`open_items`), or the month "
                                             "is already closed (`period_closed`)"}})
async def close_period(tenant_id: TenantPath, period: PeriodPath, caller: TenantHrDep,
                       uow: CloseUow, session: TenantSessionDep, rt: RuntimeDep,
                       body: CloseIn | None = None) -> dict[str, object]:
    body = body or CloseIn()
    reported = [OpenItem(i.code, i.detail, source=i.source, count=i.count)
                for i in body.reported]
    await uow.run(admin.close_period, tenant_id, period, actor=acting(caller),
                  default_preset=rt.default_preset, confirmed=body.confirm,
                  reported=reported)
    items = await month_end.month_check(session, tenant_id, period, rt.default_preset)
    return {**await admin.period_state(session, tenant_id, period),
            "open_items": month_end.items_out(items), "not_known": NOT_KNOWN}


@router.post("/periods/{period}/reopen",
             summary="Reopen a closed month (recorded); late facts then apply")
async def reopen_period(tenant_id: TenantPath, period: PeriodPath, body: ReopenIn,
                        caller: TenantHrDep, uow: ReopenUow, session: TenantSessionDep,
                        rt: RuntimeDep) -> dict[str, object]:
    await uow.run(admin.reopen_period, tenant_id, period, actor=acting(caller),
                  reason=body.reason, default_preset=rt.default_preset)
    return await admin.period_state(session, tenant_id, period)


# --- TPP export and rankings ----------------------------------------------------------


@router.get("/exports/tpp", summary="The closed month's TPP table (per OPD) as CSV or XLSX",
            response_class=Response)
async def export_tpp(tenant_id: TenantPath, period: PeriodQuery, caller: TppExportDep,
                     session: TenantSessionDep, auditor: AuditorDep, rt: RuntimeDep,
                     unit_id: str | None = None,
                     format: Annotated[str, Query(
                         pattern="^(csv|csv_id|xlsx)$",
                         description="csv: comma-separated, plain numbers; csv_id: "
                                     "semicolon-separated, Indonesian numbers (1.234.567); "
                                     "xlsx: for print and signature")] = "csv") -> Response:
    table, title = await reports.payroll(session, tenant_id, period, unit_id,
                                         rt.default_preset)
    await auditor.record(tenant_id, "scoring.tpp.export", target=period,
                         detail={"format": format, "unit_id": unit_id,
                                 "employees": table.employees})
    name = f"tpp-{tenant_id}-{period}{'-' + unit_id if unit_id else ''}"
    if format == "xlsx":
        return Response(
            to_xlsx(table, f"TPP {period}", title,
                    signature_block(table.header, table.total.cells())),
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'})
    return Response(to_csv(table, indonesian_numbers=format == "csv_id"),
                    media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})


class UnitRankOut(BaseModel):
    rank: int
    unit_id: str
    unit_name: str
    members: int = Field(description="Every employee of the OPD's roster in the month")
    avg_final_pct: Decimal
    avg_performance_pct: Decimal
    tpp_total: Decimal


class EmployeeRankOut(BaseModel):
    rank: int
    nip: str
    name: str
    unit_id: str
    unit_name: str
    final_pct: Decimal
    tpp_amount: Decimal


@router.get("/rankings/units", response_model=list[UnitRankOut],
            summary="OPDs ranked by their employees' average final %")
async def unit_ranking(tenant_id: TenantPath, period: PeriodQuery, caller: ReaderDep,
                       session: TenantSessionDep, rt: RuntimeDep) -> list[UnitRankOut]:
    ranked = await reports.unit_ranking(session, tenant_id, period, rt.default_preset)
    return [UnitRankOut(rank=rank, **s.__dict__) for rank, s in ranked]


@router.get("/rankings/employees", response_model=list[EmployeeRankOut],
            summary="Employees of an OPD (`unit_id`) or of the whole regency ranked by final %")
async def employee_ranking(tenant_id: TenantPath, period: PeriodQuery, caller: ReaderDep,
                           session: TenantSessionDep, rt: RuntimeDep,
                           unit_id: str | None = None) -> list[EmployeeRankOut]:
    ranked = await reports.employee_ranking(session, tenant_id, period, unit_id or None,
                                            rt.default_preset)
    return [EmployeeRankOut(rank=rank, nip=r["nip"], name=r["name"], unit_id=r["unit_id"],
                            unit_name=r["unit"],
                            final_pct=Decimal(r["final_pct"]).quantize(Decimal("0.01")),
                            tpp_amount=Decimal(r["tpp_amount"]).quantize(Decimal("1")))
            for rank, r in ranked]
