"""What devices upload, recorded once: ATTLOG punches (the days they touch re-evaluated),
OPERLOG user records and command results. Bad lines are kept in quarantine with a reason;
a line with an unknown PIN is recorded once the employee arrives from the directory."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ekinerja_shared import events as ev
from ekinerja_shared.db import insert_ignore, upsert
from ekinerja_shared.outbox import stage
from ekinerja_shared.timeutil import utcnow, zone

from ..adapters.orm import Device, DeviceCommand, DeviceUser, Employee, Outbox, Punch, Quarantine
from ..domain.attlog import (
    AttlogRecord,
    CommandResult,
    RejectedLine,
    UserRecord,
    parse_attlog,
    parse_attlog_line,
    parse_devicecmd,
    parse_operlog_line,
    split_lines,
)
from ..domain.schedule import work_date_of
from .context import TenantContext, load_context
from .days import evaluate
from .devices import device_zone

ATTLOG_SOURCE = "iclock:attlog"
OPERLOG_SOURCE = "iclock:operlog"
DEVICECMD_SOURCE = "iclock:devicecmd"
UNKNOWN_PIN_SOURCE = "iclock:attlog:unknown_pin"


# --- punches --------------------------------------------------------------------------------


@dataclass
class IngestResult:
    recorded: int = 0
    duplicates: int = 0
    ignored: int = 0
    quarantined: Counter[str] = field(default_factory=Counter)
    days: set[tuple[str, dt.date]] = field(default_factory=set)


async def _pin_map(session: AsyncSession, tenant_id: str, pins: Iterable[str]) -> dict[str, Employee]:
    pins = set(pins)
    if not pins:
        return {}
    rows = await session.scalars(
        select(Employee)
        .where(Employee.tenant_id == tenant_id, Employee.device_pin.in_(pins))
        .order_by(Employee.updated_at)
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
    session.add(Quarantine(source=source, tenant_id=tenant_id, raw=line.raw, reason=line.reason,
                           context={**context, "code": line.code}, received_at=now))


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
    now: dt.datetime | None = None,
) -> IngestResult:
    """Record the valid lines of an ATTLOG upload once each, quarantine the others, and
    re-evaluate the days the new punches touch."""
    now = now or utcnow()
    result = IngestResult()
    device_tz = await device_zone(session, device, default_tz)
    parsed = parse_attlog(body)
    records = [r for r in parsed if isinstance(r, AttlogRecord)]
    employees = await _pin_map(session, device.tenant_id, (r.pin for r in records))
    ctx = await load_context(
        session, device.tenant_id, default_tz, nips=[e.nip for e in employees.values()],
        span=(min(r.local_time.date() for r in records) - dt.timedelta(days=1),
              max(r.local_time.date() for r in records) + dt.timedelta(days=1))
        if records else None)
    base_ctx = {"device_sn": device.serial_number}
    for item in parsed:
        if isinstance(item, RejectedLine):
            _quarantine_line(session, ATTLOG_SOURCE, device.tenant_id, item, base_ctx, now)
            result.quarantined[item.code] += 1
            continue
        emp = employees.get(item.pin)
        if emp is None or not emp.active:
            reason = (f"PIN {item.pin} tidak terdaftar pada pegawai mana pun." if emp is None
                      else f"PIN {item.pin} milik pegawai yang tidak aktif ({emp.nip}).")
            _quarantine_line(session, UNKNOWN_PIN_SOURCE, device.tenant_id,
                             RejectedLine(item.raw, reason, "unknown_pin"),
                             {**base_ctx, "pin": item.pin}, now)
            result.quarantined["unknown_pin"] += 1
            continue
        day = await _record_punch(session, ctx, device.serial_number, device_tz, item, emp, now)
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


async def retry_unknown_pin_lines(session: AsyncSession, tenant_id: str, pin: str, *,
                                  default_tz: str, now: dt.datetime) -> int:
    """Lines quarantined because their PIN was unknown are recorded once an employee with
    that PIN appears (punches pushed before the roster arrived are not lost)."""
    rows = (await session.scalars(
        select(Quarantine).where(Quarantine.source == UNKNOWN_PIN_SOURCE,
                                 Quarantine.tenant_id == tenant_id)
        .order_by(Quarantine.id)
    )).all()
    pending = [q for q in rows if q.context.get("pin") == pin and not q.context.get("resolved_at")]
    if not pending:
        return 0
    employees = await _pin_map(session, tenant_id, [pin])
    emp = employees.get(pin)
    if emp is None or not emp.active:
        return 0
    lines = [(q, parse_attlog_line(q.raw)) for q in pending]
    times = [r.local_time.date() for _, r in lines if isinstance(r, AttlogRecord)]
    if not times:
        return 0
    ctx = await load_context(session, tenant_id, default_tz, nips=[emp.nip],
                             span=(min(times) - dt.timedelta(days=1),
                                   max(times) + dt.timedelta(days=1)))
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


# --- device users and command results -------------------------------------------------------


async def ingest_operlog(session: AsyncSession, device: Device, body: str, *,
                         stamp: int | None, now: dt.datetime | None = None) -> IngestResult:
    """Keep the users a device reports (``USER PIN=..``); other operation-log lines carry
    nothing the service uses."""
    now = now or utcnow()
    result = IngestResult()
    for line in split_lines(body):
        item = parse_operlog_line(line)
        if item is None:
            result.ignored += 1  # not a user record: acknowledged, not stored
        elif isinstance(item, RejectedLine):
            _quarantine_line(session, OPERLOG_SOURCE, device.tenant_id, item,
                             {"device_sn": device.serial_number}, now)
            result.quarantined[item.code] += 1
        else:
            await _store_device_user(session, device, item, now)
            result.recorded += 1
    if stamp is not None and stamp > device.operlog_stamp:
        device.operlog_stamp = stamp
    return result


async def _store_device_user(session: AsyncSession, device: Device, user: UserRecord,
                             now: dt.datetime) -> None:
    await upsert(session, DeviceUser, {
        "device_sn": device.serial_number, "pin": user.pin, "tenant_id": device.tenant_id,
        "name": user.name[:200], "privilege": user.privilege, "card": user.card[:64],
        "updated_at": now,
    }, index_elements=["device_sn", "pin"])


async def record_command_results(session: AsyncSession, device: Device, body: str,
                                 now: dt.datetime | None = None) -> tuple[int, int]:
    """Store what the device reports for its commands; returns (matched, quarantined)."""
    now = now or utcnow()
    matched = bad = 0
    for item in parse_devicecmd(body):
        if isinstance(item, CommandResult):
            cmd = await session.get(DeviceCommand, item.command_id)
            if cmd is not None and cmd.device_sn == device.serial_number:
                cmd.status = "done" if item.return_code == 0 else "failed"
                cmd.return_code = item.return_code
                cmd.completed_at = now
                matched += 1
                continue
            item = RejectedLine(f"ID={item.command_id}&Return={item.return_code}&CMD={item.command}",
                                f"Perintah dengan ID {item.command_id} tidak dikenal untuk mesin "
                                "ini.", "unknown_command")
        _quarantine_line(session, DEVICECMD_SOURCE, device.tenant_id, item,
                         {"device_sn": device.serial_number}, now)
        bad += 1
    return matched, bad
