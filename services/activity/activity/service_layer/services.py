"""Use cases of the activity service. Each runs inside the caller's transaction (the
session is the unit of work): state change, audit row and outbox event commit together.

``now`` parameters default to the current instant; tests pass a fixed one."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm.attributes import set_committed_value

from ekinerja_shared import events as ev
from ekinerja_shared.db import insert_ignore, upsert
from ekinerja_shared.errors import Conflict, DomainError, NotFound
from ekinerja_shared.outbox import stage
from ekinerja_shared.timeutil import utcnow, zone

from ..adapters.orm import (
    ActingAssignmentRow,
    AgendaItem,
    Employee,
    Entry,
    EntryTransition,
    Outbox,
    PeriodState,
    PlanItem,
    SupervisorLinkRow,
    Tenant,
    TenantRuleRow,
    Unit,
    Verifier,
)
from ..domain.model import (
    OCCUPYING,
    ActingAssignment,
    ActingKind,
    EntryStatus,
    RuleViolation,
    SupervisorLink,
    check_acting_assignment,
    check_can_decide,
    check_editable,
    check_owner,
    check_transition,
    check_verifier,
    principals_on,
    supervisor_on,
)
from ..domain.plans import (
    AgendaSlot,
    PlanKind,
    agenda_state,
    approved_output,
    check_agenda_link,
    check_plan_link,
    realisation_pct,
)
from ..domain.rules import (
    EntryContext,
    TenantRules,
    TimeSlot,
    approval_deadline,
    check_before_deadline,
    check_entry,
    check_period_open,
    expirable_before,
    expiry_reason,
    period_of,
)


@dataclass(frozen=True)
class Config:
    """Service-wide defaults the use cases need (from Settings)."""

    default_tz: str = "Asia/Jakarta"
    default_rules: TenantRules = field(default_factory=TenantRules)
    bulk_limit: int = 2000


# --- tenant facts ------------------------------------------------------------------------


async def tenant_tz(session: AsyncSession, tenant_id: str, cfg: Config) -> str:
    tenant = await session.get(Tenant, tenant_id)
    return tenant.timezone if tenant else cfg.default_tz


async def tenant_now(session: AsyncSession, tenant_id: str, cfg: Config,
                     now: dt.datetime | None = None) -> dt.datetime:
    """The tenant's current wall-clock time (aware, in its zone)."""
    return (now or utcnow()).astimezone(zone(await tenant_tz(session, tenant_id, cfg)))


async def load_rules(session: AsyncSession, tenant_id: str, cfg: Config) -> TenantRules:
    row = await session.get(TenantRuleRow, tenant_id)
    return cfg.default_rules.with_overrides(row.overrides if row else {})


async def set_rules(session: AsyncSession, tenant_id: str, overrides: dict[str, Any],
                    cfg: Config) -> TenantRules:
    """Replace the tenant's overrides (keys left out fall back to the defaults)."""
    clean = {k: v for k, v in overrides.items() if v is not None}
    merged = cfg.default_rules.with_overrides(clean).validate()
    await upsert(session, TenantRuleRow,
                 {"tenant_id": tenant_id, "overrides": clean, "updated_at": utcnow()},
                 index_elements=["tenant_id"])
    return merged


async def closed_periods(session: AsyncSession, tenant_id: str) -> frozenset[str]:
    rows = await session.scalars(select(PeriodState.period).where(
        PeriodState.tenant_id == tenant_id, PeriodState.closed.is_(True)))
    return frozenset(rows.all())


# --- directory copy and closed months (consumers) -----------------------------------------


