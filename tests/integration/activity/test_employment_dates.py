"""A mid-month change of supervisor and unit, as the gateway publishes it (the state with
the date it holds from), on the real PostgreSQL and Kafka: each entry goes to the
supervisor in force on its work date, also an entry made before the change was known."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from activity.app import create_app
from activity.settings import Settings
from ekinerja_shared import events as ev
from ekinerja_shared.topics import DIRECTORY
from tests.support.apps import eventually, publish, running_app, skip_history
from tests.support.infra import pg_app_url
from tests.support.tokens import TEST_JWKS_JSON, as_hr, as_user

from .test_activity_service import (  # noqa: F401  (the database fixture)
    KABAG,
    KASUBAG,
    STAFF,
    TZ,
    database,
    entry_json,
    today,
    wait_known,
)

pytestmark = pytest.mark.integration


@pytest.fixture
async def fresh_client(database, kafka_bootstrap, group_prefix):  # noqa: F811
    """The activity app whose directory consumer reads only what is published from now
    on (not the shared topic's history)."""
    await skip_history(kafka_bootstrap, f"{group_prefix}-activity-directory", DIRECTORY.name)
    settings = Settings(database_url=pg_app_url("activity"), migration_database_url=database,
                        auth_jwks=TEST_JWKS_JSON, kafka_bootstrap=kafka_bootstrap,
                        consumer_group_prefix=group_prefix, outbox_poll_interval_s=0.2,
                        expiry_interval_s=0)
    async with running_app(create_app(settings)) as client:
        yield client


def staff_state(tenant_id: str, supervisor: str, unit: str, effective: dt.date,
                start: dt.date) -> ev.EmployeeUpserted:
    return ev.EmployeeUpserted(tenant_id=tenant_id, nip=STAFF, name="Staf", unit_id=unit,
                               supervisor_nip=supervisor, tpp_base=Decimal("2500000"),
                               effective_from=effective, start_date=start)


async def test_entries_follow_the_supervisor_in_force_on_their_date(fresh_client,
                                                                   kafka_bootstrap, tenant_id):
    client = fresh_client
    start, change = today() - dt.timedelta(days=6), today() - dt.timedelta(days=2)
    await publish(kafka_bootstrap,
                  ev.TenantUpserted(tenant_id=tenant_id, name="Kota Kendari", timezone=TZ,
                                    policy_preset="cilegon"),
                  *[ev.EmployeeUpserted(tenant_id=tenant_id, nip=n, name=n[-3:], unit_id="BKD",
                                        tpp_base=Decimal("1")) for n in (KASUBAG, KABAG)],
                  staff_state(tenant_id, KASUBAG, "BKD", start, start))
    await wait_known(client, tenant_id, [KASUBAG, KABAG, STAFF])
    api = f"/api/activity/{tenant_id}"
    staff = as_user(tenant_id, STAFF)
    r = await client.post(f"{api}/entries", headers=staff,
                          json=entry_json(today() - dt.timedelta(days=1), "08:00", "10:00"))
    assert r.status_code == 201 and r.json()["supervisor_nip"] == KASUBAG, r.text
    late = r.json()["id"]

    # the transfer (new unit, new supervisor) from two days ago, recorded today
    await publish(kafka_bootstrap, staff_state(tenant_id, KABAG, "DINKES", change, start))

    async def moved() -> bool:
        r = await client.get(f"{api}/employees/{STAFF}", headers=as_hr(tenant_id))
        return len(r.json()["supervisor_history"]) == 2
    await eventually(moved, timeout=120)
    r = await client.get(f"{api}/employees/{STAFF}", headers=as_hr(tenant_id))
    assert r.json()["supervisor_history"] == [
        {"effective_from": f"{start}", "supervisor_nip": KASUBAG},
        {"effective_from": f"{change}", "supervisor_nip": KABAG}]
    # the undecided entry follows the supervisor of its date
    r = await client.get(f"{api}/entries/{late}", headers=staff)
    assert r.json()["supervisor_nip"] == KABAG
    before = await client.post(f"{api}/entries", headers=staff,
                               json=entry_json(change - dt.timedelta(days=1), "08:00", "09:00"))
    on = await client.post(f"{api}/entries", headers=staff,
                           json=entry_json(change, "08:00", "09:00"))
    assert (before.json()["supervisor_nip"], on.json()["supervisor_nip"]) == (KASUBAG, KABAG)
    # only the supervisor of the date may approve
    r = await client.post(f"{api}/entries/{before.json()['id']}/approve", json={},
                          headers=as_user(tenant_id, KABAG))
    assert r.status_code == 422 and r.json()["code"] == "not_supervisor"
    r = await client.post(f"{api}/entries/{before.json()['id']}/approve", json={},
                          headers=as_user(tenant_id, KASUBAG))
    assert r.status_code == 200, r.text
