"""What an employee's month rests on that HR should know before paying it: pure rules over
the month's facts, the policy and the directory copy. A flag does not change a figure; it
says why a figure is what it is (a default applied, an input missing).

The rules the figures follow when something is missing (stated in the service README):
- no attendance day at all in the month (no punch, and no day closed as TK by attendance:
  e.g. days before the regency's first device) -> attendance 100 (nothing deducted), apel
  100, flagged ``no_attendance_data``;
- no approved activity -> performance 0, flagged ``no_approved_activity``;
- compliance not entered by HR under a policy that uses it -> compliance 0, flagged
  ``compliance_not_entered`` (and listed before the close);
- no effective days published by attendance -> the Mon-Fri days of the month, flagged
  ``no_calendar``;
- the NIP is not in the directory, or has no TPP base -> TPP 0, flagged.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .policy import Policy
from .score import MonthFacts

FLAG_TEXT: dict[str, str] = {
    "not_in_directory": "NIP tidak terdaftar di direktori: TPP dasar 0",
    "inactive": "pegawai tidak aktif di direktori",
    "no_tpp_base": "TPP dasar belum diisi (0)",
    "no_attendance_data": "tidak ada data presensi bulan ini: kehadiran dihitung 100 %",
    "no_approved_activity": "tidak ada aktivitas disetujui: kinerja 0 %",
    "compliance_not_entered": "nilai kepatuhan belum diisi: dihitung 0 %",
    "no_calendar": "hari kerja efektif belum diterbitkan: dihitung Senin-Jumat",
}

# a flag that leaves money unpaid until someone acts (listed before a month is closed)
BLOCKING = ("not_in_directory", "no_tpp_base", "compliance_not_entered")


@dataclass(frozen=True)
class DirectoryState:
    known: bool = True
    active: bool = True
    tpp_base: Decimal = Decimal(0)


def month_flags(policy: Policy, facts: MonthFacts, directory: DirectoryState) -> list[str]:
    """The flags of one employee-month, in the order of ``FLAG_TEXT``."""
    used = policy.sources()
    found: set[str] = set()
    if not directory.known:
        found.add("not_in_directory")
    else:
        if not directory.active:
            found.add("inactive")
        if directory.tpp_base <= 0:
            found.add("no_tpp_base")
    if used & {"attendance", "apel"} and facts.attendance_days == 0:
        found.add("no_attendance_data")
    if used & {"performance", "unit_performance"} and facts.approved_minutes == 0:
        found.add("no_approved_activity")
    if "compliance" in used and facts.compliance_pct is None:
        found.add("compliance_not_entered")
    if "performance" in used and facts.effective_days is None:
        found.add("no_calendar")
    return [code for code in FLAG_TEXT if code in found]


def describe(flags: list[str]) -> str:
    """The flags as one line for staff (the payroll file's ``Keterangan``)."""
    return "; ".join(FLAG_TEXT.get(code, code) for code in flags)
