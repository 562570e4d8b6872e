"""Use cases of the attendance service. Each runs inside the caller's transaction (the
session is the unit of work): state changes and their outbox events commit together."""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ekinerja_shared import events as ev
from ekinerja_shared.db import insert_ignore, upsert
from ekinerja_shared.errors import Conflict, DomainError, NotFound
from ekinerja_shared.outbox import stage
from ekinerja_shared.timeutil import canonical_zone, period_of, utcnow, zone

from ..adapters.orm import (
    Device,
    DeviceCommand,
    DeviceUser,
    EffectiveDays,
    Employee,
    Outbox,
    Punch,
    Quarantine,
    Tenant,
    UNKNOWN_PIN_SOURCE,
)
from ..domain.attlog import (
    AttlogRecord,
    CommandResult,
    PunchWindow,
    RejectedLine,
    ResendPolicy,
    UserRecord,
    command_action,
    format_command,
    parse_attlog_line,
    parse_devicecmd,
    parse_operlog_line,
    read_attlog,
    split_batch,
    too_many_lines,
    userinfo_delete_command,
    userinfo_update_command,
    valid_serial,
)
from ..domain.schedule import month_dates, work_date_of
from .calendar import publish_effective_days
from .context import TenantContext, load_context
from .device_rules import json_text, lock_pin_assignments, punch_window
from .days import evaluate, reevaluate

log = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_MAX_LINES = 5000  # records processed per upload (EK_ICLOCK_MAX_LINES)

ATTLOG_SOURCE = "iclock:attlog"
OPERLOG_SOURCE = "iclock:operlog"
DEVICECMD_SOURCE = "iclock:devicecmd"


async def run_in_transaction(
    sessionmaker: async_sessionmaker[AsyncSession],
    work: Callable[[AsyncSession], Awaitable[T]],
    attempts: int = 3,
) -> T:
    """Run ``work`` in one transaction; retry when a concurrent writer won a unique key
    (two uploads evaluating the same day at once)."""
    for attempt in range(1, attempts + 1):
        try:
            async with sessionmaker() as session, session.begin():
                return await work(session)
        except IntegrityError:
            if attempt == attempts:
                raise
            log.info("transaction conflict, retrying (%d/%d)", attempt, attempts)
    raise AssertionError("unreachable")


# --- directory copy -------------------------------------------------------------------------


async def apply_directory_event(
    session: AsyncSession, event: ev.Event, *, default_tz: str, now: dt.datetime | None = None
) -> None:
    now = now or utcnow()
    if isinstance(event, ev.TenantUpserted):
        try:
            tz_name = canonical_zone(event.timezone)
        except ValueError:
            tz_name = default_tz
            log.warning("tenant %s: unknown zone %r, using %s", event.tenant_id, event.timezone,
                        default_tz)
        existing = await session.get(Tenant, event.tenant_id, populate_existing=True)
        if existing is not None and existing.updated_at > event.occurred_at:
            return  # an older state arriving late
        await upsert(
            session, Tenant,
            {"tenant_id": event.tenant_id, "name": event.name, "timezone": tz_name,
             "policy_preset": event.policy_preset, "updated_at": event.occurred_at},
            index_elements=["tenant_id"],
        )
        if existing is None:
            ctx = await load_context(session, event.tenant_id, default_tz, nips=[], span=None)
            await publish_effective_days(session, ctx, period_of(ctx.today(now)))
        old_tz = existing.timezone if existing else default_tz
        if existing is not None:
            await session.refresh(existing)  # the upsert bypassed the identity map
        if old_tz != tz_name:
            await _rezone_punches(session, event.tenant_id, old_tz, default_tz=default_tz,
                                  now=now)
    elif isinstance(event, ev.EmployeeUpserted):
        before = await session.get(Employee, (event.tenant_id, event.nip), populate_existing=True)
        if before is not None and before.updated_at > event.occurred_at:
            return  # an older state arriving late
        old = (before.device_pin, before.name, before.active) if before else (None, None, False)
        tenant = await session.get(Tenant, event.tenant_id, populate_existing=True)
        seen_on = now.astimezone(zone(tenant.timezone if tenant else default_tz)).date()
        if event.effective_from is not None:
            seen_on = min(seen_on, event.effective_from)
        await upsert(
            session, Employee,
            {
                "tenant_id": event.tenant_id, "nip": event.nip, "name": event.name,
                "unit_id": event.unit_id, "device_pin": event.device_pin or None,
                "active": event.active, "updated_at": event.occurred_at,
                "first_seen_on": seen_on,
            },
            index_elements=["tenant_id", "nip"],
            update=["name", "unit_id", "device_pin", "active", "updated_at"],
            where=Employee.updated_at <= event.occurred_at,
        )
        if before is None or before.unit_id != event.unit_id:
            await _publish_own_month(session, event, default_tz=default_tz, now=now)
        if event.device_pin and event.active:
            await retry_unknown_pin_lines(session, event.tenant_id, event.device_pin,
                                          default_tz=default_tz, now=now)
        await _sync_roster_change(session, event, old, now)