async def apply_directory_event(session: AsyncSession, event: ev.Event, *,
                                default_tz: str = "Asia/Jakarta") -> None:
    if isinstance(event, ev.TenantUpserted):
        await upsert(
            session, Tenant,
            {"tenant_id": event.tenant_id, "name": event.name, "timezone": event.timezone},
            index_elements=["tenant_id"],
        )
    elif isinstance(event, ev.EmployeeUpserted):
        await upsert(
            session, Employee,
            {
                "tenant_id": event.tenant_id, "nip": event.nip, "name": event.name,
                "unit_id": event.unit_id, "supervisor_nip": event.supervisor_nip,
                "active": event.active, "updated_at": event.occurred_at,
            },
            index_elements=["tenant_id", "nip"],
            where=Employee.updated_at <= event.occurred_at,
        )
        if event.unit_name:
            await upsert(
                session, Unit,
                {"tenant_id": event.tenant_id, "unit_id": event.unit_id,
                 "name": event.unit_name, "updated_at": event.occurred_at},
                index_elements=["tenant_id", "unit_id"],
                where=Unit.updated_at <= event.occurred_at,
            )
        tz = await tenant_tz(session, event.tenant_id, Config(default_tz=default_tz))
        effective = event.effective_from or event.occurred_at.astimezone(zone(tz)).date()
        await _record_supervisor(session, event, effective)
        await _reassign_open_entries(session, event.tenant_id, event.nip)


async def _record_supervisor(session: AsyncSession, event: ev.EmployeeUpserted,
                             effective: dt.date) -> None:
    """The latest statement wins from its date on: "from D the supervisor is X" replaces
    what older events said about D and later; an older event arriving late changes nothing
    that a newer one already covers."""
    link = SupervisorLinkRow
    mine = (link.tenant_id == event.tenant_id, link.nip == event.nip)
    covered = await session.scalar(select(func.count()).select_from(link).where(
        *mine, link.effective_from <= effective, link.updated_at > event.occurred_at))
    if covered:
        return
    await session.execute(delete(link).where(
        *mine, link.effective_from > effective, link.updated_at < event.occurred_at))
    await upsert(
        session, link,
        {"tenant_id": event.tenant_id, "nip": event.nip, "effective_from": effective,
         "supervisor_nip": event.supervisor_nip, "updated_at": event.occurred_at},
        index_elements=["tenant_id", "nip", "effective_from"],
        where=link.updated_at <= event.occurred_at,
    )


async def _links(session: AsyncSession, tenant_id: str, nip: str) -> list[SupervisorLink]:
    rows = await session.execute(
        select(SupervisorLinkRow.effective_from, SupervisorLinkRow.supervisor_nip)
        .where(SupervisorLinkRow.tenant_id == tenant_id, SupervisorLinkRow.nip == nip))
    return [SupervisorLink(d, s) for d, s in rows.all()]


async def resolve_supervisor(session: AsyncSession, tenant_id: str, nip: str,
                             day: dt.date) -> str | None:
    """The employee's direct supervisor on ``day`` (a change takes effect from its date)."""
    links = await _links(session, tenant_id, nip)
    if links:
        return supervisor_on(links, day)
    emp = await session.get(Employee, (tenant_id, nip))
    return emp.supervisor_nip if emp else None


async def employee_with_links(session: AsyncSession, tenant_id: str,
                              nip: str) -> tuple[Employee, str | None, list[SupervisorLink]]:
    """The employee, the name of their unit and their supervisor history."""
    emp = await get_employee(session, tenant_id, nip)
    unit = await session.get(Unit, (tenant_id, emp.unit_id))
    return emp, unit.name if unit else None, sorted(await _links(session, tenant_id, nip),
                                                    key=lambda ln: ln.effective_from)


async def _reassign_open_entries(session: AsyncSession, tenant_id: str, nip: str) -> None:
    """Undecided entries follow the supervisor in effect on their work date."""
    links = await _links(session, tenant_id, nip)
    open_entries = await session.scalars(select(Entry).where(
        Entry.tenant_id == tenant_id, Entry.nip == nip,
        Entry.status.in_([EntryStatus.DRAFT, EntryStatus.SUBMITTED, EntryStatus.REJECTED])))
    for entry in open_entries.all():
        sup = supervisor_on(links, entry.work_date)
        if entry.supervisor_nip != sup:
            entry.supervisor_nip = sup


