"""Schedules and the calendar: 5- and 6-day weeks, Friday hours, Ramadan ranges, holidays
and cuti bersama, shift rosters with night shifts across midnight, time zones."""

from __future__ import annotations

import datetime as dt
from functools import partial
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from attendance.domain.rules import KEMENKEU, evaluate_day
from attendance.domain.schedule import (
    FIVE_DAY,
    RAMADAN_FIVE_DAY,
    SIX_DAY,
    Calendar,
    Hours,
    ScheduleAssignment,
    ScopedAssignment,
    WeekSchedule,
    month_dates,
    parse_hours,
    work_date_of,
    work_window,
)
from ekinerja_shared.errors import DomainError

WIB, WITA, WIT = ZoneInfo("Asia/Jakarta"), ZoneInfo("Asia/Makassar"), ZoneInfo("Asia/Jayapura")


def test_five_day_week_friday_differs() -> None:
    mon, fri, sat = dt.date(2026, 11, 23), dt.date(2026, 11, 27), dt.date(2026, 11, 28)
    assert FIVE_DAY.hours_on(mon) == parse_hours("07:30-16:00")
    assert FIVE_DAY.hours_on(fri) == parse_hours("07:30-16:30")
    assert FIVE_DAY.hours_on(sat) is None
    # 43 h at the office; 37.5 h of work once the daily breaks are taken out
    assert sum(FIVE_DAY.days[i].minutes() for i in FIVE_DAY.days) == 43 * 60


def test_schedule_dict_round_trip_and_validation() -> None:
    assert WeekSchedule.from_dict("x", SIX_DAY.as_dict()).days == SIX_DAY.days
    with pytest.raises(DomainError):
        WeekSchedule.from_dict("x", {"monday": "07:00-15:00"})
    with pytest.raises(DomainError):
        parse_hours("7.30 to 16")


def test_effective_days_with_holidays_and_cuti_bersama() -> None:
    cal = Calendar(holidays={dt.date(2026, 12, 25): "Natal", dt.date(2026, 12, 24): "Cuti bersama"})
    dates = cal.working_dates("2026-12")
    weekdays = [d for d in month_dates("2026-12") if d.weekday() < 5]
    assert len(weekdays) == 23 and len(dates) == 21
    assert dt.date(2026, 12, 25) not in dates and dt.date(2026, 12, 24) not in dates
    assert cal.day_kind("1", dt.date(2026, 12, 25)) == "holiday"


def test_unit_six_day_week_and_employee_override() -> None:
    cal = Calendar(
        assignments=[
            ScopedAssignment("unit", "puskesmas", ScheduleAssignment(SIX_DAY)),
            ScopedAssignment("employee", "E2", ScheduleAssignment(FIVE_DAY)),
        ],
        units={"E1": "puskesmas", "E2": "puskesmas", "E3": "dinas"},
    )
    sat = dt.date(2026, 11, 28)
    assert cal.day_kind("E1", sat) == "work" and cal.hours("E1", sat) == parse_hours("07:30-13:00")
    assert cal.day_kind("E2", sat) == "off"
    assert cal.day_kind("E3", sat) == "off"
    assert len(cal.working_dates("2026-11", "E1")) == 25
    assert len(cal.working_dates("2026-11", "E3")) == 21


def test_ramadan_range_wins_by_priority_then_ends() -> None:
    cal = Calendar(assignments=[
        ScopedAssignment("tenant", "", ScheduleAssignment(FIVE_DAY)),
        ScopedAssignment("tenant", "", ScheduleAssignment(
            RAMADAN_FIVE_DAY, dt.date(2027, 2, 8), dt.date(2027, 3, 9), priority=10)),
    ])
    assert cal.hours("E", dt.date(2027, 2, 8)) == parse_hours("08:00-15:00")  # Monday
    assert cal.hours("E", dt.date(2027, 2, 12)) == parse_hours("08:00-15:30")  # Friday
    assert cal.hours("E", dt.date(2027, 3, 10)) == parse_hours("07:30-16:00")  # after
    # under the Ramadan week, 08:20 is 20 minutes late (not 50)
    day = dt.date(2027, 2, 8)
    w = work_window(day, cal.hours("E", day), WITA)  # type: ignore[arg-type]
    v = evaluate_day(kind="work", window=w, rules=KEMENKEU, closed=True, punches=[
        dt.datetime(2027, 2, 8, 8, 20, tzinfo=WITA), dt.datetime(2027, 2, 8, 15, 0, tzinfo=WITA)])
    assert (v.late_minutes, v.tl_code, v.psw_code) == (20, "TL1", None)


