"""Queries of the scoring database: the facts of one employee-month (indexed aggregates,
so the cost does not grow with the rest of the tenant's month), the policy in force for a
month, and the locked score row."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import case, func, literal_column, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from ekinerja_shared.db import insert_all, insert_ignore, one_of, upsert

from ..domain.policy import Policy, policy_from_dict, preset
from ..domain.score import MonthFacts
from .orm import (
    ActivityEntry,
    AttendanceDay,
    Compliance,
    EffectiveDays,
    Employee,
    Period,
    PolicyVersion,
    ScoreRow,
    Tenant,
    UnitAverage,
)

T = TypeVar("T")


async def month_facts_many(session: AsyncSession, tenant_id: str, period: str,
                           nips: Sequence[str]) -> dict[str, MonthFacts]:
    """The month's facts of several employees of one tenant, in four grouped queries over
    the (tenant, nip, period) indexes: the cost does not depend on the rest of the month."""
    nips = list(dict.fromkeys(nips))
    minutes: dict[str, int] = {}
    days: dict[str, tuple[Any, ...]] = {}
    eff: dict[str, Decimal] = {}
    compliance: dict[str, Decimal] = {}
    for chunk in _chunks(nips, CHUNK):
        minutes.update((await session.execute(
            select(ActivityEntry.nip, func.sum(ActivityEntry.minutes)).where(
                ActivityEntry.tenant_id == tenant_id, ActivityEntry.period == period,
                one_of(session, ActivityEntry.nip, chunk), ActivityEntry.status == "approved",
            ).group_by(ActivityEntry.nip)
        )).all())
        for nip, *agg in (await session.execute(
            select(
                AttendanceDay.nip,
                func.sum(AttendanceDay.deduction_pct),
                func.count(AttendanceDay.apel_attended),
                func.sum(case((AttendanceDay.apel_attended.is_(True), 1), else_=0)),
                func.count(AttendanceDay.work_date),
            ).where(
                AttendanceDay.tenant_id == tenant_id, AttendanceDay.period == period,
                one_of(session, AttendanceDay.nip, chunk),
            ).group_by(AttendanceDay.nip)
        )).all():
            days[nip] = tuple(agg)
        eff.update((await session.execute(
            select(EffectiveDays.nip, EffectiveDays.effective_days).where(
                EffectiveDays.tenant_id == tenant_id, EffectiveDays.period == period,
                one_of(session, EffectiveDays.nip, [*chunk, ""]),
            )
        )).all())
        compliance.update((await session.execute(
            select(Compliance.nip, Compliance.value_pct).where(
                Compliance.tenant_id == tenant_id, Compliance.period == period,
                one_of(session, Compliance.nip, chunk),
            )
        )).all())
    result = {}
    for nip in nips:
        deductions, recorded, attended, day_count = days.get(nip, (0, 0, 0, 0))
        effective = eff.get(nip, eff.get(""))
        value = compliance.get(nip)
        result[nip] = MonthFacts(
            period=period,
            approved_minutes=int(minutes.get(nip) or 0),
            effective_days=Decimal(effective) if effective is not None else None,
            deduction_sum=Decimal(str(deductions or 0)).quantize(MILLI),
            apel_recorded=int(recorded or 0),
            apel_attended=int(attended or 0),
            attendance_days=int(day_count or 0),
            compliance_pct=Decimal(value) if value is not None else None,
        )
    return result


async def month_facts(session: AsyncSession, tenant_id: str, nip: str, period: str) -> MonthFacts:
    return (await month_facts_many(session, tenant_id, period, [nip]))[nip]


MILLI = Decimal("0.001")


CHUNK = 500


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


async def unit_averages(session: AsyncSession, tenant_id: str, period: str,
                        unit_ids: Iterable[str]) -> dict[str, Decimal]:
    units = list(dict.fromkeys(unit_ids))
    out: dict[str, Decimal] = {}
    for chunk in _chunks(units, CHUNK):
        out.update((u, Decimal(v)) for u, v in (await session.execute(
            select(UnitAverage.unit_id, UnitAverage.avg_pct).where(
                UnitAverage.tenant_id == tenant_id, UnitAverage.period == period,
                one_of(session, UnitAverage.unit_id, chunk))
        )).all())
    return out


async def unit_members(session: AsyncSession, tenant_id: str, unit_id: str,
                       period: str) -> list[tuple[str, Decimal]]:
    """(nip, performance %) of the unit's employees that have a score in the month."""
    rows = await session.execute(
        select(ScoreRow.nip, ScoreRow.performance_pct).where(
            ScoreRow.tenant_id == tenant_id, ScoreRow.unit_id == unit_id,
            ScoreRow.period == period, ScoreRow.version > 0)
    )
    return [(nip, Decimal(perf)) for nip, perf in rows.all()]


