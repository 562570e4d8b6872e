"""The HTTP layer on a migrated SQLite database (no Kafka: the broker is not started; the
outbox rows stay unpublished): request validation, error shapes, the admin guard, the
tenant's time zone. Callers carry tokens of the test run (tests/support/tokens.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import httpx
import pytest

from activity.app import create_app
from activity.service_layer.directory import apply_directory_event
from activity.settings import Settings
from ekinerja_shared import events as ev
from ekinerja_shared.identity import Role
from ekinerja_shared.migrations import upgrade_async
from ekinerja_shared.timeutil import zone
from tests.support.infra import unique
from tests.support.tokens import TEST_JWKS_JSON, as_hr, as_operator, as_user


@pytest.fixture(scope="module")
async def api(tmp_path_factory):
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('activity-api') / 'a.db'}"
    await upgrade_async("activity", url)
    app = create_app(Settings(database_url=url, auth_jwks=TEST_JWKS_JSON, expiry_interval_s=0))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield app, client
    await app.state.runtime.engine.dispose()


async def seed(app, tenant: str, tz: str = "Asia/Jakarta",
               more: tuple[tuple[str, str], ...] = ()) -> None:
    async with app.state.runtime.sessionmaker() as s, s.begin():
        await apply_directory_event(s, ev.TenantUpserted(
            tenant_id=tenant, name="Uji", timezone=tz, policy_preset="cilegon"))
        for nip, sup in (("ATASAN", None), ("STAF", "ATASAN"), *more):
            await apply_directory_event(s, ev.EmployeeUpserted(
                tenant_id=tenant, nip=nip, name=nip, unit_id="U", supervisor_nip=sup,
                tpp_base=Decimal("1"), occurred_at=ev.utcnow() - dt.timedelta(days=30)))


def body(day: dt.date, start="08:00", end="09:00", **kw) -> dict:
    return {"work_date": str(day), "start": start, "end": end,
            "description": "Rapat koordinasi", **kw}


async def test_bad_input_gets_a_reason(api):
    app, client = api
    tenant = unique("t")
    await seed(app, tenant)
    yesterday = dt.datetime.now(zone("WIB")).date() - dt.timedelta(days=1)
    base = f"/api/activity/{tenant}"
    staf, atasan = as_user(tenant, "STAF"), as_user(tenant, "ATASAN")
    r = await client.post(f"{base}/entries", json=body(yesterday, start="8 pagi"), headers=staf)
    assert r.status_code == 422 and r.json()["code"] == "invalid_request"
    assert r.json()["errors"][0]["loc"][-1] == "start"
    r = await client.post(f"{base}/entries", json=body(yesterday, output_quantity="-1"),
                          headers=staf)
    assert r.status_code == 422 and r.json()["code"] == "invalid_request"
    r = await client.post(f"{base}/entries", json=body(yesterday),
                          headers=as_user(tenant, "SIAPA"))
    assert r.status_code == 404 and "tidak terdaftar" in r.json()["detail"]
    r = await client.get(f"{base}/entries", params={"nip": "STAF", "period": "2026-13"},
                         headers=staf)
    assert r.status_code == 422
    r = await client.post(f"{base}/entries", json=body(yesterday), headers=staf)
    assert r.status_code == 201, r.text
    entry = r.json()
    r = await client.post(f"{base}/entries/{entry['id']}/reject", json={}, headers=atasan)
    assert r.status_code == 422 and r.json()["code"] == "reason_required"
    r = await client.post(f"{base}/approvals/bulk", json={"decisions": []}, headers=atasan)
    assert r.status_code == 422
    r = await client.get(f"/api/activity/other-{tenant}/entries/{entry['id']}",
                         headers=as_user(f"other-{tenant}", "STAF"))
    assert r.status_code == 404  # another tenant's entry is not visible
    r = await client.get(f"/api/activity/other-{tenant}/entries/{entry['id']}", headers=staf)
    assert r.status_code == 404 and r.json()["code"] == "tenant_not_found"
    r = await client.put(f"{base}/entries/{entry['id']}", json=body(yesterday), headers=staf)
    assert r.status_code == 422 and r.json()["code"] == "not_editable"
    metrics = (await client.get("/metrics")).text
    assert 'ekinerja_activity_refusals_total{code="reason_required"}' in metrics
    assert 'ekinerja_activity_transitions_total{to_status="submitted"}' in metrics


async def test_employee_view_with_unit_and_supervisor_history(api):
    app, client = api
    tenant = unique("t")
    await seed(app, tenant)
    async with app.state.runtime.sessionmaker() as s, s.begin():
        await apply_directory_event(s, ev.EmployeeUpserted(
            tenant_id=tenant, nip="STAF", name="Staf", unit_id="U", unit_name="Bagian Umum",
            supervisor_nip="KABAG", tpp_base=Decimal("1"),
            effective_from=dt.date(2026, 4, 1)))
    r = await client.get(f"/api/activity/{tenant}/employees/STAF",
                         headers=as_user(tenant, "STAF"))
    assert r.status_code == 200, r.text
    got = r.json()
    assert (got["unit_name"], got["supervisor_nip"]) == ("Bagian Umum", "KABAG")
    # the newer statement "from 1 April: KABAG" replaces what the older one said after it
    assert got["supervisor_history"] == [{"effective_from": "2026-04-01",
                                          "supervisor_nip": "KABAG"}]
    assert (await client.get(f"/api/activity/{tenant}/employees/NOBODY",
                             headers=as_hr(tenant))).status_code == 404


async def test_admin_endpoints_need_the_regencys_hr(api):
    app, client = api
    tenant = unique("t")
    await seed(app, tenant)
    base = f"/api/activity/{tenant}"
    r = await client.put(f"{base}/rules", json={"edit_window_days": 3})
    assert r.status_code == 401 and r.json()["code"] == "not_signed_in"
    staf = as_user(tenant, "STAF")
    r = await client.put(f"{base}/rules", json={"edit_window_days": 3}, headers=staf)
    assert r.status_code == 403 and r.json()["code"] == "forbidden"
    r = await client.put(f"{base}/verifiers/ATASAN", headers=staf)
    assert r.status_code == 403
    r = await client.put(f"{base}/rules", json={"edit_window_days": 3},
                         headers=as_hr(f"other-{tenant}"))
    assert r.status_code == 404 and r.json()["code"] == "tenant_not_found"
    auth = as_hr(tenant)
    r = await client.put(f"{base}/rules", json={"edit_window_days": 3}, headers=auth)
    assert r.status_code == 200 and r.json()["edit_window_days"] == 3
    assert (await client.get(f"{base}/rules", headers=staf)).json()["edit_window_days"] == 3
    r = await client.put(f"{base}/verifiers/SIAPA", headers=auth)
    assert r.status_code == 404
    r = await client.post(f"{base}/acting", headers=auth, json={
        "principal_nip": "ATASAN", "acting_nip": "STAF", "kind": "plt",
        "start_date": "2026-03-10", "end_date": "2026-03-01"})
    assert r.status_code == 422 and r.json()["code"] == "invalid_range"
    r = await client.post(f"{base}/admin/expire")
    assert r.status_code == 401
    r = await client.post(f"{base}/admin/expire", headers=staf)
    assert r.status_code == 403


@pytest.mark.parametrize("tz", ["Asia/Jakarta", "Asia/Jayapura"])
async def test_future_is_judged_on_the_tenants_clock(api, tz):
    app, client = api
    tenant = unique("t")
    await seed(app, tenant, tz)
    local_now = dt.datetime.now(zone(tz))
    tomorrow = local_now.date() + dt.timedelta(days=1)
    staf = as_user(tenant, "STAF")
    r = await client.post(f"/api/activity/{tenant}/entries", json=body(tomorrow), headers=staf)
    assert r.status_code == 422 and r.json()["code"] == "future_date"
    # an entry ending one minute ago on the tenant's clock is accepted, unless that is
    # still yesterday locally (just after midnight), where it is yesterday's entry
    end = (local_now - dt.timedelta(minutes=1)).replace(second=0, microsecond=0)
    start = end - dt.timedelta(minutes=1)
    if start.date() == end.date():
        r = await client.post(f"/api/activity/{tenant}/entries", json=body(
            end.date(), start=f"{start:%H:%M}", end=f"{end:%H:%M}"), headers=staf)
        assert r.status_code == 201, r.text
    later = local_now + dt.timedelta(minutes=5)
    if later.date() == local_now.date() and local_now.hour >= 1:
        r = await client.post(f"/api/activity/{tenant}/entries", json=body(
            local_now.date(), start="00:00", end=f"{later:%H:%M}"), headers=staf)
        assert r.status_code == 422 and r.json()["code"] == "future_time", r.text


async def test_the_acting_person_comes_from_the_token(api):
    """Bodies carry no NIP: the entry is the caller's, the approver is the caller; a client
    still sending the old fields is told so instead of acting as someone else."""
    app, client = api
    tenant = unique("t")
    await seed(app, tenant)
    base = f"/api/activity/{tenant}"
    yesterday = dt.datetime.now(zone("WIB")).date() - dt.timedelta(days=1)
    staf, atasan = as_user(tenant, "STAF"), as_user(tenant, "ATASAN")
    r = await client.post(f"{base}/entries", json={**body(yesterday), "nip": "ATASAN"},
                          headers=staf)
    assert r.status_code == 422 and r.json()["errors"][0]["loc"][-1] == "nip"
    r = await client.post(f"{base}/entries", json=body(yesterday), headers=staf)
    assert r.status_code == 201 and r.json()["nip"] == "STAF", r.text
    entry_id = r.json()["id"]
    r = await client.post(f"{base}/entries/{entry_id}/approve",
                          json={"approver_nip": "ATASAN"}, headers=staf)
    assert r.status_code == 422 and r.json()["code"] == "invalid_request"
    r = await client.post(f"{base}/entries/{entry_id}/approve", headers=staf)
    assert r.status_code == 422 and r.json()["code"] == "self_approval"
    r = await client.post(f"{base}/entries/{entry_id}/approve", headers=as_hr(tenant))
    assert r.status_code == 422 and r.json()["code"] == "not_supervisor"  # HR is no approver
    r = await client.post(f"{base}/entries/{entry_id}/approve", headers=atasan)
    assert r.status_code == 200 and r.json()["decided_by"] == "ATASAN", r.text
    r = await client.get(f"{base}/entries/{entry_id}/history", headers=staf)
    assert [t["actor_nip"] for t in r.json()] == ["STAF", "STAF", "ATASAN"]
    # the platform operator has no NIP: it neither logs nor decides entries
    r = await client.post(f"{base}/entries", json=body(yesterday), headers=as_operator())
    assert r.status_code == 403 and r.json()["code"] == "forbidden"


async def test_who_sees_an_employees_activity(api):
    """The employee, their supervisor in force (direct or Plt/Plh), HR and leadership; not
    a colleague (even one with the supervisor role), not another regency."""
    app, client = api
    tenant = unique("t")
    await seed(app, tenant, more=(("REKAN", "ATASAN"),))
    base = f"/api/activity/{tenant}"
    yesterday = dt.datetime.now(zone("WIB")).date() - dt.timedelta(days=1)
    r = await client.post(f"{base}/entries", json=body(yesterday), headers=as_user(tenant, "STAF"))
    entry_id = r.json()["id"]
    month = {"nip": "STAF", "period": f"{yesterday:%Y-%m}"}

    async def sees(headers: dict[str, str]) -> tuple[int, int, int, int, int]:
        return ((await client.get(f"{base}/entries", params=month, headers=headers)).status_code,
                (await client.get(f"{base}/entries/{entry_id}", headers=headers)).status_code,
                (await client.get(f"{base}/entries/{entry_id}/history",
                                  headers=headers)).status_code,
                (await client.get(f"{base}/plans", params=month, headers=headers)).status_code,
                (await client.get(f"{base}/employees/STAF", headers=headers)).status_code)

    assert await sees(as_user(tenant, "STAF")) == (200,) * 5
    assert await sees(as_user(tenant, "ATASAN")) == (200,) * 5
    assert await sees(as_hr(tenant)) == (200,) * 5
    leader = as_user(tenant, "PIMPINAN", Role.LEADER)
    assert await sees(leader) == (200, 200, 200, 200, 403)  # the directory copy: not leaders
    assert await sees(as_user(tenant, "REKAN", Role.SUPERVISOR)) == (403,) * 5
    assert await sees(as_user(f"other-{tenant}", "ATASAN", Role.HR)) == (404,) * 5
    assert await sees({}) == (401,) * 5
    # a Plh of ATASAN sees the team while the assignment is in force
    today = dt.datetime.now(zone("WIB")).date()
    r = await client.post(f"{base}/acting", headers=as_hr(tenant), json={
        "principal_nip": "ATASAN", "acting_nip": "REKAN", "kind": "plh",
        "start_date": str(today - dt.timedelta(days=1)), "end_date": str(today)})
    assert r.status_code == 201, r.text
    assert await sees(as_user(tenant, "REKAN")) == (200,) * 5
    # the queue is one's own; HR may look at anyone's, others may not
    r = await client.get(f"{base}/approvals/queue", headers=as_user(tenant, "REKAN"))
    assert [e["id"] for e in r.json()] == [entry_id]
    r = await client.get(f"{base}/approvals/queue", params={"approver_nip": "ATASAN"},
                         headers=as_user(tenant, "REKAN"))
    assert r.status_code == 403
    r = await client.get(f"{base}/approvals/queue", params={"approver_nip": "ATASAN"},
                         headers=as_hr(tenant))
    assert [e["id"] for e in r.json()] == [entry_id]
    assert (await client.get(f"{base}/approvals/pending-counts",
                             headers=as_user(tenant, "ATASAN"))).status_code == 403
    r = await client.get(f"{base}/approvals/pending-counts", headers=leader)
    assert [(c["supervisor_nip"], c["pending"]) for c in r.json()] == [("ATASAN", 1)]


async def test_an_employee_changes_their_own_plan_item_while_the_month_is_open(api):
    from activity.adapters.orm import PeriodState

    app, client = api
    tenant = unique("t")
    await seed(app, tenant)
    base = f"/api/activity/{tenant}"
    staf, atasan = as_user(tenant, "STAF"), as_user(tenant, "ATASAN")
    period = f"{dt.datetime.now(zone('WIB')).date():%Y-%m}"
    r = await client.post(f"{base}/plans", headers=staf, json={
        "period": period, "kind": "skp", "title": "Menyusun laporan", "target_quantity": "4",
        "unit": "laporan"})
    assert r.status_code == 201, r.text
    plan_id = r.json()["id"]
    change = {"kind": "rpok", "title": "Menyusun laporan bulanan",
              "target_quantity": "6.5", "unit": "dokumen"}
    r = await client.put(f"{base}/plans/{plan_id}", headers=staf, json=change)
    assert r.status_code == 200, r.text
    assert {k: r.json()[k] for k in ("kind", "title", "unit", "period", "nip")} == {
        "kind": "rpok", "title": "Menyusun laporan bulanan", "unit": "dokumen",
        "period": period, "nip": "STAF"}
    assert Decimal(r.json()["target_quantity"]) == Decimal("6.5")
    listed = (await client.get(f"{base}/plans", params={"nip": "STAF", "period": period},
                               headers=atasan)).json()
    assert [(p["id"], p["title"]) for p in listed] == [(plan_id, "Menyusun laporan bulanan")]
    # someone else's item (even the supervisor's), a person or month in the body, a target
    # of zero, an unknown item: refused with the reason
    r = await client.put(f"{base}/plans/{plan_id}", headers=atasan, json=change)
    assert (r.status_code, r.json()["code"]) == (422, "not_owner")
    assert "pemiliknya" in r.json()["detail"]
    for extra in ({"nip": "ATASAN"}, {"period": "2020-01"}, {"target_quantity": "0"}):
        r = await client.put(f"{base}/plans/{plan_id}", headers=staf, json={**change, **extra})
        assert r.status_code == 422, (extra, r.text)
    r = await client.put(f"{base}/plans/00000000-0000-0000-0000-000000000001", headers=staf,
                         json=change)
    assert (r.status_code, r.json()["code"]) == (404, "unknown_plan_item")
    # the month closed: the item stays as it was
    async with app.state.runtime.sessionmaker() as s, s.begin():
        s.add(PeriodState(tenant_id=tenant, period=period, closed=True))
    r = await client.put(f"{base}/plans/{plan_id}", headers=staf,
                         json={**change, "title": "Terlambat diubah"})
    assert (r.status_code, r.json()["code"]) == (422, "period_closed")
    listed = (await client.get(f"{base}/plans", params={"nip": "STAF", "period": period},
                               headers=staf)).json()
    assert listed[0]["title"] == "Menyusun laporan bulanan"