NIGHT = Hours(dt.time(22), dt.time(6))


def test_night_shift_crosses_midnight() -> None:
    d = dt.date(2026, 11, 23)
    cal = Calendar(shifts={("N", d): NIGHT, ("N", d + dt.timedelta(days=1)): None})
    w = work_window(d, NIGHT, WITA)
    assert w.start == dt.datetime(2026, 11, 23, 22, tzinfo=WITA)
    assert w.end == dt.datetime(2026, 11, 24, 6, tzinfo=WITA)
    lookup = partial(cal.hours, "N")
    # the 06:05 punch next morning belongs to the shift that started the evening before
    assert work_date_of(dt.datetime(2026, 11, 24, 6, 5, tzinfo=WITA), WITA, lookup) == d
    assert work_date_of(dt.datetime(2026, 11, 23, 21, 50, tzinfo=WITA), WITA, lookup) == d
    # the day after is rostered off: no punch, no TK
    assert cal.day_kind("N", d + dt.timedelta(days=1)) == "off"
    v = evaluate_day(kind="work", window=w, rules=KEMENKEU, closed=True, punches=[
        dt.datetime(2026, 11, 23, 22, 31, tzinfo=WITA), dt.datetime(2026, 11, 24, 5, 30, tzinfo=WITA)])
    assert (v.late_minutes, v.tl_code, v.early_minutes, v.psw_code) == (31, "TL2", 30, "PSW1")
    assert v.deduction_pct == Decimal("1.5")


def test_rostered_shift_is_worked_on_a_holiday() -> None:
    d = dt.date(2026, 12, 25)
    cal = Calendar(holidays={d: "Natal"}, shifts={("N", d): parse_hours("07:00-14:00")})
    assert cal.day_kind("N", d) == "work"
    assert cal.day_kind("other", d) == "holiday"


@pytest.mark.parametrize(("tz", "utc_hour"), [(WIB, 0), (WITA, 23), (WIT, 22)])
def test_same_wall_clock_in_each_zone(tz: ZoneInfo, utc_hour: int) -> None:
    """07:45 on a WIB, WITA or WIT device is a different instant but the same 15 minutes
    late against that zone's 07:30 start."""
    d = dt.date(2026, 11, 23)
    punch = dt.datetime(2026, 11, 23, 7, 45, tzinfo=tz)
    assert punch.astimezone(dt.UTC).hour == utc_hour
    w = work_window(d, FIVE_DAY.hours_on(d), tz)  # type: ignore[arg-type]
    v = evaluate_day(kind="work", window=w, punches=[punch], rules=KEMENKEU, closed=False)
    assert (v.late_minutes, v.tl_code) == (15, "TL1")


def test_wib_device_in_a_wita_regency() -> None:
    """A device left on WIB: 07:20 on its clock is 08:20 WITA, 50 minutes late."""
    d = dt.date(2026, 11, 23)
    punch = dt.datetime(2026, 11, 23, 7, 20, tzinfo=WIB)
    w = work_window(d, FIVE_DAY.hours_on(d), WITA)  # type: ignore[arg-type]
    v = evaluate_day(kind="work", window=w, punches=[punch], rules=KEMENKEU, closed=False)
    assert (v.late_minutes, v.tl_code) == (50, "TL2")
    assert work_date_of(punch, WITA, FIVE_DAY.hours_on) == d


def test_correction_overrides() -> None:
    d = dt.date(2026, 11, 23)
    w = work_window(d, FIVE_DAY.hours_on(d), WITA)  # type: ignore[arg-type]
    at = lambda h, m: dt.datetime(2026, 11, 23, h, m, tzinfo=WITA)  # noqa: E731
    # forgot the arrival punch; HR confirms 07:25: departure 16:05 stands, no deduction
    v = evaluate_day(kind="work", window=w, punches=[at(16, 5)], rules=KEMENKEU, closed=True,
                     arrival_override=at(7, 25))
    assert (v.arrival, v.departure, v.tl_code, v.psw_code, v.deduction_pct) == (
        at(7, 25), at(16, 5), None, None, Decimal("0"))
    # without the correction the lone 16:05 punch is a departure with no arrival (TL4)
    v = evaluate_day(kind="work", window=w, punches=[at(16, 5)], rules=KEMENKEU, closed=True)
    assert (v.arrival, v.tl_code, v.deduction_pct) == (None, "TL4", Decimal("2.5"))
    # forgot to punch out; HR confirms 16:00
    v = evaluate_day(kind="work", window=w, punches=[at(7, 40)], rules=KEMENKEU, closed=True,
                     departure_override=at(16, 0))
    assert (v.departure, v.tl_code, v.psw_code, v.deduction_pct) == (
        at(16, 0), "TL1", None, Decimal("0.5"))


