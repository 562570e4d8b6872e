"""Day evaluation at every bracket boundary (Kemenkeu-style defaults and other presets)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from attendance.domain.rules import (
    KEMENKEU,
    RULE_PRESETS,
    TTU,
    Bracket,
    RuleSet,
    bracket_for,
    evaluate_day,
    validate_rules,
)
from attendance.domain.schedule import FIVE_DAY, work_window
from ekinerja_shared.errors import DomainError

WITA = ZoneInfo("Asia/Makassar")
MON = dt.date(2026, 11, 23)
FRI = dt.date(2026, 11, 27)


def at(day: dt.date, hhmmss: str, tz: ZoneInfo = WITA) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.fromisoformat(hhmmss), tzinfo=tz)


def window(day: dt.date = MON):
    hours = FIVE_DAY.hours_on(day)
    assert hours is not None
    return work_window(day, hours, WITA)


@pytest.mark.parametrize(
    ("arrival", "late", "code", "pct"),
    [
        ("07:30:00", 0, None, "0"),
        ("07:30:59", 0, None, "0"),
        ("07:31:00", 1, "TL1", "0.5"),
        ("08:00:00", 30, "TL1", "0.5"),
        ("08:00:59", 30, "TL1", "0.5"),
        ("08:01:00", 31, "TL2", "1"),
        ("08:30:00", 60, "TL2", "1"),
        ("08:31:00", 61, "TL3", "1.25"),
        ("09:00:00", 90, "TL3", "1.25"),
        ("09:01:00", 91, "TL4", "2.5"),
        ("12:00:00", 270, "TL4", "2.5"),
    ],
)
def test_tl_boundaries(arrival: str, late: int, code: str | None, pct: str) -> None:
    v = evaluate_day(kind="work", window=window(), punches=[at(MON, arrival), at(MON, "16:00:00")],
                     rules=KEMENKEU, closed=False)
    assert (v.status, v.late_minutes, v.tl_code, v.deduction_pct) == (
        "present", late, code, Decimal(pct))
    assert v.psw_code is None and v.early_minutes == 0


@pytest.mark.parametrize(
    ("departure", "early", "code", "pct"),
    [
        ("16:30:00", 0, None, "0"),  # Friday ends at 16:30
        ("16:29:01", 0, None, "0"),
        ("16:29:00", 1, "PSW1", "0.5"),
        ("16:00:00", 30, "PSW1", "0.5"),
        ("15:59:00", 31, "PSW2", "1"),
        ("15:30:00", 60, "PSW2", "1"),
        ("15:29:00", 61, "PSW3", "1.25"),
        ("15:00:00", 90, "PSW3", "1.25"),
        ("14:59:00", 91, "PSW4", "2.5"),
    ],
)
def test_psw_boundaries_on_friday(departure: str, early: int, code: str | None, pct: str) -> None:
    v = evaluate_day(kind="work", window=window(FRI),
                     punches=[at(FRI, "07:15:00"), at(FRI, departure)], rules=KEMENKEU, closed=True)
    assert (v.status, v.early_minutes, v.psw_code, v.deduction_pct) == (
        "present", early, code, Decimal(pct))


def test_tl_and_psw_add_up() -> None:
    v = evaluate_day(kind="work", window=window(),
                     punches=[at(MON, "08:45:00"), at(MON, "12:00:00"), at(MON, "15:00:00")],
                     rules=KEMENKEU, closed=True)
    assert (v.tl_code, v.psw_code, v.deduction_pct) == ("TL3", "PSW2", Decimal("2.25"))  # 75 min late, 60 min early
    assert v.arrival == at(MON, "08:45:00") and v.departure == at(MON, "15:00:00")


def test_open_day_without_departure_is_incomplete_without_psw() -> None:
    v = evaluate_day(kind="work", window=window(), punches=[at(MON, "07:45:00")],
                     rules=KEMENKEU, closed=False)
    assert (v.status, v.tl_code, v.psw_code, v.deduction_pct) == (
        "incomplete", "TL1", None, Decimal("0.5"))
    assert v.departure is None


def test_closed_day_without_departure_gets_psw4() -> None:
    v = evaluate_day(kind="work", window=window(), punches=[at(MON, "07:20:00")],
                     rules=KEMENKEU, closed=True)
    assert (v.status, v.psw_code, v.deduction_pct) == ("present", "PSW4", Decimal("2.5"))


def test_same_instant_twice_is_not_a_departure() -> None:
    v = evaluate_day(kind="work", window=window(),
                     punches=[at(MON, "07:20:00"), at(MON, "07:20:00")], rules=KEMENKEU,
                     closed=False)
    assert v.departure is None and v.status == "incomplete"


def test_lone_punch_after_end_is_departure_without_arrival() -> None:
    v = evaluate_day(kind="work", window=window(), punches=[at(MON, "16:05:00")],
                     rules=KEMENKEU, closed=False)
    assert (v.arrival, v.departure, v.tl_code, v.deduction_pct) == (
        None, at(MON, "16:05:00"), "TL4", Decimal("2.5"))


def test_no_punch_open_day_vs_closed_day() -> None:
    open_v = evaluate_day(kind="work", window=window(), punches=[], rules=KEMENKEU, closed=False)
    assert (open_v.status, open_v.deduction_pct) == ("incomplete", Decimal("0"))
    closed_v = evaluate_day(kind="work", window=window(), punches=[], rules=KEMENKEU, closed=True)
    assert (closed_v.status, closed_v.absence_code, closed_v.deduction_pct) == (
        "absent", "TK", Decimal("5"))


def test_off_day_and_holiday_carry_no_deduction() -> None:
    sat = dt.date(2026, 11, 28)
    v = evaluate_day(kind="off", window=None, punches=[at(sat, "09:00:00")], rules=KEMENKEU,
                     closed=True)
    assert (v.is_working_day, v.status, v.deduction_pct) == (False, "off", Decimal("0"))
    h = evaluate_day(kind="holiday", window=None, punches=[], rules=KEMENKEU, closed=True)
    assert (h.is_working_day, h.status, h.absence_code) == (False, "holiday", None)


def test_leave_excuses_the_day() -> None:
    v = evaluate_day(kind="work", window=window(), punches=[], rules=KEMENKEU, closed=True,
                     leave_code="CT")
    assert (v.status, v.absence_code, v.deduction_pct) == ("leave", "CT", Decimal("0"))


def test_ttu_preset_boundaries_and_missing_punch() -> None:
    def late(hhmm: str) -> tuple[str | None, Decimal]:
        v = evaluate_day(kind="work", window=window(), punches=[at(MON, hhmm), at(MON, "16:00")],
                         rules=TTU, closed=True)
        return v.tl_code, v.deduction_pct

    assert late("07:45") == ("TL1", Decimal("1"))
    assert late("07:46") == ("TL2", Decimal("2"))
    assert late("08:00") == ("TL2", Decimal("2"))
    assert late("08:01") == ("TL3", Decimal("2.5"))
    v = evaluate_day(kind="work", window=window(), punches=[at(MON, "07:00")], rules=TTU,
                     closed=True)
    assert (v.psw_code, v.deduction_pct) == ("PSW3", Decimal("4"))
    tk = evaluate_day(kind="work", window=window(), punches=[], rules=TTU, closed=True)
    assert tk.deduction_pct == Decimal("12")


def test_bracket_lookup_and_rule_validation() -> None:
    assert bracket_for(KEMENKEU.tl, 0) is None
    assert bracket_for(KEMENKEU.tl, 10_000).code == "TL4"  # type: ignore[union-attr]
    for preset in RULE_PRESETS.values():
        validate_rules(preset)
        assert RuleSet.from_dict(preset.to_dict()) == preset
    gap = RuleSet("gap", (Bracket("TL1", 1, 30, Decimal("1")), Bracket("TL2", 40, None, Decimal("2"))),
                  KEMENKEU.psw, missing_arrival_code="TL2")
    with pytest.raises(DomainError):
        validate_rules(gap)


def test_rule_changes_keep_the_fields_left_out() -> None:
    changed = KEMENKEU.with_changes({"late_tolerance_minutes": 5}, name="t-custom")
    again = changed.with_changes({"tk_pct": "4"}, name="t-custom")
    assert (again.tl, again.psw, again.late_tolerance_minutes) == (KEMENKEU.tl, KEMENKEU.psw, 5)
    assert again.tk_pct == Decimal("4") and again.name == "t-custom"
    with pytest.raises(DomainError):
        KEMENKEU.with_changes({"tl": []}, name="t-custom")