async def _rezone_punches(session: AsyncSession, tenant_id: str, old_tz: str, *,
                          default_tz: str, now: dt.datetime) -> None:
    """The tenant's zone became known or changed: punches of its devices that follow the
    tenant's zone are re-read from their wall-clock time, and their days re-evaluated."""
    serials = (await session.scalars(select(Device.serial_number).where(
        Device.tenant_id == tenant_id, Device.timezone.is_(None)))).all()
    if not serials:
        return
    ctx = await load_context(session, tenant_id, default_tz, nips=[], span=None)
    punches = [p for p in (await session.scalars(select(Punch).where(
        Punch.tenant_id == tenant_id, Punch.device_sn.in_(serials)))).all()
        if p.local_time.replace(tzinfo=ctx.tz) != p.punched_at]
    if not punches:
        return
    new_dates = [p.local_time.date() for p in punches]
    ctx = await load_context(session, tenant_id, default_tz, nips={p.nip for p in punches},
                             span=(min(new_dates), max(new_dates)))
    before: dict[str, set[dt.date]] = {}  # the days the punches were counted on
    after: dict[str, set[dt.date]] = {}  # the days they belong to now
    for p in punches:
        old_local = p.punched_at.astimezone(zone(old_tz)).date()
        before.setdefault(p.nip, set()).update({old_local, old_local - dt.timedelta(days=1)})
        p.punched_at = p.local_time.replace(tzinfo=ctx.tz)
        after.setdefault(p.nip, set()).add(work_date_of(p.punched_at, ctx.tz,
                                                        ctx.hours_of(p.nip)))
    await session.flush()
    for nip in sorted(after):
        await reevaluate(session, tenant_id, [nip], before[nip] - after[nip],
                         default_tz=default_tz, now=now, existing_only=True)
        await reevaluate(session, tenant_id, [nip], after[nip], default_tz=default_tz, now=now)


async def _publish_own_month(session: AsyncSession, event: ev.EmployeeUpserted, *,
                             default_tz: str, now: dt.datetime) -> None:
    """An employee whose unit works another week than the tenant gets their own effective
    days for the current month."""
    ctx = await load_context(session, event.tenant_id, default_tz, nips=[event.nip],
                             span=None)
    period = period_of(ctx.today(now))
    dates = month_dates(period)
    ctx = await load_context(session, event.tenant_id, default_tz, nips=[event.nip],
                             span=(dates[0], dates[-1]))
    own = ctx.calendar.working_dates(period, event.nip)
    had_own = await session.get(EffectiveDays, (event.tenant_id, period, event.nip))
    if had_own is not None or own != ctx.calendar.working_dates(period):
        await publish_effective_days(session, ctx, period, event.nip, event.unit_id, now=now)


# --- devices --------------------------------------------------------------------------------


async def register_device(
    session: AsyncSession, tenant_id: str, serial: str, location: str, timezone: str | None,
    *, now: dt.datetime | None = None,
) -> Device:
    now = now or utcnow()
    tz_name: str | None = None
    if timezone:
        try:
            tz_name = canonical_zone(timezone)
        except ValueError as exc:
            raise DomainError(f"Zona waktu tidak dikenal: {timezone!r} (WIB, WITA, WIT atau "
                              "nama IANA).", code="unknown_timezone") from exc
    device = await session.get(Device, serial, with_for_update=True)
    if device is not None and device.tenant_id != tenant_id:
        raise Conflict(f"Mesin dengan nomor seri {serial} sudah terdaftar di instansi lain.",
                       code="device_taken")
    if device is None:
        device = Device(serial_number=serial, tenant_id=tenant_id, location=location,
                        timezone=tz_name, registered_at=now, updated_at=now,
                        attlog_stamp=0, operlog_stamp=0)
        session.add(device)
    else:
        device.location = location
        device.timezone = tz_name
        device.updated_at = now
    await session.flush()
    return device


