"""Decisions on submitted entries: the direct supervisor (or the official standing in,
Plt/Plh) approves or rejects, one or many at once; the verifier revokes an approval."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from ekinerja_shared import events as ev
from ekinerja_shared.errors import Conflict, DomainError, NotFound
from ekinerja_shared.outbox import stage
from ekinerja_shared.timeutil import utcnow

from ..adapters.orm import ENTRIES, Entry, Outbox, Verifier
from ..domain.model import (
    EntryStatus,
    RuleViolation,
    check_can_decide,
    check_transition,
    check_verifier,
)
from ..domain.rules import check_before_deadline, check_period_open
from .admin import acting_assignments
from .entries import event_fields, get_entry, transition
from .tenants import Config, closed_periods, load_rules, tenant_now

# a concurrent decision on the same entry (also the runtime's 409 for a stale version)
CONCURRENT_CODE = "concurrent_decision"
CONCURRENT = "Aktivitas ini baru saja diubah atau diputuskan oleh pengguna lain; muat ulang " \
             "lalu coba lagi."


@dataclass(frozen=True)
class Decision:
    entry_id: uuid.UUID
    approve: bool
    reason: str | None = None


@dataclass
class Outcome:
    entry_id: uuid.UUID
    entry: Entry | None = None
    error: DomainError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


async def decide_many(
    session: AsyncSession, tenant_id: str, approver_nip: str, decisions: Sequence[Decision],
    *, cfg: Config, now: dt.datetime | None = None,
) -> list[Outcome]:
    """Approve or reject many entries in this one transaction: each decision is checked on
    its own (a refused one is reported, the others go ahead); one audit row and one outbox
    event per decided entry. Of concurrent decisions on an entry exactly one succeeds."""
    if len(decisions) > cfg.bulk_limit:
        raise RuleViolation(f"Paling banyak {cfg.bulk_limit} keputusan dalam satu permintaan.",
                            "too_many_decisions")
    now = now or utcnow()
    ids = list({d.entry_id for d in decisions})
    found: dict[uuid.UUID, Entry] = {}
    for i in range(0, len(ids), 500):
        rows = await session.scalars(select(Entry).where(
            Entry.tenant_id == tenant_id, Entry.id.in_(ids[i:i + 500]))
            .execution_options(populate_existing=True))
        found.update((e.id, e) for e in rows.all())
    acting = await acting_assignments(session, tenant_id, approver_nip)
    rules = await load_rules(session, tenant_id, cfg)
    closed = await closed_periods(session, tenant_id)
    today = (await tenant_now(session, tenant_id, cfg, now)).date()

    outcomes: list[Outcome] = []
    decided: list[tuple[Entry, Decision, Outcome]] = []
    seen: set[uuid.UUID] = set()
    for d in decisions:
        out = Outcome(d.entry_id)
        outcomes.append(out)
        entry = found.get(d.entry_id)
        try:
            if d.entry_id in seen:
                raise RuleViolation("Aktivitas yang sama diputuskan dua kali dalam satu "
                                    "permintaan.", "duplicate_decision")
            seen.add(d.entry_id)
            if entry is None:
                raise NotFound("Aktivitas tidak ditemukan.", code="unknown_entry")
            target = EntryStatus.APPROVED if d.approve else EntryStatus.REJECTED
            check_can_decide(entry.nip, entry.supervisor_nip, approver_nip, acting, today=today)
            if not d.approve and not (d.reason and d.reason.strip()):
                raise RuleViolation("Alasan penolakan wajib diisi.", "reason_required")
            check_transition(EntryStatus(entry.status), target)
            check_period_open(entry.work_date, closed)
            check_before_deadline(entry.work_date, today, rules)
        except DomainError as exc:
            out.error = exc
            continue
        out.entry = entry
        decided.append((entry, d, out))
    await _apply_decisions(session, decided, approver_nip, now)
    return outcomes


async def _apply_decisions(session: AsyncSession, decided: list[tuple[Entry, Decision, Outcome]],
                           approver_nip: str, now: dt.datetime) -> None:
    """One UPDATE per (decision, reason) group, guarded by each entry's status and version as
    read: a row another transaction changed meanwhile is not updated (PostgreSQL re-checks
    the guard after the other commit) and its decision is refused; no audit row, no event."""
    groups: dict[tuple[bool, str | None], list[tuple[Entry, Decision, Outcome]]] = {}
    for item in decided:
        groups.setdefault((item[1].approve, item[1].reason), []).append(item)
    for (approve, reason), items in groups.items():
        target = EntryStatus.APPROVED if approve else EntryStatus.REJECTED
        new_versions: dict[uuid.UUID, int] = {}
        for i in range(0, len(items), 500):
            chunk = items[i:i + 500]
            result = await session.execute(
                update(ENTRIES)
                .where(tuple_(ENTRIES.c.id, ENTRIES.c.version).in_(
                    [(e.id, e.version) for e, _, _ in chunk]),
                    ENTRIES.c.status == EntryStatus.SUBMITTED.value)
                .values(status=target.value, decided_by=approver_nip, decided_at=now,
                        reason=reason, updated_at=now,
                        version=ENTRIES.c.version + 1)
                .returning(ENTRIES.c.id, ENTRIES.c.version))
            new_versions.update((row_id, version) for row_id, version in result.all())
        for entry, d, out in items:
            version = new_versions.get(entry.id)
            if version is None:
                out.entry = None
                out.error = Conflict(CONCURRENT, code=CONCURRENT_CODE)
                continue
            session.add(transition(entry, target, approver_nip, reason, now))
            for key, value in (("status", target.value), ("decided_by", approver_nip),
                               ("decided_at", now), ("reason", reason), ("updated_at", now),
                               ("version", version)):
                set_committed_value(entry, key, value)
            fields_ = event_fields(entry, approver_nip, now)
            stage(session, Outbox,
                  ev.ActivityEntryApproved(**fields_, description=entry.description)
                  if approve else ev.ActivityEntryRejected(**fields_, reason=reason or ""))


async def decide(
    session: AsyncSession, tenant_id: str, entry_id: uuid.UUID, approver_nip: str,
    *, approve: bool, reason: str | None = None, cfg: Config | None = None,
    now: dt.datetime | None = None,
) -> Entry:
    [out] = await decide_many(session, tenant_id, approver_nip,
                              [Decision(entry_id, approve, reason)], cfg=cfg or Config(), now=now)
    if out.error is not None:
        raise out.error
    assert out.entry is not None
    return out.entry


async def revoke(
    session: AsyncSession, tenant_id: str, entry_id: uuid.UUID, verifier_nip: str, reason: str,
    *, cfg: Config, now: dt.datetime | None = None,
) -> Entry:
    """The regency's verifier takes back an approved entry; its minutes stop counting."""
    now = now or utcnow()
    entry = await get_entry(session, tenant_id, entry_id)
    verifiers = await session.scalars(select(Verifier.nip).where(Verifier.tenant_id == tenant_id))
    check_verifier(verifier_nip, verifiers.all())
    if verifier_nip == entry.nip:
        raise RuleViolation("Verifikator tidak dapat membatalkan aktivitasnya sendiri.",
                            "self_revocation")
    if not reason.strip():
        raise RuleViolation("Alasan pembatalan wajib diisi.", "reason_required")
    check_transition(EntryStatus(entry.status), EntryStatus.REVOKED)
    check_period_open(entry.work_date, await closed_periods(session, tenant_id))
    session.add(transition(entry, EntryStatus.REVOKED, verifier_nip, reason, now))
    entry.status = EntryStatus.REVOKED
    entry.decided_by = verifier_nip
    entry.decided_at = now
    entry.reason = reason
    entry.updated_at = now
    await session.flush()
    stage(session, Outbox, ev.ActivityEntryRevoked(**event_fields(entry, verifier_nip, now),
                                                    reason=reason))
    return entry
