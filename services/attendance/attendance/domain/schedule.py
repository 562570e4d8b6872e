"""Working schedules and the calendar: which days are working days, the hours of each,
and where a punch belongs. Pure functions, no I/O.

A schedule gives, per weekday, the hours (start, end) or None for a day off. When ``end``
is not after ``start`` the shift crosses midnight (e.g. 22:00-06:00): it belongs to the
date on which it starts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo

from ekinerja_shared.errors import DomainError


@dataclass(frozen=True)
class Hours:
    start: dt.time
    end: dt.time

    @property
    def crosses_midnight(self) -> bool:
        return self.end <= self.start

    def minutes(self) -> int:
        s = self.start.hour * 60 + self.start.minute
        e = self.end.hour * 60 + self.end.minute
        return (e - s) % (24 * 60) or 24 * 60

    def label(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


def parse_hours(text: str) -> Hours:
    """``"07:30-16:00"`` -> Hours; raises DomainError (Bahasa Indonesia) when malformed."""
    try:
        a, b = text.split("-")
        return Hours(dt.time.fromisoformat(a.strip()), dt.time.fromisoformat(b.strip()))
    except ValueError as exc:
        raise DomainError(f"Jam kerja tidak valid: {text!r} (contoh 07:30-16:00).",
                          code="bad_hours") from exc


WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class WeekSchedule:
    """Hours per weekday (0 = Monday); a missing weekday is a day off."""

    name: str
    days: Mapping[int, Hours] = field(default_factory=dict)

    def hours_on(self, day: dt.date) -> Hours | None:
        return self.days.get(day.weekday())

    def as_dict(self) -> dict[str, str | None]:
        return {WEEKDAY_NAMES[i]: (self.days[i].label() if i in self.days else None)
                for i in range(7)}

    @classmethod
    def from_dict(cls, name: str, data: Mapping[str, str | None]) -> "WeekSchedule":
        days: dict[int, Hours] = {}
        for key, value in data.items():
            if key not in WEEKDAY_NAMES:
                raise DomainError(f"Nama hari tidak dikenal: {key!r} (mon..sun).",
                                  code="bad_weekday")
            if value:
                days[WEEKDAY_NAMES.index(key)] = parse_hours(value)
        return cls(name, days)


def _h(a: str, b: str) -> Hours:
    return Hours(dt.time.fromisoformat(a), dt.time.fromisoformat(b))


# 37.5 h a week: Mon-Thu 07:30-16:00, Fri 07:30-16:30 (the common 5-day week).
FIVE_DAY = WeekSchedule("5 hari kerja", {0: _h("07:30", "16:00"), 1: _h("07:30", "16:00"),
                                          2: _h("07:30", "16:00"), 3: _h("07:30", "16:00"),
                                          4: _h("07:30", "16:30")})
# 6-day week (schools, health centres): Mon-Thu 07:30-14:30, Fri 07:30-11:30, Sat 07:30-13:00.
SIX_DAY = WeekSchedule("6 hari kerja", {0: _h("07:30", "14:30"), 1: _h("07:30", "14:30"),
                                         2: _h("07:30", "14:30"), 3: _h("07:30", "14:30"),
                                         4: _h("07:30", "11:30"), 5: _h("07:30", "13:00")})
# Ramadan (SE MenPANRB 6/2023): 32.5 h, Mon-Thu 08:00-15:00, Fri 08:00-15:30.
RAMADAN_FIVE_DAY = WeekSchedule("Ramadan 5 hari", {0: _h("08:00", "15:00"),
                                                   1: _h("08:00", "15:00"),
                                                   2: _h("08:00", "15:00"),
                                                   3: _h("08:00", "15:00"),
                                                   4: _h("08:00", "15:30")})

HoursLookup = Callable[[dt.date], "Hours | None"]
DayKind = Literal["work", "off", "holiday"]

# Punches this long before a night shift's start / after its end still belong to it.
NIGHT_SHIFT_MARGIN = dt.timedelta(hours=6)


@dataclass(frozen=True)
class WorkWindow:
    """The scheduled work of one date, as instants, and the span of punches that count
    for it."""

    work_date: dt.date
    start: dt.datetime
    end: dt.datetime
    punch_from: dt.datetime
    punch_to: dt.datetime


def local_midnight(day: dt.date, tz: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=tz)


def day_span(day: dt.date, tz: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    return local_midnight(day, tz), local_midnight(day + dt.timedelta(days=1), tz)


@lru_cache(maxsize=4096)
def work_window(day: dt.date, hours: Hours, tz: ZoneInfo) -> WorkWindow:
    """The window of ``hours`` on ``day``; remembered, as every employee of the same hours
    shares it (an evaluation asks it again for each day and night-shift punch)."""
    start = dt.datetime.combine(day, hours.start, tzinfo=tz)
    end_day = day + dt.timedelta(days=1) if hours.crosses_midnight else day
    end = dt.datetime.combine(end_day, hours.end, tzinfo=tz)
    if hours.crosses_midnight:
        return WorkWindow(day, start, end, start - NIGHT_SHIFT_MARGIN, end + NIGHT_SHIFT_MARGIN)
    lo, hi = day_span(day, tz)
    return WorkWindow(day, start, end, lo, hi)


def work_date_of(instant: dt.datetime, tz: ZoneInfo, hours_of: HoursLookup) -> dt.date:
    """The work date a punch belongs to: the previous date's night shift if the punch
    falls in its span, else the local calendar date."""
    local = instant.astimezone(tz)
    prev = local.date() - dt.timedelta(days=1)
    prev_hours = hours_of(prev)
    if prev_hours is not None and prev_hours.crosses_midnight:
        w = work_window(prev, prev_hours, tz)
        if w.punch_from <= instant < w.punch_to:
            return prev
    return local.date()


# --- calendar ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ScheduleAssignment:
    """A schedule in force for a date range (None = open-ended)."""

    schedule: WeekSchedule
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    priority: int = 0  # higher wins among overlapping (e.g. Ramadan over the base week)

    def applies(self, day: dt.date) -> bool:
        return ((self.valid_from is None or self.valid_from <= day)
                and (self.valid_to is None or day <= self.valid_to))


def pick_schedule(assignments: Iterable[ScheduleAssignment], day: dt.date,
                  fallback: WeekSchedule = FIVE_DAY) -> WeekSchedule:
    best: ScheduleAssignment | None = None
    for a in assignments:
        if a.applies(day) and (best is None or a.priority >= best.priority):
            best = a
    return best.schedule if best else fallback


def month_dates(period: str) -> list[dt.date]:
    year, month = (int(x) for x in period.split("-"))
    first = dt.date(year, month, 1)
    nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
    return [first + dt.timedelta(days=i) for i in range((nxt - first).days)]


# --- the tenant's calendar: which schedule applies to whom ------------------------------------

SCOPES = ("tenant", "unit", "employee")  # least to most specific


@dataclass(frozen=True)
class ScopedAssignment:
    scope: str  # tenant / unit / employee
    scope_id: str  # "" for the tenant, else the unit id or the NIP
    assignment: ScheduleAssignment


@dataclass
class Calendar:
    """Schedules, holidays and shift rosters of one tenant.

    The hours of an employee on a date come from, in order: a rostered shift for that date
    (24-hour units; a rostered day is worked even on a holiday), then the most specific
    schedule assignment in force (employee, then unit, then tenant; among those of one
    scope the highest priority, e.g. a Ramadan range over the base week), then the 5-day
    default. Holidays and cuti bersama are not working days for non-rostered staff.
    """

    assignments: list[ScopedAssignment] = field(default_factory=list)
    holidays: dict[dt.date, str] = field(default_factory=dict)
    shifts: dict[tuple[str, dt.date], Hours | None] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)
    default: WeekSchedule = FIVE_DAY
    # (effective_from, unit_id) per employee, any order: a transfer holds from its date
    unit_history: dict[str, list[tuple[dt.date, str]]] = field(default_factory=dict)

    def unit_of(self, nip: str | None, day: dt.date) -> str | None:
        """The employee's unit on ``day``: the latest transfer in effect; before the first
        known one the first applies; without history the directory copy's unit."""
        links = sorted(self.unit_history.get(nip or "", []))
        if not links:
            return self.units.get(nip or "")
        unit = links[0][1]
        for since, unit_id in links:
            if since <= day:
                unit = unit_id
        return unit

    def schedule_for(self, nip: str | None, day: dt.date) -> WeekSchedule:
        unit = self.unit_of(nip, day)
        for scope, scope_id in (("employee", nip), ("unit", unit), ("tenant", "")):
            if scope_id is None:
                continue
            candidates = [a.assignment for a in self.assignments
                          if a.scope == scope and a.scope_id == scope_id]
            if any(a.applies(day) for a in candidates):
                return pick_schedule(candidates, day, self.default)
        return self.default

    def rostered(self, nip: str | None, day: dt.date) -> bool:
        return nip is not None and (nip, day) in self.shifts

    def hours(self, nip: str | None, day: dt.date) -> Hours | None:
        if nip is not None and (nip, day) in self.shifts:
            return self.shifts[(nip, day)]
        return self.schedule_for(nip, day).hours_on(day)

    def day_kind(self, nip: str | None, day: dt.date) -> DayKind:
        """work / off / holiday."""
        return self.kind_for(nip, day, self.hours(nip, day))

    def kind_for(self, nip: str | None, day: dt.date, hours: Hours | None) -> DayKind:
        """``day_kind`` from the day's hours (``hours(nip, day)``) looked up already."""
        if not self.rostered(nip, day) and day in self.holidays:
            return "holiday"
        return "work" if hours is not None else "off"

    def working_dates(self, period: str, nip: str | None = None) -> list[dt.date]:
        return [d for d in month_dates(period) if self.day_kind(nip, d) == "work"]

    def working_dates_of(self, period: str,
                         nips: Iterable[str]) -> dict[str, list[dt.date]]:
        """``working_dates`` of many employees, computed once per distinct situation: an
        employee without an own schedule or rostered shift works the days of their
        unit(s), so everyone with the same unit history shares one computation (a regency
        of 10,000 has some hundred units, not 10,000 calendars)."""
        own = ({a.scope_id for a in self.assignments if a.scope == "employee"}
               | {nip for nip, _day in self.shifts})
        shared: dict[object, list[dt.date]] = {}
        out: dict[str, list[dt.date]] = {}
        for nip in nips:
            if nip in own:
                out[nip] = self.working_dates(period, nip)
                continue
            links = self.unit_history.get(nip)
            key = ("links", tuple(sorted(links))) if links else ("unit", self.units.get(nip))
            if key not in shared:
                shared[key] = self.working_dates(period, nip)
            out[nip] = shared[key]
        return out
