"""The ZKTeco ADMS ("iclock") push protocol: parsing what devices upload and shaping what
they expect back. Pure functions, no I/O.

A device sends its local wall-clock time without a zone; turning it into an instant is
the service layer's job (it knows the device's and the tenant's zone).

Every input is bounded here, before it reaches a column: line length, PIN and workcode
length, numbers within the range of their column, times within a range where date
arithmetic is safe (and, relative to the server's clock, within the tenant's plausibility
window). A line that fails is a ``RejectedLine`` (kept in quarantine with its raw text and
a reason), never an exception.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

ATTLOG_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
ATTLOG_MIN_FIELDS = 4  # PIN, time, status, verify; workcode and reserved fields optional
MAX_LINE_CHARS = 512  # an ATTLOG row or a command result is far shorter
MAX_RAW_CHARS = 4096  # what quarantine keeps of an oversized line
WORKCODE_MAX_CHARS = 32
USER_NAME_MAX_CHARS = 200
CARD_MAX_CHARS = 64
INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1
# outside this range a time is no clock reading at all (and date arithmetic could overflow)
EARLIEST_TIME = dt.datetime(1970, 1, 1)
LATEST_TIME = dt.datetime(2100, 1, 1)
_PIN_RE = re.compile(r"[0-9A-Za-z_-]{1,32}")
# ATTLOG_TIME_FORMAT as CPython's ``strptime`` reads it (its own patterns of %Y, %m, %d, %H,
# %M and %S; a space is any run of white space), compiled once: the same strings parse to
# the same times, where ``strptime`` itself (a lock, a locale check and a format lookup
# per call) was half of reading an upload (docs/perf/ingest.md, round 7)
_TIME_RE = re.compile(r"(\d\d\d\d)-(1[0-2]|0[1-9]|[1-9])-(3[0-1]|[1-2]\d|0[1-9]|[1-9]| [1-9])"
                      r"\s+(2[0-3]|[0-1]\d|\d):([0-5]\d|\d):(6[0-1]|[0-5]\d|\d)",
                      re.IGNORECASE)
_SERIAL_RE = re.compile(r"[0-9A-Za-z_.-]{1,64}")
_LINE_BREAK_RE = re.compile(r"\r\n|\r|\n")
# tables a device may upload; anything else is counted as "other" (bounded metric labels)
KNOWN_TABLES = frozenset({"ATTLOG", "OPERLOG", "ATTPHOTO", "BIODATA", "USERPIC", "ERRORLOG"})


@dataclass(frozen=True)
class AttlogRecord:
    """One valid ATTLOG line."""

    pin: str
    local_time: dt.datetime  # naive: device wall clock
    status_code: int
    verify_type: int
    workcode: str
    raw: str


@dataclass(frozen=True)
class RejectedLine:
    """A line that cannot be used; kept in quarantine with ``reason`` (Bahasa Indonesia)."""

    raw: str
    reason: str
    # field_count, bad_pin, bad_time, bad_status, bad_bytes, line_too_long, future_time,
    # old_time, unknown_pin, too_many_lines, bad_command_result, unknown_command
    code: str

    def storable_raw(self) -> str:
        """The raw text as quarantine keeps it: a batch's overflow whole (it is bounded by
        the body limit), a single line cut to ``MAX_RAW_CHARS``."""
        return storable(self.raw, None if self.code == "too_many_lines" else MAX_RAW_CHARS)


def valid_serial(serial: str | None) -> bool:
    """A serial number as devices are registered with (letters, digits, ``_.-``)."""
    return serial is not None and _SERIAL_RE.fullmatch(serial) is not None


def table_label(table: str) -> str:
    """The upload's table as a metric label: a known table name, else ``other``."""
    kind = table.strip().upper()
    return kind if kind in KNOWN_TABLES else "other"


def storable(text: str, limit: int | None = MAX_RAW_CHARS) -> str:
    """Text PostgreSQL can keep: NUL written as ``\\x00``, at most ``limit`` characters
    (None: no limit) followed by a ``[+N]`` mark of what was cut."""
    text = text.replace("\x00", "\\x00")
    if limit is not None and len(text) > limit:
        text = f"{text[:limit]}[+{len(text) - limit}]"
    return text


def clean_text(value: str, limit: int) -> str:
    """A name or card number for a column: control characters and runs of white space
    become one space, cut to ``limit`` characters."""
    printable = "".join(c if c.isprintable() else " " for c in value)
    return " ".join(printable.split())[:limit]


