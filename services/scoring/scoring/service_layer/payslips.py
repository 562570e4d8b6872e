"""The pay slip's use cases: the payroll unit's inputs (salary, PPh 21) and disciplinary
penalties, and the pay slips of a month (one employee, or every row of the payroll
sheet), built by ``domain.payslip`` from the score, the month's days and the policy.

Inputs may be entered for an open or a closed month: the payroll is made after the
close, and the inputs do not change a score. Every change is audited by the route."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from ekinerja_shared.db import upsert
from ekinerja_shared.errors import DomainError, NotFound
from ekinerja_shared.timeutil import utcnow

from ..adapters import repository as repo
from ..adapters.orm import (
    DisciplinaryPenalty,
    Employee,
    PayslipInput,
    ScoreRow,
)
from ..domain.payslip import PaySlip, Penalty, SlipInputs, SlipScore, build_slip
from . import month_days
from .month_end import row_of
from .recompute import compute_month


async def _known(session: AsyncSession, tenant_id: str, nip: str, what: str) -> Employee:
    employee = await repo.get_employee(session, tenant_id, nip)
    if employee is None:
        raise NotFound(f"Pegawai dengan NIP {nip} tidak terdaftar di direktori; {what} "
                       "tidak disimpan.", code="employee_not_found")
    return employee


async def set_inputs(session: AsyncSession, tenant_id: str, nip: str, period: str, *,
                     salary: Decimal, pph21_pct: Decimal | None,
                     pph21_amount: Decimal | None, note: str = "",
                     actor: str = "") -> PayslipInput:
    """Enter (or replace) the payroll unit's inputs of an employee's month."""
    if pph21_pct is not None and pph21_amount is not None:
        raise DomainError("Isi PPh 21 sebagai tarif atau jumlah, tidak keduanya.",
                          code="pph21_twice")
    await _known(session, tenant_id, nip, "data gaji")
    values = {"tenant_id": tenant_id, "nip": nip, "period": period, "salary": salary,
              "pph21_pct": pph21_pct, "pph21_amount": pph21_amount, "note": note,
              "entered_by": actor, "entered_at": utcnow()}
    await upsert(session, PayslipInput, values,
                 index_elements=["tenant_id", "nip", "period"])
    return PayslipInput(**values)


async def add_penalty(session: AsyncSession, tenant_id: str, nip: str, *, pct: Decimal,
                      from_period: str, to_period: str, decree: str = "", reason: str = "",
                      actor: str = "") -> DisciplinaryPenalty:
    if to_period < from_period:
        raise DomainError("Bulan akhir hukuman disiplin tidak boleh sebelum bulan awalnya.",
                          code="bad_penalty_period")
    await _known(session, tenant_id, nip, "hukuman disiplin")
    row = DisciplinaryPenalty(tenant_id=tenant_id, nip=nip, pct=pct, from_period=from_period,
                              to_period=to_period, decree=decree, reason=reason,
                              entered_by=actor, entered_at=utcnow())
    session.add(row)
    await session.flush()
    return row


async def delete_penalty(session: AsyncSession, tenant_id: str, nip: str,
                         penalty_id: int) -> DisciplinaryPenalty:
    row = await session.scalar(select(DisciplinaryPenalty).where(
        DisciplinaryPenalty.tenant_id == tenant_id, DisciplinaryPenalty.nip == nip,
        DisciplinaryPenalty.id == penalty_id))
    if row is None:
        raise NotFound(f"Hukuman disiplin {penalty_id} untuk NIP {nip} tidak ada.",
                       code="penalty_not_found")
    await session.execute(delete(DisciplinaryPenalty).where(
        DisciplinaryPenalty.id == penalty_id))
    return row


async def penalties(session: AsyncSession, tenant_id: str,
                    nip: str) -> list[DisciplinaryPenalty]:
    return list((await session.scalars(select(DisciplinaryPenalty).where(
        DisciplinaryPenalty.tenant_id == tenant_id, DisciplinaryPenalty.nip == nip)
        .order_by(DisciplinaryPenalty.from_period, DisciplinaryPenalty.id))).all())


async def slips_for(session: AsyncSession, tenant_id: str, period: str,
                    rows: Sequence[dict[str, Any]], default_preset: str) -> dict[str, PaySlip]:
    """The pay slips of ``rows`` (score rows of the payroll table's form): the inputs,
    penalties in force and the month's days (kept with the close of a closed month:
    ``month_days``) read in a few grouped queries."""
    nips = [str(r["nip"]) for r in rows]
    if not nips:
        return {}
    policy = await repo.policy_for(session, tenant_id, period, default_preset)
    inputs = {r.nip: r for r in (await session.scalars(select(PayslipInput).where(
        PayslipInput.tenant_id == tenant_id, PayslipInput.period == period))).all()}
    in_force: dict[str, list[Penalty]] = defaultdict(list)
    for p in (await session.scalars(select(DisciplinaryPenalty).where(
            DisciplinaryPenalty.tenant_id == tenant_id,
            DisciplinaryPenalty.from_period <= period, DisciplinaryPenalty.to_period >= period)
            .order_by(DisciplinaryPenalty.id))).all():
        in_force[p.nip].append(Penalty(Decimal(p.pct), p.from_period, p.to_period, p.decree,
                                       p.reason))
    days_of = await month_days.of_month(session, tenant_id, period, nips)
    out = {}
    for row in rows:
        nip = str(row["nip"])
        days, given = days_of[nip], inputs.get(nip)
        slip_inputs = SlipInputs(
            salary=Decimal(given.salary) if given else Decimal(0),
            pph21_pct=Decimal(given.pph21_pct) if given and given.pph21_pct is not None
            else None,
            pph21_amount=Decimal(given.pph21_amount)
            if given and given.pph21_amount is not None else None,
            penalties=tuple(in_force.get(nip, ())))
        out[nip] = build_slip(period, SlipScore.of(row), days, slip_inputs, policy)
    return out


async def employee_row(session: AsyncSession, tenant_id: str, nip: str, period: str,
                       default_preset: str) -> dict[str, Any]:
    """The employee's score row of the month (the running or frozen score; an employee of
    the directory without one yet: computed from what is known, not stored)."""
    found = (await session.execute(
        select(ScoreRow, Employee.name, Employee.unit_name)
        .outerjoin(Employee, (Employee.tenant_id == ScoreRow.tenant_id)
                   & (Employee.nip == ScoreRow.nip))
        .where(ScoreRow.tenant_id == tenant_id, ScoreRow.nip == nip,
               ScoreRow.period == period, ScoreRow.version > 0))).first()
    if found is not None:
        r, name, unit_name = found
        return {"nip": r.nip, "name": name or "", "unit": unit_name or r.unit_id,
                "unit_id": r.unit_id, "employment_type": r.employment_type,
                "components": r.components, "final_pct": r.final_pct,
                "tpp_base": r.tpp_base, "tpp_adjustment_pct": r.tpp_adjustment_pct,
                "tpp_amount": r.tpp_amount, "flags": list(r.flags or []),
                "segments": r.segments}
    employee = await repo.get_employee(session, tenant_id, nip)
    if employee is None:
        raise NotFound(f"Slip TPP pegawai {nip} periode {period} belum ada.",
                       code="payslip_not_found")
    computed = await compute_month(session, tenant_id, period, [nip], default_preset)
    return row_of(nip, computed[nip], employee.name, employee.unit_name)


async def payslip(session: AsyncSession, tenant_id: str, nip: str, period: str,
                  default_preset: str) -> tuple[dict[str, Any], PaySlip, PayslipInput | None]:
    """One employee's pay slip of the month, with the score row and the inputs entered."""
    row = await employee_row(session, tenant_id, nip, period, default_preset)
    slip = (await slips_for(session, tenant_id, period, [row], default_preset))[nip]
    given = await session.get(PayslipInput, (tenant_id, nip, period))
    return row, slip, given
