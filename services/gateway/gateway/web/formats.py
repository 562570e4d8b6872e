"""Indonesian formats of the pages: dates, months, rupiah, percentages, durations, and the
names of statuses and score components. Pure functions (no I/O), tested on their own."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

MONTHS = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
          "September", "Oktober", "November", "Desember")
WEEKDAYS = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")

ENTRY_STATUS = {
    "draft": "Draf",
    "submitted": "Menunggu persetujuan",
    "approved": "Disetujui",
    "rejected": "Ditolak",
    "revoked": "Dicabut",
    "expired": "Kedaluwarsa",
}
COMPONENTS = {
    "performance": "Kinerja",
    "individual_performance": "Kinerja individu",
    "discipline": "Disiplin",
    "attendance": "Kehadiran",
    "collective_work": "Kerja bersama",
    "compliance": "Kepatuhan",
}

Number = Decimal | int | float | str


def _decimal(value: Number | None) -> Decimal | None:
    if value is None:
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _grouped(digits: str) -> str:
    """'4000000' -> '4.000.000' (Indonesian thousands separator)."""
    out: list[str] = []
    while len(digits) > 3:
        out.insert(0, digits[-3:])
        digits = digits[:-3]
    out.insert(0, digits)
    return ".".join(out)


def number(value: Number | None, places: int = 0) -> str:
    """Indonesian number: '.' groups thousands, ',' before decimals; '-' when missing."""
    d = _decimal(value)
    if d is None:
        return "-"
    q = d.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    sign = "-" if q < 0 else ""
    whole, _, frac = f"{abs(q):f}".partition(".")
    return sign + _grouped(whole) + ("," + frac if places else "")


def quantity(value: Number | None) -> str:
    """An output or target quantity: '4', '6,5', '1.250,75' (no trailing zeros); '-'."""
    whole, comma, cents = number(value, 2).partition(",")
    cents = cents.rstrip("0")
    return whole + (comma + cents if cents else "")


NBSP, WORD_JOINER = "\u00a0", "\u2060"


def rupiah(value: Number | None) -> str:
    """'Rp 4.000.000' (whole rupiah, half up); '-Rp 1.500' below zero; '-' when missing.
    Never broken across lines: a no-break space after 'Rp', a word joiner after the minus."""
    d = _decimal(value)
    if d is None:
        return "-"
    text = number(abs(d))
    below = d.quantize(Decimal(1), rounding=ROUND_HALF_UP) < 0
    return ("-" + WORD_JOINER if below else "") + "Rp" + NBSP + text


def percent(value: Number | None, places: int = 2) -> str:
    """'33,27 %' (two decimals, half up); '-' when missing."""
    d = _decimal(value)
    return "-" if d is None else f"{number(d, places)} %"


def date_long(day: dt.date | str | None) -> str:
    """'23 November 2026'."""
    if day is None or day == "":
        return "-"
    if isinstance(day, str):
        day = dt.date.fromisoformat(day[:10])
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def date_with_weekday(day: dt.date | str) -> str:
    """'Senin, 23 November 2026'."""
    if isinstance(day, str):
        day = dt.date.fromisoformat(day[:10])
    return f"{WEEKDAYS[day.weekday()]}, {date_long(day)}"


def period_label(period: str) -> str:
    """'2026-11' -> 'November 2026'."""
    year, month = period.split("-")
    return f"{MONTHS[int(month) - 1]} {int(year)}"


def shift_period(period: str, months: int) -> str:
    """'2026-01' shifted by -1 -> '2025-12'."""
    year, month = (int(p) for p in period.split("-"))
    index = year * 12 + (month - 1) + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def clock(value: dt.time | dt.datetime | str | None, tz: dt.tzinfo | None = None) -> str:
    """'07:41' (a datetime shown in ``tz`` when given); '-' when missing."""
    if value is None or value == "":
        return "-"
    if isinstance(value, str):
        value = (dt.datetime.fromisoformat(value) if "T" in value or len(value) > 8
                 else dt.time.fromisoformat(value))
    if isinstance(value, dt.datetime) and tz is not None and value.tzinfo is not None:
        value = value.astimezone(tz)
    return f"{value.hour:02d}:{value.minute:02d}"


def datetime_long(value: dt.datetime | str | None, tz: dt.tzinfo) -> str:
    """'23 November 2026 07:41' in the regency's zone; '-' when missing."""
    if value is None or value == "":
        return "-"
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    local = value.astimezone(tz) if value.tzinfo else value
    return f"{date_long(local.date())} {clock(local)}"


def duration(minutes: int | None) -> str:
    """210 -> '3 jam 30 menit'; 60 -> '1 jam'; 45 -> '45 menit'."""
    if minutes is None:
        return "-"
    hours, rest = divmod(int(minutes), 60)
    parts = ([f"{hours} jam"] if hours else []) + ([f"{rest} menit"] if rest or not hours else [])
    return " ".join(parts)


def entry_status(status: str) -> str:
    return ENTRY_STATUS.get(status, status)


def component(name: str) -> str:
    return COMPONENTS.get(name, name.replace("_", " ").capitalize())