def _show(value: str) -> str:
    """A field quoted in a reason, cut short."""
    return repr(value[:40])


def split_lines(body: str) -> Iterator[str]:
    """Records of an upload body: CRLF, LF or CR separated, blank lines skipped."""
    for line in _LINE_BREAK_RE.split(body):
        if line.strip():
            yield line


def split_batch(body: str, max_lines: int) -> tuple[list[str], list[str]]:
    """The first ``max_lines`` records of a body, and the ones beyond."""
    lines = list(split_lines(body))
    return lines[:max_lines], lines[max_lines:]


def too_many_lines(overflow: list[str], max_lines: int) -> RejectedLine:
    """The records beyond a batch's limit, kept together as one quarantined entry."""
    return RejectedLine("\n".join(overflow),
                        f"Melebihi batas {max_lines} baris per kiriman: {len(overflow)} baris "
                        "disimpan tanpa diproses.", "too_many_lines")


def bounded_int(text: str, low: int, high: int) -> int | None:
    """``text`` as an integer within ``[low, high]``, else None."""
    try:
        value = int(text)
    except ValueError:
        return None
    return value if low <= value <= high else None


def local_time(when: str) -> dt.datetime:
    """``dt.datetime.strptime(when, ATTLOG_TIME_FORMAT)``, faster (``_TIME_RE``); raises
    ``ValueError`` for what it refuses."""
    found = _TIME_RE.fullmatch(when)
    if found is None:
        raise ValueError(f"time data {when!r} does not match {ATTLOG_TIME_FORMAT!r}")
    year, month, day, hour, minute, second = (int(g) for g in found.groups())
    return dt.datetime(year, month, day, hour, minute, second)


def parse_attlog_line(line: str) -> AttlogRecord | RejectedLine:
    if len(line) > MAX_LINE_CHARS:
        return RejectedLine(line, f"Baris terlalu panjang: {len(line)} karakter, maksimal "
                                  f"{MAX_LINE_CHARS}.", "line_too_long")
    if "\x00" in line:
        return RejectedLine(line, "Baris berisi byte NUL (data rusak).", "bad_bytes")
    # a trailing tab (8-field rows) only adds empty reserved fields
    fields = [f.strip() for f in line.split("\t")]
    if len(fields) < ATTLOG_MIN_FIELDS:
        return RejectedLine(
            line,
            f"Jumlah kolom salah: {len(fields)} kolom, minimal {ATTLOG_MIN_FIELDS} "
            "(PIN, waktu, status, verifikasi).",
            "field_count",
        )
    pin, when, status, verify, *rest = fields
    workcode = rest[0] if rest else ""  # then reserved fields
    if _PIN_RE.fullmatch(pin) is None:
        return RejectedLine(line, f"PIN tidak valid: {_show(pin)}.", "bad_pin")
    try:
        punched = local_time(when)
    except ValueError:
        return RejectedLine(
            line, f"Format tanggal/waktu tidak valid: {_show(when)} (harus YYYY-MM-DD "
                  "HH:MM:SS).", "bad_time",
        )
    if not EARLIEST_TIME <= punched < LATEST_TIME:
        return RejectedLine(line, f"Tanggal di luar rentang yang mungkin: {when} (jam mesin "
                                  "rusak?).", "bad_time")
    status_code = bounded_int(status, INT32_MIN, INT32_MAX) if status else 0
    verify_type = bounded_int(verify, INT32_MIN, INT32_MAX) if verify else 0
    if status_code is None or verify_type is None:
        return RejectedLine(
            line, f"Kode status/verifikasi bukan angka yang sah: {_show(status)}/"
                  f"{_show(verify)}.", "bad_status",
        )
    return AttlogRecord(pin, punched, status_code, verify_type,
                        workcode[:WORKCODE_MAX_CHARS], line)


def parse_attlog(body: str) -> list[AttlogRecord | RejectedLine]:
    return [parse_attlog_line(line) for line in split_lines(body)]


# --- plausibility of punch times ------------------------------------------------------------


MAX_FUTURE_HOURS = 7 * 24  # the widest window a tenant may set
MAX_AGE_DAYS = 3660