async def apply_period_event(session: AsyncSession, event: ev.Event) -> None:
    if isinstance(event, (ev.PeriodClosed, ev.PeriodReopened)):
        await upsert(
            session, PeriodState,
            {"tenant_id": event.tenant_id, "period": event.period,
             "closed": isinstance(event, ev.PeriodClosed), "updated_at": event.occurred_at},
            index_elements=["tenant_id", "period"],
            where=PeriodState.updated_at <= event.occurred_at,
        )


async def get_employee(session: AsyncSession, tenant_id: str, nip: str) -> Employee:
    emp = await session.get(Employee, (tenant_id, nip))
    if emp is None:
        raise NotFound(f"Pegawai dengan NIP {nip} tidak terdaftar.", code="unknown_employee")
    return emp


# --- entries --------------------------------------------------------------------------


@dataclass(frozen=True)
class NewEntry:
    work_date: dt.date
    start: dt.time
    end: dt.time
    description: str
    output_quantity: Decimal | None = None
    output_unit: str | None = None
    plan_item_id: uuid.UUID | None = None
    agenda_item_id: uuid.UUID | None = None


async def _entry_context(session: AsyncSession, tenant_id: str, nip: str, work_date: dt.date,
                         cfg: Config, now: dt.datetime | None,
                         exclude: uuid.UUID | None = None) -> EntryContext:
    q = select(Entry.start_time, Entry.end_time).where(
        Entry.tenant_id == tenant_id, Entry.nip == nip, Entry.work_date == work_date,
        Entry.status.in_(list(OCCUPYING)))
    if exclude is not None:
        q = q.where(Entry.id != exclude)
    same_day = tuple(TimeSlot(s, e) for s, e in (await session.execute(q)).all())
    return EntryContext(
        now_local=await tenant_now(session, tenant_id, cfg, now),
        rules=await load_rules(session, tenant_id, cfg),
        same_day=same_day,
        closed_periods=await closed_periods(session, tenant_id),
    )


async def _in_tenant(session: AsyncSession, model: Any, key: uuid.UUID, tenant_id: str,
                     message: str, code: str) -> Any:
    row = await session.get(model, key)
    if row is None or row.tenant_id != tenant_id:
        raise NotFound(message, code=code)
    return row


async def _check_links(session: AsyncSession, tenant_id: str, nip: str, data: NewEntry) -> None:
    if data.plan_item_id is not None:
        plan = await _plan(session, tenant_id, data.plan_item_id)
        check_plan_link(plan.nip, plan.period, nip, data.work_date)
    if data.agenda_item_id is not None:
        item = await _in_tenant(session, AgendaItem, data.agenda_item_id, tenant_id,
                                "Agenda tidak ditemukan.", "unknown_agenda_item")
        check_agenda_link(item.nip, item.agenda_date, nip, data.work_date)


def _transition(entry: Entry, to: EntryStatus, actor: str | None, reason: str | None,
                now: dt.datetime) -> EntryTransition:
    return EntryTransition(entry_id=entry.id, from_status=entry.status, to_status=to,
                           actor_nip=actor, reason=reason, at=now)


def _event_fields(entry: Entry, actor: str | None, now: dt.datetime) -> dict[str, Any]:
    return dict(tenant_id=entry.tenant_id, entry_id=entry.id, nip=entry.nip,
                work_date=entry.work_date, minutes=entry.minutes, version=entry.version,
                actor_nip=actor, occurred_at=now)