def test_apel_window_designated_device_and_missed_apel_cut() -> None:
    from attendance.domain.apel import ApelRule, apel_attended
    from attendance.domain.rules import TTU

    mon, tue = dt.date(2026, 11, 23), dt.date(2026, 11, 24)
    rule = ApelRule(dt.time(7, 0), dt.time(7, 30), frozenset({0}), frozenset({"LAPANGAN"}))
    at = lambda h, m: dt.datetime(2026, 11, 23, h, m, tzinfo=WITA)  # noqa: E731
    later = at(12, 0)
    assert apel_attended(rule, mon, WITA, [(at(7, 10), "LAPANGAN")], later) is True
    assert apel_attended(rule, mon, WITA, [(at(7, 30), "LAPANGAN")], later) is True  # edge
    assert apel_attended(rule, mon, WITA, [(at(7, 31), "LAPANGAN")], later) is False
    assert apel_attended(rule, mon, WITA, [(at(7, 10), "LOBI")], later) is False  # not designated
    assert apel_attended(rule, mon, WITA, [], at(7, 15)) is None  # window still open
    assert apel_attended(rule, tue, WITA, [], later) is None  # no apel on Tuesday
    any_device = ApelRule(dt.time(7, 0), dt.time(7, 30), frozenset(range(5)))
    assert apel_attended(any_device, tue, WITA, [(dt.datetime(2026, 11, 24, 7, 5, tzinfo=WITA),
                                                  "LOBI")], later) is True
    w = work_window(mon, FIVE_DAY.hours_on(mon), WITA)  # type: ignore[arg-type]
    v = evaluate_day(kind="work", window=w, rules=TTU, closed=True,
                     punches=[at(7, 20), at(16, 0)], apel_attended=False)
    assert (v.apel_attended, v.tl_code, v.deduction_pct) == (False, None, Decimal("4"))
    v = evaluate_day(kind="work", window=w, rules=KEMENKEU, closed=True,
                     punches=[at(7, 20), at(16, 0)], apel_attended=False)
    assert v.deduction_pct == Decimal("0")  # Kemenkeu style: indicator only


def test_working_dates_of_many_equals_each_employee_alone() -> None:
    """The shared computation per unit history gives every employee exactly the month
    ``working_dates`` gives them alone: same unit, own schedule, rostered shift, transfer
    into a six-day unit mid-month, and an employee the calendar does not know."""
    nov10, nov16 = dt.date(2026, 11, 10), dt.date(2026, 11, 16)
    cal = Calendar(
        assignments=[
            ScopedAssignment("unit", "puskesmas", ScheduleAssignment(SIX_DAY)),
            ScopedAssignment("employee", "OWN", ScheduleAssignment(SIX_DAY)),
        ],
        holidays={dt.date(2026, 11, 20): "Libur"},
        shifts={("SHIFT", dt.date(2026, 11, 20)): parse_hours("08:00-16:00"),
                ("SHIFT", dt.date(2026, 11, 21)): parse_hours("08:00-16:00")},
        units={"P1": "puskesmas", "P2": "puskesmas", "D1": "dinas", "OWN": "dinas",
               "SHIFT": "dinas", "MOVED": "puskesmas", "MOVED2": "puskesmas"},
        unit_history={"MOVED": [(nov16, "puskesmas"), (nov10, "dinas")],
                      "MOVED2": [(nov10, "dinas"), (nov16, "puskesmas")]},
    )
    nips = ["P1", "P2", "D1", "OWN", "SHIFT", "MOVED", "MOVED2", "UNKNOWN"]
    many = cal.working_dates_of("2026-11", nips)
    assert set(many) == set(nips)
    for nip in nips:
        assert many[nip] == cal.working_dates("2026-11", nip), nip
    # the situations really differ (the test would pass vacuously otherwise)
    assert len(many["P1"]) == 24 and len(many["D1"]) == 20
    assert len(many["OWN"]) == 24 and len(many["SHIFT"]) == 22
    assert many["MOVED"] == many["MOVED2"] != many["P1"]
    assert many["UNKNOWN"] == many["D1"]
