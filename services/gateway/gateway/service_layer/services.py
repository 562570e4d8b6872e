"""Use cases of the gateway. Each runs inside the caller's transaction (the session is the
unit of work): a directory change and its outbox event commit together."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Unpack

from sqlalchemy import Row, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession

from ekinerja_shared import acting_copy
from ekinerja_shared import events as ev
from ekinerja_shared.db import insert_all, upsert
from ekinerja_shared.errors import NotFound
from ekinerja_shared.identity import Caller
from ekinerja_shared.outbox import stage, stage_many
from ekinerja_shared.timeutil import DEFAULT_ZONE, local_today, utcnow

from ..adapters.orm import ActingAssignment, Employee, EmployeeHistory, Outbox, Score, Tenant
from ..domain.access import (
    EVERYONE,
    Audience,
    person_of,
    own_data_only,
    sees_whole_regency,
    team_audience,
)
from ..domain.employment import active_on
from ..domain.roster import (
    DATA_FIELDS,
    KnownEmployee,
    RosterRow,
    check_roster,
    decision_of,
    plan,
    same_data,
)
from ..domain.tenant import TenantSpec

# --- tenants ---------------------------------------------------------------------------


def tenant_event(t: Tenant, at: dt.datetime) -> ev.TenantUpserted:
    return ev.TenantUpserted(tenant_id=t.tenant_id, name=t.name, timezone=t.timezone,
                             policy_preset=t.policy_preset, occurred_at=at)


async def upsert_tenant(session: AsyncSession, spec: TenantSpec) -> tuple[Tenant, bool]:
    """Create or change a tenant; publishes TenantUpserted when something changed.
    Returns the tenant and whether it was created."""
    now = utcnow()
    tenant = await session.get(Tenant, spec.tenant_id, with_for_update=True)
    created = tenant is None
    if tenant is None:
        tenant = Tenant(tenant_id=spec.tenant_id, name=spec.name, timezone=spec.timezone,
                        policy_preset=spec.policy_preset, created_at=now, updated_at=now)
        session.add(tenant)
    elif (tenant.name, tenant.timezone, tenant.policy_preset) == (
        spec.name, spec.timezone, spec.policy_preset
    ):
        return tenant, False
    else:
        tenant.name, tenant.timezone, tenant.policy_preset = (
            spec.name, spec.timezone, spec.policy_preset)
        tenant.updated_at = now
    await session.flush()
    stage(session, Outbox, tenant_event(tenant, now))
    return tenant, created


async def get_tenant(session: AsyncSession, tenant_id: str, *, lock: bool = False) -> Tenant:
    tenant = await session.get(Tenant, tenant_id, with_for_update=lock)
    if tenant is None:
        raise unknown_tenant(tenant_id)
    return tenant


def unknown_tenant(tenant_id: str) -> NotFound:
    return NotFound(f"Instansi '{tenant_id}' belum terdaftar.", code="unknown_tenant")


async def list_tenants(session: AsyncSession, only: str | None = None) -> list[Tenant]:
    """Every tenant (the session's regency binding permitting), or only ``only``."""
    query = select(Tenant).order_by(Tenant.tenant_id)
    if only is not None:
        query = query.where(Tenant.tenant_id == only)
    return list((await session.scalars(query)).all())


# --- employees ---------------------------------------------------------------------------


def _known(e: Employee, last_change: dt.date | None = None) -> KnownEmployee:
    return KnownEmployee(**{name: getattr(e, name) for name in DATA_FIELDS}, active=e.active,
                         start_date=e.start_date, last_change=last_change)


def employee_event(e: Employee, at: dt.datetime,
                   effective_from: dt.date | None = None) -> ev.EmployeeUpserted:
    return ev.EmployeeUpserted(
        tenant_id=e.tenant_id, nip=e.nip, name=e.name, unit_id=e.unit_id,
        unit_name=e.unit_name, position=e.position, supervisor_nip=e.supervisor_nip,
        tpp_base=e.tpp_base, employment_type=e.employment_type,
        device_pin=e.device_pin, active=e.active, occurred_at=at,
        effective_from=effective_from, start_date=e.start_date, end_date=e.end_date,
        end_reason=e.end_reason,  # checked by the roster rules
    )


def _state(e: Employee) -> dict[str, object]:
    """The history's record of an employee's state (JSON)."""
    state: dict[str, object] = {name: getattr(e, name) for name in DATA_FIELDS}
    state.update(active=e.active, start_date=e.start_date)
    return {k: (v.isoformat() if isinstance(v, dt.date) else
                f"{v:.2f}" if isinstance(v, Decimal) else v)
            for k, v in state.items()}


async def _record(session: AsyncSession, changes: list[tuple[Employee, str, dt.date | None]],
                  now: dt.datetime, *, start_only: frozenset[str] = frozenset()) -> None:
    """Append each change to its employee's history and publish the state, with one
    INSERT per table (a roster of thousands: ORM objects per row cost most of an upload).
    ``effective`` is the date the values hold from (None = from when the event is
    received); for the NIPs in ``start_only`` only the start of duty moved: the history
    says from when, the event's values are not new and hold from when received."""
    if not changes:
        return
    await insert_all(session, EmployeeHistory, [
        {"tenant_id": e.tenant_id, "nip": e.nip, "effective_from": effective,
         "change": change, "state": _state(e), "recorded_at": now}
        for e, change, effective in changes])
    await stage_many(session, Outbox, [
        employee_event(e, now, None if e.nip in start_only else effective)
        for e, _, effective in changes])


async def _last_changes(session: AsyncSession, tenant_id: str) -> dict[str, dt.date]:
    rows = await session.execute(
        select(EmployeeHistory.nip, func.max(EmployeeHistory.effective_from))
        .where(EmployeeHistory.tenant_id == tenant_id).group_by(EmployeeHistory.nip))
    return {nip: day for nip, day in rows.all() if day is not None}


@dataclass(frozen=True)
class RosterResult:
    created: int
    updated: int
    unchanged: int


async def load_roster(session: AsyncSession, tenant_id: str, text: str,
                      now: dt.datetime | None = None) -> RosterResult:
    """Validate the whole roster, then upsert every row and publish EmployeeUpserted for
    the new or changed employees only, each with the date its values hold from (recorded
    in the employee's history). Raises ``RosterInvalid`` (nothing applied)."""
    tenant = await get_tenant(session, tenant_id, lock=True)  # one roster change at a time
    now = now or utcnow()
    today = local_today(tenant.timezone, now)
    existing = {
        e.nip: e
        for e in (await session.scalars(select(Employee).where(Employee.tenant_id == tenant_id)))
    }
    last = await _last_changes(session, tenant_id)
    known = {nip: _known(e, last.get(nip)) for nip, e in existing.items()}
    rows = check_roster(text, known, today)
    changes = plan(rows, known, today)
    touched: list[tuple[Employee, str, dt.date | None, bool]] = []
    for kind in ("created", "updated"):
        for row in changes[kind]:
            decision = decision_of(row, known.get(row.nip), today)
            emp = existing.get(row.nip) or Employee(tenant_id=tenant_id, created_at=now)
            if row.nip not in existing:
                session.add(emp)
            before = known.get(row.nip)
            _assign(emp, row, now, today)
            emp.start_date = decision.start_date
            # only the start of duty moved: the history says from when; the event's values
            # are not new (consumers that keep dated values must not re-date them)
            start_only = before is not None and same_data(row, before) and (
                before.active == emp.active)
            touched.append((emp, kind, decision.effective_from, start_only))
    await session.flush()
    await _record(session, [(emp, "start_date" if start_only else kind, effective)
                            for emp, kind, effective, start_only in touched], now,
                  start_only=frozenset(emp.nip for emp, _, _, start_only in touched
                                       if start_only))
    return RosterResult(len(changes["created"]), len(changes["updated"]),
                        len(changes["unchanged"]))


def _assign(emp: Employee, row: RosterRow, now: dt.datetime, today: dt.date) -> None:
    for name in DATA_FIELDS:
        setattr(emp, name, getattr(row, name))
    emp.active = active_on(today, row.end_date)
    emp.updated_at = now


async def employee_history(session: AsyncSession, tenant_id: str,
                           nip: str) -> list[EmployeeHistory]:
    """The employee's recorded changes, oldest first."""
    await get_employee(session, tenant_id, nip)
    rows = await session.scalars(select(EmployeeHistory).where(
        EmployeeHistory.tenant_id == tenant_id, EmployeeHistory.nip == nip)
        .order_by(EmployeeHistory.id))
    return list(rows.all())


async def get_employee(session: AsyncSession, tenant_id: str, nip: str) -> Employee:
    emp = await session.get(Employee, (tenant_id, nip))
    if emp is None:
        raise NotFound(f"Pegawai dengan NIP {nip} tidak terdaftar pada instansi ini.",
                       code="unknown_employee")
    return emp


# what a listing reads of each employee: plain rows, not ORM objects (a regency's
# thousands of objects with their identity map and state cost most of the listing)
EMPLOYEE_FIELDS = (Employee.tenant_id, Employee.nip, Employee.name, Employee.unit_id,
                   Employee.unit_name, Employee.position, Employee.supervisor_nip,
                   Employee.tpp_base, Employee.employment_type, Employee.device_pin,
                   Employee.active, Employee.start_date, Employee.end_date,
                   Employee.end_reason, Employee.updated_at)
EmployeeFields = Row[Unpack[tuple[Any, ...]]]  # the fields above, by name


async def list_employees(
    session: AsyncSession, tenant_id: str, unit_id: str | None = None,
    audience: Audience = EVERYONE,
) -> list[EmployeeFields]:
    query = select(*EMPLOYEE_FIELDS).where(Employee.tenant_id == tenant_id)
    if unit_id:
        query = query.where(Employee.unit_id == unit_id)
    if audience.nips is not None:
        query = query.where(Employee.nip.in_(sorted(audience.nips)))
    return list((await session.execute(query.order_by(Employee.unit_id, Employee.nip))).all())


async def deactivate_employee(session: AsyncSession, tenant_id: str, nip: str) -> Employee:
    """Mark an employee inactive and publish it (active=false); idempotent."""
    tenant = await get_tenant(session, tenant_id, lock=True)
    emp = await get_employee(session, tenant_id, nip)
    if emp.active:
        now = utcnow()
        emp.active = False
        emp.updated_at = now
        await session.flush()
        await _record(session, [(emp, "deactivated", local_today(tenant.timezone, now))], now)
    return emp


# --- who sees what (gateway.domain.access) ---------------------------------------------


async def audience_of(session: AsyncSession, tenant_id: str, caller: Caller,
                      scope: str) -> Audience:
    """The employees whose rows ``caller`` may list: the whole regency for its readers,
    else the caller and the team they supervise today (their direct reports in the
    directory, or those of the official they act for as Plt/Plh: the shared rule)."""
    if sees_whole_regency(caller, scope):
        return EVERYONE
    nip = person_of(caller)
    return team_audience(nip, await team_of(session, tenant_id, nip))


async def team_of(session: AsyncSession, tenant_id: str, caller_nip: str, *,
                  nip: str | None = None, active_only: bool = False) -> set[str]:
    """Whom ``caller_nip`` supervises today in the regency's zone (only ``nip`` among
    them, when given; only active employees with ``active_only``), by
    ``ekinerja_shared.supervision`` over the roster and the copy of the acting
    assignments."""
    tz = await session.scalar(select(Tenant.timezone).where(Tenant.tenant_id == tenant_id))
    only = [Employee.nip == nip] if nip is not None else []
    if active_only:
        only.append(Employee.active.is_(True))
    return await acting_copy.team_of(session, ActingAssignment, Employee, tenant_id,
                                     caller_nip, local_today(tz or DEFAULT_ZONE), *only)


async def check_visible(session: AsyncSession, tenant_id: str, caller: Caller, nip: str,
                        scope: str) -> None:
    """403 unless ``caller`` may see the rows of ``nip``: a regency reader, the employee
    themselves, or their supervisor in the directory (an unknown NIP is a 403 too, so
    that a colleague cannot probe who is registered)."""
    if sees_whole_regency(caller, scope) or caller.nip == nip:
        return
    if caller.nip is not None and await team_of(session, tenant_id, caller.nip, nip=nip):
        return
    raise own_data_only()


# --- scores read model -----------------------------------------------------------------


def newest_scores(events: list[ev.Event]) -> list[ev.ScoreUpdated]:
    """Of each (tenant, nip, period) in ``events``, the highest version (the first of equal
    ones), ordered by that key: what one upsert of a batch writes (a row may be written
    only once by one INSERT .. ON CONFLICT, and a fixed order keeps two instances' batches
    from deadlocking)."""
    newest: dict[tuple[str, str, str], ev.ScoreUpdated] = {}
    for event in events:
        assert isinstance(event, ev.ScoreUpdated)
        key = (event.tenant_id, event.nip, event.period)
        kept = newest.get(key)
        if kept is None or event.version > kept.version:
            newest[key] = event
    return [newest[key] for key in sorted(newest)]


async def apply_score_events(session: AsyncSession, events: list[ev.Event]) -> None:
    """Keep the highest version per (tenant, nip, period); a lower or equal one is ignored
    (replays and out-of-order deliveries give the same result). One statement for the
    whole batch."""
    now = utcnow()
    await upsert(
        session, Score,
        [{
            "tenant_id": e.tenant_id, "nip": e.nip, "period": e.period,
            "version": e.version, "final_pct": e.final_pct,
            "components": [c.model_dump(mode="json") for c in e.components],
            "tpp_base": e.tpp_base, "tpp_amount": e.tpp_amount,
            "event_id": e.event_id, "cause_event_id": e.cause_event_id,
            "cause_type": e.cause_type, "updated_at": e.occurred_at, "received_at": now,
        } for e in newest_scores(events)],
        index_elements=["tenant_id", "nip", "period"],
        # ``excluded`` is the proposed row of ON CONFLICT (PostgreSQL and SQLite alike)
        where=Score.version < literal_column("excluded.version"),
    )


# what the month list reads of each score: plain rows, not ORM objects
SCORE_FIELDS = (Score.tenant_id, Score.nip, Employee.name, Score.period, Score.final_pct,
                Score.components, Score.tpp_base, Score.tpp_amount, Score.version,
                Score.cause_type, Score.cause_event_id, Score.updated_at)
ScoreFields = Row[Unpack[tuple[Any, ...]]]  # the fields above, by name


async def list_scores(
    session: AsyncSession, tenant_id: str, period: str, unit_id: str | None = None,
    audience: Audience = EVERYONE, *, limit: int | None = None, offset: int = 0,
) -> list[ScoreFields]:
    """The tenant's scores of a month (optionally one unit; only ``audience``'s rows),
    highest final score first; a page of ``limit`` rows from ``offset`` when given. Rows
    of ``SCORE_FIELDS`` (the employee's ``name`` None when the directory lacks it)."""
    await get_tenant(session, tenant_id)
    query = (
        select(*SCORE_FIELDS)
        .outerjoin(Employee, (Employee.tenant_id == Score.tenant_id) & (Employee.nip == Score.nip))
        .where(Score.tenant_id == tenant_id, Score.period == period)
        .order_by(Score.final_pct.desc(), Score.nip)
    )
    if unit_id:
        query = query.where(Employee.unit_id == unit_id)
    if audience.nips is not None:
        query = query.where(Score.nip.in_(sorted(audience.nips)))
    if limit is not None or offset:
        query = query.limit(limit).offset(offset)
    return list((await session.execute(query)).all())


async def get_score(
    session: AsyncSession, tenant_id: str, nip: str, period: str
) -> tuple[Score, Employee | None]:
    score = await session.get(Score, (tenant_id, nip, period))
    if score is None:
        raise NotFound(f"Belum ada nilai untuk NIP {nip} pada periode {period}.",
                       code="score_not_found")
    return score, await session.get(Employee, (tenant_id, nip))
