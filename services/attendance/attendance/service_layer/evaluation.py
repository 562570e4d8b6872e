"""Evaluating employee-days, many at once: the facts of all of them are read with one query
per kind (punches, each work date's employees in that date's window; leave, corrections,
the day records in force), the verdicts come from the pure rules
(``domain.rules.evaluate_day``), and the changed ones are written in bulk as new revisions
with their ``AttendanceDaysEvaluated`` events (one per lane of employees), in the caller's
transaction.

Device uploads only record punches; the days they touch are evaluated by the consumer of
attendance's own punches topic (``evaluate_punched_days``, consumer
``attendance-evaluation-v2``; ``attendance-evaluation`` reads what v1 left), a batch of
punches at a time, off the devices' path."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Table, and_, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ekinerja_shared import events as ev
from ekinerja_shared.db import pairs_of
from ekinerja_shared.outbox import stage_many

from ..adapters.orm import Correction, DayRecord, Leave, Outbox, Punch
from ..domain.apel import apel_attended
from ..domain.rules import DayVerdict, evaluate_day
from ..domain.schedule import (
    DayKind,
    HoursLookup,
    WorkWindow,
    day_span,
    work_date_of,
    work_window,
)
from .context import TenantContext, date_span, load_context

DayKey = tuple[str, dt.date]  # (nip, work_date)
DayRow = dict[str, Any]  # a day record's columns

# the verdict's fields, as the day record stores them
VERDICT_FIELDS = ("is_working_day", "status", "arrival", "departure", "late_minutes",
                  "early_minutes", "tl_code", "psw_code", "absence_code", "apel_attended",
                  "deduction_pct")
DAY_RECORDS = cast(Table, DayRecord.__table__)  # Core statements: no ORM unit of work
CHUNK = 2000  # employee-days evaluated per round of queries


def window_for(ctx: TenantContext, nip: str, work_date: dt.date) -> tuple[DayKind, WorkWindow]:
    """The kind of day and its window (an off day's window is its calendar day)."""
    hours = ctx.hours(nip, work_date)
    if hours is not None:
        window = work_window(work_date, hours, ctx.tz)
    else:
        lo, hi = day_span(work_date, ctx.tz)
        window = WorkWindow(work_date, lo, hi, lo, hi)
    return ctx.calendar.kind_for(nip, work_date, hours), window


def _same(stored: Any, v: DayVerdict, unit_id: str | None) -> bool:
    return all(getattr(stored, f) == getattr(v, f) for f in VERDICT_FIELDS[:-1]) and (
        Decimal(stored.deduction_pct) == v.deduction_pct) and stored.unit_id == unit_id


async def _punches(session: AsyncSession, ctx: TenantContext,
                   spans: Iterable[tuple[list[str], dt.datetime, dt.datetime]],
                   ) -> dict[str, list[tuple[dt.datetime, str]]]:
    """Every punch (instant, device) of each span's NIPs in its [lo, hi], by NIP, in one
    statement: a span per work date of the chunk, so a batch that mixes a backlog's old
    dates with today's punches reads each employee's punches of their own dates, not of
    the batch's whole span of dates (docs/perf/ingest.md, round 10)."""
    rows = await session.execute(select(Punch.nip, Punch.punched_at, Punch.device_sn).where(
        Punch.tenant_id == ctx.tenant_id,
        or_(*(and_(Punch.nip.in_(nips), Punch.punched_at >= lo, Punch.punched_at <= hi)
              for nips, lo, hi in spans))))
    out: dict[str, list[tuple[dt.datetime, str]]] = defaultdict(list)
    for nip, at, sn in rows.all():
        out[nip].append((at, sn))
    return out


def _spans(keys: list[DayKey], windows: dict[DayKey, tuple[DayKind, WorkWindow]],
           apel_windows: dict[DayKey, tuple[dt.datetime, dt.datetime]],
           ) -> list[tuple[list[str], dt.datetime, dt.datetime]]:
    """Per work date of ``keys``: its NIPs and the instants that cover their punch windows
    and apel windows."""
    by_date: dict[dt.date, tuple[list[str], list[dt.datetime], list[dt.datetime]]] = {}
    for key in keys:
        nips, los, his = by_date.setdefault(key[1], ([], [], []))
        nips.append(key[0])
        w = windows[key][1]
        los.append(w.punch_from)
        his.append(w.punch_to)
        if key in apel_windows:
            los.append(apel_windows[key][0])
            his.append(apel_windows[key][1])
    return [(nips, min(los), max(his)) for nips, los, his in by_date.values()]


async def _leave(session: AsyncSession, ctx: TenantContext, nips: list[str], first: dt.date,
                 last: dt.date) -> dict[str, list[Leave]]:
    """Leave in force between the dates, by NIP, the latest entered first."""
    rows = await session.scalars(select(Leave).where(
        Leave.tenant_id == ctx.tenant_id, Leave.nip.in_(nips), Leave.cancelled_at.is_(None),
        Leave.start_date <= last, Leave.end_date >= first).order_by(Leave.id.desc()))
    out: dict[str, list[Leave]] = defaultdict(list)
    for leave in rows.all():
        out[leave.nip].append(leave)
    return out


async def _corrections(session: AsyncSession, ctx: TenantContext,
                       keys: list[DayKey]) -> dict[DayKey, Correction]:
    """The latest correction of each employee-day."""
    rows = await session.scalars(select(Correction).where(pairs_of(
        session, (Correction.tenant_id, Correction.nip, Correction.work_date),
        [(ctx.tenant_id, *k) for k in keys])).order_by(Correction.id))
    return {(c.nip, c.work_date): c for c in rows.all()}  # the highest id wins


async def _records(session: AsyncSession, ctx: TenantContext,
                   keys: list[DayKey]) -> dict[DayKey, Any]:
    """The day records in force, locked until commit."""
    table = DAY_RECORDS
    rows = await session.execute(select(table).where(pairs_of(
        session, (table.c.tenant_id, table.c.nip, table.c.work_date),
        [(ctx.tenant_id, *k) for k in keys])).with_for_update())
    return {(r.nip, r.work_date): r for r in rows.all()}


def punched_days(ctx: TenantContext, punches: Iterable[ev.PunchLine]) -> set[DayKey]:
    """The employee-days the punches belong to (a night shift's morning punch belongs to
    the day before)."""
    return {(p.nip, work_date_of(p.punched_at, ctx.tz, ctx.hours_of(p.nip))) for p in punches}


def _punches_of(events: Iterable[ev.Event]) -> list[tuple[str, ev.PunchLine]]:
    """The punches of a batch of the punches topics, with their regency: each punch of a
    ``PunchesRecorded`` (v2), and each ``PunchRecorded`` (v1, left by an earlier version)."""
    out: list[tuple[str, ev.PunchLine]] = []
    for e in events:
        if isinstance(e, ev.PunchesRecorded):
            out.extend((e.tenant_id, p) for p in e.punches)
        elif isinstance(e, ev.PunchRecorded):
            out.append((e.tenant_id, e))
    return out


async def evaluate_punched_days(session: AsyncSession, events: Iterable[ev.Event], *,
                                default_tz: str, now: dt.datetime) -> dict[DayKey, DayRow]:
    """The consumer of the punches topics: evaluate together the days that a batch of one
    regency's ``PunchesRecorded`` (or v1 ``PunchRecorded``) touch (the session bound to that
    regency, as ``EventConsumer`` applies a batch regency by regency). A punch of an
    employee this service does not know (another deployment's regency on a shared broker)
    is left alone. Idempotent: a punch seen again changes no verdict, so it adds no
    revision."""
    tagged = _punches_of(events)
    if not tagged:
        return {}
    tenant_id = tagged[0][0]
    punches = [p for t, p in tagged if t == tenant_id]
    ctx = await load_context(session, tenant_id, default_tz, nips={p.nip for p in punches},
                             span=date_span(p.local_time.date() for p in punches))
    known = [p for p in punches if p.nip in ctx.calendar.units]
    return await evaluate_many(session, ctx, punched_days(ctx, known), now=now)


async def evaluate_many(session: AsyncSession, ctx: TenantContext, keys: Iterable[DayKey], *,
                        now: dt.datetime) -> dict[DayKey, DayRow]:
    """(Re)evaluate employee-days. A changed verdict becomes a new revision of the day
    record and a day of an ``AttendanceDaysEvaluated`` event (``ev.day_batches``: one
    event per lane of employees and chunk) in the same transaction; an unchanged
    one changes nothing. Returns the new revisions' rows (the day record's columns), by
    day: plain values, not ORM objects, which cost a twentieth of the consumer's CPU for
    thousands of days nobody reads (docs/perf/ingest.md, round 6)."""
    ordered = sorted(set(keys), key=lambda k: (k[1], k[0]))
    out: dict[DayKey, DayRow] = {}
    for i in range(0, len(ordered), CHUNK):
        out.update(await _evaluate_chunk(session, ctx, ordered[i:i + CHUNK], now))
    return out


def _by_work_date(punches: list[tuple[dt.datetime, str]], tz: ZoneInfo,
                  hours_of: HoursLookup) -> dict[dt.date, list[dt.datetime]]:
    """One employee's punch instants by the work date each belongs to (``work_date_of``:
    a time zone conversion and a schedule lookup per punch, done once per punch rather
    than once per punch and day evaluated)."""
    out: dict[dt.date, list[dt.datetime]] = defaultdict(list)
    for t, _ in punches:
        out[work_date_of(t, tz, hours_of)].append(t)
    return out


async def _evaluate_chunk(session: AsyncSession, ctx: TenantContext, keys: list[DayKey],
                          now: dt.datetime) -> dict[DayKey, DayRow]:
    if not keys:
        return {}
    windows = {k: window_for(ctx, *k) for k in keys}
    apel_windows = {k: ctx.apel.window(k[1], ctx.tz) for k in keys
                    if ctx.apel is not None and ctx.apel.applies(k[1])}
    nips = sorted({nip for nip, _ in keys})
    punches = await _punches(session, ctx, _spans(keys, windows, apel_windows))
    leave = await _leave(session, ctx, nips, keys[0][1], keys[-1][1])
    corrections = await _corrections(session, ctx, keys)
    records = await _records(session, ctx, keys)
    new: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    days: list[ev.EvaluatedDay] = []
    out: dict[DayKey, DayRow] = {}
    dated: dict[str, dict[dt.date, list[dt.datetime]]] = {}  # each punch dated once
    for key in keys:
        nip, day = key
        kind, window = windows[key]
        mine = punches.get(nip, [])
        if nip not in dated:
            dated[nip] = _by_work_date(mine, ctx.tz, ctx.hours_of(nip))
        day_punches = sorted({t for t in dated[nip].get(day, ())
                              if window.punch_from <= t < window.punch_to})
        on_leave = next((lv for lv in leave.get(nip, []) if lv.start_date <= day <= lv.end_date),
                        None)
        correction = corrections.get(key)
        apel = None
        if kind == "work" and on_leave is None and key in apel_windows:
            apel = apel_attended(ctx.apel, day, ctx.tz, mine, now)
        verdict = evaluate_day(
            kind=kind, window=window if kind == "work" else None,
            punches=day_punches, rules=ctx.rules, closed=now >= window.punch_to,
            leave_code=on_leave.kind if on_leave else None,
            arrival_override=correction.arrival if correction else None,
            departure_override=correction.departure if correction else None,
            apel_attended=apel,
        )
        record = records.get(key)
        unit_id = ctx.calendar.unit_of(nip, day)
        if record is not None and _same(record, verdict, unit_id):
            continue
        revision = record.revision + 1 if record is not None else 1
        values = {f: getattr(verdict, f) for f in VERDICT_FIELDS}
        row = {"tenant_id": ctx.tenant_id, "nip": nip, "work_date": day, **values,
               "revision": revision, "evaluated_at": now, "unit_id": unit_id}
        (changed if record is not None else new).append(row)
        out[key] = row
        days.append(ev.EvaluatedDay(nip=nip, work_date=day, revision=revision, **values))
    if new:  # a concurrent insert of the same day fails the transaction: the unit of work retries
        await session.execute(insert(DAY_RECORDS), new)
    if changed:  # locked above
        await session.execute(update(DayRecord), changed)
    await stage_many(session, Outbox, ev.day_batches(ctx.tenant_id, days, occurred_at=now))
    return out
