"""What devices upload, recorded once: ATTLOG punches, OPERLOG user records and command
results. Bad lines are kept in quarantine with a reason; a line with an unknown PIN is
recorded once the employee arrives from the directory.

An upload only records its punches, staged in the outbox as ``PunchesRecorded`` (one event
per lane of employees, not one per punch), and answers: the days they touch are evaluated
by the consumer of the punches topic (``evaluation.evaluate_punched_days``), off the
devices' path."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ekinerja_shared import events as ev
from ekinerja_shared.db import insert_ignore_returning, upsert
from ekinerja_shared.outbox import stage_many
from ekinerja_shared.timeutil import utcnow, zone

from ..adapters.orm import (
    UNKNOWN_PIN_SOURCE,
    Device,
    DeviceCommand,
    DeviceUser,
    Employee,
    Outbox,
    Punch,
    Quarantine,
)
from ..domain.attlog import (
    AttlogRecord,
    CommandResult,
    PunchWindow,
    RejectedLine,
    UserRecord,
    parse_attlog_line,
    parse_devicecmd,
    parse_operlog_line,
    read_attlog,
    split_batch,
    too_many_lines,
)
from .context import date_span, load_context
from .evaluation import evaluate_many, punched_days
from .device_rules import lock_pin_assignments, punch_window, unknown_pin_lines
from .devices import device_zone

DEFAULT_MAX_LINES = 5000  # records processed per upload (EK_ICLOCK_MAX_LINES)

ATTLOG_SOURCE = "iclock:attlog"
OPERLOG_SOURCE = "iclock:operlog"
DEVICECMD_SOURCE = "iclock:devicecmd"
# UNKNOWN_PIN_SOURCE ("iclock:attlog:unknown_pin") is named in adapters.orm: an index
# of the quarantine is restricted to it


# --- punches --------------------------------------------------------------------------------


@dataclass
class IngestResult:
    recorded: int = 0
    duplicates: int = 0
    ignored: int = 0
    quarantined: Counter[str] = field(default_factory=Counter)

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


@dataclass(frozen=True)
class PunchIn:
    """A valid line of a device, its employee known."""

    device_sn: str
    device_tz: str
    rec: AttlogRecord
    emp: Employee


async def _record_punches(session: AsyncSession, tenant_id: str, items: list[PunchIn],
                          now: dt.datetime) -> list[ev.PunchLine]:
    """Insert the punches once each with one statement, and stage the new ones (in the
    lines' order) as ``PunchesRecorded``, one per lane (``ev.punch_batches``); returns
    them. A line seen before (in this batch or earlier) is a duplicate."""
    rows: dict[tuple[str, str, dt.datetime], tuple[PunchIn, dt.datetime]] = {}
    for it in items:
        key = (it.device_sn, it.rec.pin, it.rec.local_time)
        if key not in rows:
            rows[key] = (it, it.rec.local_time.replace(tzinfo=zone(it.device_tz)))
    inserted = set(await insert_ignore_returning(session, Punch, [{
        "tenant_id": tenant_id, "device_sn": it.device_sn, "pin": it.rec.pin,
        "nip": it.emp.nip, "local_time": it.rec.local_time, "punched_at": at,
        "status_code": it.rec.status_code, "verify_type": it.rec.verify_type,
        "workcode": it.rec.workcode[:32], "raw": it.rec.raw, "received_at": now,
    } for it, at in rows.values()], (Punch.device_sn, Punch.pin, Punch.local_time)))
    lines = [ev.PunchLine(nip=it.emp.nip, device_sn=it.device_sn, pin=it.rec.pin,
                          punched_at=at, local_time=it.rec.local_time,
                          status_code=it.rec.status_code, verify_type=it.rec.verify_type)
             for key, (it, at) in rows.items() if key in inserted]
    await stage_many(session, Outbox, ev.punch_batches(tenant_id, lines, occurred_at=now))
    return lines


async def ingest_attlog(
    session: AsyncSession, device: Device, body: str, *, stamp: int | None, default_tz: str,
    window: PunchWindow = PunchWindow(), max_lines: int = DEFAULT_MAX_LINES,
    now: dt.datetime | None = None,
) -> IngestResult:
    """Record the valid lines of an ATTLOG upload once each (the new punches staged as
    ``PunchesRecorded``: the days are evaluated by the punches' consumer) and quarantine
    the others.
    ``window``: the plausibility window unless the tenant has its own."""
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
    items: list[PunchIn] = []
    for rec in records:
        emp = employees.get(rec.pin)
        if emp is None or not (emp.active or _on_duty_then(emp, rec.local_time.date())):
            reason = (f"PIN {rec.pin} tidak terdaftar pada pegawai mana pun." if emp is None
                      else f"PIN {rec.pin} milik pegawai yang tidak aktif ({emp.nip}).")
            _quarantine(session, UNKNOWN_PIN_SOURCE, tenant_id,
                        RejectedLine(rec.raw, reason, "unknown_pin"),
                        {**base_ctx, "pin": rec.pin}, now, result)
            continue
        items.append(PunchIn(device.serial_number, device_tz, rec, emp))
    result.recorded = len(await _record_punches(session, tenant_id, items, now))
    result.duplicates = len(items) - result.recorded
    if stamp is not None and stamp > device.attlog_stamp:
        device.attlog_stamp = stamp
    return result


def _active(emp: Employee | None) -> bool:
    return emp is not None and (emp.active or emp.end_date is not None)


def _on_duty_then(emp: Employee, day: dt.date) -> bool:
    """A backlog punch of an employee whose duty has ended since: kept when it lies on or
    before the last day (the device's local date)."""
    return emp.end_date is not None and day <= emp.end_date


async def retry_unknown_pin_lines(session: AsyncSession, tenant_id: str, pin: str, *,
                                  default_tz: str, now: dt.datetime) -> int:
    """Lines quarantined because their PIN was unknown are recorded once an employee with
    that PIN appears (punches pushed before the roster arrived are not lost)."""
    await lock_pin_assignments(session, tenant_id, shared=False)
    pending = (await session.scalars(
        select(Quarantine).where(*unknown_pin_lines(tenant_id, pin))
        .order_by(Quarantine.id)
    )).all()
    # not yet recorded, nor discarded by HR through the quarantine API
    pending = [q for q in pending if not q.context.get("resolved_at") and q.status == "open"]
    if not pending:
        return 0
    employees = await _pin_map(session, tenant_id, [pin])
    emp = employees.get(pin)
    if emp is None or not _active(emp):
        return 0
    lines = [(q, parse_attlog_line(q.raw)) for q in pending]
    records = [r for _, r in lines if isinstance(r, AttlogRecord)]
    if not records:
        return 0
    ctx = await load_context(session, tenant_id, default_tz, nips=[emp.nip],
                             span=date_span(r.local_time.date() for r in records))
    items: list[PunchIn] = []
    for q, rec in lines:
        device = await session.get(Device, q.context.get("device_sn"))
        if not isinstance(rec, AttlogRecord) or device is None or device.tenant_id != tenant_id:
            continue
        if not (emp.active or _on_duty_then(emp, rec.local_time.date())):
            continue  # after the last day of duty: stays in quarantine
        device_tz = await device_zone(session, device, default_tz)
        items.append(PunchIn(device.serial_number, device_tz, rec, emp))
        q.context = {**q.context, "resolved_at": now.isoformat(), "nip": emp.nip}
        q.status, q.resolved_at, q.resolved_by = "replayed", now, "directory"
        q.resolution = f"PIN {pin} diberikan kepada NIP {emp.nip}; presensi dicatat."
    # evaluated here, with the directory event that assigned the PIN (the punches'
    # consumer finds the verdicts unchanged)
    recorded = await _record_punches(session, tenant_id, items, now)
    await evaluate_many(session, ctx, punched_days(ctx, recorded), now=now)
    return len(pending)


# --- device users and command results -------------------------------------------------------


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