async def create_entry(
    session: AsyncSession, tenant_id: str, nip: str, data: NewEntry, *, submit: bool,
    cfg: Config, now: dt.datetime | None = None,
) -> Entry:
    emp = await get_employee(session, tenant_id, nip)
    if not emp.active:
        raise RuleViolation(f"Pegawai dengan NIP {nip} sudah tidak aktif.", "inactive_employee")
    now = now or utcnow()
    ctx = await _entry_context(session, tenant_id, nip, data.work_date, cfg, now)
    minutes = check_entry(data.work_date, data.start, data.end, ctx)
    await _check_links(session, tenant_id, nip, data)
    if submit:
        check_before_deadline(data.work_date, ctx.now_local.date(), ctx.rules)
    entry = Entry(
        id=uuid.uuid4(), tenant_id=tenant_id, nip=nip, work_date=data.work_date,
        start_time=data.start, end_time=data.end, minutes=minutes,
        description=data.description, output_quantity=data.output_quantity,
        output_unit=data.output_unit, plan_item_id=data.plan_item_id,
        agenda_item_id=data.agenda_item_id,
        supervisor_nip=await resolve_supervisor(session, tenant_id, nip, data.work_date),
        status=EntryStatus.DRAFT, created_at=now, updated_at=now,
    )
    session.add(entry)
    await session.flush()
    session.add(EntryTransition(entry_id=entry.id, from_status=None, to_status=EntryStatus.DRAFT,
                                actor_nip=nip, at=now))
    if submit:
        await _submit(session, entry, nip, now)
    return entry


async def _submit(session: AsyncSession, entry: Entry, actor: str, now: dt.datetime) -> None:
    check_transition(EntryStatus(entry.status), EntryStatus.SUBMITTED)
    session.add(_transition(entry, EntryStatus.SUBMITTED, actor, None, now))
    entry.status = EntryStatus.SUBMITTED
    entry.decided_by = None
    entry.decided_at = None
    entry.reason = None  # the rejection reason stays in the history
    entry.updated_at = now
    await session.flush()
    stage(session, Outbox, ev.ActivityEntrySubmitted(
        **_event_fields(entry, actor, now), supervisor_nip=entry.supervisor_nip))


async def get_entry(session: AsyncSession, tenant_id: str, entry_id: uuid.UUID) -> Entry:
    return await _in_tenant(session, Entry, entry_id, tenant_id, "Aktivitas tidak ditemukan.",
                            "unknown_entry")


async def _plan(session: AsyncSession, tenant_id: str, plan_id: uuid.UUID) -> PlanItem:
    return await _in_tenant(session, PlanItem, plan_id, tenant_id,
                            "Rencana kerja tidak ditemukan.", "unknown_plan_item")


async def edit_entry(
    session: AsyncSession, tenant_id: str, entry_id: uuid.UUID, actor_nip: str, data: NewEntry,
    *, cfg: Config, expected_version: int | None = None, submit: bool = False,
    now: dt.datetime | None = None,
) -> Entry:
    """The owner revises a draft or a rejected entry (and may submit it again)."""
    now = now or utcnow()
    entry = await get_entry(session, tenant_id, entry_id)
    check_owner(entry.nip, actor_nip)
    check_editable(EntryStatus(entry.status))
    if expected_version is not None and expected_version != entry.version:
        raise DomainError("Aktivitas ini sudah diubah di tempat lain; muat ulang lalu coba lagi.",
                          code="stale_version", status_code=409)
    ctx = await _entry_context(session, tenant_id, entry.nip, entry.work_date, cfg, now,
                               exclude=entry.id)
    # the old date must be open too: moving an entry out of a closed month is a change to it
    check_period_open(entry.work_date, ctx.closed_periods)
    if data.work_date != entry.work_date:
        ctx = await _entry_context(session, tenant_id, entry.nip, data.work_date, cfg, now,
                                   exclude=entry.id)
    else:
        ctx = replace(ctx, revising_rejected=entry.status == EntryStatus.REJECTED)
    minutes = check_entry(data.work_date, data.start, data.end, ctx)
    await _check_links(session, tenant_id, entry.nip, data)
    entry.work_date = data.work_date
    entry.start_time, entry.end_time, entry.minutes = data.start, data.end, minutes
    entry.description = data.description
    entry.output_quantity, entry.output_unit = data.output_quantity, data.output_unit
    entry.plan_item_id, entry.agenda_item_id = data.plan_item_id, data.agenda_item_id
    entry.supervisor_nip = await resolve_supervisor(session, tenant_id, entry.nip,
                                                    data.work_date)
    entry.updated_at = now
    await session.flush()
    if submit:
        check_before_deadline(entry.work_date, ctx.now_local.date(), ctx.rules)
        await _submit(session, entry, actor_nip, now)
    return entry


