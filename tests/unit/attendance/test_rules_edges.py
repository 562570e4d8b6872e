"""The discipline rules at their edges: early arrivals, a lone punch at the end of the day,
HR corrections against later punches, the grace minutes, the missed-apel cut on a day
without an arrival, leave and rule-set validation at every bound."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from attendance.domain.rules import (
    DEFAULT_RULES,
    KEMENKEU,
    RULE_PRESETS,
    SEED_TENANT_RULES,
    TEBO,
    TTU,
    Bracket,
    DayVerdict,
    RuleSet,
    bracket_for,
    evaluate_day,
    rules_for_preset,
    validate_rules,
    whole_minutes,
)
from attendance.domain.schedule import FIVE_DAY, work_window
from ekinerja_shared.errors import DomainError

WITA = ZoneInfo("Asia/Makassar")
MON = dt.date(2026, 11, 23)
WINDOW = work_window(MON, FIVE_DAY.hours_on(MON), WITA)  # type: ignore[arg-type]  # 07:30-16:00


def at(hhmmss: str) -> dt.datetime:
    return dt.datetime.combine(MON, dt.time.fromisoformat(hhmmss), tzinfo=WITA)


def day(punches: list[str], rules: RuleSet = KEMENKEU, closed: bool = True,
        **kw: object) -> DayVerdict:
    return evaluate_day(kind="work", window=WINDOW, punches=[at(p) for p in punches],
                        rules=rules, closed=closed, **kw)  # type: ignore[arg-type]


# --- minutes ---------------------------------------------------------------------------


def test_arriving_early_or_leaving_late_counts_zero_minutes() -> None:
    v = day(["06:45:00", "17:30:00"])
    assert (v.late_minutes, v.early_minutes, v.tl_code, v.psw_code) == (0, 0, None, None)
    assert v.deduction_pct == 0 and v.is_working_day and v.status == "present"
    assert whole_minutes(dt.timedelta(minutes=-90)) == 0
    assert whole_minutes(dt.timedelta(seconds=-1)) == 0
    assert whole_minutes(dt.timedelta(seconds=119, microseconds=999_999)) == 1


def test_a_lone_punch_at_the_very_end_of_the_day_is_a_departure() -> None:
    v = day(["16:00:00"])
    assert (v.arrival, v.departure, v.tl_code, v.psw_code) == (None, at("16:00:00"), "TL4", None)
    assert (v.is_working_day, v.status, v.late_minutes, v.early_minutes) == (True, "present", 0, 0)
    assert v.deduction_pct == Decimal("2.5")
    before = day(["15:59:59"], closed=False)  # one second earlier: an (late) arrival
    assert (before.arrival, before.departure, before.status) == (
        at("15:59:59"), None, "incomplete")
    assert (before.late_minutes, before.tl_code) == (509, "TL4")


def test_the_lone_punch_rule_is_for_working_days_only() -> None:
    v = evaluate_day(kind="holiday", window=WINDOW, punches=[at("16:30:00")], rules=KEMENKEU,
                     closed=True)
    assert (v.is_working_day, v.status, v.arrival, v.departure) == (
        False, "holiday", at("16:30:00"), None)
    off = evaluate_day(kind="off", window=None, punches=[at("08:00:00"), at("12:00:00")],
                       rules=KEMENKEU, closed=True)
    assert (off.status, off.arrival, off.departure, off.deduction_pct) == (
        "off", at("08:00:00"), at("12:00:00"), 0)
    assert off.apel_attended is None
    no_window = evaluate_day(kind="work", window=None, punches=[at("17:00:00")],
                             rules=KEMENKEU, closed=True, apel_attended=False)
    assert (no_window.is_working_day, no_window.status, no_window.arrival) == (
        False, "off", at("17:00:00"))
    assert no_window.apel_attended is False


# --- HR corrections --------------------------------------------------------------------


def test_a_later_punch_does_not_overwrite_the_hr_departure() -> None:
    v = day(["07:20:00", "17:00:00"], departure_override=at("15:30:00"))
    assert (v.arrival, v.departure, v.psw_code, v.early_minutes) == (
        at("07:20:00"), at("15:30:00"), "PSW1", 30)


def test_punches_before_a_corrected_arrival_are_not_a_departure() -> None:
    v = day(["07:00:00"], closed=False, arrival_override=at("09:00:00"))
    assert (v.arrival, v.departure, v.status, v.tl_code) == (
        at("09:00:00"), None, "incomplete", "TL3")
    # one punch after the corrected arrival is the departure
    v = day(["15:00:00"], arrival_override=at("07:30:00"))
    assert (v.departure, v.psw_code, v.deduction_pct) == (at("15:00:00"), "PSW2", Decimal("1"))


@pytest.mark.parametrize("departure", ["08:00:00", "07:50:00"])
def test_a_corrected_departure_at_or_before_every_punch_leaves_no_arrival(departure: str) -> None:
    v = day(["08:00:00"], departure_override=at(departure))
    assert (v.arrival, v.departure, v.tl_code, v.psw_code) == (None, at(departure), "TL4", "PSW4")
    assert v.deduction_pct == Decimal("5")


def test_a_corrected_departure_without_any_punch() -> None:
    v = day([], departure_override=at("16:00:00"))
    assert (v.arrival, v.departure, v.tl_code, v.psw_code, v.early_minutes) == (
        None, at("16:00:00"), "TL4", None, 0)
    assert v.deduction_pct == Decimal("2.5")


# --- grace minutes ---------------------------------------------------------------------

GRACE = dataclasses.replace(KEMENKEU, name="grace", late_tolerance_minutes=5)


@pytest.mark.parametrize(("arrival", "late", "code", "pct"), [
    ("07:33:00", 3, None, "0"),
    ("07:35:59", 5, None, "0"),  # within the grace minutes: reported, not counted
    ("07:36:00", 6, "TL1", "0.5"),  # past them: counted in full
    ("08:01:00", 31, "TL2", "1"),
])
def test_grace_minutes(arrival: str, late: int, code: str | None, pct: str) -> None:
    v = day([arrival, "16:00:00"], rules=GRACE)
    assert (v.late_minutes, v.tl_code, v.deduction_pct) == (late, code, Decimal(pct))


def test_no_grace_by_default() -> None:
    assert all(r.late_tolerance_minutes == 0 for r in RULE_PRESETS.values())
    assert RuleSet("x", KEMENKEU.tl, KEMENKEU.psw).late_tolerance_minutes == 0
    v = day(["07:31:00", "16:00:00"])
    assert (v.late_minutes, v.tl_code) == (1, "TL1")


# --- apel, leave, absence --------------------------------------------------------------


def test_missed_apel_cut_on_a_day_without_an_arrival() -> None:
    v = day(["16:05:00"], rules=TTU, apel_attended=False)
    # missing arrival (TTU: 4 %) + missed apel 4 %
    assert (v.tl_code, v.apel_attended, v.deduction_pct) == ("TL3", False, Decimal("8"))
    v = day(["15:00:00"], rules=TTU, departure_override=at("15:00:00"), apel_attended=True)
    assert (v.psw_code, v.deduction_pct) == ("PSW3", Decimal("6.5"))  # 4 + 60 min early 2.5


def test_the_day_cut_is_capped_at_100() -> None:
    harsh = dataclasses.replace(TTU, name="harsh", missing_punch_pct=Decimal("70"),
                                missed_apel_pct=Decimal("40"))
    assert day(["16:05:00"], rules=harsh, apel_attended=False).deduction_pct == 100
    assert day(["07:40:00"], rules=harsh, apel_attended=False).deduction_pct == 100
    assert day(["07:40:00"], rules=harsh).deduction_pct == Decimal("71")


def test_leave_keeps_the_punches_and_may_cut_the_day() -> None:
    rules = dataclasses.replace(KEMENKEU, leave_pct={"CS": Decimal("2.5")})
    v = day(["07:40:00"], rules=rules, leave_code="CS", apel_attended=False)
    assert (v.is_working_day, v.status, v.absence_code, v.deduction_pct) == (
        True, "leave", "CS", Decimal("2.5"))
    assert (v.arrival, v.apel_attended, v.tl_code) == (at("07:40:00"), False, None)
    assert day([], rules=rules, leave_code="DL").deduction_pct == 0


def test_a_day_without_departure_has_no_early_minutes() -> None:
    open_day = day(["07:40:00"], closed=False)
    assert (open_day.status, open_day.early_minutes, open_day.psw_code) == ("incomplete", 0, None)
    closed = day(["07:40:00"])
    assert (closed.status, closed.early_minutes, closed.psw_code) == ("present", 0, "PSW4")
    assert closed.is_working_day and closed.deduction_pct == Decimal("3")


def test_absent_and_incomplete_days_carry_no_minutes() -> None:
    tk = day([], apel_attended=False)
    assert (tk.is_working_day, tk.status, tk.absence_code, tk.deduction_pct) == (
        True, "absent", "TK", Decimal("5"))
    assert (tk.late_minutes, tk.early_minutes, tk.tl_code, tk.apel_attended) == (0, 0, None, False)
    open_day = day([], closed=False, apel_attended=True)
    assert (open_day.status, open_day.late_minutes, open_day.early_minutes) == (
        "incomplete", 0, 0)
    assert (open_day.is_working_day, open_day.apel_attended, open_day.absence_code) == (
        True, True, None)


# --- rule sets ---------------------------------------------------------------------------


def test_bracket_lookup_at_and_below_zero() -> None:
    # no minutes (or less) never fall in a bracket, whatever the brackets say
    loose = (Bracket("X", -10, None, Decimal("1")),)
    assert bracket_for(loose, 0) is None and bracket_for(loose, -3) is None
    assert bracket_for(loose, 1) == loose[0]
    one_minute = (Bracket("A", 1, 1, Decimal("1")), Bracket("B", 2, None, Decimal("2")))
    assert [bracket_for(one_minute, m).code for m in (1, 2, 500)] == ["A", "B", "B"]  # type: ignore[union-attr]


def test_presets_and_seed_tenants() -> None:
    assert rules_for_preset("tebo") is TEBO and rules_for_preset("ttu") is TTU
    assert rules_for_preset(None) is rules_for_preset("") is rules_for_preset("x") is KEMENKEU
    assert DEFAULT_RULES is KEMENKEU
    assert {t: rules_for_preset(n).name for t, n in SEED_TENANT_RULES.items()} == {
        "cilegon": "kemenkeu", "kukar": "kemenkeu", "kediri": "tebo", "kendari": "ttu",
        "badung": "kemenkeu"}
    assert [(b.min_minutes, b.max_minutes, b.pct) for b in TEBO.tl] == [
        (1, 30, Decimal("0.5")), (31, 60, Decimal("0.75")), (61, 90, Decimal("1")),
        (91, None, Decimal("1.5"))]
    assert TEBO.psw == tuple(dataclasses.replace(b, code=f"PSW{i}")
                             for i, b in enumerate(TEBO.tl, start=1))
    assert (TTU.tk_pct, TTU.missing_pct("TL3"), TTU.missed_apel_pct) == (12, 4, 4)
    assert (KEMENKEU.missing_pct("PSW4"), KEMENKEU.pct_of("TL2"), KEMENKEU.tk_pct) == (
        Decimal("2.5"), Decimal("1"), Decimal("5"))
    with pytest.raises(KeyError):
        KEMENKEU.pct_of("TL9")


def test_rule_set_dict_form_keeps_every_setting() -> None:
    rules = RuleSet("kab", KEMENKEU.tl, KEMENKEU.psw, Decimal("7"), "TL3", "PSW2",
                    Decimal("3"), {"CS": Decimal("25"), "CB": Decimal("10")}, 10,
                    Decimal("1.5"), "contoh")
    assert RuleSet.from_dict(rules.to_dict()) == rules
    minimal = {"name": "m", "tl": [{"code": "TL1", "min_minutes": 1, "pct": "1"}],
               "psw": [{"code": "PSW1", "min_minutes": 1, "max_minutes": None, "pct": "1"}],
               "tk_pct": "5", "missing_arrival_code": "TL1", "missing_departure_code": "PSW1"}
    m = RuleSet.from_dict(minimal)
    assert (m.late_tolerance_minutes, m.leave_pct, m.missing_punch_pct, m.description) == (
        0, {}, None, "")
    assert (m.missed_apel_pct, m.tl[0].max_minutes) == (0, None)
    assert RuleSet.from_dict({**minimal, "leave_pct": None}).leave_pct == {}
    with pytest.raises(DomainError):
        RuleSet.from_dict({**minimal, "missing_arrival_code": "TL4"})  # no TL4 bracket


def bad(tl: list[tuple[int, int | None, str]], **kw: object) -> RuleSet:
    brackets = tuple(Bracket(f"TL{i}", lo, hi, Decimal(p)) for i, (lo, hi, p) in
                     enumerate(tl, start=1))
    return dataclasses.replace(KEMENKEU, tl=brackets, missing_arrival_code="TL1", **kw)


@pytest.mark.parametrize(("tl", "fragment"), [
    ([], "minimal satu"),
    ([(2, None, "1")], "dimulai dari menit ke-1"),
    ([(1, 30, "1"), (25, None, "1")], "dimulai dari menit ke-31"),  # overlapping
    ([(1, 30, "1"), (32, None, "1")], "dimulai dari menit ke-31"),  # a gap
    ([(1, None, "1"), (31, None, "1")], "terakhir"),  # open-ended before the last
    ([(1, 30, "1"), (31, 60, "1")], "terakhir"),  # the last one bounded
    ([(1, 0, "1"), (1, None, "1")], "tidak valid"),  # ends before it starts
    ([(1, None, "-0.01")], "0-100"),
    ([(1, None, "100.01")], "0-100"),
])
def test_invalid_brackets(tl: list[tuple[int, int | None, str]], fragment: str) -> None:
    with pytest.raises(DomainError) as info:
        validate_rules(bad(tl))
    assert info.value.code == "bad_rules" and fragment in info.value.message


def test_bracket_percentages_from_0_to_100_and_one_minute_brackets_are_valid() -> None:
    validate_rules(bad([(1, 1, "0"), (2, 2, "100"), (3, None, "50")]))


@pytest.mark.parametrize("field", ["tk_pct", "missed_apel_pct", "leave"])
@pytest.mark.parametrize(("pct", "ok"), [("0", True), ("100", True), ("-0.01", False),
                                         ("-0.5", False), ("100.01", False), ("100.5", False)])
def test_day_percentages_between_0_and_100(field: str, pct: str, ok: bool) -> None:
    change = ({"leave_pct": {"CS": Decimal(pct)}} if field == "leave"
              else {field: Decimal(pct)})
    rules = dataclasses.replace(KEMENKEU, **change)  # type: ignore[arg-type]
    if ok:
        validate_rules(rules)
    else:
        with pytest.raises(DomainError, match="harus 0-100"):
            validate_rules(rules)
