"""Roster (daftar pegawai) rules: parse a CSV upload, validate every row against the rest
of the roster and the employees already known, and tell what a reload changes.

Pure functions and dataclasses, no I/O. Messages are for staff, in Bahasa Indonesia.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from decimal import Decimal, InvalidOperation

from ekinerja_shared.errors import DomainError

from .employment import (
    END_REASONS,
    Dated,
    Decision,
    Known,
    active_on,
    decide,
    parse_date,
    parse_end_reason,
)

COLUMNS = (
    "nip",
    "name",
    "unit_id",
    "unit_name",
    "position",
    "supervisor_nip",
    "tpp_base",
    "employment_type",
    "device_pin",
    "tmt",
    "effective_from",
    "end_date",
    "end_reason",
)
REQUIRED_COLUMNS = ("nip", "name", "unit_id", "tpp_base")
EMPLOYMENT_TYPES = ("PNS", "CPNS", "PPPK")

_NIP = re.compile(r"^\d{18}$")
_PIN = re.compile(r"^[0-9A-Za-z]{1,24}$")
# Indonesian number style: 4.500.000 or 4.500.000,50
_ID_THOUSANDS = re.compile(r"^\d{1,3}(\.\d{3})+(,\d+)?$")


@dataclass(frozen=True)
class EmployeeData:
    """The directory's facts about one employee (normalised)."""

    nip: str
    name: str
    unit_id: str
    unit_name: str
    position: str
    supervisor_nip: str | None
    tpp_base: Decimal
    employment_type: str
    device_pin: str | None
    end_date: dt.date | None = None  # the last day of duty
    end_reason: str | None = None  # employment.END_REASONS


@dataclass(frozen=True)
class RosterRow(EmployeeData):
    """One employee as the roster states it."""

    line: int = 0  # line of the CSV file (the header is line 1)
    tmt: dt.date | None = None  # start of duty
    effective_from: dt.date | None = None  # the values hold from (see domain.employment)


@dataclass(frozen=True)
class KnownEmployee(EmployeeData):
    """An employee already in the directory."""

    active: bool = True
    start_date: dt.date | None = None  # TMT
    last_change: dt.date | None = None  # effective date of the latest recorded change


@dataclass(frozen=True)
class RowError:
    line: int
    nip: str | None
    field: str | None
    message: str

    def as_dict(self) -> dict[str, object]:
        return {"baris": self.line, "nip": self.nip, "kolom": self.field, "pesan": self.message}


class RosterInvalid(DomainError):
    """The roster has errors; nothing of it may be applied."""

    status_code = 422
    code = "invalid_roster"

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(
            f"Daftar pegawai ditolak: {len(errors)} kesalahan ditemukan; tidak ada data yang "
            "disimpan. Perbaiki semua baris lalu unggah ulang."
        )
        self.errors = errors


# --- parsing ---------------------------------------------------------------------------


