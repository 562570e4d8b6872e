"""Activity rules: plain dataclasses and functions, no I/O."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from ekinerja_shared.errors import DomainError


class EntryStatus(enum.StrEnum):
    DRAFT = "draft"  # konsep
    SUBMITTED = "submitted"  # periksa
    APPROVED = "approved"  # setuju
    REJECTED = "rejected"  # tolak
    REVOKED = "revoked"  # dibatalkan verifikator
    EXPIRED = "expired"  # lewat batas waktu persetujuan


class RuleViolation(DomainError):
    """A rule refused the input; the message is for staff (Bahasa Indonesia)."""

    def __init__(self, message: str, code: str = "rule_violation") -> None:
        super().__init__(message, code=code)


def entry_minutes(start: dt.time, end: dt.time) -> int:
    """Minutes between start and end on the same day; end must be after start."""
    if end <= start:
        raise RuleViolation("Jam selesai harus setelah jam mulai.", "end_before_start")
    return (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)


@dataclass(frozen=True)
class Approver:
    nip: str
    tenant_id: str


def check_can_decide(employee_nip: str, supervisor_nip: str | None, approver: Approver) -> None:
    """Only the direct supervisor decides; never oneself."""
    if approver.nip == employee_nip:
        raise RuleViolation("Pegawai tidak dapat menyetujui aktivitasnya sendiri.", "self_approval")
    if supervisor_nip is None or approver.nip != supervisor_nip:
        raise RuleViolation(
            "Hanya atasan langsung yang dapat memberi keputusan atas aktivitas ini.",
            "not_supervisor",
        )


_TRANSITIONS: dict[EntryStatus, set[EntryStatus]] = {
    EntryStatus.DRAFT: {EntryStatus.SUBMITTED},
    EntryStatus.SUBMITTED: {EntryStatus.APPROVED, EntryStatus.REJECTED, EntryStatus.EXPIRED},
    EntryStatus.REJECTED: {EntryStatus.SUBMITTED},
    EntryStatus.APPROVED: {EntryStatus.REVOKED},
    EntryStatus.REVOKED: set(),
    EntryStatus.EXPIRED: set(),
}

_LABEL = {
    EntryStatus.DRAFT: "konsep",
    EntryStatus.SUBMITTED: "menunggu persetujuan",
    EntryStatus.APPROVED: "disetujui",
    EntryStatus.REJECTED: "ditolak",
    EntryStatus.REVOKED: "dibatalkan",
    EntryStatus.EXPIRED: "kedaluwarsa",
}


def check_transition(current: EntryStatus, target: EntryStatus) -> None:
    if target not in _TRANSITIONS[current]:
        raise RuleViolation(
            f"Aktivitas berstatus {_LABEL[current]} tidak dapat diubah menjadi {_LABEL[target]}.",
            "invalid_transition",
        )
