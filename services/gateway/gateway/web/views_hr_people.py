"""View models of HR's pages on people: the employee list (a page of the search by name or
NIP in an OPD, each with their supervisor, device PIN and employment type), the acting assignments
(Plt/Plh) with their state on a day, and the activity rules form. Plain functions of the
services' answers and of the submitted forms, no I/O; tested on their own."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from ..service_layer.page_reads import EmployeePage
from . import formats as f

Json = Mapping[str, Any]

SHOWN = 100  # rows of the employee list on one page
ACTING_KINDS = {"plt": "Plt (pelaksana tugas)", "plh": "Plh (pelaksana harian)"}
# the activity rules HR edits: (name, label, hint, lowest, highest)
ACTIVITY_RULES = (
    ("edit_window_days", "Batas pengisian aktivitas (hari ke belakang)",
     "Berapa hari setelah tanggal kerja aktivitas masih boleh dicatat atau diubah.", 0, 62),
    ("daily_cap_minutes", "Batas menit aktivitas per hari",
     "Jumlah menit aktivitas paling banyak yang boleh dicatat dalam satu hari.", 1, 1440),
    ("approval_deadline_day", "Batas persetujuan atasan (tanggal bulan berikutnya)",
     "Aktivitas yang belum diputuskan sampai tanggal ini kedaluwarsa.", 1, 28),
)


@dataclass(frozen=True)
class EmployeeRow:
    nip: str
    name: str
    unit_id: str
    unit_name: str
    position: str
    supervisor_nip: str
    supervisor_name: str
    employment: str
    device_pin: str
    active: bool


@dataclass(frozen=True)
class EmployeeList:
    rows: list[EmployeeRow]  # one page of the matches, by OPD then name
    matches: int
    total: int
    units: list[tuple[str, str]]  # (unit_id, name) of every OPD, by name
    page: int  # 1-based
    size: int
    query: str = ""
    unit_id: str = ""

    @property
    def pages(self) -> int:
        return max(1, -(-self.matches // self.size))

    @property
    def first(self) -> int:
        """The number of the page's first row among the matches (0: none)."""
        return (self.page - 1) * self.size + 1 if self.rows else 0

    @property
    def last(self) -> int:
        return (self.page - 1) * self.size + len(self.rows)

    def href(self, page: int) -> str:
        """The list's address with the same search on another page (a plain link)."""
        asked = {"q": self.query.strip(), "opd": self.unit_id, "hal": str(page) if page > 1 else ""}
        return "/app/sdm/pegawai?" + urlencode({k: v for k, v in asked.items() if v})


def page_number(text: str) -> int:
    """``?hal=`` as a page number: anything but a positive whole number is the first."""
    return int(text) if text.isdigit() and 0 < int(text) < 1_000_000 else 1


def employee_list(found: EmployeePage, query: str = "", unit_id: str = "") -> EmployeeList:
    """The directory's page as HR sees it (``Directory.employees``: the matches of
    ``query`` in ``unit_id``, filtered, ordered and paged by the database)."""
    rows = [EmployeeRow(
        nip=e["nip"], name=e["name"], unit_id=e["unit_id"],
        unit_name=e.get("unit_name") or e["unit_id"], position=e.get("position") or "",
        supervisor_nip=e.get("supervisor_nip") or "",
        supervisor_name=e.get("supervisor_name") or "",
        employment=e.get("employment_type") or "",
        device_pin=e.get("device_pin") or "", active=bool(e.get("active", True)))
        for e in found.rows]
    return EmployeeList(rows=rows, matches=found.matches, total=found.total, units=found.units,
                        page=found.page, size=found.size, query=query, unit_id=unit_id)


@dataclass(frozen=True)
class ActingRow:
    id: str
    kind: str
    kind_label: str
    principal_nip: str
    principal_name: str
    acting_nip: str
    acting_name: str
    span: str
    state: str  # berlaku / akan datang / selesai
    ended: bool


def acting_view(rows: Sequence[Json], names: Mapping[str, str],
                today: dt.date) -> list[ActingRow]:
    """The Plt/Plh assignments: those in force and to come first, then the ended ones
    (latest first)."""
    out: list[tuple[tuple[bool, int], ActingRow]] = []
    for a in rows:
        start, end = dt.date.fromisoformat(a["start_date"]), dt.date.fromisoformat(a["end_date"])
        state = "Berlaku" if start <= today <= end else (
            "Akan datang" if today < start else "Selesai")
        order = (end < today, -end.toordinal() if end < today else start.toordinal())
        out.append((order, ActingRow(
            id=str(a["id"]), kind=a["kind"], kind_label=a["kind"].capitalize(),
            principal_nip=a["principal_nip"], principal_name=names.get(a["principal_nip"], ""),
            acting_nip=a["acting_nip"], acting_name=names.get(a["acting_nip"], ""),
            span=f"{f.date_long(start)} s.d. {f.date_long(end)}", state=state,
            ended=end < today)))
    return [row for _, row in sorted(out, key=lambda o: (o[0], o[1].id))]


def acting_body(form: Mapping[str, str]) -> dict[str, str]:
    return {k: form.get(k, "").strip()
            for k in ("principal_nip", "acting_nip", "kind", "start_date", "end_date")}


def activity_rules_changes(form: Mapping[str, str],
                           current: Mapping[str, Any]) -> tuple[dict[str, int], list[str]]:
    """The rules the form changes (only those) and the labels of the fields that are not a
    whole number in their range."""
    changes: dict[str, int] = {}
    wrong: list[str] = []
    for name, label, _, low, high in ACTIVITY_RULES:
        text = form.get(name, "").strip()
        if not text:
            continue
        if not text.isdigit() or not low <= int(text) <= high:
            wrong.append(f"{label} ({low}-{high})")
            continue
        if int(text) != current.get(name):
            changes[name] = int(text)
    return changes, wrong
