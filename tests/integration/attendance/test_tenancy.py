"""Regencies are isolated in PostgreSQL: the app's role sees a regency's devices only when
bound to it; a serial of one regency cannot be taken by another (409, without naming it);
the device protocol finds a device's regency in its one named cross-tenant read and then
works bound to it; the status job lists its regencies cross-tenant."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from attendance.adapters.orm import Device
from attendance.app import create_app
from attendance.jobs import refresh_device_status
from attendance.settings import Settings
from tests.support.apps import running_app
from tests.support.infra import unique
from tests.support.tokens import as_hr

pytestmark = pytest.mark.integration


async def test_regencies_are_isolated_in_postgresql(settings: Settings, tenant_id: str) -> None:
    app = create_app(settings)
    rt = app.state.runtime
    other = f"{tenant_id}-b"
    mine, theirs = unique("ZK").upper(), unique("ZK").upper()
    async with running_app(app) as client:
        for tenant, serial in ((tenant_id, mine), (other, theirs)):
            r = await client.post(f"/api/attendance/{tenant}/devices", headers=as_hr(tenant),
                                  json={"serial_number": serial})
            assert r.status_code == 201, r.text
        r = await client.post(f"/api/attendance/{other}/devices", headers=as_hr(other),
                              json={"serial_number": mine})
        assert r.status_code == 409 and r.json()["code"] == "device_taken"
        assert tenant_id not in r.json()["detail"]

        async def visible(uow) -> set[str]:  # type: ignore[no-untyped-def]
            async with uow.read() as s:
                return set((await s.scalars(select(Device.serial_number).where(
                    Device.serial_number.in_([mine, theirs])))).all())

        assert await visible(rt.uow) == set()  # a query that forgets its regency sees nothing
        assert await visible(rt.uow.in_tenant(tenant_id)) == {mine}
        assert await visible(rt.uow.cross_tenant("test-audit")) == {mine, theirs}
        r = await client.get(f"/api/attendance/{tenant_id}/devices/{theirs}/commands",
                             headers=as_hr(tenant_id))
        assert r.status_code == 404 and r.json()["code"] == "unknown_device"

        for serial in (mine, theirs):  # each device reaches its own regency
            r = await client.get("/iclock/cdata", params={"SN": serial, "options": "all"})
            assert r.status_code == 200 and serial in r.text, r.text
        await refresh_device_status(rt)
        metrics = (await client.get("/metrics")).text
        for tenant, serial in ((tenant_id, mine), (other, theirs)):
            assert (f'ekinerja_attendance_device_online{{serial_number="{serial}",'
                    f'tenant_id="{tenant}"}} 1.0') in metrics
