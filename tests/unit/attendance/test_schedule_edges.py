"""Schedules and the calendar at their edges: 24-hour and night shifts, the punch span of a
night shift, equal priorities, December, scopes that do not apply on a date."""

from __future__ import annotations

import datetime as dt
from functools import partial
from zoneinfo import ZoneInfo

import pytest

from attendance.domain.schedule import (
    FIVE_DAY,
    NIGHT_SHIFT_MARGIN,
    RAMADAN_FIVE_DAY,
    SIX_DAY,
    Calendar,
    Hours,
    ScheduleAssignment,
    ScopedAssignment,
    WeekSchedule,
    day_span,
    local_midnight,
    month_dates,
    parse_hours,
    pick_schedule,
    work_date_of,
    work_window,
)
from ekinerja_shared.errors import DomainError

WITA = ZoneInfo("Asia/Makassar")
D = dt.date(2026, 11, 23)  # a Monday


def h(text: str) -> Hours:
    return parse_hours(text)


@pytest.mark.parametrize(("text", "minutes", "crosses"), [
    ("07:30-16:00", 510, False),
    ("22:00-06:00", 480, True),
    ("07:00-07:00", 1440, True),  # a 24-hour shift
    ("00:00-23:59", 1439, False),
    ("23:59-00:00", 1, True),
    ("08:15-08:16", 1, False),
])
def test_shift_length_and_midnight(text: str, minutes: int, crosses: bool) -> None:
    assert h(text).minutes() == minutes
    assert h(text).crosses_midnight is crosses
    assert h(text).label() == text


def test_a_24_hour_shift_ends_the_next_day() -> None:
    w = work_window(D, h("07:00-07:00"), WITA)
    assert (w.start, w.end) == (dt.datetime(2026, 11, 23, 7, tzinfo=WITA),
                                dt.datetime(2026, 11, 24, 7, tzinfo=WITA))


def test_punch_span_of_day_and_night_shifts() -> None:
    day = work_window(D, h("07:30-16:00"), WITA)
    assert (day.work_date, day.punch_from, day.punch_to) == (D, *day_span(D, WITA))
    assert day_span(D, WITA) == (dt.datetime(2026, 11, 23, tzinfo=WITA),
                                 dt.datetime(2026, 11, 24, tzinfo=WITA))
    assert local_midnight(D, WITA).utcoffset() == dt.timedelta(hours=8)
    night = work_window(D, h("22:00-06:00"), WITA)
    assert NIGHT_SHIFT_MARGIN == dt.timedelta(hours=6)
    assert night.punch_from == dt.datetime(2026, 11, 23, 16, tzinfo=WITA)
    assert night.punch_to == dt.datetime(2026, 11, 24, 12, tzinfo=WITA)


def test_a_punch_belongs_to_the_night_shift_until_six_hours_after_its_end() -> None:
    lookup = partial(Calendar(shifts={("N", D): h("22:00-06:00")}).hours, "N")
    next_day = D + dt.timedelta(days=1)
    at = lambda hh, mm: dt.datetime(2026, 11, 24, hh, mm, tzinfo=WITA)  # noqa: E731
    assert work_date_of(at(11, 59), WITA, lookup) == D
    assert work_date_of(at(12, 0), WITA, lookup) == next_day
    assert work_date_of(at(15, 0), WITA, lookup) == next_day
    assert work_date_of(at(0, 0), WITA, lookup) == D
    # the same instant seen from another zone is the same punch
    assert work_date_of(at(11, 59).astimezone(dt.UTC), WITA, lookup) == D
    # a day shift the day before does not pull punches back
    day_lookup = partial(Calendar(shifts={("N", D): h("07:30-16:00")}).hours, "N")
    assert work_date_of(at(1, 0), WITA, day_lookup) == next_day


def test_equal_priorities_the_later_assignment_wins() -> None:
    first = ScheduleAssignment(FIVE_DAY, D, D)
    second = ScheduleAssignment(SIX_DAY, D, D)
    assert pick_schedule([first, second], D) is SIX_DAY
    assert pick_schedule([second, first], D) is FIVE_DAY
    higher = ScheduleAssignment(RAMADAN_FIVE_DAY, priority=1)
    assert pick_schedule([higher, first, second], D) is RAMADAN_FIVE_DAY
    assert pick_schedule([first], D + dt.timedelta(days=1), SIX_DAY) is SIX_DAY
    # no priority given ties with an explicit 0
    assert ScheduleAssignment(SIX_DAY).priority == 0
    unset, zero = ScheduleAssignment(SIX_DAY), ScheduleAssignment(FIVE_DAY, priority=0)
    assert pick_schedule([unset, zero], D) is FIVE_DAY
    assert pick_schedule([zero, unset], D) is SIX_DAY
    assert pick_schedule([], D) is FIVE_DAY


