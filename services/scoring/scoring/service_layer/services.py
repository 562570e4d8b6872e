"""Use cases of the scoring service. Each runs inside the caller's transaction (the session
is the unit of work): stored facts, the recomputed score and its outbox event commit
together.

Applying a batch of events: every fact is upserted under its natural key (a higher
revision/version replaces a lower one), the affected employee-months are collected, and
each is recomputed once from the stored facts. A score is published (``ScoreUpdated``, its
version + 1) only when its numbers changed, so duplicates, stale revisions and replays
publish nothing new.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any
from collections import defaultdict
from dataclasses import dataclass, field, replace
from decimal import Decimal

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ekinerja_shared import events as ev
from ekinerja_shared.consumer import PoisonEvent
from ekinerja_shared.db import insert_ignore, upsert
from ekinerja_shared.errors import NotFound
from ekinerja_shared.outbox import stage
from ekinerja_shared.timeutil import period_of, utcnow

from ..adapters import repository as repo
from ..adapters.orm import (
    ActivityEntry,
    AttendanceDay,
    DirtyUnit,
    EffectiveDays,
    Employee,
    LateFact,
    Outbox,
    ScoreRow,
    Tenant,
    UnitAverage,
)
from ..domain.policy import DEFAULT_PRESET, PRESETS, Policy
from ..domain.score import EmployeeTerms, MonthFacts, compute_score, unit_average

Key = tuple[str, str, str]  # tenant, nip, period

_ENTRY_STATUS = {
    ev.ActivityEntryApproved: "approved",
    ev.ActivityEntryRejected: "rejected",
    ev.ActivityEntryRevoked: "revoked",
}

FACT_TYPES: tuple[type[ev.Event], ...] = (
    ev.TenantUpserted, ev.EmployeeUpserted, ev.AttendanceDayEvaluated,
    ev.EffectiveDaysPublished, ev.ActivityEntryApproved, ev.ActivityEntryRejected,
    ev.ActivityEntryRevoked,
)


@dataclass
class _Affected:
    """Employee-months to recompute, each with the last event that changed it."""

    keys: dict[Key, ev.Event] = field(default_factory=dict)
    # facts that changed a closed month: recorded as late, not applied
    late: list[tuple[Key, ev.Event]] = field(default_factory=list)

    def add(self, key: Key, cause: ev.Event) -> None:
        self.keys.pop(key, None)
        self.keys[key] = cause


# --- storing facts --------------------------------------------------------------------


async def _store_tenant(session: AsyncSession, e: ev.TenantUpserted) -> bool:
    if e.policy_preset not in PRESETS:
        raise PoisonEvent(f"unknown policy preset {e.policy_preset!r} for tenant {e.tenant_id}")
    before = await session.scalar(
        select(Tenant.policy_preset).where(Tenant.tenant_id == e.tenant_id)
    )
    n = await upsert(
        session, Tenant,
        {"tenant_id": e.tenant_id, "name": e.name, "timezone": e.timezone,
         "policy_preset": e.policy_preset, "updated_at": e.occurred_at},
        index_elements=["tenant_id"], where=Tenant.updated_at <= e.occurred_at,
    )
    return bool(n) and before != e.policy_preset


async def _store_employee(session: AsyncSession, e: ev.EmployeeUpserted) -> bool:
    n = await upsert(
        session, Employee,
        {"tenant_id": e.tenant_id, "nip": e.nip, "name": e.name, "unit_id": e.unit_id,
         "unit_name": e.unit_name, "tpp_base": e.tpp_base,
         "employment_type": e.employment_type, "active": e.active,
         "updated_at": e.occurred_at},
        index_elements=["tenant_id", "nip"], where=Employee.updated_at <= e.occurred_at,
    )
    return bool(n)


async def _store_directory(session: AsyncSession, e: ev.Event, affected: _Affected) -> None:
    """Directory changes are rare: one upsert each; they recompute the open months of the
    employee (or of the whole tenant when its preset changed)."""
    if isinstance(e, ev.TenantUpserted):
        if await _store_tenant(session, e):
            for key in await repo.open_score_keys(session, e.tenant_id):
                affected.add(key, e)
    elif isinstance(e, ev.EmployeeUpserted):
        if await _store_employee(session, e):
            for key in await repo.open_score_keys(session, e.tenant_id, nip=e.nip):
                affected.add(key, e)


def _newest(events: Iterable[Any], key: Any, version: Any) -> dict[Any, Any]:
    """The highest revision of each natural key within a batch."""
    out: dict[Any, Any] = {}
    for e in events:
        k = key(e)
        if k not in out or version(out[k]) < version(e):
            out[k] = e
    return out


async def _store_facts(session: AsyncSession, facts: list[ev.Event], affected: _Affected) -> None:
    """Bulk upserts of the batch's attendance days, effective days and activity decisions
    (a higher revision/version replaces a lower one); RETURNING tells which changed."""
    days = _newest((e for e in facts if isinstance(e, ev.AttendanceDayEvaluated)),
                   lambda e: (e.tenant_id, e.nip, e.work_date), lambda e: e.revision)
    for t, n, d in await repo.upsert_newer(
        session, AttendanceDay,
        [{"tenant_id": e.tenant_id, "nip": e.nip, "work_date": e.work_date,
          "period": period_of(e.work_date), "revision": e.revision,
          "is_working_day": e.is_working_day, "status": e.status,
          "deduction_pct": e.deduction_pct, "apel_attended": e.apel_attended,
          "event_id": e.event_id} for e in days.values()],
        keys=["tenant_id", "nip", "work_date"], version="revision",
        returning=["tenant_id", "nip", "work_date"],
    ):
        affected.add((t, n, period_of(d)), days[(t, n, d)])

    entries = _newest((e for e in facts if isinstance(e, ev._EntryEvent)),
                      lambda e: e.entry_id, lambda e: e.version)
    for (entry_id,) in await repo.upsert_newer(
        session, ActivityEntry,
        [{"entry_id": e.entry_id, "tenant_id": e.tenant_id, "nip": e.nip,
          "work_date": e.work_date, "period": period_of(e.work_date), "version": e.version,
          "status": _ENTRY_STATUS[type(e)], "minutes": e.minutes, "event_id": e.event_id}
         for e in entries.values()],
        keys=["entry_id"], version="version", returning=["entry_id"],
    ):
        e = entries[entry_id]
        affected.add((e.tenant_id, e.nip, period_of(e.work_date)), e)

    calendars = _newest((e for e in facts if isinstance(e, ev.EffectiveDaysPublished)),
                        lambda e: (e.tenant_id, e.period, e.nip or ""), lambda e: e.revision)
    for t, p, n in await repo.upsert_newer(
        session, EffectiveDays,
        [{"tenant_id": e.tenant_id, "period": e.period, "nip": e.nip or "",
          "revision": e.revision, "effective_days": e.effective_days, "event_id": e.event_id}
         for e in calendars.values()],
        keys=["tenant_id", "period", "nip"], version="revision",
        returning=["tenant_id", "period", "nip"],
    ):
        e = calendars[(t, p, n)]
        if n:
            affected.add((t, n, p), e)
        else:  # the tenant default: every employee of the month (own calendars still win)
            for key in await repo.open_score_keys(session, t, period=p):
                affected.add(key, e)


# --- recomputation --------------------------------------------------------------------


def _components_json(score: object) -> list[dict[str, str]]:
    return [
        {"name": c.name, "weight": str(c.weight), "value_pct": str(c.value_pct)}
        for c in score.components  # type: ignore[attr-defined]
    ]


async def recompute(
    session: AsyncSession, key: Key, cause: ev.Event | None, *,
    default_preset: str = DEFAULT_PRESET, publish: bool = True,
    dirty: set[Key] | None = None,
) -> ScoreRow:
    """Recompute one employee-month (see ``recompute_many``)."""
    rows = await recompute_many(session, {key: cause}, default_preset=default_preset,
                                publish=publish, dirty=dirty)
    return rows[0]


async def recompute_many(
    session: AsyncSession, causes: dict[Key, ev.Event | None], *,
    default_preset: str = DEFAULT_PRESET, publish: bool = True,
    dirty: set[Key] | None = None,
) -> list[ScoreRow]:
    """Recompute employee-months from the stored facts; update each row and stage a
    ``ScoreUpdated`` when its numbers changed. The caller checks the months are open.

    Rows are locked per tenant-month in (tenant, period, nip) order everywhere, so
    concurrent consumers cannot deadlock. Under a policy with a unit-level source the
    unit-months whose average may move are added to ``dirty`` (the caller marks them after
    taking all row locks)."""
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    for tenant_id, nip, period in causes:
        groups[(tenant_id, period)].append(nip)
    done: list[ScoreRow] = []
    for (tenant_id, period), nips in sorted(groups.items()):
        rows = await repo.lock_scores(session, tenant_id, period, nips)
        employees = await repo.employees(session, tenant_id, nips)
        policy = await repo.policy_for(session, tenant_id, period, default_preset)
        facts_of = await repo.month_facts_many(session, tenant_id, period, nips)
        uses_unit = "unit_performance" in policy.sources()
        averages = (
            await repo.unit_averages(session, tenant_id, period,
                                     [e.unit_id for e in employees.values()] + [""])
            if uses_unit else {}
        )
        for nip in sorted(nips):
            employee = employees.get(nip)
            unit_id = employee.unit_id if employee is not None else ""
            facts = facts_of[nip]
            if uses_unit:
                facts = replace(facts, unit_performance_pct=averages.get(unit_id))
            row = _apply_score(
                rows[nip], policy, facts, employee, causes[(tenant_id, nip, period)], publish,
                session)
            if uses_unit and dirty is not None and row.dirty_units:
                dirty.update((tenant_id, u, period) for u in row.dirty_units)
            done.append(row.row)
    await session.flush()
    return done


@dataclass
class _Applied:
    row: ScoreRow
    dirty_units: tuple[str, ...]


def _apply_score(row: ScoreRow, policy: Policy, facts: MonthFacts, employee: Employee | None,
                 cause: ev.Event | None, publish: bool, session: AsyncSession) -> _Applied:
    terms = (
        EmployeeTerms(Decimal(employee.tpp_base), employee.employment_type)
        if employee is not None else EmployeeTerms()
    )
    unit_id = employee.unit_id if employee is not None else ""
    score = compute_score(policy, facts, terms)
    components = _components_json(score)
    sources = {k: str(v) for k, v in score.sources.items()}
    performance = score.sources["performance"]
    dirty: tuple[str, ...] = ()
    if (row.version == 0 or facts.unit_performance_pct is None or row.unit_id != unit_id
            or Decimal(row.performance_pct) != performance):
        dirty = (unit_id,) if row.version == 0 or row.unit_id == unit_id else (
            unit_id, row.unit_id)
    unchanged = (
        row.version > 0
        and row.components == components
        and Decimal(row.final_pct) == score.final_pct
        and Decimal(row.tpp_base) == score.tpp_base
        and Decimal(row.tpp_amount) == score.tpp_amount
        and row.unit_id == unit_id
        and row.approved_minutes == facts.approved_minutes
        and Decimal(row.performance_pct) == performance
        and Decimal(row.effective_minutes) == score.effective_minutes
        and row.sources == sources
    )
    if unchanged:
        return _Applied(row, dirty)
    row.version += 1
    row.unit_id = unit_id
    row.policy_name = policy.name
    row.components = components
    row.sources = sources
    row.approved_minutes = facts.approved_minutes
    row.performance_pct = performance
    row.effective_minutes = score.effective_minutes
    row.final_pct = score.final_pct
    row.tpp_base = score.tpp_base
    row.tpp_amount = score.tpp_amount
    row.cause_event_id = cause.event_id if cause else None
    row.cause_type = cause.event_type if cause else None
    row.updated_at = utcnow()
    if publish:
        stage(session, Outbox, score_event(row))
    return _Applied(row, dirty)


def score_event(row: ScoreRow, event_id: uuid.UUID | None = None) -> ev.ScoreUpdated:
    return ev.ScoreUpdated(
        **({"event_id": event_id} if event_id else {}),
        tenant_id=row.tenant_id, nip=row.nip, period=row.period,
        components=[ev.ScoreComponent(name=c["name"], weight=Decimal(c["weight"]),
                                      value_pct=Decimal(c["value_pct"]))
                    for c in row.components],
        final_pct=Decimal(row.final_pct), tpp_base=Decimal(row.tpp_base),
        tpp_amount=Decimal(row.tpp_amount), version=row.version,
        cause_event_id=row.cause_event_id, cause_type=row.cause_type,
    )


async def recompute_all(
    session: AsyncSession, affected: _Affected, *, default_preset: str = DEFAULT_PRESET,
    publish: bool = True,
) -> list[ScoreRow]:
    closed: dict[str, set[str]] = {}
    dirty: set[Key] = set()
    todo: dict[Key, ev.Event | None] = {}
    for key, cause in affected.keys.items():
        tenant_id, nip, period = key
        if tenant_id not in closed:
            closed[tenant_id] = await repo.closed_periods(session, tenant_id)
        if period in closed[tenant_id]:
            session.add(LateFact(tenant_id=tenant_id, period=period, nip=nip,
                                 event_id=cause.event_id, event_type=cause.event_type,
                                 received_at=utcnow()))
        else:
            todo[key] = cause
    done = await recompute_many(session, todo, default_preset=default_preset,
                                publish=publish, dirty=dirty)
    await mark_dirty(session, dirty)
    return done


async def mark_dirty(session: AsyncSession, dirty: set[Key]) -> None:
    """Queue unit-months for the refresher, in a fixed order after every row lock."""
    now = utcnow()
    for tenant_id, unit_id, period in sorted(dirty):
        await insert_ignore(session, DirtyUnit, {"tenant_id": tenant_id, "unit_id": unit_id,
                                                 "period": period, "marked_at": now})


async def refresh_units(sessionmaker: async_sessionmaker[AsyncSession], *, limit: int = 50,
                        default_preset: str = DEFAULT_PRESET, publish: bool = True) -> int:
    """Refresh up to ``limit`` dirty unit-months: their average and their members' scores
    (the collective component). The marks are claimed in a transaction of their own, so
    the refresh never holds a mark while it waits for a score row a consumer holds (no
    deadlock); a failed refresh puts its marks back. Returns how many were refreshed."""
    async with sessionmaker() as session, session.begin():
        query = select(DirtyUnit).order_by(DirtyUnit.marked_at).limit(limit)
        if session.bind.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        claimed = list((await session.scalars(query)).all())
        units = sorted((u.tenant_id, u.unit_id, u.period) for u in claimed)
        for unit in claimed:
            await session.delete(unit)
    if not units:
        return 0
    try:
        async with sessionmaker() as session, session.begin():
            await repo.lock_tenants(session, (tenant_id for tenant_id, _u, _p in units))
            for tenant_id, unit_id, period in units:
                await _refresh_unit(session, tenant_id, unit_id, period,
                                    default_preset=default_preset, publish=publish)
    except Exception:
        async with sessionmaker() as session, session.begin():
            await mark_dirty(session, set(units))
        raise
    return len(units)


async def _refresh_unit(session: AsyncSession, tenant_id: str, unit_id: str, period: str, *,
                        default_preset: str, publish: bool) -> None:
    members = await repo.unit_members(session, tenant_id, unit_id, period)
    average = unit_average([perf for _nip, perf in members])
    if average is None:
        await session.execute(delete(UnitAverage).where(
            UnitAverage.tenant_id == tenant_id, UnitAverage.unit_id == unit_id,
            UnitAverage.period == period))
        return
    await upsert(session, UnitAverage,
                 {"tenant_id": tenant_id, "unit_id": unit_id, "period": period,
                  "avg_pct": average, "members": len(members), "updated_at": utcnow()},
                 index_elements=["tenant_id", "unit_id", "period"])
    if period in await repo.closed_periods(session, tenant_id):
        return
    await recompute_many(session, {(tenant_id, nip, period): None for nip, _perf in members},
                         default_preset=default_preset, publish=publish)


async def apply_events(
    session: AsyncSession, events: Iterable[ev.Event], *, default_preset: str = DEFAULT_PRESET,
    publish: bool = True,
) -> list[ScoreRow]:
    """Store a batch of facts and recompute every employee-month they changed
    (``publish=False`` during a rebuild: the scores were published when they happened)."""
    events = list(events)
    await repo.lock_tenants(session, (e.tenant_id for e in events))
    affected = _Affected()
    facts: list[ev.Event] = []
    for e in events:
        if isinstance(e, ev.TenantUpserted | ev.EmployeeUpserted):
            await _store_directory(session, e, affected)
        else:
            facts.append(e)
    await _store_facts(session, facts, affected)
    return await recompute_all(session, affected, default_preset=default_preset,
                               publish=publish)


# --- queries --------------------------------------------------------------------------


async def get_score(session: AsyncSession, tenant_id: str, nip: str, period: str) -> ScoreRow:
    row = await session.scalar(
        select(ScoreRow).where(ScoreRow.tenant_id == tenant_id, ScoreRow.nip == nip,
                               ScoreRow.period == period, ScoreRow.version > 0)
    )
    if row is None:
        raise NotFound(f"Nilai pegawai NIP {nip} untuk periode {period} belum ada.",
                       code="score_not_found")
    return row


async def list_scores(session: AsyncSession, tenant_id: str, period: str,
                      unit_id: str | None = None) -> list[ScoreRow]:
    query = select(ScoreRow).where(ScoreRow.tenant_id == tenant_id, ScoreRow.period == period,
                                   ScoreRow.version > 0)
    if unit_id:
        query = query.where(ScoreRow.unit_id == unit_id)
    return list((await session.scalars(query.order_by(ScoreRow.nip))).all())
