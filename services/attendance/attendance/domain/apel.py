"""Apel (morning assembly), Monday ceremony, krida: attendance is a punch inside the
event's time window, on a designated device when the tenant names some. It is an
indicator of its own on the day's verdict; a tenant's rules may also cut for a missed one.
Pure functions, no I/O."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class ApelRule:
    start: dt.time
    end: dt.time
    weekdays: frozenset[int]  # 0 = Monday; e.g. {0} for the Monday ceremony
    devices: frozenset[str] = frozenset()  # designated devices; empty = any device

    def applies(self, day: dt.date) -> bool:
        return day.weekday() in self.weekdays

    def window(self, day: dt.date, tz: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
        return (dt.datetime.combine(day, self.start, tzinfo=tz),
                dt.datetime.combine(day, self.end, tzinfo=tz))


def apel_attended(rule: ApelRule | None, day: dt.date, tz: ZoneInfo,
                  punches: Iterable[tuple[dt.datetime, str]], now: dt.datetime) -> bool | None:
    """True when a punch (instant, device serial) falls in the window on an allowed
    device; False once the window has passed without one; None when there is no apel that
    day or its window is still open."""
    if rule is None or not rule.applies(day):
        return None
    lo, hi = rule.window(day, tz)
    for instant, serial in punches:
        if lo <= instant <= hi and (not rule.devices or serial in rule.devices):
            return True
    return False if now > hi else None
