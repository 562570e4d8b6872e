"""Attendance's audit trail on the real PostgreSQL and Kafka: an HR change is recorded as
the token's person in the change's own transaction; the platform operator's read of a
regency is recorded; other callers' reads are not."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from attendance.adapters.orm import Outbox
from attendance.app import create_app
from attendance.settings import Settings
from ekinerja_shared import events as ev
from ekinerja_shared.topics import AUDIT
from tests.support.apps import EventProbe, running_app
from tests.support.audit import audit_record, written_together
from tests.support.tokens import as_hr, as_operator, as_user

pytestmark = pytest.mark.integration

HR = "199001172015031002"
DAY = dt.date(2026, 12, 25)


async def test_hr_change_and_operator_access_are_recorded(settings: Settings,
                                                          kafka_bootstrap: str,
                                                          tenant_id: str) -> None:
    app = create_app(settings)
    rt = app.state.runtime
    api = f"/api/attendance/{tenant_id}"
    async with running_app(app) as client, \
            EventProbe(kafka_bootstrap, AUDIT.name, tenant_id) as probe:
        await rt.relay.stop()  # the rows stay as the change's transaction wrote them
        r = await client.put(f"{api}/holidays/{DAY}", headers=as_hr(tenant_id, HR),
                             json={"name": "Hari Raya Natal", "kind": "national"})
        assert r.status_code == 200, r.text
        async with rt.uow.in_tenant(tenant_id).read() as session:
            event_id = await session.scalar(select(Outbox.event_id).where(
                Outbox.event_type == "audit.recorded", Outbox.key == f"{tenant_id}:*"))
            assert await written_together(session, event_id, "holidays",
                                          "tenant_id = :t AND date = :d",
                                          {"t": tenant_id, "d": DAY})
        rt.relay.start()
        record = await audit_record(probe, "attendance.holiday.set", str(DAY))
        assert (record.event_id, record.actor, record.actor_nip, record.service) == (
            event_id, f"{tenant_id}:{HR}", HR, "attendance")
        assert record.detail["name"] == "Hari Raya Natal"

        # reads: an employee's is not recorded, HR of another regency gets 404, the
        # operator's is
        r = await client.get(f"{api}/holidays", headers=as_user(tenant_id, "198001012005011001"))
        assert r.status_code == 200
        r = await client.get(f"{api}/holidays", headers=as_hr(tenant_id + "-lain"))
        assert r.status_code == 404 and r.json()["code"] == "tenant_not_found"
        r = await client.get(f"{api}/holidays", headers=as_operator())
        assert r.status_code == 200 and [h["date"] for h in r.json()] == [str(DAY)]
        access = await audit_record(probe, "operator.access")
        assert (access.actor, access.actor_nip, access.actor_roles) == (
            "operator:ops", None, ["operator"])
        assert access.detail == {"method": "GET", "path": f"{api}/holidays"}
        records = [e for e in probe.events if isinstance(e, ev.AuditRecorded)]
        assert [e.action for e in records] == ["attendance.holiday.set", "operator.access"]
