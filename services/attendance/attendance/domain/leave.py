"""Kinds of leave and permits (cuti dan izin) that excuse a working day. The code is what
``AttendanceDayEvaluated.absence_code`` carries for a day on leave."""

from __future__ import annotations

LEAVE_KINDS: dict[str, str] = {
    "CT": "cuti tahunan",
    "CS": "cuti sakit",
    "CB": "cuti besar",
    "CM": "cuti melahirkan",
    "CAP": "cuti karena alasan penting",
    "CLTN": "cuti di luar tanggungan negara",
    "DL": "dinas luar",
    "I": "izin",
    "TB": "tugas belajar",
}