async def policy_for(session: AsyncSession, tenant_id: str, period: str,
                     default_preset: str) -> Policy:
    """The policy in force for a month: for a closed month the one kept with its close (its
    scores were computed under it); else the latest version effective at or before it,
    else the tenant's preset from the directory, else the service default."""
    kept = await session.scalar(select(Period.policy).where(
        Period.tenant_id == tenant_id, Period.period == period, Period.closed.is_(True)))
    if kept is not None:
        return policy_from_dict(kept)
    spec = await session.scalar(
        select(PolicyVersion.spec)
        .where(PolicyVersion.tenant_id == tenant_id, PolicyVersion.effective_period <= period)
        .order_by(PolicyVersion.effective_period.desc())
        .limit(1)
    )
    if spec is not None:
        return policy_from_dict(spec)
    name = await session.scalar(select(Tenant.policy_preset).where(Tenant.tenant_id == tenant_id))
    return preset(name or default_preset)


async def get_employee(session: AsyncSession, tenant_id: str, nip: str) -> Employee | None:
    return await session.scalar(
        select(Employee)
        .where(Employee.tenant_id == tenant_id, Employee.nip == nip)
        .execution_options(populate_existing=True)
    )


async def closed_periods(session: AsyncSession, tenant_id: str) -> set[str]:
    rows = await session.scalars(
        select(Period.period).where(Period.tenant_id == tenant_id, Period.closed.is_(True))
    )
    return set(rows.all())


async def employees(session: AsyncSession, tenant_id: str,
                    nips: Sequence[str]) -> dict[str, Employee]:
    out: dict[str, Employee] = {}
    for chunk in _chunks(list(dict.fromkeys(nips)), CHUNK):
        out.update((e.nip, e) for e in (await session.scalars(
            select(Employee).where(Employee.tenant_id == tenant_id,
                                   one_of(session, Employee.nip, chunk))
            .execution_options(populate_existing=True)
        )).all())
    return out


class TenantLockBusy(TimeoutError):
    """A regency's lock that this transaction would take out of order is held by another
    one. Waiting could deadlock, so the transaction gives up; the consumer treats it as a
    transient fault (a timeout): it backs off and applies the batch again."""


_HELD_LOCKS = "scoring.tenant_locks"


async def lock_tenants(session: AsyncSession, tenant_ids: Iterable[str], *,
                       shared: bool = False) -> None:
    """Serialise, per tenant, the transactions that decide which scores to recompute
    (consumers of the different fact topics, the unit refresher, HR and month close).
    Without it a directory change and a fact of another topic committed at the same time
    could each miss the other (the fact's score computed with the old directory, the
    directory change not yet seeing the fact's new score row). Transaction-scoped PostgreSQL
    advisory locks; SQLite already serialises writers.

    ``shared``: a batch whose facts each change one employee's own facts (``KEYED_TYPES``:
    attendance days, activity decisions) decides nothing about other employees, so such
    transactions take the lock shared and run beside each other: two of them that recompute
    the same employee-month wait for each other on its score row (``lock_scores``), and the
    later one reads the earlier one's committed fact. Every other writer takes it exclusive
    and so waits for them, and they for it.

    A transaction only ever waits for a lock above every lock it holds (ascending order),
    so waits cannot form a cycle. The shared consumer applies a batch regency by regency in
    one transaction, in the batch's order: a regency that comes after a higher one (or a
    shared lock made exclusive) is only tried (``pg_try_advisory_xact_lock``); if another
    transaction holds it, ``TenantLockBusy`` ends this one and the batch is consumed again."""
    if dialect_name(session) != "postgresql":
        return
    transaction = session.sync_session.get_transaction()
    owner, held = session.info.get(_HELD_LOCKS, (None, {}))
    if owner is not transaction:
        held = {}  # tenant -> held shared only
        session.info[_HELD_LOCKS] = (transaction, held)
    suffix = "_shared" if shared else ""
    for tenant_id in sorted(set(tenant_ids)):
        if tenant_id in held and (shared or not held[tenant_id]):
            continue
        key = {"key": f"ekinerja-scoring:{tenant_id}"}
        if held and (tenant_id in held or tenant_id < max(held)):
            if not await session.scalar(text(
                    f"SELECT pg_try_advisory_xact_lock{suffix}(hashtextextended(:key, 0))"), key):
                raise TenantLockBusy(f"scoring lock of {tenant_id} busy (taken out of order)")
        else:
            await session.execute(
                text(f"SELECT pg_advisory_xact_lock{suffix}(hashtextextended(:key, 0))"), key)
        held[tenant_id] = shared


async def lock_scores(session: AsyncSession, tenant_id: str, period: str,
                      nips: Sequence[str], *, create: bool = True) -> dict[str, ScoreRow]:
    """The score rows of one tenant-month, created empty (version 0) where missing and
    locked until commit (in NIP order), so that concurrent recomputations of an
    employee-month serialise and the last one sees every committed fact. ``create=False``
    (a database with no other writer: the rebuild's target) locks and returns the existing
    rows only; the caller adds the missing ones (``empty_score``)."""
    nips = sorted(set(nips))
    out: dict[str, ScoreRow] = {}
    if create:
        await _create_missing(session, tenant_id, period, nips)
    for chunk in _chunks(nips, CHUNK):
        query = (
            select(ScoreRow)
            .where(ScoreRow.tenant_id == tenant_id, ScoreRow.period == period,
                   one_of(session, ScoreRow.nip, chunk))
            .order_by(ScoreRow.nip)
            .execution_options(populate_existing=True)
        )
        if dialect_name(session) == "postgresql":
            query = query.with_for_update()
        out.update((r.nip, r) for r in (await session.scalars(query)).all())
    return out