async def list_devices(session: AsyncSession, tenant_id: str) -> list[Device]:
    rows = await session.scalars(
        select(Device).where(Device.tenant_id == tenant_id).order_by(Device.serial_number)
    )
    return list(rows.all())


def is_online(device: Device, now: dt.datetime, offline_after_s: float) -> bool:
    return (device.last_seen_at is not None
            and (now - device.last_seen_at).total_seconds() <= offline_after_s)


async def known_device(session: AsyncSession, serial: str | None,
                       now: dt.datetime | None = None) -> Device | None:
    """The registered device with this serial, its last-seen time refreshed; None if the
    serial is not registered."""
    if not valid_serial(serial):
        return None  # never a registered serial (and a NUL would upset PostgreSQL)
    device = await session.get(Device, serial)
    if device is not None:
        device.last_seen_at = now or utcnow()
    return device


async def device_zone(session: AsyncSession, device: Device, default_tz: str) -> str:
    if device.timezone:
        return device.timezone
    tenant = await session.get(Tenant, device.tenant_id)
    return tenant.timezone if tenant else default_tz


# --- device commands and users ---------------------------------------------------------------


async def queue_command(session: AsyncSession, device: Device, command: str,
                        now: dt.datetime | None = None) -> DeviceCommand:
    cmd = DeviceCommand(device_sn=device.serial_number, tenant_id=device.tenant_id,
                        command=command, status="pending", created_at=now or utcnow())
    session.add(cmd)
    await session.flush()
    return cmd


async def queue_roster_sync(session: AsyncSession, device: Device,
                            now: dt.datetime | None = None) -> list[DeviceCommand]:
    """Queue ``DATA UPDATE USERINFO`` for every active employee with a device PIN."""
    rows = await session.scalars(
        select(Employee).where(Employee.tenant_id == device.tenant_id, Employee.active.is_(True),
                               Employee.device_pin.is_not(None))
        .order_by(Employee.device_pin)
    )
    return [await queue_command(session, device,
                                userinfo_update_command(e.device_pin or "", e.name), now)
            for e in rows.all()]


async def _sync_roster_change(session: AsyncSession, event: ev.EmployeeUpserted,
                              old: tuple[str | None, str | None, bool], now: dt.datetime) -> None:
    """Keep the tenant's devices' user lists in step with the roster."""
    old_pin, old_name, old_active = old
    new_pin = event.device_pin or None
    commands: list[str] = []
    if old_pin and old_active and (old_pin != new_pin or not event.active):
        commands.append(userinfo_delete_command(old_pin))
    if new_pin and event.active and (new_pin, event.name, True) != (old_pin, old_name, old_active):
        commands.append(userinfo_update_command(new_pin, event.name))
    if not commands:
        return
    for device in await list_devices(session, event.tenant_id):
        for command in commands:
            await queue_command(session, device, command, now)


async def next_commands(session: AsyncSession, device: Device, *,
                        policy: ResendPolicy = ResendPolicy(), limit: int = 20,
                        now: dt.datetime | None = None) -> list[str]:
    """Commands for a polling device, formatted ``C:<id>:<cmd>``: the pending ones, and the
    ones sent without an answer for ``policy.timeout`` (sent again at most
    ``policy.max_resends`` times, then marked ``unanswered``)."""
    now = now or utcnow()
    rows = (await session.scalars(
        select(DeviceCommand)
        .where(DeviceCommand.device_sn == device.serial_number,
               or_(DeviceCommand.status == "pending",
                   and_(DeviceCommand.status == "sent",
                        DeviceCommand.sent_at <= now - policy.timeout)))
        .order_by(DeviceCommand.id).limit(limit)
    )).all()
    out: list[str] = []
    for cmd in rows:
        action = command_action(cmd.status, cmd.sent_at, cmd.attempts, now, policy)
        if action == "expire":
            cmd.status = "unanswered"
            log.warning("device %s never answered command %d (%d sends)", device.serial_number,
                        cmd.id, cmd.attempts)
        elif action == "send":
            cmd.status = "sent"
            cmd.sent_at = now
            cmd.attempts += 1
            out.append(format_command(cmd.id, cmd.command))
    return out


