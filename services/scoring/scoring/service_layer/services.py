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

from collections.abc import Collection, Iterable
from typing import Any, cast

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from ekinerja_shared import events as ev
from ekinerja_shared.acting_copy import store_acting
from ekinerja_shared.applying import PoisonEvent
from ekinerja_shared.db import pairs_of, upsert, upserted_keys
from ekinerja_shared.errors import NotFound
from ekinerja_shared.timeutil import period_of, utcnow, zone
from ekinerja_shared.uow import UnitOfWork

from ..adapters import employment
from ..adapters import repository as repo
from ..adapters.orm import (
    ActingAssignment,
    ActivityEntry,
    AttendanceDay,
    DirtyUnit,
    EffectiveDays,
    Employee,
    ScoreRow,
    Tenant,
    UnitAverage,
)
from ..domain.policy import DEFAULT_PRESET, PRESETS
from ..domain.score import unit_average
from .directory import DIRECTORY_TYPES, store_directory
from .recompute import Affected, Key, recompute_all, recompute_many

_ENTRY_STATUS = {
    ev.ActivityEntryApproved: "approved",
    ev.ActivityEntryRejected: "rejected",
    ev.ActivityEntryRevoked: "revoked",
}

ENTRY_TYPES = frozenset(_ENTRY_STATUS)  # the activity decisions
# facts that each change one employee's own facts only: a batch of them takes its
# regencies' locks shared (``repo.lock_tenants``; a batch of days counts as its days)
KEYED_TYPES = frozenset({ev.AttendanceDayEvaluated, *ENTRY_TYPES})

# an AttendanceDaysEvaluated (v2) is stored as its days, each an AttendanceDayEvaluated
# (``ev.each_fact``): the rules below see one day at a time whichever version came
FACT_TYPES: tuple[type[ev.Event], ...] = (
    ev.TenantUpserted, ev.EmployeeUpserted, ev.AttendanceDayEvaluated,
    ev.AttendanceDaysEvaluated,
    ev.EffectiveDaysPublished, ev.ActivityEntryApproved, ev.ActivityEntryRejected,
    ev.ActivityEntryRevoked, ev.ActingAssignmentUpserted,
)


# --- storing facts --------------------------------------------------------------------


Newest = dict[Any, Any]  # natural key -> the event of its highest revision/version


def _newest_facts(facts: Iterable[ev.Event]) -> tuple[Newest, Newest, Newest]:
    """The attendance days, activity decisions and calendars of a batch, each natural key
    with its highest revision/version (of equal ones the first), in one pass that tells
    the kinds apart by the event's class (no ``isinstance`` through pydantic's ABC
    metaclass three times per fact: 10 % of the rebuild's CPU with ``_newest`` per kind)."""
    days: Newest = {}
    entries: Newest = {}
    calendars: Newest = {}
    for e in facts:
        if type(e) is ev.AttendanceDayEvaluated:
            key: Any = (e.tenant_id, e.nip, e.work_date)
            held = days.get(key)
            if held is None or held.revision < e.revision:
                days[key] = e
        elif type(e) in _ENTRY_STATUS:
            entry = cast(ev._EntryEvent, e)
            held = entries.get(entry.entry_id)
            if held is None or held.version < entry.version:
                entries[entry.entry_id] = entry
        elif type(e) is ev.EffectiveDaysPublished:
            key = (e.tenant_id, e.period, e.nip or "")
            held = calendars.get(key)
            if held is None or held.revision < e.revision:
                calendars[key] = e
    return days, entries, calendars


async def _store_facts(session: AsyncSession, facts: list[ev.Event], affected: Affected, *,
                       bulk: bool = False) -> None:
    """Bulk upserts of the batch's attendance days, effective days and activity decisions
    (a higher revision/version replaces a lower one); the keys returned tell which changed.
    ``bulk``: the days and the entries through COPY (``upserted_keys(copy=True)``)."""
    days, entries, calendars = _newest_facts(facts)
    for t, n, d in await upserted_keys(
        session, AttendanceDay,
        [{"tenant_id": e.tenant_id, "nip": e.nip, "work_date": e.work_date,
          "period": period_of(e.work_date), "revision": e.revision,
          "is_working_day": e.is_working_day, "status": e.status,
          "deduction_pct": e.deduction_pct, "apel_attended": e.apel_attended,
          "absence_code": (e.absence_code or "")[:16] or None,
          "event_id": e.event_id} for e in days.values()],
        index_elements=["tenant_id", "nip", "work_date"],
        where=AttendanceDay.revision < repo.excluded("revision"), copy=bulk,
    ):
        affected.add((t, n, period_of(d)), days[(t, n, d)])

    for (entry_id,) in await upserted_keys(
        session, ActivityEntry,
        [{"entry_id": e.entry_id, "tenant_id": e.tenant_id, "nip": e.nip,
          "work_date": e.work_date, "period": period_of(e.work_date), "version": e.version,
          "status": _ENTRY_STATUS[type(e)], "minutes": e.minutes, "event_id": e.event_id}
         for e in entries.values()],
        index_elements=["entry_id"], where=ActivityEntry.version < repo.excluded("version"),
        copy=bulk,
    ):
        e = entries[entry_id]
        affected.add((e.tenant_id, e.nip, period_of(e.work_date)), e)

    for t, p, n in await upserted_keys(
        session, EffectiveDays,
        [{"tenant_id": e.tenant_id, "period": e.period, "nip": e.nip or "",
          "revision": e.revision, "effective_days": e.effective_days, "event_id": e.event_id}
         for e in calendars.values()],
        index_elements=["tenant_id", "period", "nip"],
        where=EffectiveDays.revision < repo.excluded("revision"),
    ):
        e = calendars[(t, p, n)]
        if n:
            affected.add((t, n, p), e)
        else:  # the tenant default: every employee of the month (own calendars still win)
            for key in await repo.open_score_keys(session, t, period=p):
                affected.add(key, e)