@dataclass(frozen=True)
class PunchWindow:
    """How far from the server's clock (both read in the device's zone) a punch may lie:
    ZKTeco's own server refuses punches more than a day ahead; a punch older than
    ``max_age`` is a clock fault or a long-forgotten backlog, kept for HR to look at."""

    max_future: dt.timedelta = dt.timedelta(days=1)
    max_age: dt.timedelta = dt.timedelta(days=90)

    @classmethod
    def of(cls, max_future_hours: int, max_age_days: int) -> PunchWindow:
        """A window in whole hours and days, clamped to what a tenant may set."""
        return cls(dt.timedelta(hours=min(max(max_future_hours, 0), MAX_FUTURE_HOURS)),
                   dt.timedelta(days=min(max(max_age_days, 1), MAX_AGE_DAYS)))


def check_window(item: AttlogRecord | RejectedLine, now_local: dt.datetime,
                 window: PunchWindow) -> AttlogRecord | RejectedLine:
    """``item`` unchanged, or a rejection when its time is outside the window."""
    if isinstance(item, RejectedLine):
        return item
    if item.local_time > now_local + window.max_future:
        hours = window.max_future.total_seconds() / 3600
        return RejectedLine(item.raw, f"Waktu absen {item.local_time:%Y-%m-%d %H:%M:%S} lebih "
                                      f"dari {hours:g} jam di depan jam server.", "future_time")
    if item.local_time < now_local - window.max_age:
        return RejectedLine(item.raw, f"Waktu absen {item.local_time:%Y-%m-%d %H:%M:%S} lebih "
                                      f"lama dari {window.max_age.days} hari.", "old_time")
    return item


def read_attlog(lines: Iterable[str], now_local: dt.datetime,
                window: PunchWindow) -> list[AttlogRecord | RejectedLine]:
    """Parse each line and hold its time against the window."""
    return [check_window(parse_attlog_line(line), now_local, window) for line in lines]


# --- OPERLOG (user records) -----------------------------------------------------------------


@dataclass(frozen=True)
class UserRecord:
    """A ``USER PIN=..\\tName=..`` line of an OPERLOG upload."""

    pin: str
    name: str
    privilege: int
    card: str
    raw: str


def parse_key_values(text: str) -> dict[str, str]:
    """``PIN=11\\tName=Budi\\tPri=0`` -> ``{"PIN": "11", "Name": "Budi", "Pri": "0"}``."""
    out: dict[str, str] = {}
    for part in text.split("\t"):
        key, sep, value = part.partition("=")
        if sep and key.strip():
            out[key.strip()] = value.strip()
    return out


def parse_operlog_line(line: str) -> UserRecord | RejectedLine | None:
    """A ``USER`` record, a rejected line, or None for the lines that carry nothing the
    service keeps (``OPLOG``, ``FP`` templates ...)."""
    head, _, rest = line.partition(" ")
    if head.strip().upper() != "USER":
        return None
    kv = parse_key_values(rest)
    pin = kv.get("PIN", "")
    if _PIN_RE.fullmatch(pin) is None:
        return RejectedLine(line, f"Baris USER tanpa PIN yang valid: {_show(pin)}.", "bad_pin")
    # a missing, negative or odd privilege is an ordinary user (0)
    value = bounded_int(kv.get("Pri") or "0", INT32_MIN, INT32_MAX)
    privilege = max(value, 0) if value is not None else 0
    return UserRecord(pin, clean_text(kv.get("Name", ""), USER_NAME_MAX_CHARS), privilege,
                      clean_text(kv.get("Card", ""), CARD_MAX_CHARS), line)


# --- replies --------------------------------------------------------------------------------


def handshake_reply(
    serial: str, *, attlog_stamp: int, operlog_stamp: int, tz_offset_hours: float,
    pushver: str | None = None, error_delay: int = 30, delay: int = 10,
    server_version: str = "2.4.1",
) -> str:
    """The options block a device asks for with ``GET /iclock/cdata?options=all``. Firmware
    that names its ``pushver`` reads ``ATTLOGStamp``/``OPERLOGStamp`` and a ``TransFlag`` of
    table names; older firmware (no ``pushver``) reads ``Stamp``/``OpStamp`` and a bit
    string."""
    tz = int(tz_offset_hours) if float(tz_offset_hours).is_integer() else tz_offset_hours
    if pushver:
        stamps = [f"ATTLOGStamp={attlog_stamp}", f"OPERLOGStamp={operlog_stamp}",
                  "ATTPHOTOStamp=0"]
        trans_flag = "TransData AttLog OpLog"
    else:
        stamps = [f"Stamp={attlog_stamp}", f"OpStamp={operlog_stamp}", "PhotoStamp=0"]
        trans_flag = "1111000000"
    lines = [
        f"GET OPTION FROM: {serial}",
        *stamps,
        f"ErrorDelay={error_delay}",
        f"Delay={delay}",
        "TransTimes=00:00;14:05",
        "TransInterval=1",
        f"TransFlag={trans_flag}",
        f"TimeZone={tz}",
        "Realtime=1",
        "Encrypt=0",
        f"ServerVer={server_version}",
    ]
    return "\n".join(lines) + "\n"


