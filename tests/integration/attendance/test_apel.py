"""Apel attendance from a designated device and time window, on the real PostgreSQL and
Kafka: its own indicator on the day's verdict, and a cut under rules that have one."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from attendance.app import create_app
from attendance.settings import Settings
from ekinerja_shared import events as ev
from ekinerja_shared.topics import ATTENDANCE_DAY_BATCHES
from tests.support.apps import EventProbe, publish, running_app
from tests.support.infra import unique
from tests.support.tokens import as_hr

from .conftest import employee, roster_copied, tenant
from .simulator import ZKDeviceSimulator

pytestmark = pytest.mark.integration

X, Y = "196901012000011001", "196902022000022002"
MONDAY = dt.date(2026, 11, 9)


async def test_apel_on_designated_device(settings: Settings, kafka_bootstrap: str,
                                         tenant_id: str) -> None:
    await publish(kafka_bootstrap, tenant(tenant_id, "WIB"),
                  employee(tenant_id, X, "5"), employee(tenant_id, Y, "6"))
    app = create_app(settings)
    rt = app.state.runtime
    api = f"/api/attendance/{tenant_id}"
    field_sn, lobby_sn = unique("APEL").upper(), unique("LOBI").upper()
    async with running_app(app) as client, EventProbe(
            kafka_bootstrap, ATTENDANCE_DAY_BATCHES.name, tenant_id) as days:
        client.headers.update(as_hr(tenant_id))
        await roster_copied(rt, tenant_id, X, Y)
        for sn in (field_sn, lobby_sn):
            r = await client.post(f"{api}/devices", json={"serial_number": sn})
            assert r.status_code == 201
        r = await client.put(f"{api}/rules", json={"preset": "ttu"})
        assert r.status_code == 200
        r = await client.put(f"{api}/apel", json={
            "window_start": "07:00", "window_end": "07:30", "weekdays": [0],
            "device_serials": [field_sn]})
        assert r.status_code == 200, r.text
        assert (await client.get(f"{api}/apel")).json()["device_serials"] == [field_sn]

        field, lobby = ZKDeviceSimulator(client, field_sn), ZKDeviceSimulator(client, lobby_sn)
        field.punch("5", dt.datetime(2026, 11, 9, 7, 15))
        lobby.punch("5", dt.datetime(2026, 11, 9, 16, 5))
        lobby.punch("6", dt.datetime(2026, 11, 9, 7, 15))  # on time, but not at the apel
        lobby.punch("6", dt.datetime(2026, 11, 9, 16, 5))
        assert await field.upload() and await lobby.upload()

        def final(nip: str):  # type: ignore[no-untyped-def]
            return lambda e: (isinstance(e, ev.AttendanceDayEvaluated) and e.nip == nip
                              and e.work_date == MONDAY and e.departure is not None)

        x = await days.wait_for(final(X))
        y = await days.wait_for(final(Y))
        assert (x.apel_attended, x.deduction_pct) == (True, Decimal(0))  # type: ignore[attr-defined]
        assert (y.apel_attended, y.deduction_pct) == (False, Decimal(4))  # type: ignore[attr-defined]
        r = await client.put(f"{api}/apel", json={
            "window_start": "07:30", "window_end": "07:00", "weekdays": [0]})
        assert r.status_code == 422 and r.json()["code"] == "bad_apel"
