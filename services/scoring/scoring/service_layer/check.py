"""Proof that the running scores are right: recompute every open employee-month in batch
from the stored facts (a handful of grouped queries, independent of the order the events
arrived in) and report every running score that differs."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import TypedDict

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from ..adapters.orm import (
    ActivityEntry,
    AttendanceDay,
    Compliance,
    EffectiveDays,
    Employee,
    Period,
    PolicyVersion,
    ScoreRow,
    Tenant,
)
from ..domain.policy import DEFAULT_PRESET, Policy, policy_from_dict, preset
from ..domain.score import (
    EmployeeTerms,
    MonthFacts,
    Score,
    compute_score,
    source_values,
    unit_average,
)

Key = tuple[str, str, str]
MILLI = Decimal("0.001")


@dataclass(frozen=True)
class Difference:
    tenant_id: str
    nip: str
    period: str
    field: str
    running: str | None
    batch: str | None

    def as_dict(self) -> dict[str, str | None]:
        return self.__dict__.copy()


class _Facts(TypedDict, total=False):
    """The aggregated facts of one employee-month (``MonthFacts`` fields)."""

    approved_minutes: int
    deduction_sum: Decimal
    apel_recorded: int
    apel_attended: int
    compliance_pct: Decimal


def _scope(tenant_column: InstrumentedAttribute[str],
           tenant_id: str | None) -> list[ColumnElement[bool]]:
    return [tenant_column == tenant_id] if tenant_id else []


async def batch_scores(session: AsyncSession, tenant_id: str | None = None,
                       default_preset: str = DEFAULT_PRESET) -> dict[Key, Score]:
    """Every open employee-month that has facts, scored from the stored facts."""
    facts: dict[Key, _Facts] = defaultdict(_Facts)
    for t, n, p, minutes in (await session.execute(
        select(ActivityEntry.tenant_id, ActivityEntry.nip, ActivityEntry.period,
               func.sum(case((ActivityEntry.status == "approved", ActivityEntry.minutes),
                             else_=0)))
        .where(*_scope(ActivityEntry.tenant_id, tenant_id))
        .group_by(ActivityEntry.tenant_id, ActivityEntry.nip, ActivityEntry.period)
    )).all():
        facts[(t, n, p)]["approved_minutes"] = int(minutes or 0)
    for t, n, p, ded, rec, att in (await session.execute(
        select(AttendanceDay.tenant_id, AttendanceDay.nip, AttendanceDay.period,
               func.sum(AttendanceDay.deduction_pct), func.count(AttendanceDay.apel_attended),
               func.sum(case((AttendanceDay.apel_attended.is_(True), 1), else_=0)))
        .where(*_scope(AttendanceDay.tenant_id, tenant_id))
        .group_by(AttendanceDay.tenant_id, AttendanceDay.nip, AttendanceDay.period)
    )).all():
        agg = facts[(t, n, p)]
        agg["deduction_sum"] = Decimal(str(ded or 0)).quantize(MILLI)
        agg["apel_recorded"] = int(rec or 0)
        agg["apel_attended"] = int(att or 0)
    for t, n, p, value in (await session.execute(
        select(Compliance.tenant_id, Compliance.nip, Compliance.period, Compliance.value_pct)
        .where(*_scope(Compliance.tenant_id, tenant_id))
    )).all():
        facts[(t, n, p)]["compliance_pct"] = Decimal(value)
    eff = {(t, p, n): Decimal(d) for t, p, n, d in (await session.execute(
        select(EffectiveDays.tenant_id, EffectiveDays.period, EffectiveDays.nip,
               EffectiveDays.effective_days)
        .where(*_scope(EffectiveDays.tenant_id, tenant_id))
    )).all()}
    for t, p, n in eff:
        if n:  # an employee's own calendar alone also makes a score
            facts[(t, n, p)].setdefault("approved_minutes", 0)
    employees = {(e.tenant_id, e.nip): e for e in (await session.scalars(
        select(Employee).where(*_scope(Employee.tenant_id, tenant_id)))).all()}
    presets = dict((await session.execute(
        select(Tenant.tenant_id, Tenant.policy_preset)
        .where(*_scope(Tenant.tenant_id, tenant_id))
    )).all())
    versions: dict[str, list[tuple[str, Policy]]] = defaultdict(list)
    for v in (await session.scalars(
        select(PolicyVersion).where(*_scope(PolicyVersion.tenant_id, tenant_id))
        .order_by(PolicyVersion.effective_period)
    )).all():
        versions[v.tenant_id].append((v.effective_period, policy_from_dict(v.spec)))
    closed = set((await session.execute(
        select(Period.tenant_id, Period.period)
        .where(Period.closed.is_(True), *_scope(Period.tenant_id, tenant_id))
    )).all())

    def policy_of(t: str, p: str) -> Policy:
        in_force = [pol for start, pol in versions.get(t, []) if start <= p]
        return in_force[-1] if in_force else preset(presets.get(t) or default_preset)

    months: dict[Key, MonthFacts] = {}
    units: dict[tuple[str, str, str], list[Decimal]] = defaultdict(list)
    unit_of: dict[Key, str] = {}
    for (t, n, p), data in facts.items():
        days = eff.get((t, p, n), eff.get((t, p, "")))
        months[(t, n, p)] = MonthFacts(period=p, effective_days=days, **data)
        emp = employees.get((t, n))
        unit_of[(t, n, p)] = emp.unit_id if emp else ""
        performance = source_values(months[(t, n, p)], policy_of(t, p))[0]["performance"]
        units[(t, unit_of[(t, n, p)], p)].append(performance)
    result: dict[Key, Score] = {}
    for (t, n, p), month in months.items():
        if (t, p) in closed:
            continue
        emp = employees.get((t, n))
        terms = (EmployeeTerms(Decimal(emp.tpp_base), emp.employment_type) if emp
                 else EmployeeTerms())
        policy = policy_of(t, p)
        if "unit_performance" in policy.sources():
            month = replace(month, unit_performance_pct=unit_average(
                units[(t, unit_of[(t, n, p)], p)]))
        result[(t, n, p)] = compute_score(policy, month, terms)
    return result


async def check(session: AsyncSession, tenant_id: str | None = None,
                default_preset: str = DEFAULT_PRESET) -> list[Difference]:
    """Compare the running scores of open months with a batch recomputation."""
    expected = await batch_scores(session, tenant_id, default_preset)
    closed = set((await session.execute(
        select(Period.tenant_id, Period.period)
        .where(Period.closed.is_(True), *_scope(Period.tenant_id, tenant_id))
    )).all())
    running = {
        (r.tenant_id, r.nip, r.period): r
        for r in (await session.scalars(
            select(ScoreRow)
            .where(ScoreRow.version > 0, *_scope(ScoreRow.tenant_id, tenant_id)))).all()
        if (r.tenant_id, r.period) not in closed
    }
    diffs: list[Difference] = []
    for key in sorted(set(expected) | set(running)):
        score, row = expected.get(key), running.get(key)
        if score is None or row is None:
            diffs.append(Difference(*key, "missing", None if row is None else "present",
                                    None if score is None else "present"))
            continue
        pairs: dict[str, tuple[Decimal | None, Decimal]] = {
            "final_pct": (Decimal(row.final_pct), score.final_pct),
            "tpp_base": (Decimal(row.tpp_base), score.tpp_base),
            "tpp_amount": (Decimal(row.tpp_amount), score.tpp_amount),
        }
        for comp in score.components:
            got = next((c["value_pct"] for c in row.components if c["name"] == comp.name), None)
            have = Decimal(got) if got is not None else None
            pairs[f"component:{comp.name}"] = (have, comp.value_pct)
        for name, (have, want) in pairs.items():
            if have != want:
                diffs.append(Difference(*key, name, None if have is None else str(have),
                                        str(want)))
    return diffs