# --- unit refresher -------------------------------------------------------------------


REFRESHER_JOB = "unit-refresher"


async def refresh_units(uow: UnitOfWork, *, limit: int = 50,
                        default_preset: str = DEFAULT_PRESET, publish: bool = True) -> int:
    """Refresh up to ``limit`` dirty unit-months: their average and their members' scores
    (the collective component). The marks of every regency are read in a cross-regency
    transaction of their own (the job ``unit-refresher``: the only thing it does across
    regencies); each regency's units are then refreshed in a transaction bound to that
    regency (row-level security, and its advisory lock), which deletes their marks when it
    commits. A mark is therefore gone only with its refresh: a refresh that fails, or a
    process that dies between the two transactions, leaves it for the next pass (refreshing
    a unit twice is harmless). Under the regency's lock no fact of that regency commits
    meanwhile, so a mark set again by a later fact is never lost. Returns how many were
    refreshed."""
    units = await uow.cross_tenant(REFRESHER_JOB).run(_dirty_units, limit)
    for tenant_id in sorted({t for t, _u, _p in units}):
        await uow.in_tenant(tenant_id).run(_refresh_marked,
                                            [k for k in units if k[0] == tenant_id],
                                            default_preset=default_preset, publish=publish)
    return len(units)


async def _dirty_units(session: AsyncSession, limit: int) -> list[Key]:
    """The oldest marks (read only: a mark is deleted by the refresh that consumes it)."""
    query = select(DirtyUnit).order_by(DirtyUnit.marked_at).limit(limit)
    return sorted((u.tenant_id, u.unit_id, u.period) for u in (await session.scalars(query)))


async def _refresh_marked(session: AsyncSession, units: list[Key], *, default_preset: str,
                          publish: bool) -> None:
    """The marked unit-months of one regency (the transaction is bound to it), then their
    marks, in the same transaction."""
    await repo.lock_tenants(session, (tenant_id for tenant_id, _u, _p in units))
    for tenant_id, unit_id, period in units:
        await _refresh_unit(session, tenant_id, unit_id, period,
                            default_preset=default_preset, publish=publish)
    await session.execute(delete(DirtyUnit).where(pairs_of(
        session, (DirtyUnit.tenant_id, DirtyUnit.unit_id, DirtyUnit.period), units)))


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
    affected = Affected()
    await store_events(session, events, affected)
    return await recompute_all(session, affected, default_preset=default_preset,
                               publish=publish)


async def store_events(session: AsyncSession, events: Iterable[ev.Event],
                       affected: Affected, *, bulk: bool = False, lock: bool = True) -> None:
    """Store a batch of facts (under the regencies' locks); the employee-months they changed
    are added to ``affected`` (the rebuild recomputes them once, after the replay, and
    stores its chunks of ``STORE_EVENTS`` with ``bulk``: see ``_store_facts``). ``lock=False``:
    without the regencies' locks (the rebuild's target has no other writer). A batch of
    days (``AttendanceDaysEvaluated``) is stored as its days (``ev.each_fact``)."""
    events = list(ev.each_fact(events))
    if lock:
        await repo.lock_tenants(session, (e.tenant_id for e in events),
                                shared=all(type(e) in KEYED_TYPES for e in events))
    facts: list[ev.Event] = []
    directory: list[ev.Event] = []
    for e in events:  # by the event's class (see ``_newest_facts``)
        if type(e) is ev.ActingAssignmentUpserted:  # who may read, not what is scored
            await store_acting(session, ActingAssignment, e)
        elif type(e) in DIRECTORY_TYPES:
            directory.append(e)
        else:
            facts.append(e)
    await store_directory(session, directory, affected)
    await _store_facts(session, facts, affected, bulk=bulk)


async def recompute_keys(session: AsyncSession, keys: dict[Key, ev.Event], *,
                         default_preset: str = DEFAULT_PRESET, publish: bool = True,
                         exclusive: bool = False) -> None:
    """Recompute employee-months gathered earlier (``store_events``), under their
    regencies' locks (``exclusive``: see ``recompute_many``)."""
    await repo.lock_tenants(session, (t for t, _n, _p in keys))
    await recompute_all(session, Affected(keys=dict(keys)), default_preset=default_preset,
                        publish=publish, exclusive=exclusive)


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
                      unit_id: str | None = None,
                      nips: Collection[str] | None = None, *, limit: int | None = None,
                      offset: int = 0) -> list[ScoreRow]:
    """The month's scores (of one unit); ``nips`` limits them to those employees (the
    caller's own and their team), None = the whole regency; a page of ``limit`` rows from
    ``offset`` (by NIP) when given."""
    query = select(ScoreRow).where(ScoreRow.tenant_id == tenant_id, ScoreRow.period == period,
                                   ScoreRow.version > 0)
    if unit_id:
        query = query.where(ScoreRow.unit_id == unit_id)
    if nips is not None:
        if not nips:
            return []
        query = query.where(ScoreRow.nip.in_(sorted(nips)))
    query = query.order_by(ScoreRow.nip)
    if limit is not None or offset:
        query = query.limit(limit).offset(offset)
    return list((await session.scalars(query)).all())
