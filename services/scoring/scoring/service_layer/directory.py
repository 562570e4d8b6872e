"""Scoring's copy of the directory (tenants, employees and their employment history by
date), kept from the directory topic inside the caller's transaction; what changed is
added to the employee-months to recompute.

A batch is applied as a set per regency (issue 13): the employees' stored states and
histories are read once, the events applied to them in order in memory with the rules of
one event at a time (the latest state: a newer ``occurred_at`` wins, of equal instants the
later event; the history by date: ``domain.employment.plan_record``), and what changed is
written back with one upsert per table; the open months of the changed employees are then
found with one query. The result is the one of applying the events one after the other
(``tests/integration/scoring/test_directory_batch.py``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ekinerja_shared import events as ev
from ekinerja_shared.applying import PoisonEvent
from ekinerja_shared.db import upsert
from ekinerja_shared.timeutil import zone

from ..adapters import employment
from ..adapters import repository as repo
from ..adapters.orm import Employee, Tenant
from ..domain.employment import Stated, plan_record, recorded
from ..domain.policy import PRESETS
from .recompute import Affected

DIRECTORY_TYPES = (ev.TenantUpserted, ev.EmployeeUpserted)
FALLBACK_TZ = "Asia/Jakarta"


async def store_directory(session: AsyncSession, events: Sequence[ev.Event],
                          affected: Affected) -> None:
    """Apply directory events in order: a tenant one by one (rare), each run of employee
    events between them as a set per regency. A changed employee recomputes their open
    months, a changed policy preset every open month of the regency."""
    for run, other in ev.employee_runs(events):
        await _store_employees(session, run, affected)
        if isinstance(other, ev.TenantUpserted) and await _store_tenant(session, other):
            for key in await repo.open_score_keys(session, other.tenant_id):
                affected.add(key, other)


async def _store_tenant(session: AsyncSession, e: ev.TenantUpserted) -> bool:
    """True when the stored tenant's policy preset changed."""
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


def _local(tz: str | None) -> dt.tzinfo:
    try:
        return zone(tz or FALLBACK_TZ)
    except ValueError:
        return zone(FALLBACK_TZ)


async def _store_employees(session: AsyncSession, events: list[ev.EmployeeUpserted],
                           affected: Affected) -> None:
    for tenant_id in dict.fromkeys(e.tenant_id for e in events):
        mine = [e for e in events if e.tenant_id == tenant_id]
        nips = sorted({e.nip for e in mine})
        held = await repo.employee_versions(session, tenant_id, nips)
        local = _local(await repo.tenant_timezone(session, tenant_id))
        before = await employment.histories(session, tenant_id, nips)
        after: dict[str, list[Stated]] = {n: list(before.get(n, ())) for n in nips}
        latest: dict[str, ev.EmployeeUpserted] = {}  # the state each employee ends with
        cause: dict[str, ev.EmployeeUpserted] = {}  # the last event that changed them
        for e in mine:
            wrote = e.nip not in held or held[e.nip] <= e.occurred_at
            if wrote:
                held[e.nip], latest[e.nip] = e.occurred_at, e
            plan = plan_record(after[e.nip], employment.terms_of(e), e.occurred_at,
                               e.effective_from, e.occurred_at.astimezone(local).date())
            after[e.nip] = recorded(after[e.nip], plan)
            if wrote or plan.changed:
                cause[e.nip] = e
        await _write_employees(session, list(latest.values()))
        await employment.write_changes(session, tenant_id, before, after)
        for key in await repo.open_score_keys(session, tenant_id, nips=list(cause)):
            affected.add(key, cause[key[1]])


async def _write_employees(session: AsyncSession, events: list[ev.EmployeeUpserted]) -> None:
    rows = [{"tenant_id": e.tenant_id, "nip": e.nip, "name": e.name, "unit_id": e.unit_id,
             "unit_name": e.unit_name, "supervisor_nip": e.supervisor_nip or None,
             "tpp_base": e.tpp_base, "employment_type": e.employment_type,
             "active": e.active, "start_date": e.start_date, "end_date": e.end_date,
             "end_reason": e.end_reason, "updated_at": e.occurred_at} for e in events]
    await upsert(session, Employee, rows, index_elements=["tenant_id", "nip"],
                 where=Employee.updated_at <= repo.excluded("updated_at"))
