"""Employment over time as scoring sees it: the values of an employee's position that hold
from a date (OPD, position, employment type, TPP base), kept from the directory's
``EmployeeUpserted`` events. Pure, no I/O.

Recording (``plan_record``), the same rule as the attendance service's unit history:
- a dated event (``effective_from``) states "from that date on, these values"; a statement
  published later (``occurred_at``) wins over an older one arriving late: an older event
  is ignored when a newer one already holds from its date or earlier, and a newer event
  removes the later-dated changes that older events recorded (it states the full state);
- an undated event (older producers, a start-of-duty correction, a deactivation) holds
  from the beginning when it is the employee's first statement, else from the day it was
  published, and only when its values differ from those in force then (the directory
  sends undated events for changes that are not about these values).
Before the first recorded change the first values hold (the employee was there before we
heard of them, as scoring always assumed); the start of duty (TMT) and the end of duty
bound the days of a month that count (``month_spans``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from .score import period_bounds

FOREVER = dt.date(1, 1, 1)
"""The date an undated first statement holds from."""

END_REASONS = {"pensiun": "pensiun", "pemberhentian": "pemberhentian",
               "pindah_keluar": "pindah keluar"}


def fmt(day: dt.date) -> str:
    return f"{day:%d-%m-%Y}"


@dataclass(frozen=True)
class Terms:
    """The values of an employee's position that scoring uses."""

    unit_id: str
    unit_name: str = ""
    position: str = ""
    employment_type: str = "PNS"
    tpp_base: Decimal = Decimal(0)


@dataclass(frozen=True)
class Stated:
    """From ``effective_from`` on, ``terms`` hold (as published at ``stated_at``)."""

    effective_from: dt.date
    terms: Terms
    stated_at: dt.datetime


@dataclass(frozen=True)
class RecordPlan:
    write: Stated | None  # the row to upsert (None: nothing to record)
    drop: tuple[dt.date, ...] = ()  # later-dated rows of older statements, superseded
    changed: bool = False  # the values in force on some day changed


def terms_at(history: Sequence[Stated], day: dt.date) -> Terms | None:
    """The values in force on ``day``: the latest change from that day or before, else the
    first change (the values held before we heard of them); None without history."""
    rows = sorted(history, key=lambda s: s.effective_from)
    if not rows:
        return None
    before = [s for s in rows if s.effective_from <= day]
    return (before[-1] if before else rows[0]).terms


def plan_record(history: Sequence[Stated], terms: Terms, stated_at: dt.datetime,
                effective_from: dt.date | None, published_on: dt.date) -> RecordPlan:
    """How one directory event changes the employee's history (``published_on``: the
    event's date in the regency's zone)."""
    if effective_from is not None:
        since = effective_from
    elif not history:
        since = FOREVER
    else:
        since = published_on
        if terms_at(history, since) == terms:
            return RecordPlan(None)
    if any(s.effective_from <= since and s.stated_at > stated_at for s in history):
        return RecordPlan(None)  # a newer statement already holds from an earlier date
    drop = tuple(sorted(s.effective_from for s in history
                        if s.effective_from > since and s.stated_at < stated_at))
    write = Stated(since, terms, stated_at)
    after = recorded(history, RecordPlan(write, drop))
    dates = {FOREVER, *(s.effective_from for s in (*history, write))}
    changed = any(terms_at(history, d) != terms_at(after, d) for d in dates)
    return RecordPlan(write, drop, changed)


def recorded(history: Sequence[Stated], plan: RecordPlan) -> list[Stated]:
    """The history once ``plan`` is carried out: the dropped statements and the one of the
    written date replaced by the written one."""
    if plan.write is None:
        return list(history)
    since = plan.write.effective_from
    after = [s for s in history if s.effective_from not in plan.drop and s.effective_from != since]
    after.append(plan.write)
    return after


@dataclass(frozen=True)
class Span:
    """Consecutive days of a month on duty under the same values; ``reason``: why the span
    starts (empty for the month's first day under values already in force)."""

    first: dt.date
    last: dt.date
    terms: Terms
    reason: str = ""

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


def _what_changed(old: Terms, new: Terms) -> str:
    parts = []
    if new.unit_id != old.unit_id:
        parts.append(f"pindah ke {new.unit_name or new.unit_id}")
    if new.position != old.position:
        parts.append(f"jabatan {new.position or '-'}")
    if new.employment_type != old.employment_type:
        parts.append(f"status {new.employment_type}")
    if new.tpp_base != old.tpp_base:
        parts.append(f"TPP dasar Rp{new.tpp_base:,.0f}".replace(",", "."))
    return ", ".join(parts)


def month_spans(history: Sequence[Stated], period: str, start_date: dt.date | None = None,
                end_date: dt.date | None = None,
                end_reason: str | None = None) -> tuple[Span, ...]:
    """The month's days on duty (from the TMT to the end of duty, when given) split where
    the values in force change; () without history or without a day on duty."""
    first, following = period_bounds(period)
    last = following - dt.timedelta(days=1)
    lo = max(first, start_date) if start_date else first
    hi = min(last, end_date) if end_date else last
    current = terms_at(history, lo)
    if current is None or lo > hi:
        return ()
    reason = f"mulai bertugas (TMT) {fmt(lo)}" if start_date and start_date > first else ""
    spans: list[Span] = []
    begin = lo
    for s in sorted(history, key=lambda s: s.effective_from):
        if lo < s.effective_from <= hi and s.terms != current:
            spans.append(Span(begin, s.effective_from - dt.timedelta(days=1), current, reason))
            reason = f"{_what_changed(current, s.terms)} sejak {fmt(s.effective_from)}"
            begin, current = s.effective_from, s.terms
    if end_date is not None and end_date < last:
        ended = END_REASONS.get(end_reason or "", "")
        reason = (f"{reason}; " if reason else "") + (
            f"akhir tugas {fmt(end_date)}" + (f" ({ended})" if ended else ""))
    spans.append(Span(begin, hi, current, reason))
    return tuple(spans)


def memberships(spans: Sequence[Span]) -> tuple[tuple[str, int], ...]:
    """(OPD, calendar days in it) of the month, in the order the employee joined them."""
    days: dict[str, int] = {}
    for s in spans:
        days[s.terms.unit_id] = days.get(s.terms.unit_id, 0) + s.days
    return tuple(days.items())
