"""The activity service decides who may call what by itself: every route of its OpenAPI
document, called as the six personas, gives the outcome of tests/authz/activity.toml; and a
request sent straight to the service without a valid token is refused (no token, expired,
signed by another key, ``alg: none`` or HMAC, another regency's, a machine client).

The app runs in-process with its real lifespan (migrations on a SQLite file, the Kafka
consumers and the outbox relay on the real Kafka). The directory copy makes the matrix's
supervisor the employee's direct supervisor, with a far-future ``occurred_at`` so that
whatever other tests publish about the same regency on the shared directory topic does not
change it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from activity.app import create_app
from activity.service_layer.directory import apply_directory_event
from activity.settings import Settings
from ekinerja_shared import events as ev
from ekinerja_shared.timeutil import zone
from tests.authz.matrix import EMPLOYEE, HR, SUPERVISOR, TENANT, check_matrix
from tests.authz.refusals import bad_credentials
from tests.support.apps import from_now_on, running_app
from tests.support.infra import unique
from tests.support.tokens import TEST_JWKS_JSON, as_user

pytestmark = pytest.mark.integration

FAR_FUTURE = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
async def client(tmp_path_factory, kafka_bootstrap):
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('activity-authz') / 'a.db'}"
    # /openapi.json is internal by default
    app = create_app(Settings(database_url=url, auth_jwks=TEST_JWKS_JSON, http_expose_docs=True,
                              kafka_bootstrap=kafka_bootstrap, expiry_interval_s=0,
                              consumer_group_prefix=unique("authz")))
    await from_now_on(app)  # the shared topics' history is not this module's
    async with running_app(app) as client:
        await app.state.runtime.uow.in_tenant(TENANT).run(seed_directory)
        yield client


async def seed_directory(session) -> None:
    await apply_directory_event(session, ev.TenantUpserted(
        tenant_id=TENANT, name="Kabupaten Uji", timezone="Asia/Jakarta",
        policy_preset="cilegon", occurred_at=FAR_FUTURE))
    for nip, supervisor in ((SUPERVISOR, None), (EMPLOYEE, SUPERVISOR), (HR, SUPERVISOR)):
        await apply_directory_event(session, ev.EmployeeUpserted(
            tenant_id=TENANT, nip=nip, name=f"Pegawai {nip[-4:]}", unit_id="BKPSDM",
            supervisor_nip=supervisor, tpp_base=Decimal("1000000"),
            effective_from=dt.date(2000, 1, 1), occurred_at=FAR_FUTURE))


async def test_every_route_matches_the_matrix(client) -> None:
    await check_matrix(client, "activity")


async def test_requests_without_a_valid_token_are_refused(client) -> None:
    rules = f"/api/activity/{TENANT}/rules"
    day = dt.datetime.now(zone("WIB")).date() - dt.timedelta(days=1)
    entry = {"work_date": str(day), "start": "07:00", "end": "07:30",
             "description": "Tidak boleh tercatat"}
    refused = bad_credentials(TENANT, EMPLOYEE)
    for name, (headers, status, code) in refused.items():
        for method, url, body in (("GET", rules, None),
                                  ("POST", f"/api/activity/{TENANT}/entries", entry)):
            r = await client.request(method, url, headers=headers, json=body)
            assert (r.status_code, r.json().get("code")) == (status, code), (name, method,
                                                                              r.text)
    # nothing was written by the refused requests; the employee's own token works
    mine = as_user(TENANT, EMPLOYEE)
    r = await client.get(f"/api/activity/{TENANT}/entries", headers=mine,
                         params={"nip": EMPLOYEE, "period": f"{day:%Y-%m}"})
    assert r.status_code == 200
    assert not [e for e in r.json() if e["description"] == "Tidak boleh tercatat"]
    assert (await client.get(rules, headers=mine)).status_code == 200