def decode_upload(data: bytes) -> str:
    """UTF-8 text of an upload (a BOM written by spreadsheet programs is dropped)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RosterInvalid(
            [RowError(0, None, None, "Berkas harus berupa teks UTF-8 (simpan sebagai CSV UTF-8).")]
        ) from exc


def _delimiter(header: str) -> str:
    return ";" if header.count(";") > header.count(",") else ","


def parse_tpp(raw: str) -> Decimal | None:
    """A non-negative rupiah amount: ``4500000``, ``4500000.50``, ``4.500.000``,
    ``4500000,50``, ``Rp 4.500.000``. None when it is not a number."""
    text = raw.strip().replace(" ", "")
    if text.lower().startswith("rp"):
        text = text[2:].lstrip(".")
    if _ID_THOUSANDS.match(text):
        text = text.replace(".", "").replace(",", ".")
    elif "," in text and "." not in text:
        text = text.replace(",", ".")
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    if not value.is_finite():
        return None
    return value


def normalise_nip(raw: str) -> str:
    """NIPs are often written in groups (``19800101 200501 1 001``)."""
    return re.sub(r"[\s.\-]", "", raw or "")


def parse_roster(text: str) -> tuple[list[RosterRow], list[RowError]]:
    """Rows of a roster CSV and the errors of the rows that cannot be read."""
    lines = text.splitlines(keepends=True)
    # blank lines before the header are skipped (line numbers still count them)
    skipped = next((i for i, ln in enumerate(lines) if ln.strip()), len(lines))
    if skipped == len(lines):
        return [], [RowError(1, None, None, "Berkas kosong: baris judul kolom wajib ada.")]
    reader = csv.DictReader(io.StringIO("".join(lines[skipped:])),
                            delimiter=_delimiter(lines[skipped]), skipinitialspace=True)
    header = [(h or "").strip().lower() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    unknown = [h for h in header if h and h not in COLUMNS]
    if unknown:
        return [], [
            RowError(skipped + 1, None, unknown[0],
                     "Kolom " + ", ".join(f"'{h}'" for h in unknown) + " tidak dikenal; "
                     "tidak ada data yang disimpan. Hapus atau ganti namanya. Kolom yang "
                     "dikenal: " + ",".join(COLUMNS) + ".")
        ]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        return [], [
            RowError(skipped + 1, None, None,
                     "Baris judul kolom tidak lengkap: kolom "
                     + ", ".join(missing) + " wajib ada. Kolom yang dikenal: "
                     + ",".join(COLUMNS) + ".")
        ]
    rows: list[RosterRow] = []
    errors: list[RowError] = []
    for record in reader:
        line = skipped + reader.line_num
        values = {k: (v or "").strip() if isinstance(v, str) else "" for k, v in record.items()
                  if k is not None}
        if not any(values.values()):
            continue  # blank line
        if None in record:
            errors.append(RowError(line, values.get("nip") or None, None,
                                   "Jumlah kolom melebihi baris judul."))
            continue
        row, row_errors = _parse_row(values, line)
        errors.extend(row_errors)
        if row is not None:
            rows.append(row)
    if not rows and not errors:
        errors.append(RowError(skipped + 2, None, None,
                               "Daftar pegawai tidak berisi satu pun baris data."))
    return rows, errors


def _parse_row(v: Mapping[str, str], line: int) -> tuple[RosterRow | None, list[RowError]]:
    errs: list[RowError] = []
    nip = normalise_nip(v.get("nip", ""))

    def err(field: str, message: str) -> None:
        errs.append(RowError(line, nip or None, field, message))

    if not _NIP.match(nip):
        err("nip", f"NIP '{v.get('nip', '')}' tidak valid: NIP harus 18 digit angka.")
    name = v.get("name", "")
    if not name:
        err("name", "Nama pegawai wajib diisi.")
    unit_id = v.get("unit_id", "")
    if not unit_id:
        err("unit_id", "Kode unit kerja (unit_id) wajib diisi.")
    supervisor = normalise_nip(v.get("supervisor_nip", "")) or None
    if supervisor is not None and not _NIP.match(supervisor):
        err("supervisor_nip",
            f"NIP atasan '{v.get('supervisor_nip', '')}' tidak valid: NIP harus 18 digit angka.")
    elif supervisor is not None and supervisor == nip:
        err("supervisor_nip", "Pegawai tidak dapat menjadi atasan dirinya sendiri.")
    tpp = parse_tpp(v.get("tpp_base", ""))
    if tpp is None:
        err("tpp_base", f"TPP dasar '{v.get('tpp_base', '')}' bukan angka yang valid.")
    elif tpp < 0:
        err("tpp_base", "TPP dasar tidak boleh negatif.")
    employment = (v.get("employment_type", "") or "PNS").upper()
    if employment not in EMPLOYMENT_TYPES:
        err("employment_type",
            f"Jenis kepegawaian '{v.get('employment_type', '')}' tidak dikenal: gunakan PNS, "
            "CPNS, atau PPPK.")
    pin = v.get("device_pin", "") or None
    if pin is not None and not _PIN.match(pin):
        err("device_pin",
            f"PIN mesin absensi '{pin}' tidak valid: gunakan angka/huruf tanpa spasi, "
            "maksimal 24 karakter.")
    dates: dict[str, dt.date | None] = {}
    for column in ("tmt", "effective_from", "end_date"):
        raw = v.get(column, "")
        dates[column] = parse_date(raw) if raw else None
        if raw and dates[column] is None:
            err(column, f"Tanggal '{raw}' pada kolom {column} tidak valid: gunakan "
                        "TTTT-BB-HH atau HH-BB-TTTT.")
    reason = v.get("end_reason", "")
    end_reason = parse_end_reason(reason) if reason else None
    if reason and end_reason is None:
        err("end_reason", f"Alasan akhir tugas '{reason}' tidak dikenal: gunakan "
                          + ", ".join(END_REASONS.values()) + ".")
    if v.get("end_date", "") and not reason:
        err("end_reason", "Alasan akhir tugas (end_reason) wajib diisi bila end_date diisi.")
    if reason and not v.get("end_date", ""):
        err("end_date", "Tanggal akhir tugas (end_date) wajib diisi bila end_reason diisi.")
    if errs:
        return None, errs
    assert tpp is not None
    return (
        RosterRow(nip=nip, name=name, unit_id=unit_id, unit_name=v.get("unit_name", ""),
                  position=v.get("position", ""), supervisor_nip=supervisor, tpp_base=tpp,
                  employment_type=employment, device_pin=pin, end_date=dates["end_date"],
                  end_reason=end_reason, line=line, tmt=dates["tmt"],
                  effective_from=dates["effective_from"]),
        [],
    )


# --- validation against the whole roster ------------------------------------------------


def validate_roster(
    rows: list[RosterRow], known: Mapping[str, KnownEmployee], today: dt.date | None = None
) -> list[RowError]:
    """Errors that need the whole picture: duplicate NIPs, unknown or inactive supervisors,
    device PINs used twice among active employees, supervisor cycles; with ``today``, the
    dates of each row against the employee's known ones (``domain.employment.decide``)."""
    errors: list[RowError] = []
    first_line: dict[str, int] = {}
    unique_rows: dict[str, RosterRow] = {}
    for row in rows:
        if row.nip in first_line:
            errors.append(RowError(row.line, row.nip, "nip",
                                   f"NIP {row.nip} ganda: sudah ada pada baris "
                                   f"{first_line[row.nip]}."))
            continue
        first_line[row.nip] = row.line
        unique_rows[row.nip] = row

    # the directory as it would be after applying the roster (rows reactivate employees)
    supervisor_of: dict[str, str | None] = {
        nip: e.supervisor_nip for nip, e in known.items() if e.active
    }
    pins: dict[str, str | None] = {nip: e.device_pin for nip, e in known.items() if e.active}
    for nip, row in unique_rows.items():
        supervisor_of[nip] = row.supervisor_nip
        pins[nip] = row.device_pin

    for row in unique_rows.values():
        sup = row.supervisor_nip
        if sup is None or sup in unique_rows:
            continue
        if sup not in known:
            errors.append(RowError(row.line, row.nip, "supervisor_nip",
                                   f"Atasan dengan NIP {sup} tidak ada dalam daftar ini maupun "
                                   "data pegawai yang sudah terdaftar."))
        elif not known[sup].active:
            errors.append(RowError(row.line, row.nip, "supervisor_nip",
                                   f"Atasan dengan NIP {sup} sudah tidak aktif."))

    holders: dict[str, list[str]] = {}
    for nip, pin in pins.items():
        if pin is not None:
            holders.setdefault(pin, []).append(nip)
    for pin, nips in holders.items():
        if len(nips) < 2:
            continue
        for nip in nips:
            holder = unique_rows.get(nip)
            if holder is not None:
                others = ", ".join(sorted(n for n in nips if n != nip))
                errors.append(RowError(holder.line, nip, "device_pin",
                                       f"PIN mesin absensi {pin} sudah dipakai pegawai lain "
                                       f"(NIP {others})."))

    if today is not None:
        for row in unique_rows.values():
            for column, message in decision_of(row, known.get(row.nip), today).errors:
                errors.append(RowError(row.line, row.nip, column, message))

    for cycle in find_cycles(supervisor_of):
        members = " -> ".join([*cycle, cycle[0]])
        for nip in cycle:
            member = unique_rows.get(nip)
            if member is not None:
                errors.append(RowError(member.line, nip, "supervisor_nip",
                                       f"Hubungan atasan membentuk lingkaran: {members}."))
    return sorted(errors, key=lambda e: (e.line, e.field or ""))