async def submit_entry(
    session: AsyncSession, tenant_id: str, entry_id: uuid.UUID, actor_nip: str, *,
    cfg: Config, now: dt.datetime | None = None,
) -> Entry:
    """Submit a draft, or resubmit a rejected entry; every check runs again."""
    now = now or utcnow()
    entry = await get_entry(session, tenant_id, entry_id)
    check_owner(entry.nip, actor_nip)
    check_transition(EntryStatus(entry.status), EntryStatus.SUBMITTED)
    ctx = await _entry_context(session, tenant_id, entry.nip, entry.work_date, cfg, now,
                               exclude=entry.id)
    ctx = replace(ctx, revising_rejected=entry.status == EntryStatus.REJECTED)
    check_entry(entry.work_date, entry.start_time, entry.end_time, ctx)
    check_before_deadline(entry.work_date, ctx.now_local.date(), ctx.rules)
    entry.supervisor_nip = await resolve_supervisor(session, tenant_id, entry.nip,
                                                    entry.work_date)
    await _submit(session, entry, actor_nip, now)
    return entry


# --- decisions ------------------------------------------------------------------------


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


async def _acting_assignments(session: AsyncSession, tenant_id: str,
                              acting_nip: str) -> list[ActingAssignment]:
    rows = await session.scalars(select(ActingAssignmentRow).where(
        ActingAssignmentRow.tenant_id == tenant_id, ActingAssignmentRow.acting_nip == acting_nip))
    return [_acting(r) for r in rows.all()]


def _acting(r: ActingAssignmentRow) -> ActingAssignment:
    return ActingAssignment(r.principal_nip, r.acting_nip, ActingKind(r.kind), r.start_date,
                            r.end_date)


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
    acting = await _acting_assignments(session, tenant_id, approver_nip)
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


CONCURRENT = "Aktivitas ini baru saja diubah atau diputuskan oleh pengguna lain; muat ulang " \
             "lalu coba lagi."


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
                update(Entry.__table__)
                .where(tuple_(Entry.__table__.c.id, Entry.__table__.c.version).in_(
                    [(e.id, e.version) for e, _, _ in chunk]),
                    Entry.__table__.c.status == EntryStatus.SUBMITTED.value)
                .values(status=target.value, decided_by=approver_nip, decided_at=now,
                        reason=reason, updated_at=now,
                        version=Entry.__table__.c.version + 1)
                .returning(Entry.__table__.c.id, Entry.__table__.c.version))
            new_versions.update((row_id, version) for row_id, version in result.all())
        for entry, d, out in items:
            version = new_versions.get(entry.id)
            if version is None:
                out.entry = None
                out.error = Conflict(CONCURRENT, code="concurrent_decision")
                continue
            session.add(_transition(entry, target, approver_nip, reason, now))
            for key, value in (("status", target.value), ("decided_by", approver_nip),
                               ("decided_at", now), ("reason", reason), ("updated_at", now),
                               ("version", version)):
                set_committed_value(entry, key, value)
            fields_ = _event_fields(entry, approver_nip, now)
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
    session.add(_transition(entry, EntryStatus.REVOKED, verifier_nip, reason, now))
    entry.status = EntryStatus.REVOKED
    entry.decided_by = verifier_nip
    entry.decided_at = now
    entry.reason = reason
    entry.updated_at = now
    await session.flush()
    stage(session, Outbox, ev.ActivityEntryRevoked(**_event_fields(entry, verifier_nip, now),
                                                    reason=reason))
    return entry


async def history(session: AsyncSession, tenant_id: str,
                  entry_id: uuid.UUID) -> list[EntryTransition]:
    await get_entry(session, tenant_id, entry_id)
    rows = await session.scalars(select(EntryTransition).where(
        EntryTransition.entry_id == entry_id).order_by(EntryTransition.id))
    return list(rows.all())