async def record_command_results(session: AsyncSession, device: Device, body: str, *,
                                 max_lines: int = DEFAULT_MAX_LINES,
                                 now: dt.datetime | None = None) -> tuple[int, int]:
    """Store what the device reports for its commands (a late answer to a command given
    up as ``unanswered`` still counts); returns (matched, quarantined)."""
    now = now or utcnow()
    matched = bad = 0
    lines, overflow = split_batch(body, max_lines)
    items = parse_devicecmd("\n".join(lines))
    for item in [*items, *([too_many_lines(overflow, max_lines)] if overflow else [])]:
        if isinstance(item, CommandResult):
            cmd = await session.get(DeviceCommand, item.command_id)
            if cmd is not None and cmd.device_sn == device.serial_number:
                cmd.status = "done" if item.return_code == 0 else "failed"
                cmd.return_code = item.return_code
                cmd.completed_at = now
                matched += 1
                continue
            item = RejectedLine(item.raw, f"Perintah dengan ID {item.command_id} tidak dikenal "
                                          "untuk mesin ini.", "unknown_command")
        _quarantine_line(session, DEVICECMD_SOURCE, device.tenant_id, item,
                         {"device_sn": device.serial_number}, now)
        bad += 1
    return matched, bad


async def list_commands(session: AsyncSession, device: Device) -> list[DeviceCommand]:
    rows = await session.scalars(select(DeviceCommand)
                                 .where(DeviceCommand.device_sn == device.serial_number)
                                 .order_by(DeviceCommand.id))
    return list(rows.all())


async def ingest_operlog(session: AsyncSession, device: Device, body: str, *,
                         stamp: int | None, max_lines: int = DEFAULT_MAX_LINES,
                         now: dt.datetime | None = None) -> IngestResult:
    """Keep the users a device reports (``USER PIN=..``); other operation-log lines
    (``OPLOG``, ``FP`` ...) carry nothing the service uses."""
    now = now or utcnow()
    result = IngestResult()
    lines, overflow = split_batch(body, max_lines)
    base_ctx = {"device_sn": device.serial_number}
    for line in lines:
        item = parse_operlog_line(line)
        if item is None:
            result.ignored += 1  # not a user record: acknowledged, not stored
        elif isinstance(item, RejectedLine):
            _quarantine(session, OPERLOG_SOURCE, device.tenant_id, item, base_ctx, now, result)
        else:
            await _store_device_user(session, device, item, now)
            result.recorded += 1
    if overflow:
        _quarantine(session, OPERLOG_SOURCE, device.tenant_id, too_many_lines(overflow, max_lines),
                    base_ctx, now, result)
    if stamp is not None and stamp > device.operlog_stamp:
        device.operlog_stamp = stamp
    return result


async def _store_device_user(session: AsyncSession, device: Device, user: UserRecord,
                             now: dt.datetime) -> None:
    await upsert(session, DeviceUser, {
        "device_sn": device.serial_number, "pin": user.pin, "tenant_id": device.tenant_id,
        "name": user.name, "privilege": user.privilege, "card": user.card, "updated_at": now,
    }, index_elements=["device_sn", "pin"])


async def list_device_users(session: AsyncSession, device: Device) -> list[DeviceUser]:
    rows = await session.scalars(select(DeviceUser)
                                 .where(DeviceUser.device_sn == device.serial_number)
                                 .order_by(DeviceUser.pin))
    return list(rows.all())


async def device_status_counts(session: AsyncSession, now: dt.datetime,
                               offline_after_s: float) -> list[tuple[Device, bool]]:
    devices = (await session.scalars(select(Device))).all()
    return [(d, is_online(d, now, offline_after_s)) for d in devices]


# --- punches --------------------------------------------------------------------------------


