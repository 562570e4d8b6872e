"""The ZKTeco ADMS ("iclock") push protocol: parsing what devices upload and shaping what
they expect back. Pure functions, no I/O.

A device sends its local wall-clock time without a zone; turning it into an instant is
the service layer's job (it knows the device's and the tenant's zone).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl

ATTLOG_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
ATTLOG_MIN_FIELDS = 4  # PIN, time, status, verify; workcode and reserved fields optional
_PIN_RE = re.compile(r"^[0-9A-Za-z_-]{1,32}$")


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
    code: str  # field_count, bad_pin, bad_time, bad_status, unknown_pin


def split_lines(body: str) -> Iterator[str]:
    """Records of an upload body: CRLF or LF separated, blank lines skipped."""
    for line in body.splitlines():
        if line.strip():
            yield line.rstrip("\r\n")


def parse_attlog_line(line: str) -> AttlogRecord | RejectedLine:
    fields = [f.strip() for f in line.split("\t")]
    # some firmware ends a record with a tab: trailing empty fields are not fields
    while fields and fields[-1] == "" and len(fields) > ATTLOG_MIN_FIELDS:
        fields.pop()
    if len(fields) < ATTLOG_MIN_FIELDS:
        return RejectedLine(
            line,
            f"Jumlah kolom salah: {len(fields)} kolom, minimal {ATTLOG_MIN_FIELDS} "
            "(PIN, waktu, status, verifikasi).",
            "field_count",
        )
    pin, when, status, verify = fields[:4]
    workcode = fields[4] if len(fields) > 4 else ""
    if not _PIN_RE.match(pin):
        return RejectedLine(line, f"PIN tidak valid: {pin!r}.", "bad_pin")
    try:
        local_time = dt.datetime.strptime(when, ATTLOG_TIME_FORMAT)
    except ValueError:
        return RejectedLine(
            line, f"Format tanggal/waktu tidak valid: {when!r} (harus YYYY-MM-DD HH:MM:SS).",
            "bad_time",
        )
    try:
        status_code = int(status) if status else 0
        verify_type = int(verify) if verify else 0
    except ValueError:
        return RejectedLine(
            line, f"Kode status/verifikasi bukan angka: {status!r}/{verify!r}.", "bad_status"
        )
    return AttlogRecord(pin, local_time, status_code, verify_type, workcode, line)


def parse_attlog(body: str) -> list[AttlogRecord | RejectedLine]:
    return [parse_attlog_line(line) for line in split_lines(body)]


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
    """A ``USER`` record, a rejected line, or None for operation-log lines (``OPLOG ...``)
    that carry nothing the service keeps."""
    head, _, rest = line.partition(" ")
    head = head.strip().upper()
    if head != "USER":
        return None
    kv = parse_key_values(rest)
    pin = kv.get("PIN", "")
    if not _PIN_RE.match(pin):
        return RejectedLine(line, f"Baris USER tanpa PIN yang valid: {pin!r}.", "bad_pin")
    try:
        privilege = int(kv.get("Pri") or 0)
    except ValueError:
        privilege = 0
    return UserRecord(pin, kv.get("Name", ""), privilege, kv.get("Card", ""), line)


# --- replies and commands -------------------------------------------------------------------


def handshake_reply(
    serial: str, *, attlog_stamp: int, operlog_stamp: int, tz_offset_hours: float,
    error_delay: int = 30, delay: int = 10, server_version: str = "2.4.1",
) -> str:
    """The options block a device asks for with ``GET /iclock/cdata?options=all``."""
    tz = int(tz_offset_hours) if float(tz_offset_hours).is_integer() else tz_offset_hours
    lines = [
        f"GET OPTION FROM: {serial}",
        f"ATTLOGStamp={attlog_stamp}",
        f"OPERLOGStamp={operlog_stamp}",
        "ATTPHOTOStamp=0",
        f"ErrorDelay={error_delay}",
        f"Delay={delay}",
        "TransTimes=00:00;14:05",
        "TransInterval=1",
        "TransFlag=TransData AttLog OpLog",
        f"TimeZone={tz}",
        "Realtime=1",
        "Encrypt=0",
        f"ServerVer={server_version}",
    ]
    return "\n".join(lines) + "\n"


def parse_stamp(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        stamp = int(value.strip())
    except ValueError:
        return None
    return stamp if stamp >= 0 else None


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


def parse_devicecmd(body: str) -> list[CommandResult | RejectedLine]:
    """``ID=7&Return=0&CMD=DATA`` lines posted to ``/iclock/devicecmd``."""
    out: list[CommandResult | RejectedLine] = []
    for line in split_lines(body):
        kv: Mapping[str, str] = dict(parse_qsl(line.strip(), keep_blank_values=True))
        try:
            out.append(CommandResult(int(kv["ID"]), int(kv.get("Return", "0")), kv.get("CMD", "")))
        except (KeyError, ValueError):
            out.append(RejectedLine(line, "Hasil perintah tanpa ID/Return yang valid.",
                                    "bad_command_result"))
    return out

