"""Checks on an activity entry (date, times, overlap, windows, caps) and the per-tenant rule
values they use. Pure functions: the service layer loads the data and passes it in."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, fields, replace
from typing import Any

from .model import RuleViolation


@dataclass(frozen=True)
class TenantRules:
    """A regency's activity rules (each Perbup/Perwali differs; these are defaults that a
    tenant overrides through the admin API)."""

    edit_window_days: int = 7  # entries up to N days back (inclusive)
    daily_cap_minutes: int = 450  # countable minutes per employee per day (7.5 h)
    approval_deadline_day: int = 10  # entries of a month approved by this day of the next

    def with_overrides(self, overrides: dict[str, Any]) -> "TenantRules":
        known = {f.name for f in fields(self)}
        return replace(self, **{k: v for k, v in overrides.items() if k in known and v is not None})

    def validate(self) -> "TenantRules":
        if not 0 <= self.edit_window_days <= 62:
            raise RuleViolation("Batas hari pengisian mundur harus antara 0 dan 62 hari.",
                                "invalid_rules")
        if not 1 <= self.daily_cap_minutes <= 24 * 60:
            raise RuleViolation("Batas menit per hari harus antara 1 dan 1440 menit.",
                                "invalid_rules")
        if not 1 <= self.approval_deadline_day <= 28:
            raise RuleViolation("Tanggal batas persetujuan harus antara 1 dan 28.",
                                "invalid_rules")
        return self


@dataclass(frozen=True)
class TimeSlot:
    """An entry's time range on its work date (local wall-clock of the tenant)."""

    start: dt.time
    end: dt.time

    @property
    def minutes(self) -> int:
        return _minute_of(self.end) - _minute_of(self.start)

    def overlaps(self, other: "TimeSlot") -> bool:
        return self.start < other.end and other.start < self.end


def _minute_of(t: dt.time) -> int:
    return t.hour * 60 + t.minute


def entry_minutes(start: dt.time, end: dt.time) -> int:
    """Minutes between start and end on the same day; end must be after start."""
    if end <= start:
        raise RuleViolation("Jam selesai harus setelah jam mulai.", "end_before_start")
    return _minute_of(end) - _minute_of(start)


