"""View models of HR's pages on people: the employee list (search by name or NIP, filter by
OPD, each with their supervisor, device PIN and employment type), the acting assignments
(Plt/Plh) with their state on a day, and the activity rules form. Plain functions of the
services' answers and of the submitted forms, no I/O; tested on their own."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from . import formats as f

Json = Mapping[str, Any]

SHOWN = 100  # rows of the employee list shown at once (the rest: narrow the search)
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
    rows: list[EmployeeRow]  # the first SHOWN matches, by OPD then name
    matches: int
    total: int
    units: list[tuple[str, str]]  # (unit_id, name) of every OPD, by name

    @property
    def cut(self) -> bool:
        return self.matches > len(self.rows)


def employee_list(rows: Sequence[Json], query: str = "", unit_id: str = "",
                  shown: int = SHOWN) -> EmployeeList:
    """The directory as HR sees it: matches of ``query`` (part of the name, or of the NIP
    when it is digits) in ``unit_id`` (every OPD when empty)."""
    names = {e["nip"]: e["name"] for e in rows}
    units = sorted({(e["unit_id"], e.get("unit_name") or e["unit_id"]) for e in rows},
                   key=lambda u: (u[1].lower(), u[0]))
    q = query.strip().lower()
    found = [e for e in rows
             if (not unit_id or e["unit_id"] == unit_id)
             and (not q or (q in e["nip"] if q.isdigit() else q in e["name"].lower()))]
    found.sort(key=lambda e: ((e.get("unit_name") or e["unit_id"]).lower(),
                              e["name"].lower(), e["nip"]))
    out = [EmployeeRow(
        nip=e["nip"], name=e["name"], unit_id=e["unit_id"],
        unit_name=e.get("unit_name") or e["unit_id"], position=e.get("position") or "",
        supervisor_nip=e.get("supervisor_nip") or "",
        supervisor_name=names.get(e.get("supervisor_nip") or "", ""),
        employment=e.get("employment_type") or "",
        device_pin=e.get("device_pin") or "", active=bool(e.get("active", True)))
        for e in found[:shown]]
    return EmployeeList(rows=out, matches=len(found), total=len(rows), units=units)


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
