"""Time zones of Indonesian regencies. Devices send local wall-clock time without a zone;
a tenant's (or device's) zone turns it into an aware instant."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

ZONE_ALIASES = {
    "WIB": "Asia/Jakarta",  # UTC+7
    "WITA": "Asia/Makassar",  # UTC+8
    "WIT": "Asia/Jayapura",  # UTC+9
}


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    """``WIB``/``WITA``/``WIT`` or any IANA name; raises ``ValueError`` if unknown."""
    try:
        return ZoneInfo(ZONE_ALIASES.get(name.upper(), name))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


def canonical_zone(name: str) -> str:
    return ZONE_ALIASES.get(name.upper(), zone(name).key)


def localize(naive: dt.datetime, tz: str) -> dt.datetime:
    if naive.tzinfo is not None:
        raise ValueError("expected a naive local time")
    return naive.replace(tzinfo=zone(tz))


# the zone of a regency the directory has not told about yet (most regencies are in WIB)
DEFAULT_ZONE = "Asia/Jakarta"


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def local_today(tz: str, now: dt.datetime | None = None) -> dt.date:
    """The date in zone ``tz`` (a regency's "today") at ``now`` (default: now)."""
    return (now or utcnow()).astimezone(zone(tz)).date()


@lru_cache(maxsize=4096)
def period_of(day: dt.date) -> str:
    """``YYYY-MM`` of a day. Cached: a rebuild asks it for every stored fact twice, of a
    few hundred days (formatting it was 6 % of the rebuild's CPU, docs/perf/rebuild.md)."""
    return f"{day.year:04d}-{day.month:02d}"


# A month ("period") the platform can hold: 1970-01 to 2099-12. Wider years (0000-01,
# 9999-12) cannot be a payroll month and would overflow date arithmetic.
PERIOD_PATTERN = r"^(19[7-9][0-9]|20[0-9][0-9])-(0[1-9]|1[0-2])$"
FIRST_DAY, LAST_DAY = dt.date(1970, 1, 1), dt.date(2099, 12, 31)


def platform_day(day: dt.date) -> dt.date:
    """A day of a month the platform can hold (a pydantic validator: 422 outside)."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError("Tanggal di luar rentang yang didukung (1970-01-01 s.d. 2099-12-31).")
    return day
