"""The race between an upload whose PIN is unknown and the directory event that assigns
that PIN, on the real PostgreSQL: whichever of the two transactions commits second sees
the other's work, so the punch is never left in quarantine for good."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from attendance.adapters.orm import UNKNOWN_PIN_SOURCE, Employee, Punch, Quarantine
from attendance.app import create_app
from attendance.domain.attlog import PunchWindow
from attendance.runtime import AttendanceRuntime as Runtime
from attendance.service_layer import devices, ingest
from attendance.settings import Settings
from ekinerja_shared.tenancy import bind_tenant
from ekinerja_shared.timeutil import utcnow
from tests.support.apps import running_app
from tests.support.infra import unique
from tests.support.tokens import as_hr

from .conftest import apply_directory, employee

pytestmark = pytest.mark.integration

NIP = "198803032010031003"
WINDOW = PunchWindow.of(24, 3660)


def attlog_line(pin: str) -> str:
    yesterday = utcnow() - dt.timedelta(days=1)
    return f"{pin}\t{yesterday:%Y-%m-%d} 07:20:00\t0\t1\t0\t0\n"


async def upload(rt: Runtime, session: AsyncSession, serial: str, pin: str,
                 default_tz: str) -> ingest.IngestResult:
    device = await devices.known_device(session, serial)
    assert device is not None
    return await ingest.ingest_attlog(session, device, attlog_line(pin), stamp=None,
                                        default_tz=default_tz, window=WINDOW)


async def assign_pin(rt: Runtime, tenant_id: str, pin: str) -> None:
    """The directory event assigning ``pin``, applied in its own transaction."""
    await apply_directory(rt, employee(tenant_id, NIP, pin))


async def outcome(rt: Runtime, tenant_id: str) -> tuple[list[str], list[str]]:
    """(NIPs of the punches, unresolved unknown-PIN quarantine entries)."""
    async with rt.uow.in_tenant(tenant_id).read() as s:
        punches = (await s.scalars(select(Punch.nip).where(Punch.tenant_id == tenant_id))).all()
        pending = [q.raw for q in (await s.scalars(select(Quarantine).where(
            Quarantine.tenant_id == tenant_id,
            Quarantine.source == UNKNOWN_PIN_SOURCE))).all()
            if not q.context.get("resolved_at")]
    return list(punches), pending


@contextlib.asynccontextmanager
async def service_with_device(settings: Settings, tenant_id: str) -> AsyncIterator[
        tuple[Runtime, str]]:
    """The service running (its migrations applied) with one registered device."""
    app = create_app(settings)
    async with running_app(app) as client:
        client.headers.update(as_hr(tenant_id))
        serial = unique("ZK").upper()
        r = await client.post(f"/api/attendance/{tenant_id}/devices",
                              json={"serial_number": serial, "timezone": "WITA"})
        assert r.status_code == 201, r.text
        yield app.state.runtime, serial


async def test_pin_assigned_between_the_uploads_lookup_and_its_quarantine(
    settings: Settings, tenant_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    tz = settings.default_timezone
    async with service_with_device(settings, tenant_id) as (rt, serial):
        real_pin_map = ingest._pin_map
        calls = 0

        async def pin_map_then_directory(session: AsyncSession, tenant: str,
                                         pins: object) -> dict[str, Employee]:
            nonlocal calls
            found = await real_pin_map(session, tenant, pins)  # type: ignore[arg-type]
            calls += 1
            if calls == 1:  # the upload has read "unknown"; the directory commits now
                await assign_pin(rt, tenant_id, "55")
            return found

        monkeypatch.setattr(ingest, "_pin_map", pin_map_then_directory)
        async with rt.sessionmaker() as session, session.begin():
            await bind_tenant(session, tenant_id)  # as /iclock does for the device's regency
            result = await upload(rt, session, serial, "55", tz)
        assert (result.recorded, dict(result.quarantined)) == (1, {})
        assert await outcome(rt, tenant_id) == ([NIP], [])
        assert calls == 2  # the upload read the PIN a second time, under the lock


async def test_directory_event_waits_for_the_upload_quarantining_its_pin(
    settings: Settings, tenant_id: str
) -> None:
    tz = settings.default_timezone
    async with service_with_device(settings, tenant_id) as (rt, serial):
        async with rt.sessionmaker() as session:
            await session.begin()
            await bind_tenant(session, tenant_id)
            result = await upload(rt, session, serial, "56", tz)
            assert dict(result.quarantined) == {"unknown_pin": 1}
            # the directory event starts before the upload commits
            directory = asyncio.create_task(assign_pin(rt, tenant_id, "56"))
            await asyncio.sleep(0.5)
            assert not directory.done()  # it waits for the upload's lock ...
            await session.commit()
        await asyncio.wait_for(directory, 10)
        # ... and then finds the quarantined line and records it
        assert await outcome(rt, tenant_id) == ([NIP], [])