@pytest.mark.parametrize(("valid_from", "valid_to", "applies"), [
    (None, None, True), (D, None, True), (D + dt.timedelta(days=1), None, False),
    (None, D, True), (None, D - dt.timedelta(days=1), False), (D, D, True),
])
def test_assignment_range(valid_from: dt.date | None, valid_to: dt.date | None,
                          applies: bool) -> None:
    assert ScheduleAssignment(SIX_DAY, valid_from, valid_to).applies(D) is applies


def test_months() -> None:
    dec = month_dates("2026-12")
    assert (len(dec), dec[0], dec[-1]) == (31, dt.date(2026, 12, 1), dt.date(2026, 12, 31))
    assert len(month_dates("2024-02")) == 29 and len(month_dates("2026-02")) == 28
    assert month_dates("2026-11")[-1] == dt.date(2026, 11, 30)
    assert month_dates("2026-01")[0] == dt.date(2026, 1, 1)


def test_ramadan_week() -> None:
    assert RAMADAN_FIVE_DAY.as_dict() == {"mon": "08:00-15:00", "tue": "08:00-15:00",
                                          "wed": "08:00-15:00", "thu": "08:00-15:00",
                                          "fri": "08:00-15:30", "sat": None, "sun": None}


def test_schedule_dict_form() -> None:
    assert FIVE_DAY.as_dict() == {"mon": "07:30-16:00", "tue": "07:30-16:00",
                                  "wed": "07:30-16:00", "thu": "07:30-16:00",
                                  "fri": "07:30-16:30", "sat": None, "sun": None}
    week = WeekSchedule.from_dict("x", {"sun": "08:00-12:00", "sat": "", "mon": None})
    assert week.days == {6: h("08:00-12:00")}
    with pytest.raises(DomainError) as info:
        parse_hours("07:30")
    assert info.value.code == "bad_hours"
    with pytest.raises(DomainError):
        parse_hours("07:30-16:00-18:00")
    with pytest.raises(DomainError) as info:
        WeekSchedule.from_dict("x", {"minggu": "08:00-12:00"})
    assert info.value.code == "bad_weekday"


def test_a_scope_whose_assignments_do_not_apply_falls_through() -> None:
    tomorrow = D + dt.timedelta(days=1)
    cal = Calendar(
        assignments=[
            ScopedAssignment("employee", "E1", ScheduleAssignment(SIX_DAY, tomorrow)),
            ScopedAssignment("unit", "u", ScheduleAssignment(RAMADAN_FIVE_DAY, None, D)),
        ],
        units={"E1": "u", "E2": "u"},
        default=SIX_DAY,
    )
    assert cal.schedule_for("E1", D) is RAMADAN_FIVE_DAY  # own week starts tomorrow
    assert cal.schedule_for("E1", tomorrow) is SIX_DAY
    assert cal.schedule_for("E2", tomorrow) is SIX_DAY  # unit range over: the default
    assert cal.schedule_for(None, D) is SIX_DAY and cal.schedule_for("E9", D) is SIX_DAY
    # an assignment to a unit named like an employee does not apply to the employee
    odd = Calendar(assignments=[ScopedAssignment("unit", "E1", ScheduleAssignment(SIX_DAY))],
                   units={"E1": "u"})
    assert odd.schedule_for("E1", D) is FIVE_DAY
    # ... nor one to an employee named like a unit to the unit's members
    odd = Calendar(assignments=[ScopedAssignment("employee", "u", ScheduleAssignment(SIX_DAY))],
                   units={"E1": "u"})
    assert odd.schedule_for("E1", D) is FIVE_DAY
    # another employee's own week is not one's own
    other = Calendar(assignments=[ScopedAssignment("employee", "E0",
                                                   ScheduleAssignment(SIX_DAY))])
    assert other.schedule_for("E1", D) is FIVE_DAY and other.schedule_for("E0", D) is SIX_DAY


def test_rosters_are_per_employee() -> None:
    cal = Calendar(shifts={("N", D): h("22:00-06:00"), ("M", D): None},
                   holidays={D: "Libur"})
    assert cal.rostered("N", D) and cal.rostered("M", D)
    assert not cal.rostered(None, D) and not cal.rostered("N", D + dt.timedelta(days=1))
    assert cal.hours("N", D) == h("22:00-06:00") and cal.hours("M", D) is None
    assert (cal.day_kind("N", D), cal.day_kind("M", D), cal.day_kind(None, D)) == (
        "work", "off", "holiday")
    assert cal.hours(None, D) == h("07:30-16:00")
    assert len(cal.working_dates("2026-11")) == 20 and D not in cal.working_dates("2026-11")
    assert D in cal.working_dates("2026-11", "N")
    assert cal.hours(None, D + dt.timedelta(days=5)) is None  # Saturday
