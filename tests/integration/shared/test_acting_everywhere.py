"""Plt/Plh count the same way in every service, on the real Kafka and PostgreSQL: HR records
an acting assignment in the activity service, which publishes it through its outbox
(``ekinerja.activity.acting.v1``); attendance, scoring and the gateway keep copies and apply
the shared rule (``ekinerja_shared.supervision``). The roster comes from the gateway, as in
production. The Plh, an employee whose token carries no supervisor role, sees the absent
Kasubag's team's days, scores and directory rows while the assignment is in force; an assignment whose last day was yesterday gives nothing (403 the day after),
nor does a withdrawn one. Each app connects as its application role (row-level security)."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from activity.app import create_app as activity_app
from activity.settings import Settings as ActivitySettings
from attendance.adapters.orm import ActingAssignment as AttendanceActing
from attendance.app import create_app as attendance_app
from attendance.settings import Settings as AttendanceSettings
from ekinerja_shared import events as ev
from ekinerja_shared.timeutil import local_today
from gateway.adapters.orm import ActingAssignment as GatewayActing
from gateway.app import create_app as gateway_app
from gateway.auth import store as sign_in_store
from gateway.settings import Settings as GatewaySettings
from scoring.adapters.orm import ActingAssignment as ScoringActing
from scoring.app import create_app as scoring_app
from scoring.settings import Settings as ScoringSettings
from tests.support.apps import eventually, from_now_on, publish, running_app
from tests.support.infra import pg_app_url, pg_url, reset_database
from tests.support.tokens import TEST_JWKS_JSON, as_hr, as_operator, as_user

pytestmark = pytest.mark.integration

TZ = "Asia/Makassar"
KABAG, KASUBAG, STAFF, PLH, FORMER = ("198003032005011004", "198505052010011003",
                                      "199001012020011001", "199202022020012002",
                                      "198807072015012006")
WAIT = 120.0


@contextlib.asynccontextmanager
async def four_services(kafka_bootstrap: str, group_prefix: str
                        ) -> AsyncIterator[tuple[Any, Any]]:
    """Activity, attendance, scoring and the gateway on fresh databases, their consumer groups starting
    at the topics' end (only this test's events are read)."""
    common = {"auth_jwks": TEST_JWKS_JSON, "kafka_bootstrap": kafka_bootstrap,
              "consumer_group_prefix": group_prefix, "outbox_poll_interval_s": 0.2}
    apps = []
    for name, create, settings in (("activity", activity_app, ActivitySettings),
                                   ("attendance", attendance_app, AttendanceSettings),
                                   ("scoring", scoring_app, ScoringSettings),
                                   ("gateway", gateway_app, GatewaySettings)):
        await reset_database(pg_url(name))
        extra: dict[str, Any] = {"activity": {"expiry_interval_s": 0},
                                 "gateway": {"auth_cookie_secure": False}}.get(name, {})
        app = create(settings(database_url=pg_app_url(name), migration_database_url=pg_url(name),
                              **common, **extra))
        await from_now_on(app)
        apps.append(app)
    async with running_app(apps[0]) as act, running_app(apps[1]) as att, \
            running_app(apps[2]) as sco, running_app(apps[3]) as gw:
        yield (apps, (act, att, sco, gw))


async def copied(app: Any, model: Any, tenant_id: str, n: int) -> bool:
    async with app.state.runtime.uow.in_tenant(tenant_id).read() as session:
        return len((await session.scalars(select(model))).all()) == n


async def holds_supervisor_role(gateway: Any, tenant_id: str, nip: str) -> bool:
    """What the gateway's sign-in (and each token refresh) decides for ``nip``."""
    async with gateway.state.runtime.uow.in_tenant(tenant_id).read() as session:
        return await sign_in_store.is_supervisor(session, tenant_id, nip)