def period_of(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def check_not_future(work_date: dt.date, end: dt.time, now_local: dt.datetime) -> None:
    """An entry reports work already done: neither its date nor its end lies ahead."""
    if work_date > now_local.date():
        raise RuleViolation("Aktivitas tidak boleh untuk tanggal yang akan datang.", "future_date")
    if work_date == now_local.date() and end > now_local.time().replace(tzinfo=None):
        raise RuleViolation("Jam selesai aktivitas belum terlewati; aktivitas tidak boleh "
                            "dicatat untuk waktu yang akan datang.", "future_time")


def check_on_duty(nip: str, work_date: dt.date, *, active: bool, start_date: dt.date | None,
                  end_date: dt.date | None) -> None:
    """An entry is logged for a day of duty: from the start of duty (TMT) to its end. An
    employee whose duty has ended (no longer active) still logs the days before the end
    (a month loaded after the fact); one deactivated without an end date logs nothing."""
    if start_date is not None and work_date < start_date:
        raise RuleViolation(f"Pegawai dengan NIP {nip} baru bertugas sejak "
                            f"{start_date:%d-%m-%Y} (TMT); aktivitas tanggal "
                            f"{work_date:%d-%m-%Y} tidak dapat dicatat.", "not_yet_employed")
    if end_date is not None and work_date > end_date:
        raise RuleViolation(f"Tugas pegawai dengan NIP {nip} berakhir pada "
                            f"{end_date:%d-%m-%Y}; aktivitas tanggal {work_date:%d-%m-%Y} "
                            "tidak dapat dicatat.", "duty_ended")
    if not active and end_date is None:
        raise RuleViolation(f"Pegawai dengan NIP {nip} sudah tidak aktif.", "inactive_employee")


def check_edit_window(work_date: dt.date, today: dt.date, rules: TenantRules) -> None:
    if (today - work_date).days > rules.edit_window_days:
        raise RuleViolation(
            f"Aktivitas hanya dapat dicatat atau diubah paling lambat {rules.edit_window_days} "
            "hari setelah tanggal pelaksanaannya.", "edit_window_passed")


def check_period_open(work_date: dt.date, closed_periods: Iterable[str]) -> None:
    period = period_of(work_date)
    if period in set(closed_periods):
        raise RuleViolation(f"Periode {period} sudah ditutup; aktivitas bulan itu tidak dapat "
                            "diubah lagi.", "period_closed")


def check_no_overlap(slot: TimeSlot, others: Iterable[TimeSlot]) -> None:
    for other in others:
        if slot.overlaps(other):
            raise RuleViolation(
                f"Waktu aktivitas bertabrakan dengan aktivitas lain pada hari yang sama "
                f"({other.start:%H:%M}-{other.end:%H:%M}).", "overlap")


def check_daily_cap(slot: TimeSlot, others: Iterable[TimeSlot], rules: TenantRules) -> None:
    total = slot.minutes + sum(o.minutes for o in others)
    if total > rules.daily_cap_minutes:
        raise RuleViolation(
            f"Jumlah menit aktivitas dalam sehari melebihi batas {rules.daily_cap_minutes} "
            f"menit (menjadi {total} menit).", "daily_cap_exceeded")


@dataclass(frozen=True)
class EntryContext:
    """What the checks need to know besides the entry itself."""

    now_local: dt.datetime  # the tenant's current wall-clock time (aware)
    rules: TenantRules
    same_day: tuple[TimeSlot, ...] = ()  # the employee's other live entries that day
    closed_periods: frozenset[str] = frozenset()
    # a rejected entry revised on its own date: the edit window does not apply (the
    # supervisor may reject late); the approval deadline still does
    revising_rejected: bool = False


def check_entry(work_date: dt.date, start: dt.time, end: dt.time, ctx: EntryContext) -> int:
    """All checks on a new, edited or (re)submitted entry, in the order staff fix them;
    returns its minutes."""
    minutes = entry_minutes(start, end)
    slot = TimeSlot(start, end)
    check_not_future(work_date, end, ctx.now_local)
    if not ctx.revising_rejected:
        check_edit_window(work_date, ctx.now_local.date(), ctx.rules)
    check_period_open(work_date, ctx.closed_periods)
    check_no_overlap(slot, ctx.same_day)
    check_daily_cap(slot, ctx.same_day, ctx.rules)
    return minutes


# --- approval deadline --------------------------------------------------------------------


def approval_deadline(work_date: dt.date, rules: TenantRules) -> dt.date:
    """Last day on which an entry of ``work_date``'s month may still be approved: the
    tenant's deadline day of the next month."""
    year, month = work_date.year + (work_date.month == 12), work_date.month % 12 + 1
    return dt.date(year, month, rules.approval_deadline_day)


def is_past_deadline(work_date: dt.date, today: dt.date, rules: TenantRules) -> bool:
    return today > approval_deadline(work_date, rules)


def check_before_deadline(work_date: dt.date, today: dt.date, rules: TenantRules) -> None:
    if is_past_deadline(work_date, today, rules):
        deadline = approval_deadline(work_date, rules)
        raise RuleViolation(
            f"Batas waktu persetujuan aktivitas periode {period_of(work_date)} telah lewat "
            f"({deadline:%d-%m-%Y}).", "deadline_passed")


def expiry_reason(work_date: dt.date, rules: TenantRules) -> str:
    deadline = approval_deadline(work_date, rules)
    return (f"Kedaluwarsa: belum disetujui sampai batas waktu {deadline:%d-%m-%Y} "
            f"(tanggal {rules.approval_deadline_day} bulan berikutnya).")


def expirable_before(today: dt.date, rules: TenantRules) -> dt.date:
    """Pending entries dated before the returned day are past their deadline on ``today``:
    the first day of the latest month whose deadline has passed, plus one month."""
    # the month m whose deadline (day D of m+1) is < today: m+1 <= today's month when
    # today.day > D, else m+1 <= previous month
    first = today.replace(day=1)
    if today.day > rules.approval_deadline_day:
        # entries of the previous month and earlier are past; cutoff = first of this month
        return first
    prev = (first - dt.timedelta(days=1)).replace(day=1)
    return prev
