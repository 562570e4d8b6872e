"""Rule sets that count in seconds of grace or in points: ``RuleSet.minutes`` (whole minutes
rounded down, or on time within ``grace_seconds`` and then every started minute), the
presets built from blocks (blok30) and points (poin100), their dict form and their limits."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest

from attendance.domain.rules import (
    BLOK30,
    KEMENKEU,
    POIN100,
    RULE_PRESETS,
    DayVerdict,
    RuleSet,
    evaluate_day,
    rules_for_preset,
    validate_rules,
)
from ekinerja_shared.errors import DomainError
from tests.unit.attendance.test_rules_edges import WINDOW, at  # Monday 07:30-16:00 WITA


def day(punches: list[str], rules: RuleSet) -> DayVerdict:
    return evaluate_day(kind="work", window=WINDOW, punches=[at(p) for p in punches],
                        rules=rules, closed=True)


def grace(seconds: int | None) -> RuleSet:
    return dataclasses.replace(KEMENKEU, name="g", grace_seconds=seconds)


S = dt.timedelta(seconds=1)


@pytest.mark.parametrize(("seconds", "whole", "grace59", "grace0"), [
    (-600, 0, 0, 0),  # early: never late
    (0, 0, 0, 0),
    (1, 0, 0, 1),  # grace 0: the first second past the start is a started minute
    (59, 0, 0, 1),  # the last second of a 59-second grace is on time
    (59.5, 0, 1, 1),  # past the grace by half a second: one started minute
    (60, 1, 1, 1),
    (61, 1, 2, 2),
    (119, 1, 2, 2),
    (120, 2, 2, 2),
    (1800, 30, 30, 30),
    (1801, 30, 31, 31),
    (3600, 60, 60, 60),
])
def test_minutes_counted_by_each_rule(seconds: float, whole: int, grace59: int,
                                      grace0: int) -> None:
    delta = seconds * S
    assert grace(None).minutes(delta) == whole  # no grace: whole minutes rounded down
    assert grace(59).minutes(delta) == grace59
    assert grace(0).minutes(delta) == grace0


def test_a_long_grace_keeps_everything_within_it_on_time() -> None:
    assert grace(3600).minutes(3600 * S) == 0
    assert grace(3600).minutes(3601 * S) == 61
    assert grace(300).minutes(301 * S) == 6


@pytest.mark.parametrize(("arrival", "late", "code", "pct"), [
    ("07:30:59", 0, None, "0"),
    ("07:31:00", 1, "TL1", "1.25"),
    ("07:31:01", 2, "TL1", "1.25"),
    ("08:00:00", 30, "TL1", "1.25"),
    ("08:00:01", 31, "TL2", "2.5"),
    ("09:00:01", 91, "TL4", "5"),
])
def test_blok30_counts_every_started_minute_past_59_seconds(arrival: str, late: int,
                                                            code: str | None, pct: str) -> None:
    v = day([arrival, "16:00:00"], BLOK30)
    assert (v.late_minutes, v.tl_code, v.early_minutes, v.psw_code) == (late, code, 0, None)
    assert v.deduction_pct == Decimal(pct)


@pytest.mark.parametrize(("departure", "early", "code"), [
    ("15:59:01", 0, None), ("15:59:00", 1, "PSW1"), ("15:58:59", 2, "PSW1"),
    ("15:29:59", 31, "PSW2"),
])
def test_blok30_early_departure_with_and_without_an_arrival(departure: str, early: int,
                                                            code: str | None) -> None:
    v = day(["07:30:00", departure], BLOK30)
    assert (v.early_minutes, v.psw_code, v.late_minutes) == (early, code, 0)
    # no arrival, the departure from an HR correction: TL4 for the missing punch, plus PSW
    lone = evaluate_day(kind="work", window=WINDOW, punches=[], rules=BLOK30, closed=True,
                        departure_override=at(departure))
    assert (lone.arrival, lone.departure, lone.tl_code) == (None, at(departure), "TL4")
    assert (lone.early_minutes, lone.psw_code) == (early, code)
    psw_pct = BLOK30.pct_of(code) if code else Decimal(0)
    assert lone.deduction_pct == Decimal("5") + psw_pct


def test_blok30_and_poin100_presets() -> None:
    assert [(b.code, b.min_minutes, b.max_minutes, b.pct) for b in BLOK30.tl] == [
        ("TL1", 1, 30, Decimal("1.25")), ("TL2", 31, 60, Decimal("2.50")),
        ("TL3", 61, 90, Decimal("3.75")), ("TL4", 91, None, Decimal("5.00"))]
    assert [(b.code, b.min_minutes, b.max_minutes, b.pct) for b in BLOK30.psw] == [
        ("PSW1", 1, 30, Decimal("1.25")), ("PSW2", 31, 60, Decimal("2.50")),
        ("PSW3", 61, 90, Decimal("3.75")), ("PSW4", 91, None, Decimal("5.00"))]
    assert (BLOK30.grace_seconds, BLOK30.unit, BLOK30.tk_pct) == (59, "pct", Decimal("10"))
    assert [(b.min_minutes, b.max_minutes, b.pct) for b in POIN100.tl] == [
        (1, 30, Decimal("1")), (31, 60, Decimal("2")), (61, 90, Decimal("3")),
        (91, None, Decimal("5"))]
    assert [b.code for b in POIN100.psw] == ["PSW1", "PSW2", "PSW3", "PSW4"]
    assert (POIN100.unit, POIN100.grace_seconds, POIN100.tk_pct, POIN100.missed_apel_pct) == (
        "points", None, Decimal("10"), Decimal("1"))
    assert (KEMENKEU.grace_seconds, KEMENKEU.unit) == (None, "pct")
    assert list(RULE_PRESETS) == ["kemenkeu", "tebo", "ttu", "blok30", "poin100"]
    assert rules_for_preset("blok30") is BLOK30 and rules_for_preset("poin100") is POIN100
    for preset in (BLOK30, POIN100):
        validate_rules(preset)


def test_the_dict_form_keeps_the_grace_and_the_unit() -> None:
    for preset in (BLOK30, POIN100, grace(0), grace(3600)):
        back = RuleSet.from_dict(preset.to_dict())
        assert back == preset
        assert (back.grace_seconds, back.unit) == (preset.grace_seconds, preset.unit)
    data = {k: v for k, v in BLOK30.to_dict().items() if k not in ("grace_seconds", "unit")}
    plain = RuleSet.from_dict(data)
    assert (plain.grace_seconds, plain.unit) == (None, "pct")
    assert RuleSet.from_dict({**data, "grace_seconds": "30"}).grace_seconds == 30
    assert RuleSet.from_dict({**data, "unit": "minutes"}).unit == "pct"
    assert RuleSet.from_dict({**data, "unit": "points"}).unit == "points"
    assert KEMENKEU.with_changes({"grace_seconds": 59}, "k").minutes(59 * S) == 0


@pytest.mark.parametrize(("seconds", "ok"), [(None, True), (0, True), (1, True),
                                             (3600, True), (-1, False), (3601, False)])
def test_grace_seconds_from_0_to_3600(seconds: int | None, ok: bool) -> None:
    if ok:
        validate_rules(grace(seconds))
    else:
        with pytest.raises(DomainError, match="Toleransi detik harus 0-3600") as info:
            validate_rules(grace(seconds))
        assert info.value.code == "bad_rules"


def test_the_unit_is_pct_or_points() -> None:
    for unit in ("pct", "points"):
        validate_rules(dataclasses.replace(KEMENKEU, unit=unit))
    with pytest.raises(DomainError, match="Satuan potongan harus pct atau points") as info:
        validate_rules(dataclasses.replace(KEMENKEU, unit="poin"))  # type: ignore[arg-type]
    assert info.value.code == "bad_rules"
