"""Schedules, their assignments (tenant, unit, employee), holidays and cuti bersama, shift
rosters, per-tenant rules, and publishing each month's effective working days. A change
re-evaluates the days already judged and republishes the months it touches."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ekinerja_shared import events as ev
from ekinerja_shared.db import upsert
from ekinerja_shared.errors import DomainError, NotFound
from ekinerja_shared.outbox import stage
from ekinerja_shared.timeutil import period_of, utcnow

from ..adapters.orm import (
    ApelSettings,
    EffectiveDays,
    Employee,
    Holiday,
    Outbox,
    Schedule,
    ScheduleAssignmentRow,
    ShiftRoster,
    TenantRules,
)
from ..domain.rules import RULE_PRESETS, RuleSet
from ..domain.schedule import SCOPES, WeekSchedule, month_dates, parse_hours
from .context import TenantContext, load_context, tenant_rules
from .days import active_nips, reevaluate

MAX_MONTHS = 24  # a change republishes at most this many months


# --- effective days -------------------------------------------------------------------------


async def publish_effective_days(
    session: AsyncSession, ctx: TenantContext, period: str, nip: str | None = None,
    unit_id: str | None = None, *, now: dt.datetime | None = None, force: bool = False,
) -> EffectiveDays | None:
    """Publish the month's working dates (tenant default when ``nip`` is None) as a new
    revision when they differ from the last published ones."""
    dates = ctx.calendar.working_dates(period, nip)
    iso = [d.isoformat() for d in dates]
    key = (ctx.tenant_id, period, nip or "")
    row = await session.get(EffectiveDays, key, with_for_update=True)
    if row is not None and list(row.working_dates) == iso and not force:
        return None
    revision = row.revision + 1 if row else 1
    now = now or utcnow()
    if row is None:
        row = EffectiveDays(tenant_id=ctx.tenant_id, period=period, nip=nip or "",
                            revision=revision, effective_days=Decimal(len(dates)),
                            working_dates=iso, published_at=now)
        session.add(row)
    else:
        row.revision = revision
        row.effective_days = Decimal(len(dates))
        row.working_dates = iso
        row.published_at = now
    await session.flush()
    stage(session, Outbox, ev.EffectiveDaysPublished(
        tenant_id=ctx.tenant_id, period=period, nip=nip, unit_id=unit_id,
        effective_days=Decimal(len(dates)), working_dates=dates, revision=revision,
        occurred_at=now,
    ))
    return row


async def refresh_months(session: AsyncSession, tenant_id: str, periods: Iterable[str], *,
                         default_tz: str, now: dt.datetime) -> None:
    """Republish the tenant default of each month, and the months of employees whose own
    schedule gives other working dates (or who had their own before)."""
    periods = sorted(set(periods))[:MAX_MONTHS]
    if not periods:
        return
    first, last = month_dates(periods[0])[0], month_dates(periods[-1])[-1]
    ctx = await load_context(session, tenant_id, default_tz, nips=None, span=(first, last))
    personal = set((await session.scalars(
        select(EffectiveDays.nip).where(EffectiveDays.tenant_id == tenant_id,
                                        EffectiveDays.period.in_(periods),
                                        EffectiveDays.nip != ""))).all())
    nips = await active_nips(session, tenant_id)
    for period in periods:
        await publish_effective_days(session, ctx, period, now=now)
        default = ctx.calendar.working_dates(period)
        months = ctx.calendar.working_dates_of(period, nips)
        for nip in nips:
            if nip in personal or months[nip] != default:
                await publish_effective_days(session, ctx, period, nip,
                                             ctx.calendar.units.get(nip), now=now)


async def ensure_months_published(session: AsyncSession, tenant_id: str, periods: Iterable[str],
                                  *, default_tz: str, now: dt.datetime) -> list[str]:
    """Publish the months that were never published (a new month begins); returns them."""
    periods = sorted(set(periods))
    done = set((await session.scalars(select(EffectiveDays.period).where(
        EffectiveDays.tenant_id == tenant_id, EffectiveDays.nip == "",
        EffectiveDays.period.in_(periods)))).all())
    missing = [p for p in periods if p not in done]
    await refresh_months(session, tenant_id, missing, default_tz=default_tz, now=now)
    return missing


async def ensure_current_months(session: AsyncSession, tenant_id: str, *, default_tz: str,
                                now: dt.datetime) -> list[str]:
    """The tenant's current and next month, published once; returns the months published."""
    ctx = await load_context(session, tenant_id, default_tz, nips=[], span=None)
    today = ctx.today(now)
    nxt = (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    return await ensure_months_published(session, tenant_id, [period_of(today), period_of(nxt)],
                                         default_tz=default_tz, now=now)


def periods_between(start: dt.date, end: dt.date) -> list[str]:
    out: list[str] = []
    y, m = start.year, start.month
    while (y, m) <= (end.year, end.month) and len(out) < MAX_MONTHS:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


async def _after_change(session: AsyncSession, tenant_id: str, start: dt.date, end: dt.date, *,
                        nips: list[str] | None, default_tz: str, now: dt.datetime) -> None:
    """Re-judge the days already judged in [start, end] (up to today) and republish months."""
    ctx = await load_context(session, tenant_id, default_tz, nips=[], span=None)
    last = min(end, ctx.today(now))
    if start <= last:
        first = max(start, last - dt.timedelta(days=400))
        dates = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
        await reevaluate(session, tenant_id, nips, dates, default_tz=default_tz, now=now,
                         existing_only=True)
    await refresh_months(session, tenant_id, periods_between(start, end), default_tz=default_tz,
                         now=now)


def _assignment_span(valid_from: dt.date | None, valid_to: dt.date | None,
                     today: dt.date) -> tuple[dt.date, dt.date]:
    start = valid_from or today.replace(day=1)
    end = valid_to or max(start, today) + dt.timedelta(days=62)
    return start, end


# --- schedules ------------------------------------------------------------------------------


async def save_schedule(session: AsyncSession, tenant_id: str, name: str,
                        days: Mapping[str, str | None], *, default_tz: str,
                        now: dt.datetime | None = None) -> Schedule:
    now = now or utcnow()
    week = WeekSchedule.from_dict(name, days)  # validates
    row = (await session.scalars(select(Schedule).where(
        Schedule.tenant_id == tenant_id, Schedule.name == name))).first()
    if row is None:
        row = Schedule(tenant_id=tenant_id, name=name, days=week.as_dict(), created_at=now,
                       updated_at=now)
        session.add(row)
        await session.flush()
        return row
    row.days, row.updated_at = week.as_dict(), now
    await session.flush()
    # a changed week re-judges where it is used
    used = (await session.scalars(select(ScheduleAssignmentRow).where(
        ScheduleAssignmentRow.schedule_id == row.id))).all()
    ctx = await load_context(session, tenant_id, default_tz, nips=[], span=None)
    for a in used:
        start, end = _assignment_span(a.valid_from, a.valid_to, ctx.today(now))
        await _after_change(session, tenant_id, start, end,
                            nips=await _scope_nips(session, tenant_id, a.scope, a.scope_id),
                            default_tz=default_tz, now=now)
    return row


async def list_schedules(session: AsyncSession, tenant_id: str) -> list[Schedule]:
    return list((await session.scalars(select(Schedule).where(Schedule.tenant_id == tenant_id)
                                       .order_by(Schedule.name))).all())


async def _scope_nips(session: AsyncSession, tenant_id: str, scope: str,
                      scope_id: str) -> list[str] | None:
    if scope == "employee":
        return [scope_id]
    if scope == "unit":
        return list((await session.scalars(select(Employee.nip).where(
            Employee.tenant_id == tenant_id, Employee.unit_id == scope_id))).all())
    return None


async def assign_schedule(
    session: AsyncSession, tenant_id: str, schedule_name: str, scope: str, scope_id: str,
    valid_from: dt.date | None, valid_to: dt.date | None, priority: int, created_by: str, *,
    default_tz: str, now: dt.datetime | None = None,
) -> ScheduleAssignmentRow:
    now = now or utcnow()
    if scope not in SCOPES:
        raise DomainError(f"Cakupan jadwal tidak dikenal: {scope!r} (tenant, unit, employee).",
                          code="bad_scope")
    scope_id = "" if scope == "tenant" else scope_id.strip()
    if scope != "tenant" and not scope_id:
        raise DomainError("ID unit atau NIP wajib diisi untuk jadwal unit/pegawai.",
                          code="bad_scope")
    if valid_from and valid_to and valid_to < valid_from:
        raise DomainError("Tanggal akhir jadwal harus setelah tanggal mulai.", code="bad_range")
    schedule = (await session.scalars(select(Schedule).where(
        Schedule.tenant_id == tenant_id, Schedule.name == schedule_name))).first()
    if schedule is None:
        raise NotFound(f"Jadwal {schedule_name!r} tidak ditemukan.", code="unknown_schedule")
    row = ScheduleAssignmentRow(tenant_id=tenant_id, schedule_id=schedule.id, scope=scope,
                                scope_id=scope_id, valid_from=valid_from, valid_to=valid_to,
                                priority=priority, created_by=created_by, created_at=now)
    session.add(row)
    await session.flush()
    ctx = await load_context(session, tenant_id, default_tz, nips=[], span=None)
    start, end = _assignment_span(valid_from, valid_to, ctx.today(now))
    await _after_change(session, tenant_id, start, end,
                        nips=await _scope_nips(session, tenant_id, scope, scope_id),
                        default_tz=default_tz, now=now)
    return row


async def list_assignments(session: AsyncSession,
                           tenant_id: str) -> list[tuple[ScheduleAssignmentRow, str]]:
    rows = await session.execute(
        select(ScheduleAssignmentRow, Schedule.name)
        .join(Schedule, Schedule.id == ScheduleAssignmentRow.schedule_id)
        .where(ScheduleAssignmentRow.tenant_id == tenant_id).order_by(ScheduleAssignmentRow.id))
    return [(a, name) for a, name in rows.all()]


# --- holidays -------------------------------------------------------------------------------

HOLIDAY_KINDS = ("national", "cuti_bersama", "local")


async def set_holiday(session: AsyncSession, tenant_id: str, day: dt.date, name: str,
                      kind: str, *, default_tz: str, now: dt.datetime | None = None) -> Holiday:
    now = now or utcnow()
    if kind not in HOLIDAY_KINDS:
        raise DomainError(f"Jenis hari libur tidak dikenal: {kind!r} "
                          f"({', '.join(HOLIDAY_KINDS)}).", code="bad_holiday_kind")
    await upsert(session, Holiday, {"tenant_id": tenant_id, "date": day, "name": name,
                                    "kind": kind}, index_elements=["tenant_id", "date"])
    await _after_change(session, tenant_id, day, day, nips=None, default_tz=default_tz, now=now)
    holiday = await session.get(Holiday, (tenant_id, day), populate_existing=True)
    assert holiday is not None
    return holiday


async def remove_holiday(session: AsyncSession, tenant_id: str, day: dt.date, *,
                         default_tz: str, now: dt.datetime | None = None) -> None:
    now = now or utcnow()
    holiday = await session.get(Holiday, (tenant_id, day))
    if holiday is None:
        raise NotFound(f"Tanggal {day:%d-%m-%Y} bukan hari libur.", code="unknown_holiday")
    await session.delete(holiday)
    await session.flush()
    await _after_change(session, tenant_id, day, day, nips=None, default_tz=default_tz, now=now)


async def list_holidays(session: AsyncSession, tenant_id: str, year: int | None) -> list[Holiday]:
    q = select(Holiday).where(Holiday.tenant_id == tenant_id)
    if year:
        q = q.where(Holiday.date >= dt.date(year, 1, 1), Holiday.date <= dt.date(year, 12, 31))
    return list((await session.scalars(q.order_by(Holiday.date))).all())


# --- shift rosters --------------------------------------------------------------------------


async def set_shifts(session: AsyncSession, tenant_id: str, nip: str,
                     entries: Mapping[dt.date, str | None], *, default_tz: str,
                     now: dt.datetime | None = None) -> list[ShiftRoster]:
    """Roster one employee's shifts (``"22:00-06:00"`` crosses midnight; None = off)."""
    now = now or utcnow()
    if not entries:
        raise DomainError("Jadwal shift kosong.", code="empty_roster")
    if await session.get(Employee, (tenant_id, nip)) is None:
        raise NotFound(f"Pegawai dengan NIP {nip} tidak terdaftar.", code="unknown_employee")
    rows = []
    for day, hours in sorted(entries.items()):
        label = parse_hours(hours).label() if hours else None
        rows.append({"tenant_id": tenant_id, "nip": nip, "work_date": day, "hours": label,
                     "updated_at": now})
    await upsert(session, ShiftRoster, rows, index_elements=["tenant_id", "nip", "work_date"])
    days = sorted(entries)
    await _after_change(session, tenant_id, days[0] - dt.timedelta(days=1), days[-1],
                        nips=[nip], default_tz=default_tz, now=now)
    return list((await session.scalars(select(ShiftRoster).where(
        ShiftRoster.tenant_id == tenant_id, ShiftRoster.nip == nip,
        ShiftRoster.work_date.in_(days)).order_by(ShiftRoster.work_date)
        .execution_options(populate_existing=True))).all())


async def list_shifts(session: AsyncSession, tenant_id: str, nip: str | None,
                      period: str, among: Collection[str] | None = None) -> list[ShiftRoster]:
    """The month's shifts of one employee (``nip``) or of all, only among ``among``
    (None = the regency)."""
    days = month_dates(period)
    q = select(ShiftRoster).where(ShiftRoster.tenant_id == tenant_id,
                                  ShiftRoster.work_date >= days[0],
                                  ShiftRoster.work_date <= days[-1])
    if nip:
        q = q.where(ShiftRoster.nip == nip)
    if among is not None:
        q = q.where(ShiftRoster.nip.in_(sorted(among)))
    return list((await session.scalars(q.order_by(ShiftRoster.nip, ShiftRoster.work_date))).all())


async def _reevaluate_month_so_far(session: AsyncSession, tenant_id: str, *, default_tz: str,
                                  now: dt.datetime) -> None:
    """Rules changed: re-judge the current month's judged days (closed months are the
    scoring service's business)."""
    ctx = await load_context(session, tenant_id, default_tz, nips=[], span=None)
    today = ctx.today(now)
    dates = [today.replace(day=1) + dt.timedelta(days=i) for i in range(today.day)]
    await reevaluate(session, tenant_id, None, dates, default_tz=default_tz, now=now,
                     existing_only=True)


# --- rules ----------------------------------------------------------------------------------


async def set_rules(session: AsyncSession, tenant_id: str, *, preset: str | None,
                    rules: Mapping[str, Any] | None, updated_by: str, default_tz: str,
                    now: dt.datetime | None = None) -> RuleSet:
    """Give the tenant a preset's rules (all of them) or change its own: the fields ``rules``
    gives replace the current ones, those it leaves out are kept (PATCH semantics). The
    current month's judged days are re-evaluated under them (closed months are the
    scoring service's business)."""
    now = now or utcnow()
    if (preset is None) == (rules is None):
        raise DomainError("Isi salah satu: preset atau rules.", code="bad_rules")
    if preset is not None:
        if preset not in RULE_PRESETS:
            raise NotFound(f"Preset aturan tidak dikenal: {preset!r} "
                           f"({', '.join(RULE_PRESETS)}).", code="unknown_preset")
        ruleset = RULE_PRESETS[preset]
    else:
        try:
            current, _source = await tenant_rules(session, tenant_id)
            ruleset = current.with_changes(rules or {}, name=f"{tenant_id}-custom")
        except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
            raise DomainError(f"Aturan tidak lengkap atau tidak valid: {exc}.",
                              code="bad_rules") from exc
    await upsert(session, TenantRules, {"tenant_id": tenant_id, "rules": ruleset.to_dict(),
                                        "updated_by": updated_by, "updated_at": now},
                 index_elements=["tenant_id"])
    await _reevaluate_month_so_far(session, tenant_id, default_tz=default_tz, now=now)
    return ruleset


# --- apel -----------------------------------------------------------------------------------


async def set_apel(session: AsyncSession, tenant_id: str, *, start: dt.time, end: dt.time,
                   weekdays: Iterable[int], devices: Iterable[str], updated_by: str,
                   default_tz: str, now: dt.datetime | None = None) -> ApelSettings:
    """Define the tenant's apel; the current month's judged days are re-evaluated."""
    now = now or utcnow()
    days = sorted(set(weekdays))
    if end <= start:
        raise DomainError("Jam selesai apel harus setelah jam mulai.", code="bad_apel")
    if not days or any(d < 0 or d > 6 for d in days):
        raise DomainError("Hari apel harus 0 (Senin) sampai 6 (Minggu).", code="bad_apel")
    await upsert(session, ApelSettings, {
        "tenant_id": tenant_id, "window_start": start, "window_end": end, "weekdays": days,
        "device_serials": sorted(set(devices)), "updated_by": updated_by, "updated_at": now,
    }, index_elements=["tenant_id"])
    await _reevaluate_month_so_far(session, tenant_id, default_tz=default_tz, now=now)
    row = await session.get(ApelSettings, tenant_id, populate_existing=True)
    assert row is not None
    return row


async def get_apel(session: AsyncSession, tenant_id: str) -> ApelSettings:
    row = await session.get(ApelSettings, tenant_id)
    if row is None:
        raise NotFound("Apel belum diatur untuk instansi ini.", code="no_apel")
    return row
