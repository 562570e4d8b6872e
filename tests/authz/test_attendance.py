"""The attendance service decides who may call what by itself: every route of its OpenAPI
document, called as the six personas, gives the outcome of tests/authz/attendance.toml; a
request sent straight to the service without a valid token is refused (no token, expired,
signed by another key, ``alg: none`` or HMAC, another regency's, a machine client); a
supervisor sees their direct reports' days only, and listings are filtered by role; the
acting person is the token's.

The app runs in-process with its real lifespan (migrations on a SQLite file, the Kafka
consumer and the outbox relay on the real Kafka). The directory copy makes the matrix's
supervisor the employee's direct supervisor, with a far-future ``occurred_at`` so that
whatever other tests publish about the same regency on the shared directory topic does not
change it."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest

from attendance.adapters.orm import ActingAssignment
from attendance.app import create_app
from attendance.service_layer.directory import apply_directory_event
from attendance.settings import Settings
from ekinerja_shared import acting_copy
from ekinerja_shared import events as ev
from ekinerja_shared.identity import Role
from ekinerja_shared.timeutil import local_today
from tests.authz.matrix import EMPLOYEE, HR, SUPERVISOR, TENANT, check_matrix
from tests.authz.refusals import bad_credentials
from tests.support.apps import from_now_on, running_app
from tests.support.infra import unique
from tests.support.tokens import TEST_JWKS_JSON, as_hr, as_operator, as_user

pytestmark = pytest.mark.integration

FAR_FUTURE = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)
OUTSIDER = "199911112020011011"  # reports to HR, not to the supervisor
API = f"/api/attendance/{TENANT}"


@pytest.fixture(scope="module")
async def app_client(tmp_path_factory, kafka_bootstrap):
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('attendance-authz') / 'a.db'}"
    # /openapi.json is internal by default
    app = create_app(Settings(database_url=url, auth_jwks=TEST_JWKS_JSON, http_expose_docs=True,
                              kafka_bootstrap=kafka_bootstrap, housekeeping_interval_s=0,
                              consumer_group_prefix=unique("authz")))
    await from_now_on(app)  # the shared topics' history is not this module's
    async with running_app(app) as client:
        await app.state.runtime.uow.in_tenant(TENANT).run(seed_directory)
        yield app, client


@pytest.fixture(scope="module")
def client(app_client):
    return app_client[1]


async def seed_directory(session) -> None:
    tz = "Asia/Jakarta"
    await apply_directory_event(session, ev.TenantUpserted(
        tenant_id=TENANT, name="Kabupaten Uji", timezone=tz, policy_preset="cilegon",
        occurred_at=FAR_FUTURE), default_tz=tz)
    for nip, supervisor in ((SUPERVISOR, None), (EMPLOYEE, SUPERVISOR), (HR, None),
                            (OUTSIDER, HR)):
        await apply_directory_event(session, ev.EmployeeUpserted(
            tenant_id=TENANT, nip=nip, name=f"Pegawai {nip[-4:]}", unit_id="BKPSDM",
            supervisor_nip=supervisor, tpp_base=Decimal("1000000"),
            effective_from=dt.date(2000, 1, 1), occurred_at=FAR_FUTURE), default_tz=tz)


async def test_every_route_matches_the_matrix(client) -> None:
    await check_matrix(client, "attendance")


async def test_requests_without_a_valid_token_are_refused(client) -> None:
    holiday = f"{API}/holidays/2026-12-31"
    refused = bad_credentials(TENANT, HR, Role.HR, Role.EMPLOYEE)
    for name, (headers, status, code) in refused.items():
        for method, url, body in (("GET", f"{API}/holidays", None),
                                  ("PUT", holiday, {"name": "Tidak boleh tercatat"})):
            r = await client.request(method, url, headers=headers, json=body)
            assert (r.status_code, r.json().get("code")) == (status, code), (name, method,
                                                                              r.text)
    # nothing was written by the refused requests; HR's own token works
    r = await client.get(f"{API}/holidays", headers=as_hr(TENANT, HR))
    assert r.status_code == 200
    assert not [h for h in r.json() if h["name"] == "Tidak boleh tercatat"]


async def test_team_reads_filtered_lists_and_the_acting_person(client) -> None:
    hr, operator = as_hr(TENANT, HR), as_operator()
    employee = as_user(TENANT, EMPLOYEE)
    supervisor = as_user(TENANT, SUPERVISOR, Role.EMPLOYEE, Role.SUPERVISOR)
    leave = {"kind": "CT", "start_date": "2026-10-05", "end_date": "2026-10-06"}
    # the acting person is the token's; a body still naming one is refused
    r = await client.post(f"{API}/leaves", headers=hr,
                          json={**leave, "nip": EMPLOYEE, "entered_by": "someone-else"})
    assert r.status_code == 422, r.text
    r = await client.post(f"{API}/leaves", headers=hr, json={**leave, "nip": EMPLOYEE})
    assert r.status_code == 201 and r.json()["entered_by"] == HR, r.text
    r = await client.post(f"{API}/leaves", headers=operator, json={**leave, "nip": OUTSIDER})
    assert r.status_code == 201 and r.json()["entered_by"] == "operator:ops", r.text
    r = await client.post(f"{API}/leaves", headers=employee, json={**leave, "nip": EMPLOYEE})
    assert r.status_code == 403 and r.json()["code"] == "forbidden"

    async def leave_nips(headers: dict[str, str], **params: str) -> list[str]:
        r = await client.get(f"{API}/leaves", headers=headers,
                             params={"period": "2026-10", **params})
        assert r.status_code == 200, r.text
        return sorted(x["nip"] for x in r.json())

    assert await leave_nips(employee) == [EMPLOYEE]  # their own only
    assert await leave_nips(supervisor) == [EMPLOYEE]  # their team
    assert await leave_nips(hr) == sorted([EMPLOYEE, OUTSIDER])  # the regency
    assert await leave_nips(supervisor, nip=EMPLOYEE) == [EMPLOYEE]
    r = await client.get(f"{API}/leaves", headers=supervisor, params={"nip": OUTSIDER})
    assert r.status_code == 403 and r.json()["code"] == "own_data_only"
    # an employee's days: the employee, their direct supervisor, HR; not another's
    for headers, nip, status in ((employee, EMPLOYEE, 200), (supervisor, EMPLOYEE, 200),
                                 (hr, OUTSIDER, 200), (supervisor, OUTSIDER, 403),
                                 (employee, SUPERVISOR, 403),
                                 (as_user(TENANT, EMPLOYEE, Role.LEADER), OUTSIDER, 200)):
        r = await client.get(f"{API}/employees/{nip}/days", headers=headers,
                             params={"period": "2026-10"})
        assert r.status_code == status, (nip, r.text)
    r = await client.get(f"{API}/calendar", headers=supervisor,
                         params={"period": "2026-10", "nip": OUTSIDER})
    assert r.status_code == 403 and r.json()["code"] == "own_data_only"


async def test_a_plh_reads_the_team_s_days_and_lists_over_the_assignment_s_dates(
        app_client) -> None:
    """OUTSIDER (an employee token, no supervisor role) is the supervisor's Plh: the
    copy of the activity service's assignment lets him read the team's days and lists
    from its first to its last day, not the day after, nor once withdrawn."""
    app, client = app_client
    plh = as_user(TENANT, OUTSIDER)
    today = local_today("Asia/Jakarta")
    apply = acting_copy.applier(ActingAssignment)
    assignment_id = uuid.uuid4()

    async def assign(first: int, last: int, removed: bool = False) -> None:
        await app.state.runtime.uow.in_tenant(TENANT).run(
            apply, ev.ActingAssignmentUpserted(
                tenant_id=TENANT, assignment_id=assignment_id, principal_nip=SUPERVISOR,
                acting_nip=OUTSIDER, kind="plh", start_date=today + dt.timedelta(days=first),
                end_date=today + dt.timedelta(days=last), removed=removed))

    async def reads() -> tuple[int, list[str]]:
        days = await client.get(f"{API}/employees/{EMPLOYEE}/days", headers=plh,
                                params={"period": "2026-10"})
        leaves = await client.get(f"{API}/leaves", headers=plh, params={"period": "2026-10"})
        return days.status_code, sorted({x["nip"] for x in leaves.json()})

    for nip in (EMPLOYEE, OUTSIDER):  # one leave each to list
        r = await client.post(f"{API}/leaves", headers=as_hr(TENANT, HR), json={
            "kind": "CT", "start_date": "2026-10-20", "end_date": "2026-10-20", "nip": nip})
        assert r.status_code == 201, r.text
    assert await reads() == (403, [OUTSIDER])
    await assign(-1, 0)  # in force: today is its last day
    assert await reads() == (200, sorted([EMPLOYEE, OUTSIDER]))
    r = await client.get(f"{API}/employees/{SUPERVISOR}/days", headers=plh,
                         params={"period": "2026-10"})
    assert r.status_code == 403  # a Plh is not the principal's own supervisor
    await assign(-2, -1)  # the same assignment, its last day moved to yesterday
    assert await reads() == (403, [OUTSIDER])
    await assign(-1, 0, removed=True)
    assert await reads() == (403, [OUTSIDER])


async def test_apel_device_serials_are_hrs(client) -> None:
    r = await client.put(f"{API}/apel", headers=as_hr(TENANT, HR), json={
        "window_start": "07:00", "window_end": "07:30", "weekdays": [0],
        "device_serials": ["APEL-01"]})
    assert r.status_code == 200, r.text
    r = await client.get(f"{API}/apel", headers=as_hr(TENANT, HR))
    assert r.json()["device_serials"] == ["APEL-01"]
    r = await client.get(f"{API}/apel", headers=as_user(TENANT, EMPLOYEE))
    assert r.status_code == 200 and r.json()["device_serials"] is None
    assert r.json()["weekdays"] == [0]