# --- queries --------------------------------------------------------------------------


def _month_bounds(period: str) -> tuple[dt.date, dt.date]:
    year, month = (int(x) for x in period.split("-"))
    return dt.date(year, month, 1), dt.date(year + (month == 12), month % 12 + 1, 1)


async def list_entries(session: AsyncSession, tenant_id: str, nip: str, period: str) -> list[Entry]:
    first, nxt = _month_bounds(period)
    rows = await session.scalars(
        select(Entry)
        .where(Entry.tenant_id == tenant_id, Entry.nip == nip,
               Entry.work_date >= first, Entry.work_date < nxt)
        .order_by(Entry.work_date, Entry.start_time)
    )
    return list(rows.all())


async def approval_queue(
    session: AsyncSession, tenant_id: str, approver_nip: str, *, cfg: Config,
    period: str | None = None, limit: int = 1000, now: dt.datetime | None = None,
) -> list[Entry]:
    """Submitted entries the approver may decide today: of their own subordinates and of
    those of the officials they stand in for (Plt/Plh); never their own."""
    today = (await tenant_now(session, tenant_id, cfg, now)).date()
    rules = await load_rules(session, tenant_id, cfg)
    acting = await _acting_assignments(session, tenant_id, approver_nip)
    principals = {approver_nip} | principals_on(approver_nip, acting, today)
    q = select(Entry).where(
        Entry.tenant_id == tenant_id, Entry.status == EntryStatus.SUBMITTED,
        Entry.supervisor_nip.in_(sorted(principals)), Entry.nip != approver_nip,
        Entry.work_date >= expirable_before(today, rules))  # past the deadline: not decidable
    if period:
        first, nxt = _month_bounds(period)
        q = q.where(Entry.work_date >= first, Entry.work_date < nxt)
    rows = await session.scalars(
        q.order_by(Entry.work_date, Entry.nip, Entry.start_time).limit(limit))
    return list(rows.all())


@dataclass(frozen=True)
class PendingCount:
    supervisor_nip: str | None
    pending: int
    oldest_work_date: dt.date
    nearest_deadline: dt.date


async def pending_counts(session: AsyncSession, tenant_id: str, *, cfg: Config,
                         now: dt.datetime | None = None) -> list[PendingCount]:
    """Submitted entries still decidable, per supervisor (for reminders before the
    deadline)."""
    rules = await load_rules(session, tenant_id, cfg)
    today = (await tenant_now(session, tenant_id, cfg, now)).date()
    rows = await session.execute(
        select(Entry.supervisor_nip, func.count(), func.min(Entry.work_date))
        .where(Entry.tenant_id == tenant_id, Entry.status == EntryStatus.SUBMITTED,
               Entry.work_date >= expirable_before(today, rules))
        .group_by(Entry.supervisor_nip)
        .order_by(func.count().desc()))
    return [PendingCount(sup, int(n), oldest, approval_deadline(oldest, rules))
            for sup, n, oldest in rows.all()]


# --- deadlines ------------------------------------------------------------------------