async def test_a_plh_sees_the_team_during_the_assignment_and_not_the_day_after(
        kafka_bootstrap, group_prefix, tenant_id) -> None:
    async with four_services(kafka_bootstrap, group_prefix) as (apps, clients):
        activity, attendance, scoring, gateway = clients
        today = local_today(TZ)
        period = f"{today:%Y-%m}"
        people = {KABAG: None, KASUBAG: KABAG, STAFF: KASUBAG, PLH: KASUBAG, FORMER: KABAG}
        r = await gateway.put(f"/api/tenants/{tenant_id}", headers=as_operator(), json={
            "name": "Kota Kendari", "timezone": "WITA", "policy_preset": "cilegon"})
        assert r.status_code == 201, r.text
        roster = "\n".join(["nip,name,unit_id,supervisor_nip,tpp_base", *[
            f"{nip},P {nip[-3:]},BKPSDM,{sup or ''},{Decimal('2500000')}"
            for nip, sup in people.items()]])
        r = await gateway.post(f"/api/tenants/{tenant_id}/roster", content=roster,
                               headers={**as_hr(tenant_id), "content-type": "text/csv"})
        assert r.status_code == 200, r.text
        await publish(kafka_bootstrap, ev.AttendanceDayEvaluated(
            tenant_id=tenant_id, nip=STAFF, revision=1, work_date=today))
        days = f"/api/attendance/{tenant_id}/employees/{STAFF}/days"
        row = f"/api/tenants/{tenant_id}/employees/{STAFF}"
        score = f"/api/scoring/{tenant_id}/scores/{STAFF}"
        month = {"period": period}
        hr = as_hr(tenant_id)

        async def status(who: str) -> tuple[int, int, int]:
            headers = as_user(tenant_id, who)
            return ((await attendance.get(days, params=month, headers=headers)).status_code,
                    (await scoring.get(score, params=month, headers=headers)).status_code,
                    (await gateway.get(row, headers=headers)).status_code)

        async def roster_ready() -> bool:
            return ((await activity.get(f"/api/activity/{tenant_id}/employees/{PLH}",
                                        headers=hr)).status_code == 200
                    and (await attendance.get(days, params=month, headers=hr)).status_code == 200
                    and (await scoring.get(score, params=month, headers=hr)).status_code == 200
                    and await status(KASUBAG) == (200, 200, 200))

        await eventually(roster_ready, timeout=WAIT)
        assert await status(PLH) == (403, 403, 403)  # a colleague, not yet acting

        # an assignment that ended yesterday: today is the day after, it gives nothing
        acting = f"/api/activity/{tenant_id}/acting"
        r = await activity.post(acting, headers=hr, json={
            "principal_nip": KASUBAG, "acting_nip": FORMER, "kind": "plh",
            "start_date": str(today - dt.timedelta(days=3)),
            "end_date": str(today - dt.timedelta(days=1))})
        assert r.status_code == 201, r.text
        # the Plh's, in force until today (its last day)
        r = await activity.post(acting, headers=hr, json={
            "principal_nip": KASUBAG, "acting_nip": PLH, "kind": "plh",
            "start_date": str(today - dt.timedelta(days=1)), "end_date": str(today)})
        assert r.status_code == 201, r.text
        plh_id = r.json()["id"]
        for app, model in ((apps[1], AttendanceActing), (apps[2], ScoringActing),
                           (apps[3], GatewayActing)):
            await eventually(lambda: copied(app, model, tenant_id, 2), timeout=WAIT)

        assert await status(PLH) == (200, 200, 200)
        assert await holds_supervisor_role(apps[3], tenant_id, PLH)
        assert not await holds_supervisor_role(apps[3], tenant_id, FORMER)
        assert await status(FORMER) == (403, 403, 403)
        assert await status(KASUBAG) == (200, 200, 200)  # the absent supervisor keeps the team
        # the listings show the Plh the team, not the Kasubag's own (a Plh is not the boss)
        r = await scoring.get(f"/api/scoring/{tenant_id}/scores", params=month,
                              headers=as_user(tenant_id, PLH))
        assert STAFF in {s["nip"] for s in r.json()}, r.text
        r = await gateway.get(f"/api/tenants/{tenant_id}/employees",
                              headers=as_user(tenant_id, PLH))
        assert {e["nip"] for e in r.json()} == {PLH, STAFF}, r.text
        for who in (KASUBAG, KABAG):
            r = await attendance.get(f"/api/attendance/{tenant_id}/employees/{who}/days",
                                     params=month, headers=as_user(tenant_id, PLH))
            assert r.status_code == 403 and r.json()["code"] == "own_data_only", r.text

        # HR withdraws the assignment: the copies follow, the Plh is refused again
        r = await activity.delete(f"{acting}/{plh_id}", headers=hr)
        assert r.status_code == 204, r.text

        async def refused() -> bool:
            return await status(PLH) == (403, 403, 403)

        await eventually(refused, timeout=WAIT)
        assert not await holds_supervisor_role(apps[3], tenant_id, PLH)
        assert await status(KASUBAG) == (200, 200, 200)
