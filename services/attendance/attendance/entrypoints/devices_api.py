"""HTTP API for a tenant's devices: registration and status, the roster sync, the commands
queued for a device, the users it reports and the plausibility window of the punch times
it uploads (thin: parse, call the service layer, shape).

Who: the regency's HR (and the operator) only, reads included: devices, their serials,
commands and enrolled PINs are administrative data (``TenantHrDep``). A serial registered to
one regency cannot be registered by another (409 ``device_taken``, without naming it)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from ekinerja_shared.http import TenantHrDep, TenantPath, TenantSessionDep
from ekinerja_shared.timeutil import utcnow

from ..adapters.orm import Device, DeviceCommand, DeviceUser
from ..domain.attlog import MAX_AGE_DAYS, MAX_FUTURE_HOURS, PunchWindow, command_problem
from ..service_layer import device_rules, devices
from .audited import DeviceUow, PunchWindowUow, SyncUsersUow
from .deps import ActingIn, RuntimeDep, acting

router = APIRouter(prefix="/api/attendance/{tenant_id}", tags=["attendance"])

Serial = Annotated[str, Path(min_length=1, max_length=64)]


class DeviceIn(BaseModel):
    serial_number: str = Field(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_.-]+$")
    location: str = Field(default="", max_length=200)
    timezone: str | None = Field(default=None, max_length=64,
                                 description="WIB/WITA/WIT or an IANA name; null = tenant's")


class DeviceOut(BaseModel):
    serial_number: str
    location: str
    timezone: str | None
    registered_at: dt.datetime
    last_seen_at: dt.datetime | None
    online: bool

    @classmethod
    def of(cls, d: Device, now: dt.datetime, offline_after_s: float) -> "DeviceOut":
        return cls(serial_number=d.serial_number, location=d.location, timezone=d.timezone,
                   registered_at=d.registered_at, last_seen_at=d.last_seen_at,
                   online=devices.is_online(d, now, offline_after_s))


@router.post("/devices", status_code=201, response_model=DeviceOut,
             summary="Register a device (or update its location/zone)")
async def register_device(tenant_id: TenantPath, body: DeviceIn, caller: TenantHrDep,
                          uow: DeviceUow, rt: RuntimeDep) -> DeviceOut:
    device = await uow.run(devices.register_device, tenant_id, body.serial_number,
                           body.location, body.timezone)
    return DeviceOut.of(device, utcnow(), rt.settings.device_offline_after_s)


@router.get("/devices", response_model=list[DeviceOut], summary="Devices with their status")
async def list_devices(tenant_id: TenantPath, caller: TenantHrDep, session: TenantSessionDep,
                       rt: RuntimeDep) -> list[DeviceOut]:
    rows = await devices.list_devices(session, tenant_id)
    now = utcnow()
    return [DeviceOut.of(d, now, rt.settings.device_offline_after_s) for d in rows]


class CommandOut(BaseModel):
    id: int
    command: str
    status: str
    created_at: dt.datetime
    sent_at: dt.datetime | None
    completed_at: dt.datetime | None
    return_code: int | None
    attempts: int  # times sent to the device
    problem: str | None  # why it failed or went unanswered (Bahasa Indonesia)

    @classmethod
    def of(cls, c: DeviceCommand) -> "CommandOut":
        attempts = c.attempts or 0
        return cls(id=c.id, command=c.command, status=c.status, created_at=c.created_at,
                   sent_at=c.sent_at, completed_at=c.completed_at, return_code=c.return_code,
                   attempts=attempts, problem=command_problem(c.status, attempts,
                                                              c.return_code))


class DeviceUserOut(BaseModel):
    pin: str
    name: str
    privilege: int
    card: str
    updated_at: dt.datetime


@router.post("/devices/{serial}/sync-users", status_code=202, response_model=list[CommandOut],
             summary="Queue the roster's PINs and names for the device (DATA UPDATE USERINFO)")
async def sync_users(tenant_id: TenantPath, serial: Serial, caller: TenantHrDep,
                     uow: SyncUsersUow) -> list[CommandOut]:
    commands = await uow.run(devices.sync_device_users, tenant_id, serial)
    return [CommandOut.of(c) for c in commands]


@router.get("/devices/{serial}/commands", response_model=list[CommandOut],
            summary="Commands queued for the device and their results")
async def list_commands(tenant_id: TenantPath, serial: Serial, caller: TenantHrDep,
                        session: TenantSessionDep) -> list[CommandOut]:
    device = await devices.get_device(session, tenant_id, serial)
    return [CommandOut.of(c) for c in await devices.list_commands(session, device)]


@router.get("/devices/{serial}/users", response_model=list[DeviceUserOut],
            summary="Users enrolled on the device (from its OPERLOG uploads)")
async def list_device_users(tenant_id: TenantPath, serial: Serial, caller: TenantHrDep,
                            session: TenantSessionDep) -> list[DeviceUserOut]:
    device = await devices.get_device(session, tenant_id, serial)
    users: list[DeviceUser] = await devices.list_device_users(session, device)
    return [DeviceUserOut(pin=u.pin, name=u.name, privilege=u.privilege, card=u.card,
                          updated_at=u.updated_at) for u in users]


class PunchWindowIn(ActingIn):
    max_future_hours: int = Field(ge=0, le=MAX_FUTURE_HOURS,
                                  description="how far ahead of the server's clock a punch may be")
    max_age_days: int = Field(ge=1, le=MAX_AGE_DAYS, description="how old a punch may be")


class PunchWindowOut(BaseModel):
    max_future_hours: int
    max_age_days: int
    source: str  # tenant (set with PUT) or default (the service settings)

    @classmethod
    def of(cls, window: PunchWindow, source: str) -> "PunchWindowOut":
        return cls(max_future_hours=int(window.max_future.total_seconds() // 3600),
                   max_age_days=window.max_age.days, source=source)


@router.get("/punch-window", response_model=PunchWindowOut,
            summary="Plausibility window of punch times (outside it a line is quarantined)")
async def get_punch_window(tenant_id: TenantPath, caller: TenantHrDep,
                           session: TenantSessionDep, rt: RuntimeDep) -> PunchWindowOut:
    window, source = await device_rules.punch_window(session, tenant_id, rt.punch_window)
    return PunchWindowOut.of(window, source)


@router.put("/punch-window", response_model=PunchWindowOut,
            summary="Set the tenant's own plausibility window of punch times")
async def put_punch_window(tenant_id: TenantPath, body: PunchWindowIn, caller: TenantHrDep,
                           uow: PunchWindowUow) -> PunchWindowOut:
    window = await uow.run(device_rules.set_punch_window, tenant_id,
                           max_future_hours=body.max_future_hours,
                           max_age_days=body.max_age_days, updated_by=acting(caller))
    return PunchWindowOut.of(window, "tenant")