def upload_reply(accepted: int) -> str:
    """The protocol's answer to an upload: ``OK:<records processed>``."""
    return f"OK:{accepted}"


def parse_stamp(value: str | None) -> int | None:
    """A ``Stamp``/``OpStamp`` query value; None when absent or not a stamp."""
    if value is None:
        return None
    return bounded_int(value.strip(), 0, INT64_MAX)


# --- commands -------------------------------------------------------------------------------


def format_command(command_id: int, command: str) -> str:
    return f"C:{command_id}:{command}"


def userinfo_update_command(pin: str, name: str, privilege: int = 0) -> str:
    # tabs and line breaks would break the record; a name never needs them
    clean = " ".join(name.split())
    return f"DATA UPDATE USERINFO PIN={pin}\tName={clean}\tPri={privilege}"


def userinfo_delete_command(pin: str) -> str:
    return f"DATA DELETE USERINFO PIN={pin}"


@dataclass(frozen=True)
class CommandResult:
    command_id: int
    return_code: int
    command: str
    raw: str = field(default="", compare=False)


def _command_result(kv: dict[str, str], raw: str) -> CommandResult | RejectedLine:
    command_id = bounded_int(kv.get("ID", ""), 0, INT64_MAX)
    return_code = bounded_int(kv.get("RETURN") or "0", INT32_MIN, INT32_MAX)
    if command_id is None or return_code is None:
        return RejectedLine(raw, "Hasil perintah tanpa ID/Return yang valid.",
                            "bad_command_result")
    return CommandResult(command_id, return_code, kv.get("CMD", ""), raw)


def parse_devicecmd(body: str) -> list[CommandResult | RejectedLine]:
    """Results posted to ``/iclock/devicecmd``: ``ID=7&Return=0&CMD=DATA``, one or several
    per line (a repeated key starts the next one), keys in any case (``id=7&return=0``). A
    missing ``Return`` counts as 0."""
    out: list[CommandResult | RejectedLine] = []
    for line in split_lines(body):
        if len(line) > MAX_LINE_CHARS or "\x00" in line:
            out.append(RejectedLine(line, "Hasil perintah terlalu panjang atau rusak.",
                                    "bad_command_result"))
            continue
        groups: list[dict[str, str]] = []
        for key, value in parse_qsl(line.strip(), keep_blank_values=True):
            key = key.strip().upper()
            if not groups or key in groups[-1]:  # a repeated key starts the next result
                groups.append({})
            groups[-1][key] = value.strip()
        if not groups:
            groups.append({})
        out.extend(_command_result(g, line) for g in groups)
    return out


@dataclass(frozen=True)
class ResendPolicy:
    """A command sent but never answered is sent again after ``timeout``, at most
    ``max_resends`` times; then it is given up (``unanswered``)."""

    timeout: dt.timedelta = dt.timedelta(minutes=5)
    max_resends: int = 3


def command_action(status: str, sent_at: dt.datetime | None, attempts: int,
                   now: dt.datetime, policy: ResendPolicy) -> str:
    """What a poll does with a command: ``send`` it (again), ``expire`` it, or ``wait``."""
    if status == "pending":
        return "send"
    if status != "sent" or sent_at is None or now - sent_at < policy.timeout:
        return "wait"
    return "send" if attempts <= policy.max_resends else "expire"


def command_problem(status: str, attempts: int, return_code: int | None) -> str | None:
    """Why a device command did not take effect, for HR (None: it did, or may still)."""
    if status == "unanswered":
        return (f"Mesin tidak menjawab setelah perintah dikirim {attempts} kali; periksa "
                "koneksi mesin lalu sinkronkan ulang.")
    if status == "failed":
        return f"Mesin menolak perintah (kode {return_code})."
    return None
