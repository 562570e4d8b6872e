"""Month-end rules: what a late fact changes, which closed months a policy version would
govern, and what is still open before a month is closed. Pure functions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from ekinerja_shared import events as ev
from ekinerja_shared.errors import Conflict

from .flags import FLAG_TEXT

STATUS_TEXT = {"present": "hadir", "absent": "tidak hadir", "leave": "cuti/izin",
               "holiday": "libur", "off": "tidak terjadwal", "incomplete": "presensi tidak lengkap"}
ENTRY_TEXT = {"activity.entry.approved": "disetujui", "activity.entry.rejected": "ditolak",
              "activity.entry.revoked": "dicabut"}


def late_change(event: ev.Event) -> tuple[dt.date | None, str]:
    """The day a fact is about and what it says, for the late-fact list."""
    if isinstance(event, ev.AttendanceDayEvaluated):
        codes = [c for c in (event.tl_code, event.psw_code, event.absence_code) if c]
        return event.work_date, (
            f"Presensi {event.work_date.isoformat()}: "
            f"{STATUS_TEXT.get(event.status, event.status)}"
            + (f" ({', '.join(codes)})" if codes else "")
            + f", potongan {event.deduction_pct} % (revisi {event.revision})")
    if isinstance(event, ev.ActivityEntryApproved | ev.ActivityEntryRejected
                  | ev.ActivityEntryRevoked):
        return event.work_date, (
            f"Aktivitas {event.work_date.isoformat()} {ENTRY_TEXT[event.event_type]}: "
            f"{event.minutes} menit")
    if isinstance(event, ev.EffectiveDaysPublished):
        return None, f"Hari kerja efektif {event.period}: {event.effective_days} hari"
    return None, event.event_type


def governed_closed_months(effective_period: str, versions: Iterable[str],
                           closed: Iterable[str]) -> list[str]:
    """The closed months whose policy a version from ``effective_period`` would set: from
    that month up to (not including) the next version's month."""
    later = sorted(v for v in versions if v > effective_period)
    until = later[0] if later else None
    return sorted(m for m in closed
                  if m >= effective_period and (until is None or m < until))


@dataclass(frozen=True)
class OpenItem:
    """Something still open in a month: reported by ``source`` (this service, or the
    activity and attendance services through the gateway's month check)."""

    code: str
    detail: str
    nips: tuple[str, ...] = ()
    source: str = "scoring"
    count: int = 0

    @property
    def size(self) -> int:
        return self.count or len(self.nips)


class OpenItemsUnconfirmed(Conflict):
    """A close with items still open and no explicit confirmation (409 ``open_items``)."""

    def __init__(self, period: str, items: Sequence[OpenItem]) -> None:
        super().__init__(
            f"Periode {period} masih memiliki {len(items)} hal yang belum selesai. Periksa "
            "daftarnya, lalu tutup dengan konfirmasi bila tetap ingin menutup.",
            code="open_items")
        self.items = list(items)


def confirm_close(period: str, items: Sequence[OpenItem], confirmed: bool) -> list[OpenItem]:
    """What a close records as confirmed: nothing when nothing is open; the open items when
    the closer confirmed them; else the close is refused with the list."""
    if items and not confirmed:
        raise OpenItemsUnconfirmed(period, items)
    return list(items)


CHECKED_FLAGS = ("compliance_not_entered", "not_in_directory", "no_tpp_base",
                 "no_attendance_data", "no_approved_activity")


def open_items(flags_of: Mapping[str, Sequence[str]], late_pending: int) -> list[OpenItem]:
    """What is still open in a month, from the employees' flags and the late facts not
    applied. Undecided activity entries are not known to scoring (the activity service
    sends only decisions); they show as ``no_approved_activity`` at most."""
    items = []
    for code in CHECKED_FLAGS:
        nips = tuple(sorted(n for n, flags in flags_of.items() if code in flags))
        if nips:
            items.append(OpenItem(code, f"{len(nips)} pegawai: {FLAG_TEXT[code]}", nips,
                                  count=len(nips)))
    if late_pending:
        items.append(OpenItem("late_facts_pending",
                              f"{late_pending} fakta terlambat belum diterapkan",
                              count=late_pending))
    return items
