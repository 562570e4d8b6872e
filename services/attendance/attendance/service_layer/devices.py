"""Fingerprint devices: registration, status and zone, and the commands queued for them
(``DATA UPDATE/DELETE USERINFO``, kept in step with the roster) with the users they report."""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from ekinerja_shared import events as ev
from ekinerja_shared.db import insert_ignore
from ekinerja_shared.errors import Conflict, DomainError, NotFound
from ekinerja_shared.timeutil import canonical_zone, utcnow

from ..adapters.orm import Device, DeviceCommand, DeviceUser, Employee, Tenant
from ..domain.attlog import (
    ResendPolicy,
    command_action,
    format_command,
    userinfo_delete_command,
    userinfo_update_command,
    valid_serial,
)

log = logging.getLogger(__name__)

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
    # a serial is registered to one regency only. Another regency's row is invisible here
    # under row-level security: the insert that finds its key taken tells (the answer does
    # not say which regency has it).
    device = await session.get(Device, serial, with_for_update=True)
    if device is None:
        await insert_ignore(session, Device, {
            "serial_number": serial, "tenant_id": tenant_id, "location": location,
            "timezone": tz_name, "registered_at": now, "updated_at": now,
            "attlog_stamp": 0, "operlog_stamp": 0,
        })
        device = await session.get(Device, serial, with_for_update=True,
                                   populate_existing=True)
    if device is None or device.tenant_id != tenant_id:
        raise Conflict(f"Mesin dengan nomor seri {serial} sudah terdaftar di instansi lain.",
                       code="device_taken")
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


async def get_device(session: AsyncSession, tenant_id: str, serial: str) -> Device:
    device = await session.get(Device, serial)
    if device is None or device.tenant_id != tenant_id:
        raise NotFound(f"Mesin dengan nomor seri {serial} tidak terdaftar.",
                       code="unknown_device")
    return device


# --- device commands and users --------------------------------------------------------------


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


async def sync_device_users(session: AsyncSession, tenant_id: str,
                            serial: str) -> list[DeviceCommand]:
    """The tenant's device ``serial`` is sent the roster's PINs and names."""
    return await queue_roster_sync(session, await get_device(session, tenant_id, serial))


def sync_roster_change(session: AsyncSession, devices: list[Device], event: ev.EmployeeUpserted,
                       old: tuple[str | None, str | None, bool], now: dt.datetime) -> None:
    """Keep the tenant's ``devices``' user lists in step with the roster: the commands are
    added to the session in order (written at its next flush)."""
    old_pin, old_name, old_active = old
    new_pin = event.device_pin or None
    commands: list[str] = []
    if old_pin and old_active and (old_pin != new_pin or not event.active):
        commands.append(userinfo_delete_command(old_pin))
    if new_pin and event.active and (new_pin, event.name, True) != (old_pin, old_name, old_active):
        commands.append(userinfo_update_command(new_pin, event.name))
    if not commands:
        return
    session.add_all([DeviceCommand(device_sn=device.serial_number, tenant_id=device.tenant_id,
                                   command=command, status="pending", created_at=now)
                     for device in devices for command in commands])


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


async def list_commands(session: AsyncSession, device: Device) -> list[DeviceCommand]:
    rows = await session.scalars(select(DeviceCommand)
                                 .where(DeviceCommand.device_sn == device.serial_number)
                                 .order_by(DeviceCommand.id))
    return list(rows.all())


async def list_device_users(session: AsyncSession, device: Device) -> list[DeviceUser]:
    rows = await session.scalars(select(DeviceUser)
                                 .where(DeviceUser.device_sn == device.serial_number)
                                 .order_by(DeviceUser.pin))
    return list(rows.all())


async def device_tenant(session: AsyncSession, serial: str | None) -> str | None:
    """The regency a serial is registered to (None: not registered). The device protocol's
    one cross-regency read: the rest of a device's request is bound to that regency."""
    if not valid_serial(serial):
        return None
    tenant_id: str | None = await session.scalar(
        select(Device.tenant_id).where(Device.serial_number == serial))
    return tenant_id


async def device_tenant_ids(session: AsyncSession) -> list[str]:
    """The regencies with registered devices (the status job's cross-tenant listing)."""
    return list((await session.scalars(select(Device.tenant_id).distinct())).all())


async def device_status_counts(session: AsyncSession, tenant_id: str, now: dt.datetime,
                               offline_after_s: float) -> list[tuple[Device, bool]]:
    devices = await list_devices(session, tenant_id)
    return [(d, is_online(d, now, offline_after_s)) for d in devices]
