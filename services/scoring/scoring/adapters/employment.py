"""The employees' history by date (``employment_history``): recorded from the directory
events by ``domain.employment.plan_record``, read per tenant-month in grouped queries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from ekinerja_shared import events as ev
from ekinerja_shared.db import upsert

from ..domain.employment import Stated, Terms, plan_record
from .orm import AttendanceDay, EmploymentChange

CHUNK = 500


def terms_of(e: ev.EmployeeUpserted) -> Terms:
    return Terms(e.unit_id, e.unit_name, e.position, e.employment_type,
                 Decimal(e.tpp_base).quantize(Decimal("0.01")))


def _stated(r: EmploymentChange) -> Stated:
    return Stated(r.effective_from, Terms(r.unit_id, r.unit_name or "", r.position or "",
                                          r.employment_type, Decimal(r.tpp_base)),
                  r.stated_at)


async def record(session: AsyncSession, e: ev.EmployeeUpserted, published_on: dt.date) -> bool:
    """Apply one directory event to the employee's history; True when the values in force
    on some day changed (idempotent: the same event again changes nothing)."""
    mine = (EmploymentChange.tenant_id == e.tenant_id, EmploymentChange.nip == e.nip)
    known = [_stated(r) for r in (await session.scalars(
        select(EmploymentChange).where(*mine)
        .execution_options(populate_existing=True))).all()]
    plan = plan_record(known, terms_of(e), e.occurred_at, e.effective_from, published_on)
    if plan.write is None:
        return False
    if plan.drop:
        await session.execute(delete(EmploymentChange).where(
            *mine, EmploymentChange.effective_from.in_(plan.drop)))
    t = plan.write.terms
    await upsert(session, EmploymentChange,
                 {"tenant_id": e.tenant_id, "nip": e.nip,
                  "effective_from": plan.write.effective_from, "unit_id": t.unit_id,
                  "unit_name": t.unit_name, "position": t.position,
                  "employment_type": t.employment_type, "tpp_base": t.tpp_base,
                  "stated_at": plan.write.stated_at},
                 index_elements=["tenant_id", "nip", "effective_from"],
                 where=EmploymentChange.stated_at <= plan.write.stated_at)
    return plan.changed


async def histories(session: AsyncSession, tenant_id: str,
                    nips: Sequence[str]) -> dict[str, list[Stated]]:
    out: dict[str, list[Stated]] = {}
    nips = list(dict.fromkeys(nips))
    for i in range(0, len(nips), CHUNK):
        for r in (await session.scalars(select(EmploymentChange).where(
                EmploymentChange.tenant_id == tenant_id,
                EmploymentChange.nip.in_(nips[i:i + CHUNK]))
                .order_by(EmploymentChange.nip, EmploymentChange.effective_from))).all():
            out.setdefault(r.nip, []).append(_stated(r))
    return out


async def day_kinds(session: AsyncSession, tenant_id: str, period: str,
                    nips: Sequence[str]) -> dict[str, dict[dt.date, bool]]:
    """Per employee, the month's days the attendance service evaluated: date -> working."""
    out: dict[str, dict[dt.date, bool]] = {}
    nips = list(dict.fromkeys(nips))
    for i in range(0, len(nips), CHUNK):
        for nip, day, working in (await session.execute(
                select(AttendanceDay.nip, AttendanceDay.work_date,
                       AttendanceDay.is_working_day).where(
                    AttendanceDay.tenant_id == tenant_id, AttendanceDay.period == period,
                    AttendanceDay.nip.in_(nips[i:i + CHUNK])))).all():
            out.setdefault(nip, {})[day] = bool(working)
    return out