async def _create_missing(session: AsyncSession, tenant_id: str, period: str,
                          nips: Sequence[str]) -> None:
    """Insert the empty rows (version 0) of those of ``nips`` that have none, before any row
    is locked (so the locks are still taken in NIP order). The existing ones are read first,
    without a lock: in a running month nearly all exist, and an ``INSERT .. ON CONFLICT DO
    NOTHING`` of every key cost 12 % of the fact consumers' CPU for no row
    (docs/perf/live.md, session 11); a row another transaction inserts meanwhile is left to
    the conflict clause."""
    existing: set[str] = set()
    for chunk in _chunks(list(nips), CHUNK):
        existing.update(await session.scalars(select(ScoreRow.nip).where(
            ScoreRow.tenant_id == tenant_id, ScoreRow.period == period,
            one_of(session, ScoreRow.nip, chunk))))
    missing = [nip for nip in nips if nip not in existing]
    if missing:
        await insert_ignore(session, ScoreRow,
                            [_empty_score_row(tenant_id, nip, period) for nip in missing])


def _empty_score_row(tenant_id: str, nip: str, period: str) -> dict[str, Any]:
    return {"tenant_id": tenant_id, "nip": nip, "period": period, "version": 0,
            "components": [], "sources": {}, "flags": []}


def empty_score(tenant_id: str, nip: str, period: str) -> ScoreRow:
    """A new score row as ``lock_scores`` creates it (version 0), not yet in the session."""
    return ScoreRow(**_empty_score_row(tenant_id, nip, period))


_SCORE_COLUMNS = tuple(c.key for c in ScoreRow.__table__.columns)


def _score_values(rows: Sequence[ScoreRow]) -> list[dict[str, Any]]:
    """Score rows as the Core statements write them: every column."""
    return [{c: getattr(r, c) for c in _SCORE_COLUMNS} for r in rows]


async def insert_scores(session: AsyncSession, rows: Sequence[ScoreRow]) -> None:
    """New score rows (``empty_score``, then computed) written in one multi-row INSERT,
    without the ORM's unit of work: 200 rows 25-35 ms against 40-50 ms for their flush."""
    await insert_all(session, ScoreRow, _score_values(rows))


async def write_scores(session: AsyncSession, rows: Sequence[ScoreRow]) -> None:
    """Recomputed score rows (locked by ``lock_scores``, their new values set as committed)
    written whole in one upsert (Core, one array per column), where the ORM's flush tracked
    every attribute set and sent an UPDATE per row (docs/perf/live.md, session 11)."""
    if rows:
        await upsert(session, ScoreRow, _score_values(rows),
                     index_elements=["tenant_id", "nip", "period"])


def dialect_name(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def excluded(column: str) -> Any:
    """The proposed row's ``column`` in an upsert's ``where=`` guard (``excluded`` in
    PostgreSQL and SQLite alike), e.g. ``Model.revision < excluded("revision")``: only a
    higher revision replaces the stored row."""
    return literal_column(f"excluded.{column}")


async def open_score_keys(
    session: AsyncSession, tenant_id: str, *, nips: Sequence[str] | None = None,
    period: str | None = None,
) -> list[tuple[str, str, str]]:
    """(tenant, nip, period) of the existing scores of a tenant (optionally of some
    employees, or one month) whose month is not closed."""
    closed = select(Period.period).where(Period.tenant_id == tenant_id, Period.closed.is_(True))
    cond = [ScoreRow.tenant_id == tenant_id, ScoreRow.period.not_in(closed)]
    if period is not None:
        cond.append(ScoreRow.period == period)
    query = select(ScoreRow.tenant_id, ScoreRow.nip, ScoreRow.period)
    if nips is None:
        return [(t, n, p) for t, n, p in (await session.execute(query.where(*cond))).all()]
    out: list[tuple[str, str, str]] = []
    for chunk in _chunks(sorted(set(nips)), CHUNK):
        out.extend((t, n, p) for t, n, p in (await session.execute(
            query.where(*cond, one_of(session, ScoreRow.nip, chunk)))).all())
    return out


async def employee_versions(session: AsyncSession, tenant_id: str,
                            nips: Sequence[str]) -> dict[str, Any]:
    """nip -> the ``updated_at`` of the stored directory state (the employees known)."""
    out: dict[str, Any] = {}
    for chunk in _chunks(sorted(set(nips)), CHUNK):
        out.update((await session.execute(
            select(Employee.nip, Employee.updated_at).where(
                Employee.tenant_id == tenant_id, one_of(session, Employee.nip, chunk)))).all())
    return out


async def tenant_timezone(session: AsyncSession, tenant_id: str) -> str | None:
    return await session.scalar(select(Tenant.timezone).where(Tenant.tenant_id == tenant_id))
