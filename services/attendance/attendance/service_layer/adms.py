"""The requests of the ZKTeco ADMS push protocol as use cases. Each starts from the serial
the device sent (its last-seen time refreshed) and returns None when that serial is not
registered, so that the entrypoint can refuse it."""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy.ext.asyncio import AsyncSession

from ekinerja_shared.timeutil import utcnow, zone

from ..domain.attlog import handshake_reply
from .devices import device_zone, known_device, next_commands
from .ingest import IngestResult, ingest_attlog, ingest_operlog, record_command_results

log = logging.getLogger(__name__)


async def handshake(session: AsyncSession, serial: str, *, default_tz: str,
                    now: dt.datetime | None = None) -> str | None:
    """The options block: the last stamps received and the device's zone offset."""
    device = await known_device(session, serial)
    if device is None:
        return None
    tz_name = await device_zone(session, device, default_tz)
    offset = (now or utcnow()).astimezone(zone(tz_name)).utcoffset()
    return handshake_reply(
        device.serial_number, attlog_stamp=device.attlog_stamp,
        operlog_stamp=device.operlog_stamp,
        tz_offset_hours=(offset.total_seconds() / 3600) if offset else 0,
    )


async def upload(session: AsyncSession, serial: str, table: str, body: str, *,
                 stamp: int | None, default_tz: str) -> IngestResult | None:
    """An uploaded table: ATTLOG punches and OPERLOG users are recorded, others ignored."""
    device = await known_device(session, serial)
    if device is None:
        return None
    kind = table.upper()
    if kind == "ATTLOG":
        return await ingest_attlog(session, device, body, stamp=stamp, default_tz=default_tz)
    if kind == "OPERLOG":
        return await ingest_operlog(session, device, body, stamp=stamp)
    log.info("device %s uploaded table %r (%d bytes): not used", serial, table, len(body))
    return IngestResult()


async def poll_commands(session: AsyncSession, serial: str) -> list[str] | None:
    """The device's pending commands (``C:<id>:<command>``), now marked sent."""
    device = await known_device(session, serial)
    if device is None:
        return None
    return await next_commands(session, device)


async def command_results(session: AsyncSession, serial: str, body: str) -> int | None:
    """The device's command results, stored; returns how many lines were quarantined."""
    device = await known_device(session, serial)
    if device is None:
        return None
    _, bad = await record_command_results(session, device, body)
    return bad
