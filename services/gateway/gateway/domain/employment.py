"""Employment over time: start of duty (TMT), end (retirement, dismissal, transfer out) and
changes effective from a date. Pure functions and dataclasses, no I/O.

A roster row states an employee's values (unit, supervisor, position, employment type, TPP
base...) and, optionally, from when they hold:

- ``tmt``: the start of duty (terhitung mulai tanggal); a later upload may correct it;
- ``effective_from``: the date the row's values apply from. For a new employee without a
  ``tmt`` it is also the start of duty; for a known employee whose start is unknown or later,
  the start moves back to it (a roster loaded after the fact with its real dates);
- ``end_date`` with ``end_reason``: the last day of duty.

A change is recorded from its effective date (today without one). It may not lie in the
future (the roster states what holds, not what is planned) nor before the employee's latest
recorded change (history is appended in date order).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

END_REASONS = {
    "pensiun": "pensiun",
    "pemberhentian": "pemberhentian",
    "pindah_keluar": "pindah keluar",
}
"""Why duty ended: code -> label shown to staff."""

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_ID = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$")


def parse_date(raw: str) -> dt.date | None:
    """``2026-11-01`` or the Indonesian ``01-11-2026`` / ``01/11/2026`` / ``01.11.2026``;
    None when it is not a date. (An empty value is the caller's business.)"""
    text = raw.strip()
    m = _ISO.match(text)
    try:
        if m:
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        m = _ID.match(text)
        if m:
            return dt.date(int(m[3]), int(m[2]), int(m[1]))
    except ValueError:
        return None
    return None


def parse_end_reason(raw: str) -> str | None:
    """The code of an end reason (``pindah keluar`` and ``Pindah-Keluar`` are
    ``pindah_keluar``); None when unknown."""
    code = re.sub(r"[\s\-]+", "_", raw.strip().lower())
    return code if code in END_REASONS else None


def fmt(day: dt.date) -> str:
    return f"{day:%d-%m-%Y}"


@dataclass(frozen=True)
class Dated:
    """What a roster row says about dates (already parsed)."""

    tmt: dt.date | None = None
    effective_from: dt.date | None = None
    end_date: dt.date | None = None


@dataclass(frozen=True)
class Known:
    """What the directory knows about an existing employee's dates."""

    start_date: dt.date | None
    last_change: dt.date | None  # the latest recorded change's effective date


@dataclass(frozen=True)
class Decision:
    """How a row applies: the employee's start of duty after it and the date its values
    hold from; ``errors`` are (column, message) pairs."""

    start_date: dt.date | None
    effective_from: dt.date | None
    errors: tuple[tuple[str, str], ...] = ()


def decide(row: Dated, known: Known | None, *, data_changed: bool,
           today: dt.date) -> Decision:
    """The dates a roster row gives an employee (``known`` None: a new employee)."""
    errors: list[tuple[str, str]] = []
    for column, day in (("tmt", row.tmt), ("effective_from", row.effective_from)):
        if day is not None and day > today:
            errors.append((column, f"Tanggal {fmt(day)} belum tiba: perubahan dicatat sejak "
                                   "tanggal berlakunya, unggah pada atau setelah tanggal itu."))
    if known is None:
        start = row.tmt or row.effective_from
        effective = row.effective_from or start
    else:
        start = row.tmt or known.start_date
        if row.tmt is None and row.effective_from is not None and (
                start is None or row.effective_from < start):
            start = row.effective_from
        effective = row.effective_from
        if effective is None:
            effective = today if data_changed else start
        if data_changed and known.last_change is not None and effective is not None \
                and effective < known.last_change:
            errors.append(("effective_from",
                           f"Tanggal berlaku {fmt(effective)} sebelum perubahan terakhir "
                           f"pegawai ini ({fmt(known.last_change)}): riwayat dicatat urut "
                           "tanggal."))
    if start is not None and effective is not None and effective < start:
        errors.append(("effective_from", f"Tanggal berlaku {fmt(effective)} sebelum TMT "
                                         f"{fmt(start)}."))
    if row.end_date is not None and start is not None and row.end_date < start:
        errors.append(("end_date", f"Tanggal akhir tugas {fmt(row.end_date)} sebelum TMT "
                                   f"{fmt(start)}."))
    return Decision(start, effective, tuple(errors))


def active_on(day: dt.date, end_date: dt.date | None) -> bool:
    """The directory's ``active`` flag: an employee whose duty ended before ``day`` is
    inactive (cannot sign in, no longer listed as a supervisor)."""
    return end_date is None or end_date >= day


def employed_on(day: dt.date, start_date: dt.date | None, end_date: dt.date | None) -> bool:
    """On duty on ``day``: from the start (TMT; unknown = always) to the end inclusive."""
    return (start_date is None or start_date <= day) and (end_date is None or day <= end_date)