@dataclass
class IngestResult:
    recorded: int = 0
    duplicates: int = 0
    ignored: int = 0
    quarantined: Counter[str] = field(default_factory=Counter)
    days: set[tuple[str, dt.date]] = field(default_factory=set)

    @property
    def accepted(self) -> int:
        """The records of the batch not set aside in quarantine (the ``OK:<n>``)."""
        return self.recorded + self.duplicates + self.ignored


async def _pin_map(session: AsyncSession, tenant_id: str, pins: Iterable[str]) -> dict[str, Employee]:
    pins = set(pins)
    if not pins:
        return {}
    rows = await session.scalars(
        select(Employee)
        .where(Employee.tenant_id == tenant_id, Employee.device_pin.in_(pins))
        .order_by(Employee.updated_at)
        .execution_options(populate_existing=True)  # a re-read sees committed changes
    )
    out: dict[str, Employee] = {}
    for emp in rows.all():  # active wins; among equals the latest state wins
        assert emp.device_pin is not None
        cur = out.get(emp.device_pin)
        if cur is None or emp.active or not cur.active:
            out[emp.device_pin] = emp
    return out


def _quarantine_line(session: AsyncSession, source: str, tenant_id: str, line: RejectedLine,
                     context: dict[str, Any], now: dt.datetime) -> None:
    session.add(Quarantine(source=source, tenant_id=tenant_id, raw=line.storable_raw(),
                           reason=line.reason,
                           context={**context, "code": line.code}, received_at=now))


def _quarantine(session: AsyncSession, source: str, tenant_id: str, line: RejectedLine,
                context: dict[str, Any], now: dt.datetime, result: IngestResult) -> None:
    _quarantine_line(session, source, tenant_id, line, context, now)
    result.quarantined[line.code] += 1


async def _record_punch(
    session: AsyncSession, ctx: TenantContext, device_sn: str, device_tz: str,
    rec: AttlogRecord, emp: Employee, now: dt.datetime,
) -> tuple[str, dt.date] | None:
    """Insert the punch once; returns the (nip, work_date) to re-evaluate, or None for a
    duplicate."""
    punched_at = rec.local_time.replace(tzinfo=zone(device_tz))
    inserted = await insert_ignore(session, Punch, {
        "tenant_id": ctx.tenant_id, "device_sn": device_sn, "pin": rec.pin, "nip": emp.nip,
        "local_time": rec.local_time, "punched_at": punched_at,
        "status_code": rec.status_code, "verify_type": rec.verify_type,
        "workcode": rec.workcode[:32], "raw": rec.raw, "received_at": now,
    })
    if not inserted:
        return None
    stage(session, Outbox, ev.PunchRecorded(
        tenant_id=ctx.tenant_id, nip=emp.nip, device_sn=device_sn, pin=rec.pin,
        punched_at=punched_at, local_time=rec.local_time, status_code=rec.status_code,
        verify_type=rec.verify_type, occurred_at=now,
    ))
    return emp.nip, work_date_of(punched_at, ctx.tz, ctx.hours_of(emp.nip))


