"""Use cases of the tenant's HR/admin: the policy per month, compliance entries, month
close and reopen. Each runs inside the caller's transaction; its events go through the
outbox in the same transaction."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ekinerja_shared import events as ev
from ekinerja_shared.db import upsert
from ekinerja_shared.errors import Conflict, DomainError, NotFound
from ekinerja_shared.outbox import stage
from ekinerja_shared.timeutil import DEFAULT_ZONE, utcnow, zone

from ..adapters import repository as repo
from ..adapters.orm import (
    Compliance,
    LateFact,
    Outbox,
    Period,
    PeriodAudit,
    PolicyVersion,
    ScoreRow,
    Tenant,
)
from ..domain.policy import DEFAULT_PRESET, Policy
from ..domain.month_end import OpenItem, confirm_close, governed_closed_months
from ..domain.score import period_bounds
from . import month_end
from .recompute import Key, mark_dirty, recompute_many


async def _is_closed(session: AsyncSession, tenant_id: str, period: str) -> bool:
    return period in await repo.closed_periods(session, tenant_id)


async def _recompute_keys(session: AsyncSession, keys: list[Key], cause: ev.Event | None,
                          default_preset: str) -> list[ScoreRow]:
    dirty: set[Key] = set()
    rows = await recompute_many(session, dict.fromkeys(keys, cause),
                                default_preset=default_preset, dirty=dirty)
    await mark_dirty(session, dirty)
    return rows


# --- policy ---------------------------------------------------------------------------


async def set_policy(
    session: AsyncSession, tenant_id: str, effective_period: str, policy: Policy, *,
    actor: str = "", default_preset: str = DEFAULT_PRESET,
) -> list[ScoreRow]:
    """Store the policy in force from ``effective_period`` on and recompute the open
    months it governs. A version that would govern a closed month is refused (409
    ``period_closed``: reopen it first), so closed months keep the policy they were scored
    under; the months after the last version inherit it."""
    await repo.lock_tenants(session, [tenant_id])
    versions = (await session.scalars(select(PolicyVersion.effective_period).where(
        PolicyVersion.tenant_id == tenant_id))).all()
    closed = governed_closed_months(effective_period, versions,
                                    await repo.closed_periods(session, tenant_id))
    if closed:
        raise Conflict(
            f"Kebijakan mulai {effective_period} akan berlaku untuk periode yang sudah ditutup "
            f"({', '.join(closed)}); buka kembali periode itu terlebih dahulu, atau tetapkan "
            "kebijakan mulai bulan setelahnya.", code="period_closed")
    await upsert(
        session, PolicyVersion,
        {"tenant_id": tenant_id, "effective_period": effective_period,
         "spec": policy.to_dict(), "set_by": actor, "set_at": utcnow()},
        index_elements=["tenant_id", "effective_period"],
    )
    keys = [k for k in await repo.open_score_keys(session, tenant_id)
            if k[2] >= effective_period]
    return await _recompute_keys(session, keys, None, default_preset)


async def change_policy(
    session: AsyncSession, tenant_id: str, effective_period: str, changes: dict[str, Any], *,
    actor: str = "", default_preset: str = DEFAULT_PRESET,
) -> tuple[Policy, list[ScoreRow]]:
    """A new version from ``effective_period`` on: the policy in force for that month with
    the fields ``changes`` gives replaced, the others kept (see ``set_policy``)."""
    current = await repo.policy_for(session, tenant_id, effective_period, default_preset)
    policy = current.with_changes(changes)
    return policy, await set_policy(session, tenant_id, effective_period, policy,
                                    actor=actor, default_preset=default_preset)


async def list_policies(session: AsyncSession, tenant_id: str) -> list[PolicyVersion]:
    rows = await session.scalars(
        select(PolicyVersion).where(PolicyVersion.tenant_id == tenant_id)
        .order_by(PolicyVersion.effective_period)
    )
    return list(rows.all())


# --- compliance -----------------------------------------------------------------------


async def set_compliance(
    session: AsyncSession, tenant_id: str, nip: str, period: str, value_pct: Decimal, *,
    note: str = "", actor: str = "", default_preset: str = DEFAULT_PRESET,
) -> ScoreRow:
    """Enter the compliance % of an employee's month: only for an employee of the directory
    and a month whose policy has a compliance component."""
    await repo.lock_tenants(session, [tenant_id])
    if await _is_closed(session, tenant_id, period):
        raise Conflict(f"Periode {period} sudah ditutup; buka kembali untuk mengubah nilai.",
                       code="period_closed")
    if await repo.get_employee(session, tenant_id, nip) is None:
        raise NotFound(f"Pegawai dengan NIP {nip} tidak terdaftar di direktori; nilai "
                       "kepatuhan tidak disimpan.", code="employee_not_found")
    policy = await repo.policy_for(session, tenant_id, period, default_preset)
    if "compliance" not in policy.sources():
        raise DomainError(
            f"Kebijakan periode {period} ({policy.name}) tidak memiliki komponen kepatuhan; "
            "nilai kepatuhan tidak dipakai dan tidak disimpan.", code="compliance_not_used")
    await upsert(
        session, Compliance,
        {"tenant_id": tenant_id, "nip": nip, "period": period, "value_pct": value_pct,
         "note": note, "entered_by": actor, "entered_at": utcnow()},
        index_elements=["tenant_id", "nip", "period"],
    )
    return (await _recompute_keys(session, [(tenant_id, nip, period)], None,
                                  default_preset))[0]


# --- month close ----------------------------------------------------------------------


async def tenant_today(session: AsyncSession, tenant_id: str) -> dt.date:
    """Today in the regency's zone (the directory copy's; WIB when unknown)."""
    tz = await session.scalar(select(Tenant.timezone).where(Tenant.tenant_id == tenant_id))
    try:
        tzinfo = zone(tz or DEFAULT_ZONE)
    except ValueError:  # a zone the directory sent but this host does not know
        tzinfo = zone(DEFAULT_ZONE)
    return utcnow().astimezone(tzinfo).date()


async def close_period(session: AsyncSession, tenant_id: str, period: str, *,
                       actor: str = "", default_preset: str = DEFAULT_PRESET,
                       confirmed: bool = False,
                       reported: Sequence[OpenItem] = ()) -> ev.PeriodClosed:
    """Freeze the month's scores: every roster member gets one (``month_end.freeze``), the
    policy in force is kept with the close; later facts for the month are recorded as
    late, not applied. What is still open (this service's items and those ``reported`` by
    the other services through the gateway's check) refuses the close (409
    ``open_items``) unless ``confirmed``; a confirmed close records them with who and
    when, in the period, its history and the ``PeriodClosed`` event."""
    await repo.lock_tenants(session, [tenant_id])
    _first, next_first = period_bounds(period)
    if await tenant_today(session, tenant_id) < next_first:
        raise DomainError(f"Periode {period} belum berakhir sehingga belum dapat ditutup.",
                          code="period_not_ended")
    if await _is_closed(session, tenant_id, period):
        raise Conflict(f"Periode {period} sudah ditutup.", code="period_closed")
    own = await month_end.month_check(session, tenant_id, period, default_preset)
    items = confirm_close(period, [*reported, *own], confirmed)
    policy = await month_end.freeze(session, tenant_id, period, default_preset=default_preset)
    note = "; ".join(i.detail for i in items)
    now = utcnow()
    recorded = month_end.confirmed_out(items)
    confirmation = ({"confirmed_by": actor, "confirmed_at": now.isoformat(),
                     "open_items": recorded} if items else None)
    await upsert(
        session, Period,
        {"tenant_id": tenant_id, "period": period, "closed": True, "changed_by": actor,
         "reason": note, "changed_at": now, "policy": policy, "confirmation": confirmation},
        index_elements=["tenant_id", "period"],
    )
    session.add(PeriodAudit(tenant_id=tenant_id, period=period, action="close", actor=actor,
                            reason=note, at=now, open_items=recorded))
    event = ev.PeriodClosed(tenant_id=tenant_id, period=period, closed_by=actor,
                            occurred_at=now,
                            open_items_confirmed=[ev.OpenItemConfirmed(**r) for r in recorded])
    stage(session, Outbox, event)
    return event


async def reopen_period(
    session: AsyncSession, tenant_id: str, period: str, *, actor: str, reason: str,
    default_preset: str = DEFAULT_PRESET,
) -> list[ScoreRow]:
    """Explicitly reopen a closed month (recorded); the late facts now apply."""
    if not reason.strip():
        raise DomainError("Alasan membuka kembali periode wajib diisi.", code="reason_required")
    await repo.lock_tenants(session, [tenant_id])
    if not await _is_closed(session, tenant_id, period):
        raise Conflict(f"Periode {period} tidak dalam keadaan ditutup.", code="period_open")
    now = utcnow()
    await session.execute(
        update(Period).where(Period.tenant_id == tenant_id, Period.period == period)
        .values(closed=False, changed_by=actor, reason=reason, changed_at=now,
                confirmation=None)
    )
    session.add(PeriodAudit(tenant_id=tenant_id, period=period, action="reopen", actor=actor,
                            reason=reason, at=now))
    cause = ev.PeriodReopened(tenant_id=tenant_id, period=period, reopened_by=actor,
                              reason=reason, occurred_at=now)
    stage(session, Outbox, cause)
    late_nips = (await session.scalars(
        select(LateFact.nip).where(LateFact.tenant_id == tenant_id, LateFact.period == period,
                                   LateFact.applied_at.is_(None))
    )).all()
    await session.execute(
        update(LateFact).where(LateFact.tenant_id == tenant_id, LateFact.period == period,
                               LateFact.applied_at.is_(None)).values(applied_at=now)
    )
    keys = await repo.open_score_keys(session, tenant_id, period=period)
    keys += [(tenant_id, nip, period) for nip in late_nips]
    return await _recompute_keys(session, keys, cause, default_preset)


async def period_state(session: AsyncSession, tenant_id: str, period: str) -> dict[str, object]:
    row = await session.get(Period, (tenant_id, period))
    audit = (await session.scalars(
        select(PeriodAudit).where(PeriodAudit.tenant_id == tenant_id,
                                  PeriodAudit.period == period).order_by(PeriodAudit.id)
    )).all()
    late = (await session.scalars(
        select(LateFact).where(LateFact.tenant_id == tenant_id, LateFact.period == period)
        .order_by(LateFact.id)
    )).all()
    return {
        "tenant_id": tenant_id, "period": period, "closed": bool(row and row.closed),
        "history": [{"action": a.action, "actor": a.actor, "reason": a.reason, "at": a.at,
                     "open_items": a.open_items or []} for a in audit],
        # the policy kept with the last close (the one the frozen scores used)
        "policy": row.policy if row and row.closed else None,
        # what was still open at the last close, confirmed by whom and when
        "confirmation": row.confirmation if row and row.closed else None,
        "late_facts": [{"nip": f.nip, "event_id": f.event_id, "event_type": f.event_type,
                        "work_date": f.work_date, "change": f.change,
                        "received_at": f.received_at, "applied_at": f.applied_at}
                       for f in late],
    }
