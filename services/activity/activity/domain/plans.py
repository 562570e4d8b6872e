"""Monthly plan items (SKP targets / RPOK items) and the daily agenda: realisation is the
approved output against the target; an agenda item is done when an approved entry
realises it."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from .model import EntryStatus, RuleViolation
from .rules import period_of


class PlanKind(enum.StrEnum):
    SKP = "skp"  # Sasaran Kinerja Pegawai target
    RPOK = "rpok"  # Rencana Pelaksanaan Operasional Kegiatan item


class AgendaSlot(enum.StrEnum):
    MORNING = "morning"  # pagi
    AFTERNOON = "afternoon"  # siang/sore


def realisation_pct(target: Decimal, approved: Decimal) -> Decimal:
    """Approved output as a percentage of the target (not capped: over-achievement shows)."""
    if target <= 0:
        return Decimal("0")
    return (approved / target * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def approved_output(entries: Iterable[tuple[str, Decimal | None]]) -> Decimal:
    """Sum of the output quantity of approved entries (status, quantity)."""
    return sum((q or Decimal("0") for s, q in entries if s == EntryStatus.APPROVED),
               Decimal("0"))


def agenda_state(entry_statuses: Iterable[str]) -> str:
    """``done`` when an approved entry realises the agenda item, ``reported`` when one
    waits for approval, else ``planned``."""
    statuses = set(entry_statuses)
    if EntryStatus.APPROVED in statuses:
        return "done"
    if EntryStatus.SUBMITTED in statuses:
        return "reported"
    return "planned"


def check_plan_link(plan_nip: str, plan_period: str, entry_nip: str, work_date: dt.date) -> None:
    if plan_nip != entry_nip or plan_period != period_of(work_date):
        raise RuleViolation("Rencana kerja yang dirujuk bukan milik pegawai ini untuk bulan "
                            "tanggal aktivitas.", "plan_mismatch")


def check_plan_owner(plan_nip: str, actor_nip: str) -> None:
    if plan_nip != actor_nip:
        raise RuleViolation("Rencana kerja hanya dapat diubah oleh pegawai pemiliknya.",
                            "not_owner")


def check_agenda_link(agenda_nip: str, agenda_date: dt.date, entry_nip: str,
                      work_date: dt.date) -> None:
    if agenda_nip != entry_nip or agenda_date != work_date:
        raise RuleViolation("Agenda yang dirujuk bukan milik pegawai ini untuk tanggal "
                            "aktivitas.", "agenda_mismatch")
