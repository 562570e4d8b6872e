"""The requests of the ZKTeco ADMS push protocol as use cases. Each starts from the serial
the device sent (its last-seen time refreshed) and returns None when that serial is not
registered, so that the entrypoint can refuse it."""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy.ext.asyncio import AsyncSession

from ekinerja_shared.timeutil import utcnow, zone

from ..domain.attlog import PunchWindow, ResendPolicy, handshake_reply, split_lines, table_label
from .devices import device_zone, known_device, next_commands
from .ingest import (
    DEFAULT_MAX_LINES,
    IngestResult,
    ingest_attlog,
    ingest_operlog,
    record_command_results,
)

log = logging.getLogger(__name__)


async def registered(session: AsyncSession, serial: str) -> bool:
    """Whether the serial is registered (its last-seen time refreshed): asked before an
    upload's body is read."""
    return await known_device(session, serial) is not None


async def handshake(session: AsyncSession, serial: str, *, default_tz: str,
                    pushver: str | None = None, now: dt.datetime | None = None) -> str | None:
    """The options block: the last stamps received and the device's zone offset, in the
    dialect of the device's firmware (``pushver`` named or not)."""
    device = await known_device(session, serial)
    if device is None:
        return None
    tz_name = await device_zone(session, device, default_tz)
    offset = (now or utcnow()).astimezone(zone(tz_name)).utcoffset()
    return handshake_reply(
        device.serial_number, attlog_stamp=device.attlog_stamp,
        operlog_stamp=device.operlog_stamp,
        tz_offset_hours=(offset.total_seconds() / 3600) if offset else 0, pushver=pushver,
    )


async def upload(session: AsyncSession, serial: str, table: str, body: str, *,
                 stamp: int | None, default_tz: str, window: PunchWindow = PunchWindow(),
                 max_lines: int = DEFAULT_MAX_LINES) -> IngestResult | None:
    """An uploaded table: ATTLOG punches and OPERLOG users are recorded, the lines of other
    tables acknowledged without being kept."""
    device = await known_device(session, serial)
    if device is None:
        return None
    kind = table_label(table)
    if kind == "ATTLOG":
        return await ingest_attlog(session, device, body, stamp=stamp, default_tz=default_tz,
                                   window=window, max_lines=max_lines)
    if kind == "OPERLOG":
        return await ingest_operlog(session, device, body, stamp=stamp, max_lines=max_lines)
    log.info("device %s uploaded table %r (%d bytes): not used", serial, table[:32], len(body))
    return IngestResult(ignored=sum(1 for _ in split_lines(body)))


async def poll_commands(session: AsyncSession, serial: str, *,
                        policy: ResendPolicy = ResendPolicy()) -> list[str] | None:
    """The device's commands (``C:<id>:<command>``), marked sent: the pending ones and the
    ones to send again under ``policy``."""
    device = await known_device(session, serial)
    if device is None:
        return None
    return await next_commands(session, device, policy=policy)


async def command_results(session: AsyncSession, serial: str, body: str, *,
                          max_lines: int = DEFAULT_MAX_LINES) -> int | None:
    """The device's command results, stored; returns how many lines were quarantined."""
    device = await known_device(session, serial)
    if device is None:
        return None
    _, bad = await record_command_results(session, device, body, max_lines=max_lines)
    return bad
