"""Activity rules: plain dataclasses and functions, no I/O."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
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


@dataclass(frozen=True)
class SupervisorLink:
    """From ``effective_from`` on, ``supervisor_nip`` is the employee's direct supervisor."""

    effective_from: dt.date
    supervisor_nip: str | None


def supervisor_on(links: Iterable[SupervisorLink], day: dt.date) -> str | None:
    """The direct supervisor on ``day``: the latest link in effect; before the first known
    link the first one applies (the directory knew no earlier supervisor)."""
    ordered = sorted(links, key=lambda link: link.effective_from)
    if not ordered:
        return None
    current = ordered[0]
    for link in ordered:
        if link.effective_from <= day:
            current = link
    return current.supervisor_nip


class ActingKind(enum.StrEnum):
    PLT = "plt"  # pelaksana tugas: a vacant post
    PLH = "plh"  # pelaksana harian: the official is away


@dataclass(frozen=True)
class ActingAssignment:
    """``acting_nip`` exercises ``principal_nip``'s supervisory role from start to end
    (inclusive)."""

    principal_nip: str
    acting_nip: str
    kind: ActingKind
    start: dt.date
    end: dt.date

    def covers(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


def check_acting_assignment(a: ActingAssignment) -> None:
    if a.end < a.start:
        raise RuleViolation("Tanggal akhir penugasan Plt/Plh harus setelah tanggal mulai.",
                            "invalid_range")
    if a.principal_nip == a.acting_nip:
        raise RuleViolation("Pejabat tidak dapat ditunjuk sebagai Plt/Plh bagi dirinya sendiri.",
                            "self_acting")


def principals_on(acting_nip: str, assignments: Iterable[ActingAssignment],
                  day: dt.date) -> set[str]:
    """The officials ``acting_nip`` stands in for on ``day``."""
    return {a.principal_nip for a in assignments
            if a.acting_nip == acting_nip and a.covers(day)}


def decides_for(approver_nip: str, supervisor_nip: str | None,
                acting: Iterable[ActingAssignment] = (), *,
                today: dt.date | None = None) -> str | None:
    """How ``approver_nip`` stands for ``supervisor_nip``: ``direct`` (it is them), the
    acting kind (Plt/Plh in force today), or None."""
    if supervisor_nip is None:
        return None
    if approver_nip == supervisor_nip:
        return "direct"
    if today is not None:
        for a in acting:
            if a.acting_nip == approver_nip and a.principal_nip == supervisor_nip \
                    and a.covers(today):
                return a.kind.value
    return None


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
    how = decides_for(approver_nip, supervisor_nip, acting, today=today)
    if how is not None:
        return how
    raise RuleViolation(
        "Hanya atasan langsung (atau Plt/Plh-nya) yang dapat memberi keputusan atas aktivitas ini.",
        "not_supervisor",
    )


def may_view(viewer_nip: str, employee_nip: str, supervisors: Iterable[str | None],
             acting: Iterable[ActingAssignment] = (), *, today: dt.date) -> bool:
    """An employee's activity is seen by themselves and by whoever stands for one of
    ``supervisors`` today: the supervisor in force, or the Plt/Plh acting for them."""
    if viewer_nip == employee_nip:
        return True
    acting = list(acting)
    return any(decides_for(viewer_nip, s, acting, today=today) is not None
               for s in supervisors)


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
