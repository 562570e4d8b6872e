"""The month's roster and what is still open before it is closed. Scoring knows the roster
from its copy of the directory (``EmployeeUpserted``, latest state): the roster of a month
is every employee with a score in it plus every employee active in the directory. Those
without a fact have no score row until the close writes one (computed from what is known:
defaults, flagged); before the close they are computed on the fly, read-only."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ekinerja_shared.db import one_of

from ..adapters import repository as repo
from ..adapters.orm import Employee, LateFact, ScoreRow
from ..domain.month_end import OpenItem, open_items
from . import month_days
from .recompute import Computed, Key, compute_month, recompute_many


async def roster_without_score(session: AsyncSession, tenant_id: str,
                               period: str) -> list[str]:
    """Active employees of the directory copy with no score in the month."""
    scored = select(ScoreRow.nip).where(ScoreRow.tenant_id == tenant_id,
                                        ScoreRow.period == period, ScoreRow.version > 0)
    return list((await session.scalars(
        select(Employee.nip).where(Employee.tenant_id == tenant_id,
                                   Employee.active.is_(True), Employee.nip.not_in(scored))
        .order_by(Employee.nip))).all())


async def roster_keys(session: AsyncSession, tenant_id: str, period: str) -> list[Key]:
    """Every employee-month of the roster: the scored and the active without a score."""
    scored = (await session.scalars(select(ScoreRow.nip).where(
        ScoreRow.tenant_id == tenant_id, ScoreRow.period == period,
        ScoreRow.version > 0))).all()
    missing = await roster_without_score(session, tenant_id, period)
    return [(tenant_id, nip, period) for nip in sorted({*scored, *missing})]


def row_of(nip: str, c: Computed, name: str, unit_name: str) -> dict[str, Any]:
    return {"nip": nip, "name": name, "unit": unit_name or c.unit_id, "unit_id": c.unit_id,
            "employment_type": c.terms.employment_type,
            "components": [{"name": v.name, "weight": str(v.weight),
                            "value_pct": str(v.value_pct)} for v in c.score.components],
            "final_pct": c.score.final_pct, "performance_pct": c.score.sources["performance"],
            "tpp_base": c.score.tpp_base, "tpp_amount": c.score.tpp_amount,
            "tpp_adjustment_pct": c.policy.adjustment_pct(c.terms.employment_type),
            "flags": c.flags, "segments": c.segments_json()}


async def unscored_rows(session: AsyncSession, tenant_id: str, period: str,
                        default_preset: str) -> list[dict[str, Any]]:
    """The roster members with no score yet, computed from what is known (not stored)."""
    nips = await roster_without_score(session, tenant_id, period)
    if not nips:
        return []
    computed = await compute_month(session, tenant_id, period, nips, default_preset)
    names = {nip: (name, unit_name) for nip, name, unit_name in (await session.execute(
        select(Employee.nip, Employee.name, Employee.unit_name).where(
            Employee.tenant_id == tenant_id, one_of(session, Employee.nip, nips)))).all()}
    return [row_of(nip, computed[nip], *names.get(nip, ("", ""))) for nip in nips]


async def late_pending(session: AsyncSession, tenant_id: str, period: str) -> int:
    return int(await session.scalar(select(func.count()).select_from(LateFact).where(
        LateFact.tenant_id == tenant_id, LateFact.period == period,
        LateFact.applied_at.is_(None))) or 0)


async def month_check(session: AsyncSession, tenant_id: str, period: str,
                      default_preset: str) -> list[OpenItem]:
    """What is still open in the month (see ``domain.month_end.open_items``)."""
    flags_of: dict[str, list[str]] = {
        nip: list(flags or []) for nip, flags in (await session.execute(
            select(ScoreRow.nip, ScoreRow.flags).where(
                ScoreRow.tenant_id == tenant_id, ScoreRow.period == period,
                ScoreRow.version > 0))).all()}
    for row in await unscored_rows(session, tenant_id, period, default_preset):
        flags_of[row["nip"]] = row["flags"]
    return open_items(flags_of, await late_pending(session, tenant_id, period))


def items_out(items: list[OpenItem]) -> list[dict[str, object]]:
    return [{"source": i.source, "code": i.code, "detail": i.detail, "count": i.size,
             "nips": list(i.nips)} for i in items]


def confirmed_out(items: list[OpenItem]) -> list[dict[str, object]]:
    """The open items as a confirmation records them (without the NIP lists)."""
    return [{"source": i.source, "code": i.code, "detail": i.detail, "count": i.size}
            for i in items]


async def freeze(session: AsyncSession, tenant_id: str, period: str, *, default_preset: str,
                 publish: bool = True) -> dict[str, Any]:
    """What a close (or a rebuild's replayed close) does before the month freezes: every
    roster member gets a score (those without a fact computed from what is known, flagged)
    and the others are brought up to date; returns the policy the month is scored under,
    to be kept with the close, and keeps the days their pay slips rest on
    (``month_days.keep``). The caller holds the tenant's lock and checks the month."""
    keys = await roster_keys(session, tenant_id, period)
    await recompute_many(session, dict.fromkeys(keys), default_preset=default_preset,
                         publish=publish)
    await month_days.keep(session, tenant_id, period, [nip for _t, nip, _p in keys])
    return (await repo.policy_for(session, tenant_id, period, default_preset)).to_dict()