async def expire_pending(session: AsyncSession, tenant_id: str, *, cfg: Config,
                         now: dt.datetime | None = None) -> int:
    """Expire the tenant's submitted entries whose approval deadline has passed, each with
    its recorded reason and an ActivityEntryExpired event; returns how many. One guarded
    UPDATE per month: an entry decided meanwhile is left alone."""
    now = now or utcnow()
    rules = await load_rules(session, tenant_id, cfg)
    today = (await tenant_now(session, tenant_id, cfg, now)).date()
    cutoff = expirable_before(today, rules)
    dates = (await session.scalars(select(Entry.work_date).where(
        Entry.tenant_id == tenant_id, Entry.status == EntryStatus.SUBMITTED,
        Entry.work_date < cutoff).distinct())).all()
    months = sorted({d.replace(day=1) for d in dates})
    t = Entry.__table__.c
    count = 0
    for first in months:
        reason = expiry_reason(first, rules)
        nxt = min(_month_bounds(period_of(first))[1], cutoff)
        result = await session.execute(
            update(Entry.__table__)
            .where(t.tenant_id == tenant_id, t.status == EntryStatus.SUBMITTED.value,
                   t.work_date >= first, t.work_date < nxt)
            .values(status=EntryStatus.EXPIRED.value, reason=reason, decided_by=None,
                    decided_at=now, updated_at=now, version=t.version + 1)
            .returning(t.id, t.nip, t.work_date, t.minutes, t.version))
        for entry_id, nip, work_date, minutes, version in result.all():
            session.add(EntryTransition(entry_id=entry_id, from_status=EntryStatus.SUBMITTED,
                                        to_status=EntryStatus.EXPIRED, actor_nip=None,
                                        reason=reason, at=now))
            stage(session, Outbox, ev.ActivityEntryExpired(
                tenant_id=tenant_id, entry_id=entry_id, nip=nip, work_date=work_date,
                minutes=minutes, version=version, actor_nip=None, occurred_at=now,
                reason=reason))
            count += 1
    return count


async def expire_all_tenants(sessionmaker: async_sessionmaker[AsyncSession], *, cfg: Config,
                             now: dt.datetime | None = None) -> dict[str, int]:
    """One pass of the expiry job: each tenant with pending entries in its own transaction."""
    async with sessionmaker() as session:
        tenants = (await session.scalars(select(Entry.tenant_id).where(
            Entry.status == EntryStatus.SUBMITTED).distinct())).all()
    result: dict[str, int] = {}
    for tenant_id in tenants:
        async with sessionmaker() as session, session.begin():
            n = await expire_pending(session, tenant_id, cfg=cfg, now=now)
        if n:
            result[tenant_id] = n
    return result


# --- verifiers and acting officials (admin) ---------------------------------------------


async def add_verifier(session: AsyncSession, tenant_id: str, nip: str) -> None:
    await get_employee(session, tenant_id, nip)
    await insert_ignore(session, Verifier, {"tenant_id": tenant_id, "nip": nip,
                                            "created_at": utcnow()})


async def remove_verifier(session: AsyncSession, tenant_id: str, nip: str) -> None:
    row = await session.get(Verifier, (tenant_id, nip))
    if row is None:
        raise NotFound(f"NIP {nip} bukan verifikator.", code="unknown_verifier")
    await session.delete(row)


async def list_verifiers(session: AsyncSession, tenant_id: str) -> list[str]:
    rows = await session.scalars(select(Verifier.nip).where(Verifier.tenant_id == tenant_id)
                                 .order_by(Verifier.nip))
    return list(rows.all())


async def add_acting(session: AsyncSession, tenant_id: str, a: ActingAssignment) -> ActingAssignmentRow:
    check_acting_assignment(a)
    await get_employee(session, tenant_id, a.principal_nip)
    await get_employee(session, tenant_id, a.acting_nip)
    row = ActingAssignmentRow(id=uuid.uuid4(), tenant_id=tenant_id,
                              principal_nip=a.principal_nip, acting_nip=a.acting_nip,
                              kind=a.kind.value, start_date=a.start, end_date=a.end,
                              created_at=utcnow())
    session.add(row)
    await session.flush()
    return row


async def list_acting(session: AsyncSession, tenant_id: str) -> list[ActingAssignmentRow]:
    rows = await session.scalars(select(ActingAssignmentRow).where(
        ActingAssignmentRow.tenant_id == tenant_id).order_by(ActingAssignmentRow.start_date))
    return list(rows.all())


async def remove_acting(session: AsyncSession, tenant_id: str, acting_id: uuid.UUID) -> None:
    await session.delete(await _in_tenant(session, ActingAssignmentRow, acting_id, tenant_id,
                                          "Penugasan Plt/Plh tidak ditemukan.", "unknown_acting"))


