"""Apel attendance at the edges of its window."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from attendance.domain.apel import ApelRule, apel_attended

WITA = ZoneInfo("Asia/Makassar")
MON, TUE = dt.date(2026, 11, 23), dt.date(2026, 11, 24)
RULE = ApelRule(dt.time(7, 0), dt.time(7, 30), frozenset({0}))


def at(day: dt.date, hh: int, mm: int) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hh, mm, tzinfo=WITA)


def test_the_window_includes_both_ends() -> None:
    late = at(MON, 12, 0)
    assert apel_attended(RULE, MON, WITA, [(at(MON, 7, 0), "ANY")], late) is True
    assert apel_attended(RULE, MON, WITA, [(at(MON, 6, 59), "ANY")], late) is False
    # a punch in another zone at the same instant counts
    assert apel_attended(RULE, MON, WITA, [(at(MON, 7, 0).astimezone(dt.UTC), "X")],
                         late) is True


def test_the_verdict_waits_until_the_window_has_passed() -> None:
    assert apel_attended(RULE, MON, WITA, [], at(MON, 7, 30)) is None
    assert apel_attended(RULE, MON, WITA, [], at(MON, 7, 31)) is False


def test_no_apel_without_a_rule_or_on_other_weekdays() -> None:
    much_later = at(TUE, 18, 0)
    assert apel_attended(None, MON, WITA, [(at(MON, 7, 5), "X")], much_later) is None
    assert apel_attended(RULE, TUE, WITA, [], much_later) is None
    assert RULE.applies(MON) and not RULE.applies(TUE)
    assert RULE.window(MON, WITA) == (at(MON, 7, 0), at(MON, 7, 30))
