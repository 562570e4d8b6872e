"""Scoring's audit trail on the real PostgreSQL and Kafka: a month close is recorded as the
token's person in the close's own transaction; a TPP export (a read) is recorded in a
transaction of its own, by whoever downloaded it (here a payroll machine client)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ekinerja_shared import events as ev
from ekinerja_shared.topics import AUDIT
from scoring.adapters.orm import Outbox
from scoring.app import create_app
from scoring.settings import Settings
from tests.support.apps import EventProbe, running_app
from tests.support.audit import audit_record, written_together
from tests.support.infra import pg_app_url, pg_url, reset_database
from tests.support.tokens import TEST_JWKS_JSON, as_hr, bearer, client_token

pytestmark = pytest.mark.integration

HR = "199001172015031002"
PERIOD = "2026-10"


async def test_month_close_and_tpp_export_are_recorded(kafka_bootstrap, group_prefix,
                                                       tenant_id) -> None:
    await reset_database(pg_url("scoring"))
    app = create_app(Settings(database_url=pg_app_url("scoring"),
                              migration_database_url=pg_url("scoring"),
                              auth_jwks=TEST_JWKS_JSON, kafka_bootstrap=kafka_bootstrap,
                              consumer_group_prefix=group_prefix, outbox_poll_interval_s=0.2))
    rt = app.state.runtime
    api = f"/api/scoring/{tenant_id}"
    async with running_app(app) as client, \
            EventProbe(kafka_bootstrap, AUDIT.name, tenant_id) as probe:
        r = await client.get(f"{api}/exports/tpp", params={"period": PERIOD},
                             headers=as_hr(tenant_id, HR))
        assert r.json()["code"] == "period_open"  # refused: not recorded
        await rt.relay.stop()  # the rows stay as the close's transaction wrote them
        r = await client.post(f"{api}/periods/{PERIOD}/close", headers=as_hr(tenant_id, HR),
                              json={"confirm": True})
        assert r.status_code == 200, r.text
        async with rt.uow.in_tenant(tenant_id).read() as session:
            event_id = await session.scalar(select(Outbox.event_id).where(
                Outbox.event_type == "audit.recorded", Outbox.key == f"{tenant_id}:*"))
            assert await written_together(session, event_id, "outbox", "event_type = :t",
                                          {"t": "scoring.period.closed"})
        rt.relay.start()
        closed = await audit_record(probe, "scoring.period.close", PERIOD)
        assert (closed.event_id, closed.actor, closed.actor_nip) == (
            event_id, f"{tenant_id}:{HR}", HR)

        payroll = bearer(client_token(tenant_id, "payroll", "tpp:read"))
        r = await client.get(f"{api}/exports/tpp", params={"period": PERIOD, "format": "xlsx"},
                             headers=payroll)
        assert r.status_code == 200
        export = await audit_record(probe, "scoring.tpp.export", PERIOD)
        assert (export.actor, export.actor_nip, export.actor_kind) == (
            "client:payroll", None, "client")
        assert (export.detail["format"], export.detail["employees"]) == ("xlsx", 0)
        actions = [e.action for e in probe.events if isinstance(e, ev.AuditRecorded)]
        assert actions == ["scoring.period.close", "scoring.tpp.export"]
