"""Activity rules: plain dataclasses and functions, no I/O."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable

from ekinerja_shared.errors import DomainError
from ekinerja_shared.supervision import (  # the one supervision rule of every service
    ActingAssignment,
    ActingKind,
    SupervisorLink,
    principals_on,
    stands_for,
    supervisor_on,
)

__all__ = ["ActingAssignment", "ActingKind", "SupervisorLink", "principals_on", "stands_for",
           "supervisor_on"]  # re-exported: activity's rules speak of them


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


def check_acting_assignment(a: ActingAssignment) -> None:
    if a.end < a.start:
        raise RuleViolation("Tanggal akhir penugasan Plt/Plh harus setelah tanggal mulai.",
                            "invalid_range")
    if a.principal_nip == a.acting_nip:
        raise RuleViolation("Pejabat tidak dapat ditunjuk sebagai Plt/Plh bagi dirinya sendiri.",
                            "self_acting")


def check_can_decide(employee_nip: str, supervisor_nip: str | None, approver_nip: str,
                     acting: Iterable[ActingAssignment] = (), *,
                     today: dt.date | None = None) -> str:
    """Only the direct supervisor decides, or whoever acts for them (Plt/Plh) today; never
    oneself. Returns ``direct`` or the acting kind."""
    if approver_nip == employee_nip:
        raise RuleViolation("Pegawai tidak dapat menyetujui aktivitasnya sendiri.", "self_approval")
    if supervisor_nip is None:
        raise RuleViolation("Pegawai ini belum memiliki atasan langsung di data kepegawaian.",
                            "no_supervisor")
    how = stands_for(approver_nip, supervisor_nip, acting, day=today)
    if how is not None:
        return how
    raise RuleViolation(
        "Hanya atasan langsung (atau Plt/Plh-nya) yang dapat memberi keputusan atas aktivitas ini.",
        "not_supervisor",
    )


def check_verifier(nip: str, verifiers: Iterable[str]) -> None:
    if nip not in set(verifiers):
        raise RuleViolation("Hanya verifikator daerah yang dapat membatalkan aktivitas yang "
                            "sudah disetujui.", "not_verifier")


def check_owner(entry_nip: str, actor_nip: str) -> None:
    if entry_nip != actor_nip:
        raise RuleViolation("Aktivitas hanya dapat diubah atau diajukan oleh pegawai pemiliknya.",
                            "not_owner")


EDITABLE = frozenset({EntryStatus.DRAFT, EntryStatus.REJECTED})


def check_editable(status: EntryStatus) -> None:
    if status not in EDITABLE:
        raise RuleViolation(f"Aktivitas berstatus {_LABEL[status]} tidak dapat diubah.",
                            "not_editable")


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


# entries that occupy their time range (overlap and daily cap); a rejected entry is checked
# again when it is resubmitted
OCCUPYING = frozenset({EntryStatus.DRAFT, EntryStatus.SUBMITTED, EntryStatus.APPROVED})