# --- plans and agenda -------------------------------------------------------------------


@dataclass(frozen=True)
class NewPlanItem:
    period: str
    kind: PlanKind
    title: str
    target_quantity: Decimal
    unit: str


async def create_plan_item(session: AsyncSession, tenant_id: str, nip: str,
                           data: NewPlanItem) -> PlanItem:
    await get_employee(session, tenant_id, nip)
    if data.target_quantity <= 0:
        raise RuleViolation("Target kuantitas harus lebih dari nol.", "invalid_target")
    if data.period in await closed_periods(session, tenant_id):
        raise RuleViolation(f"Periode {data.period} sudah ditutup.", "period_closed")
    item = PlanItem(id=uuid.uuid4(), tenant_id=tenant_id, nip=nip, period=data.period,
                    kind=data.kind.value, title=data.title,
                    target_quantity=data.target_quantity, unit=data.unit, created_at=utcnow())
    session.add(item)
    await session.flush()
    return item


@dataclass(frozen=True)
class PlanRealisation:
    item: PlanItem
    approved_quantity: Decimal
    realisation_pct: Decimal
    approved_entries: int


async def list_plans(session: AsyncSession, tenant_id: str, nip: str,
                     period: str) -> list[PlanRealisation]:
    items = list((await session.scalars(select(PlanItem).where(
        PlanItem.tenant_id == tenant_id, PlanItem.nip == nip, PlanItem.period == period)
        .order_by(PlanItem.created_at))).all())
    linked = await _linked(session, Entry.plan_item_id, [i.id for i in items])
    out = []
    for item in items:
        rows = linked.get(item.id, [])
        qty = approved_output(rows)
        out.append(PlanRealisation(item, qty, realisation_pct(item.target_quantity, qty),
                                   sum(1 for s, _ in rows if s == EntryStatus.APPROVED)))
    return out


async def _linked(session: AsyncSession, column: Any,
                  ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[tuple[str, Decimal | None]]]:
    ids = list(ids)
    if not ids:
        return {}
    rows = await session.execute(select(column, Entry.status, Entry.output_quantity)
                                 .where(column.in_(ids)))
    linked: dict[uuid.UUID, list[tuple[str, Decimal | None]]] = {}
    for key, status, qty in rows.all():
        linked.setdefault(key, []).append((status, qty))
    return linked


@dataclass(frozen=True)
class NewAgendaItem:
    agenda_date: dt.date
    slot: AgendaSlot
    description: str
    plan_item_id: uuid.UUID | None = None


async def create_agenda_item(session: AsyncSession, tenant_id: str, nip: str,
                             data: NewAgendaItem) -> AgendaItem:
    await get_employee(session, tenant_id, nip)
    if data.plan_item_id is not None:
        plan = await _plan(session, tenant_id, data.plan_item_id)
        check_plan_link(plan.nip, plan.period, nip, data.agenda_date)
    item = AgendaItem(id=uuid.uuid4(), tenant_id=tenant_id, nip=nip,
                      agenda_date=data.agenda_date, slot=data.slot.value,
                      description=data.description, plan_item_id=data.plan_item_id,
                      created_at=utcnow())
    session.add(item)
    await session.flush()
    return item


@dataclass(frozen=True)
class AgendaView:
    item: AgendaItem
    state: str  # planned | reported | done


async def list_agenda(session: AsyncSession, tenant_id: str, nip: str, first: dt.date,
                      last: dt.date) -> list[AgendaView]:
    items = list((await session.scalars(select(AgendaItem).where(
        AgendaItem.tenant_id == tenant_id, AgendaItem.nip == nip,
        AgendaItem.agenda_date >= first, AgendaItem.agenda_date <= last)
        .order_by(AgendaItem.agenda_date, AgendaItem.slot.desc(), AgendaItem.created_at)))
        .all())
    linked = await _linked(session, Entry.agenda_item_id, [i.id for i in items])
    return [AgendaView(i, agenda_state(s for s, _ in linked.get(i.id, []))) for i in items]
