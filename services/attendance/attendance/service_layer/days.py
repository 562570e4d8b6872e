"""The day's verdict: evaluation (and re-evaluation as new revisions), closing days, leave
and permits, HR corrections, and the listings of an employee's month."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ekinerja_shared.errors import Conflict, DomainError, NotFound
from ekinerja_shared.timeutil import utcnow

from ..adapters.orm import (
    Correction,
    DayClosure,
    DayRecord,
    Device,
    Employee,
    Leave,
    Punch,
)
from ..domain.employment import Employment
from ..domain.leave import LEAVE_KINDS
from ..domain.schedule import day_span, month_dates
from .context import TenantContext, load_context
from .evaluation import evaluate_many, window_for

# --- evaluation -----------------------------------------------------------------------------


async def evaluate(session: AsyncSession, ctx: TenantContext, nip: str, work_date: dt.date, *,
                   now: dt.datetime) -> DayRecord | None:
    """(Re)evaluate one employee's day (``evaluation.evaluate_many``); returns the new
    revision (detached), or None when the verdict did not change."""
    row = (await evaluate_many(session, ctx, [(nip, work_date)], now=now)).get((nip, work_date))
    return DayRecord(**row) if row is not None else None


async def reevaluate(session: AsyncSession, tenant_id: str, nips: Iterable[str] | None,
                     dates: Iterable[dt.date], *, default_tz: str, now: dt.datetime,
                     existing_only: bool = False) -> int:
    """Re-evaluate days after a late fact (leave, correction, calendar or rule change).
    ``existing_only``: only days that already have a record (a calendar change does not
    create verdicts for days nobody asked about). Returns how many changed."""
    dates = sorted(set(dates))
    if not dates:
        return 0
    if nips is None:
        nips = await active_nips(session, tenant_id)
    nips = sorted(set(nips))
    ctx = await load_context(session, tenant_id, default_tz, nips=nips,
                             span=(dates[0], dates[-1]))
    existing: set[tuple[str, dt.date]] | None = None
    if existing_only:
        rows = await session.execute(
            select(DayRecord.nip, DayRecord.work_date).where(
                DayRecord.tenant_id == tenant_id, DayRecord.work_date >= dates[0],
                DayRecord.work_date <= dates[-1]))
        existing = {(n, d) for n, d in rows.all()}
    keys = [(nip, day) for nip in nips for day in dates
            if existing is None or (nip, day) in existing]
    return len(await evaluate_many(session, ctx, keys, now=now))


async def active_nips(session: AsyncSession, tenant_id: str,
                      on: dt.date | None = None) -> list[str]:
    """Employees to (re)evaluate: those counting on ``on`` (``domain.employment``), or
    without a date every employee that may count on some day (active, or ended with a
    date: their past days still count)."""
    q = select(Employee.nip).where(Employee.tenant_id == tenant_id,
                                   Employee.active.is_(True) | Employee.end_date.is_not(None))
    if on is not None:
        return sorted(nip for nip, e in (await employments(session, tenant_id)).items()
                      if e.counts_on(on))
    return list((await session.scalars(q.order_by(Employee.nip))).all())


async def employments(session: AsyncSession, tenant_id: str) -> dict[str, Employment]:
    rows = await session.execute(
        select(Employee.nip, Employee.start_date, Employee.first_seen_on, Employee.end_date,
               Employee.active).where(Employee.tenant_id == tenant_id))
    return {nip: Employment(start, seen, end, bool(active))
            for nip, start, seen, end, active in rows.all()}


# --- closing days ---------------------------------------------------------------------------


def latest_closable(ctx: TenantContext, now: dt.datetime, close_after: dt.timedelta) -> dt.date:
    """The last date every window of which has ended: midnight after it plus ``close_after``
    (the margin covers night shifts that end the next morning)."""
    local = now.astimezone(ctx.tz)
    day = local.date() - dt.timedelta(days=1)
    while day_span(day, ctx.tz)[1] + close_after > now:
        day -= dt.timedelta(days=1)
    return day


MAX_CLOSE_RANGE = 62  # days closed by one request (two months)


@dataclass
class CloseResult:
    """What closing one day did: ``employees`` evaluated, how many verdicts ``changed``,
    how many are ``tk``; ``skipped`` employees by reason (``domain.employment``);
    ``closed`` False (with ``note``) for a day that cannot be closed yet."""

    work_date: dt.date
    employees: int
    changed: int
    tk: int = 0
    closed: bool = True
    day_kind: str = "work"  # the regency calendar's: work, off, holiday
    note: str | None = None
    skipped: dict[str, int] = field(default_factory=dict)


def _note(day_kind: str, holiday: str | None) -> str | None:
    if day_kind == "holiday":
        return f"Hari libur{': ' + holiday if holiday else ''}: tidak ada TK."
    if day_kind == "off":
        return "Bukan hari kerja menurut jadwal instansi: tidak ada TK."
    return None


async def close_day(session: AsyncSession, tenant_id: str, work_date: dt.date, *,
                    default_tz: str, close_after: dt.timedelta,
                    now: dt.datetime | None = None) -> CloseResult:
    """Evaluate every employee on duty that day once its windows have ended: the scheduled
    who neither punched nor are on leave get TK. Closing again only re-checks (a changed
    fact gives a new revision)."""
    now = now or utcnow()
    ctx = await load_context(session, tenant_id, default_tz, nips=[], span=None)
    if work_date > latest_closable(ctx, now, close_after):
        raise Conflict(f"Hari {work_date:%d-%m-%Y} belum dapat ditutup: jam kerjanya belum "
                       "berakhir.", code="day_not_over")
    return await _close(session, tenant_id, work_date, await employments(session, tenant_id),
                        ctx, default_tz=default_tz, now=now)


async def close_range(session: AsyncSession, tenant_id: str, first: dt.date, last: dt.date, *,
                      default_tz: str, close_after: dt.timedelta,
                      now: dt.datetime | None = None) -> list[CloseResult]:
    """Close (or close again) every day from ``first`` to ``last``: a month back-filled
    after the fact. Days whose hours are not over are reported, not closed."""
    now = now or utcnow()
    if last < first:
        raise DomainError("Tanggal akhir harus sama atau setelah tanggal awal.",
                          code="bad_range")
    if (last - first).days >= MAX_CLOSE_RANGE:
        raise DomainError(f"Rentang terlalu panjang: paling banyak {MAX_CLOSE_RANGE} hari "
                          "sekali tutup.", code="bad_range")
    ctx = await load_context(session, tenant_id, default_tz, nips=[], span=None)
    closable = latest_closable(ctx, now, close_after)
    staff = await employments(session, tenant_id)
    out: list[CloseResult] = []
    for i in range((last - first).days + 1):
        day = first + dt.timedelta(days=i)
        if day > closable:
            out.append(CloseResult(day, 0, 0, closed=False, day_kind=ctx.calendar.day_kind(
                None, day), note="Hari ini atau yang akan datang: jam kerjanya belum berakhir, "
                                 "belum dapat ditutup."))
            continue
        out.append(await _close(session, tenant_id, day, staff, ctx, default_tz=default_tz,
                                now=now))
    return out


async def _close(session: AsyncSession, tenant_id: str, work_date: dt.date,
                 staff: dict[str, Employment], ctx: TenantContext, *, default_tz: str,
                 now: dt.datetime) -> CloseResult:
    skipped: dict[str, int] = {}
    nips: list[str] = []
    for nip, employment in sorted(staff.items()):
        reason = employment.skip_reason(work_date)
        if reason is None:
            nips.append(nip)
        else:
            skipped[reason] = skipped.get(reason, 0) + 1
    changed = await reevaluate(session, tenant_id, nips, [work_date], default_tz=default_tz,
                               now=now)
    tk = await session.scalar(select(func.count()).select_from(DayRecord).where(
        DayRecord.tenant_id == tenant_id, DayRecord.work_date == work_date,
        DayRecord.absence_code == "TK", DayRecord.nip.in_(nips))) if nips else 0
    row = await session.get(DayClosure, (tenant_id, work_date))
    if row is None:
        session.add(DayClosure(tenant_id=tenant_id, work_date=work_date, closed_at=now,
                               employees=len(nips)))
    else:
        row.closed_at, row.employees = now, len(nips)
    kind = ctx.calendar.day_kind(None, work_date)
    return CloseResult(work_date, len(nips), changed, tk=int(tk or 0), day_kind=kind,
                       note=_note(kind, ctx.calendar.holidays.get(work_date)), skipped=skipped)


async def dates_to_close(session: AsyncSession, tenant_id: str, *, default_tz: str,
                         close_after: dt.timedelta, now: dt.datetime,
                         max_days: int = 31) -> list[dt.date]:
    """Dates the background job should close: after the last closed one (or, the first time,
    from the day the tenant's first device was registered), up to the latest closable."""
    ctx = await load_context(session, tenant_id, default_tz, nips=[], span=None)
    last = (await session.scalars(
        select(DayClosure.work_date).where(DayClosure.tenant_id == tenant_id)
        .order_by(DayClosure.work_date.desc()).limit(1))).first()
    if last is not None:
        start = last + dt.timedelta(days=1)
    else:
        first_device = (await session.scalars(
            select(Device.registered_at).where(Device.tenant_id == tenant_id)
            .order_by(Device.registered_at).limit(1))).first()
        if first_device is None:
            return []  # without a device nobody can punch: no TK
        start = first_device.astimezone(ctx.tz).date()
    end = latest_closable(ctx, now, close_after)
    start = max(start, end - dt.timedelta(days=max_days - 1))
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


# --- leave ----------------------------------------------------------------------------------


async def add_leave(session: AsyncSession, tenant_id: str, nip: str, kind: str,
                    start: dt.date, end: dt.date, note: str, entered_by: str, *,
                    default_tz: str, now: dt.datetime | None = None) -> Leave:
    now = now or utcnow()
    if kind not in LEAVE_KINDS:
        raise DomainError(f"Jenis cuti/izin tidak dikenal: {kind!r} "
                          f"({', '.join(LEAVE_KINDS)}).", code="unknown_leave_kind")
    if end < start:
        raise DomainError("Tanggal selesai cuti harus sama atau setelah tanggal mulai.",
                          code="bad_range")
    if (end - start).days > 366 * 3:
        raise DomainError("Rentang cuti terlalu panjang (maksimal 3 tahun).", code="bad_range")
    await require_employee(session, tenant_id, nip)
    overlap = (await session.scalars(
        select(Leave).where(Leave.tenant_id == tenant_id, Leave.nip == nip,
                            Leave.cancelled_at.is_(None), Leave.start_date <= end,
                            Leave.end_date >= start).limit(1))).first()
    if overlap is not None:
        raise Conflict(f"Sudah ada {LEAVE_KINDS[overlap.kind]} pada "
                       f"{overlap.start_date:%d-%m-%Y} s.d. {overlap.end_date:%d-%m-%Y}.",
                       code="leave_overlap")
    leave = Leave(tenant_id=tenant_id, nip=nip, kind=kind, start_date=start, end_date=end,
                  note=note, entered_by=entered_by, created_at=now)
    session.add(leave)
    await session.flush()
    await _reevaluate_range(session, tenant_id, nip, start, end, default_tz=default_tz, now=now)
    return leave


async def cancel_leave(session: AsyncSession, tenant_id: str, leave_id: int, cancelled_by: str,
                       *, default_tz: str, now: dt.datetime | None = None) -> Leave:
    now = now or utcnow()
    leave = await session.get(Leave, leave_id, with_for_update=True)
    if leave is None or leave.tenant_id != tenant_id:
        raise NotFound("Data cuti/izin tidak ditemukan.", code="unknown_leave")
    if leave.cancelled_at is not None:
        raise Conflict("Cuti/izin ini sudah dibatalkan.", code="leave_cancelled")
    leave.cancelled_at, leave.cancelled_by = now, cancelled_by
    await session.flush()
    await _reevaluate_range(session, tenant_id, leave.nip, leave.start_date, leave.end_date,
                            default_tz=default_tz, now=now)
    return leave


async def _reevaluate_range(session: AsyncSession, tenant_id: str, nip: str, start: dt.date,
                            end: dt.date, *, default_tz: str, now: dt.datetime) -> None:
    """Days up to today are re-evaluated now; future days get the leave when they come."""
    ctx = await load_context(session, tenant_id, default_tz, nips=[nip], span=None)
    last = min(end, ctx.today(now))
    dates = [start + dt.timedelta(days=i) for i in range((last - start).days + 1)]
    await reevaluate(session, tenant_id, [nip], dates, default_tz=default_tz, now=now)


async def list_leaves(session: AsyncSession, tenant_id: str, nip: str | None,
                      period: str | None, among: Collection[str] | None = None) -> list[Leave]:
    """Leave of one employee (``nip``) or of all, only among ``among`` (None = the
    regency)."""
    q = select(Leave).where(Leave.tenant_id == tenant_id)
    if nip:
        q = q.where(Leave.nip == nip)
    if among is not None:
        q = q.where(Leave.nip.in_(sorted(among)))
    if period:
        days = month_dates(period)
        q = q.where(Leave.start_date <= days[-1], Leave.end_date >= days[0])
    return list((await session.scalars(q.order_by(Leave.start_date, Leave.id))).all())


async def require_employee(session: AsyncSession, tenant_id: str, nip: str) -> Employee:
    emp = await session.get(Employee, (tenant_id, nip))
    if emp is None:
        raise NotFound(f"Pegawai dengan NIP {nip} tidak terdaftar.", code="unknown_employee")
    return emp


# --- corrections ----------------------------------------------------------------------------


async def correct_day(session: AsyncSession, tenant_id: str, nip: str, work_date: dt.date, *,
                      arrival: dt.datetime | None, departure: dt.datetime | None, reason: str,
                      corrected_by: str, default_tz: str,
                      now: dt.datetime | None = None) -> tuple[Correction, DayRecord | None]:
    """Record HR's correction (who, when, why) and re-evaluate the day as a new revision.
    Naive times are the tenant's local time."""
    now = now or utcnow()
    await require_employee(session, tenant_id, nip)
    if arrival is None and departure is None:
        raise DomainError("Koreksi harus berisi jam datang atau jam pulang.",
                          code="empty_correction")
    if len(reason.strip()) < 5:
        raise DomainError("Alasan koreksi wajib diisi (minimal 5 karakter).",
                          code="reason_required")
    ctx = await load_context(session, tenant_id, default_tz, nips=[nip],
                             span=(work_date, work_date))
    arrival = arrival.replace(tzinfo=ctx.tz) if arrival and arrival.tzinfo is None else arrival
    departure = (departure.replace(tzinfo=ctx.tz) if departure and departure.tzinfo is None
                 else departure)
    if arrival and departure and departure <= arrival:
        raise DomainError("Jam pulang harus setelah jam datang.", code="bad_correction")
    _, window = window_for(ctx, nip, work_date)
    for t in (arrival, departure):
        if t is not None and not window.punch_from <= t < window.punch_to:
            raise DomainError(f"Jam koreksi {t.astimezone(ctx.tz):%d-%m-%Y %H:%M} di luar hari "
                              f"kerja {work_date:%d-%m-%Y}.", code="bad_correction")
    if work_date > ctx.today(now):
        raise DomainError("Hari yang akan datang tidak dapat dikoreksi.", code="future_date")
    correction = Correction(tenant_id=tenant_id, nip=nip, work_date=work_date, arrival=arrival,
                            departure=departure, reason=reason.strip(),
                            corrected_by=corrected_by, created_at=now)
    session.add(correction)
    await session.flush()
    record = await evaluate(session, ctx, nip, work_date, now=now)
    return correction, record


async def list_corrections(session: AsyncSession, tenant_id: str, nip: str,
                           work_date: dt.date | None = None) -> list[Correction]:
    q = select(Correction).where(Correction.tenant_id == tenant_id, Correction.nip == nip)
    if work_date:
        q = q.where(Correction.work_date == work_date)
    return list((await session.scalars(q.order_by(Correction.id))).all())


# --- listings -------------------------------------------------------------------------------


async def month_days(session: AsyncSession, tenant_id: str, nip: str,
                     period: str) -> list[DayRecord]:
    days = month_dates(period)
    rows = await session.scalars(
        select(DayRecord).where(DayRecord.tenant_id == tenant_id, DayRecord.nip == nip,
                                DayRecord.work_date >= days[0], DayRecord.work_date <= days[-1])
        .order_by(DayRecord.work_date))
    return list(rows.all())


async def month_punches(session: AsyncSession, tenant_id: str, nip: str, period: str, *,
                        default_tz: str) -> tuple[TenantContext, list[Punch]]:
    days = month_dates(period)
    ctx = await load_context(session, tenant_id, default_tz, nips=[nip], span=None)
    lo, hi = day_span(days[0], ctx.tz)[0], day_span(days[-1], ctx.tz)[1]
    rows = await session.scalars(
        select(Punch).where(Punch.tenant_id == tenant_id, Punch.nip == nip,
                            Punch.punched_at >= lo, Punch.punched_at < hi)
        .order_by(Punch.punched_at, Punch.id))
    return ctx, list(rows.all())