async def ingest_attlog(
    session: AsyncSession, device: Device, body: str, *, stamp: int | None, default_tz: str,
    window: PunchWindow = PunchWindow(), max_lines: int = DEFAULT_MAX_LINES,
    now: dt.datetime | None = None,
) -> IngestResult:
    """Record the valid lines of an ATTLOG upload once each, quarantine the others, and
    re-evaluate the days the new punches touch. ``window``: the plausibility window unless
    the tenant has its own."""
    now = now or utcnow()
    result = IngestResult()
    tenant_id = device.tenant_id
    device_tz = await device_zone(session, device, default_tz)
    window, _ = await punch_window(session, tenant_id, window)
    lines, overflow = split_batch(body, max_lines)
    parsed = read_attlog(lines, now.astimezone(zone(device_tz)).replace(tzinfo=None), window)
    records = [r for r in parsed if isinstance(r, AttlogRecord)]
    base_ctx = {"device_sn": device.serial_number}
    for item in parsed:
        if isinstance(item, RejectedLine):
            _quarantine(session, ATTLOG_SOURCE, tenant_id, item, base_ctx, now, result)
    if overflow:
        _quarantine(session, ATTLOG_SOURCE, tenant_id, too_many_lines(overflow, max_lines),
                    base_ctx, now, result)
    employees = await _pin_map(session, tenant_id, (r.pin for r in records))
    unknown = {r.pin for r in records if not _active(employees.get(r.pin))}
    if unknown:
        # a directory event assigning one of these PINs may have committed since the read:
        # read them again under the lock that event takes before it re-reads the quarantine
        await lock_pin_assignments(session, tenant_id, shared=True)
        employees.update(await _pin_map(session, tenant_id, unknown))
    ctx = await load_context(
        session, tenant_id, default_tz,
        nips=[e.nip for e in employees.values()], span=_date_span(records))
    for rec in records:
        emp = employees.get(rec.pin)
        if emp is None or not emp.active:
            reason = (f"PIN {rec.pin} tidak terdaftar pada pegawai mana pun." if emp is None
                      else f"PIN {rec.pin} milik pegawai yang tidak aktif ({emp.nip}).")
            _quarantine(session, UNKNOWN_PIN_SOURCE, tenant_id,
                        RejectedLine(rec.raw, reason, "unknown_pin"),
                        {**base_ctx, "pin": rec.pin}, now, result)
            continue
        day = await _record_punch(session, ctx, device.serial_number, device_tz, rec, emp, now)
        if day is None:
            result.duplicates += 1
        else:
            result.recorded += 1
            result.days.add(day)
    if stamp is not None and stamp > device.attlog_stamp:
        device.attlog_stamp = stamp
    for nip, work_date in sorted(result.days):
        await evaluate(session, ctx, nip, work_date, now=now)
    return result


def _active(emp: Employee | None) -> bool:
    return emp is not None and emp.active


def _date_span(records: list[AttlogRecord]) -> tuple[dt.date, dt.date] | None:
    """The dates of the records with a day of margin (their times are bounded, so the
    margin cannot overflow)."""
    if not records:
        return None
    dates = [r.local_time.date() for r in records]
    return min(dates) - dt.timedelta(days=1), max(dates) + dt.timedelta(days=1)


async def retry_unknown_pin_lines(session: AsyncSession, tenant_id: str, pin: str, *,
                                  default_tz: str, now: dt.datetime) -> int:
    """Lines quarantined because their PIN was unknown are recorded once an employee with
    that PIN appears (punches pushed before the roster arrived are not lost)."""
    await lock_pin_assignments(session, tenant_id, shared=False)
    pending = (await session.scalars(
        select(Quarantine).where(Quarantine.source == UNKNOWN_PIN_SOURCE,
                                 Quarantine.tenant_id == tenant_id,
                                 json_text(Quarantine.context, "pin") == pin)
        .order_by(Quarantine.id)
    )).all()
    pending = [q for q in pending if not q.context.get("resolved_at")]
    if not pending:
        return 0
    employees = await _pin_map(session, tenant_id, [pin])
    emp = employees.get(pin)
    if emp is None or not emp.active:
        return 0
    lines = [(q, parse_attlog_line(q.raw)) for q in pending]
    records = [r for _, r in lines if isinstance(r, AttlogRecord)]
    if not records:
        return 0
    ctx = await load_context(session, tenant_id, default_tz, nips=[emp.nip],
                             span=_date_span(records))
    days: set[tuple[str, dt.date]] = set()
    for q, rec in lines:
        device = await session.get(Device, q.context.get("device_sn"))
        if not isinstance(rec, AttlogRecord) or device is None or device.tenant_id != tenant_id:
            continue
        device_tz = await device_zone(session, device, default_tz)
        day = await _record_punch(session, ctx, device.serial_number, device_tz, rec, emp, now)
        if day:
            days.add(day)
        q.context = {**q.context, "resolved_at": now.isoformat(), "nip": emp.nip}
    for nip, work_date in sorted(days):
        await evaluate(session, ctx, nip, work_date, now=now)
    return len(pending)


async def get_device(session: AsyncSession, tenant_id: str, serial: str) -> Device:
    device = await session.get(Device, serial)
    if device is None or device.tenant_id != tenant_id:
        raise NotFound(f"Mesin dengan nomor seri {serial} tidak terdaftar.",
                       code="unknown_device")
    return device
