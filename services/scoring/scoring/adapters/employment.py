"""The employees' history by date (``employment_history``): recorded from the directory
events by ``domain.employment.plan_record``, read per tenant-month in grouped queries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from ekinerja_shared import events as ev
from ekinerja_shared.db import one_of, pairs_of, upsert

from ..domain.employment import Stated, Terms
from . import repository as repo
from .orm import AttendanceDay, EmploymentChange

CHUNK = 500


def terms_of(e: ev.EmployeeUpserted) -> Terms:
    return Terms(e.unit_id, e.unit_name, e.position, e.employment_type,
                 Decimal(e.tpp_base).quantize(Decimal("0.01")))


def _stated(r: EmploymentChange) -> Stated:
    return Stated(r.effective_from, Terms(r.unit_id, r.unit_name or "", r.position or "",
                                          r.employment_type, Decimal(r.tpp_base)),
                  r.stated_at)


async def write_changes(session: AsyncSession, tenant_id: str,
                        before: dict[str, list[Stated]], after: dict[str, list[Stated]]) -> None:
    """Write back what applying a batch changed in the employees' histories (``after``,
    from ``before`` as read): the statements gone deleted, the new or replaced ones
    upserted, one statement per table and chunk."""
    gone = [(nip, s.effective_from) for nip, rows in before.items()
            for s in rows if s.effective_from not in {a.effective_from for a in after[nip]}]
    for i in range(0, len(gone), CHUNK):
        await session.execute(delete(EmploymentChange).where(pairs_of(
            session, (EmploymentChange.tenant_id, EmploymentChange.nip,
                      EmploymentChange.effective_from),
            [(tenant_id, *k) for k in gone[i:i + CHUNK]])))
    written = [{"tenant_id": tenant_id, "nip": nip, "effective_from": s.effective_from,
                "unit_id": s.terms.unit_id, "unit_name": s.terms.unit_name,
                "position": s.terms.position, "employment_type": s.terms.employment_type,
                "tpp_base": s.terms.tpp_base, "stated_at": s.stated_at}
               for nip, rows in after.items() for s in rows if s not in before.get(nip, ())]
    await upsert(
        session, EmploymentChange, written, index_elements=["tenant_id", "nip", "effective_from"],
        where=EmploymentChange.stated_at <= repo.excluded("stated_at"))


async def histories(session: AsyncSession, tenant_id: str,
                    nips: Sequence[str]) -> dict[str, list[Stated]]:
    out: dict[str, list[Stated]] = {}
    nips = list(dict.fromkeys(nips))
    for i in range(0, len(nips), CHUNK):
        for r in (await session.scalars(select(EmploymentChange).where(
                EmploymentChange.tenant_id == tenant_id,
                one_of(session, EmploymentChange.nip, nips[i:i + CHUNK]))
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
                    one_of(session, AttendanceDay.nip, nips[i:i + CHUNK])))).all():
            out.setdefault(nip, {})[day] = bool(working)
    return out