def find_cycles(supervisor_of: Mapping[str, str | None]) -> list[list[str]]:
    """Every cycle of the supervisor graph (each node has at most one supervisor)."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    cycles: list[list[str]] = []
    for start in supervisor_of:
        if state.get(start):
            continue
        path: list[str] = []
        node: str | None = start
        while node is not None and node in supervisor_of and not state.get(node):
            state[node] = 1
            path.append(node)
            node = supervisor_of[node]
        if node is not None and state.get(node) == 1:
            cycles.append(path[path.index(node):])
        for n in path:
            state[n] = 2
    return cycles


def check_roster(text: str, known: Mapping[str, KnownEmployee],
                 today: dt.date | None = None) -> list[RosterRow]:
    """The rows of a valid roster; raises ``RosterInvalid`` with every error otherwise."""
    rows, errors = parse_roster(text)
    if not errors:
        errors = validate_roster(rows, known, today)
    if errors:
        raise RosterInvalid(errors)
    return rows


# --- what a reload changes -----------------------------------------------------------


DATA_FIELDS = tuple(f.name for f in fields(EmployeeData))


def as_known(row: RosterRow, today: dt.date | None = None) -> KnownEmployee:
    """The directory entry the row makes (active unless its duty ended before ``today``)."""
    decision = decision_of(row, None, today) if today is not None else None
    return KnownEmployee(**{name: getattr(row, name) for name in DATA_FIELDS},
                         active=today is None or active_on(today, row.end_date),
                         start_date=decision.start_date if decision else row.tmt,
                         last_change=decision.effective_from if decision else None)


def same_data(row: EmployeeData, existing: EmployeeData) -> bool:
    return all(getattr(row, name) == getattr(existing, name) for name in DATA_FIELDS)


def decision_of(row: RosterRow, existing: KnownEmployee | None, today: dt.date) -> Decision:
    """The start of duty and effective date the row gives (``domain.employment``)."""
    known = None if existing is None else Known(existing.start_date, existing.last_change)
    changed = existing is None or not same_data(row, existing) or (
        existing.active != active_on(today, row.end_date))
    return decide(Dated(row.tmt, row.effective_from, row.end_date), known,
                  data_changed=changed, today=today)


def classify(row: RosterRow, existing: KnownEmployee | None,
             today: dt.date | None = None) -> str:
    """``created``, ``updated`` or ``unchanged``: what applying the row does (a new start
    of duty is a change)."""
    if existing is None:
        return "created"
    active = today is None or active_on(today, row.end_date)
    if not same_data(row, existing) or existing.active != active:
        return "updated"
    if today is not None and decision_of(row, existing, today).start_date != existing.start_date:
        return "updated"
    return "unchanged"


def plan(
    rows: Iterable[RosterRow], known: Mapping[str, KnownEmployee], today: dt.date | None = None
) -> dict[str, list[RosterRow]]:
    out: dict[str, list[RosterRow]] = {"created": [], "updated": [], "unchanged": []}
    for row in rows:
        out[classify(row, known.get(row.nip), today)].append(row)
    return out
