"""The activity service on the real PostgreSQL and Kafka: the directory arrives as events,
entries go from submission to the approval event on Kafka, concurrent decisions resolve to
one outcome, bulk decisions publish one event per entry, closed months come from the
periods topic, and the admin and plan/agenda endpoints work end to end. The app connects
as the application role (row-level security applies) and callers carry tokens."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text

from activity.adapters.orm import Entry, Outbox
from activity.app import create_app
from activity.service_layer.deadlines import expire_all_tenants
from activity.service_layer.decisions import decide
from activity.service_layer.directory import apply_directory_event
from activity.service_layer.entries import NewEntry, create_entry
from activity.settings import Settings
from ekinerja_shared import events as ev
from ekinerja_shared.audit import Auditor, Source
from ekinerja_shared.errors import Conflict
from ekinerja_shared.identity import Caller, Role
from ekinerja_shared.tenancy import bind_tenant
from ekinerja_shared.timeutil import zone
from ekinerja_shared.topics import ACTIVITY_ENTRIES, AUDIT, DIRECTORY, PERIODS
from tests.support.apps import (EventProbe, Staged, eventually, publish, running_app,
                                skip_history)
from tests.support.audit import audit_record, written_together
from tests.support.infra import pg_app_url, pg_url, reset_database
from tests.support.tokens import TEST_JWKS_JSON, as_hr, as_user

pytestmark = pytest.mark.integration

TZ = "Asia/Makassar"  # a WITA regency
STAFF, STAFF2, KASUBAG, KABAG, KADIS, VERIFIER = (
    "199001012020011001", "199202022020012002", "198505052010011003",
    "198003032005011004", "197501012000011005", "198807072015012006")


@pytest.fixture(scope="module")
async def database() -> str:
    url = pg_url("activity")
    await reset_database(url)
    return url


@pytest.fixture
async def app_client(database, kafka_bootstrap, group_prefix):
    # the consumers read what the test publishes from now on, not the shared topics' history
    for purpose, topic in (("directory", DIRECTORY), ("periods", PERIODS)):
        await skip_history(kafka_bootstrap, f"{group_prefix}-activity-{purpose}", topic.name)
    settings = Settings(database_url=pg_app_url("activity"), migration_database_url=database,
                        auth_jwks=TEST_JWKS_JSON, kafka_bootstrap=kafka_bootstrap,
                        consumer_group_prefix=group_prefix, outbox_poll_interval_s=0.2,
                        expiry_interval_s=0)
    app = create_app(settings)
    async with running_app(app) as client:
        yield app, client


def today() -> dt.date:
    return dt.datetime.now(zone(TZ)).date()


async def seed_directory(client, bootstrap: str, tenant_id: str) -> None:
    """Publish the tenant and its hierarchy on the directory topic; wait until applied."""
    people = {KADIS: None, KABAG: KADIS, KASUBAG: KABAG, STAFF: KASUBAG, STAFF2: KASUBAG,
              VERIFIER: KADIS}
    await publish(bootstrap, ev.TenantUpserted(tenant_id=tenant_id, name="Kota Kendari",
                                               timezone=TZ, policy_preset="cilegon"),
                  *[ev.EmployeeUpserted(tenant_id=tenant_id, nip=nip, name=f"Pegawai {nip[-3:]}",
                                        unit_id="BKPSDM", supervisor_nip=sup,
                                        tpp_base=Decimal("2500000"))
                    for nip, sup in people.items()])

    await wait_known(client, tenant_id, list(people))


async def wait_known(client, tenant_id: str, nips: list[str]) -> None:
    """Employees land on different partitions: wait until every one of them is applied
    (a new consumer group first reads the shared topic's backlog of other tests' events)."""
    pending = set(nips)

    async def known():
        for nip in list(pending):
            r = await client.get(f"/api/activity/{tenant_id}/employees/{nip}",
                                 headers=as_hr(tenant_id))
            if r.status_code == 200:
                pending.discard(nip)
        return not pending

    await eventually(known, timeout=180)


def entry_json(day: dt.date, start: str, end: str, **kw) -> dict:
    return {"work_date": str(day), "start": start, "end": end,
            "description": kw.pop("description", "Menyusun laporan realisasi anggaran"),
            "submit": True, **kw}


async def test_submission_to_approval_event_on_kafka(app_client, kafka_bootstrap, tenant_id):
    app, client = app_client
    await seed_directory(client, kafka_bootstrap, tenant_id)
    day = today() - dt.timedelta(days=1)
    staff = as_user(tenant_id, STAFF)
    async with EventProbe(kafka_bootstrap, ACTIVITY_ENTRIES.name, tenant_id) as probe:
        r = await client.post(f"/api/activity/{tenant_id}/entries",
                              json=entry_json(day, "08:00", "10:00"), headers=staff)
        assert r.status_code == 201, r.text
        entry = r.json()
        assert (entry["status"], entry["minutes"], entry["supervisor_nip"]) == (
            "submitted", 120, KASUBAG)
        r = await client.post(f"/api/activity/{tenant_id}/entries",
                              json=entry_json(day, "09:30", "11:00"), headers=staff)
        assert r.status_code == 422 and r.json()["code"] == "overlap", r.text
        assert "bertabrakan" in r.json()["detail"]
        for approver, code in [(STAFF, "self_approval"), (KABAG, "not_supervisor")]:
            r = await client.post(f"/api/activity/{tenant_id}/entries/{entry['id']}/approve",
                                  json={}, headers=as_user(tenant_id, approver))
            assert r.status_code == 422 and r.json()["code"] == code, r.text
        r = await client.post(f"/api/activity/{tenant_id}/entries/{entry['id']}/approve",
                              json={}, headers=as_user(tenant_id, KASUBAG))
        assert r.status_code == 200 and r.json()["status"] == "approved", r.text
        approved = await probe.wait_for(lambda e: isinstance(e, ev.ActivityEntryApproved))
        assert (str(approved.entry_id), approved.nip, approved.minutes, approved.work_date,
                approved.actor_nip, approved.version) == (
            entry["id"], STAFF, 120, day, KASUBAG, r.json()["version"])
        submitted = await probe.wait_for(lambda e: isinstance(e, ev.ActivityEntrySubmitted))
        assert submitted.supervisor_nip == KASUBAG
        assert approved.key() == f"{tenant_id}:{STAFF}"
    r = await client.get(f"/api/activity/{tenant_id}/entries/{entry['id']}/history",
                         headers=staff)
    assert [t["to_status"] for t in r.json()] == ["draft", "submitted", "approved"]


async def test_concurrent_decisions_on_one_entry_give_one_outcome(app_client, kafka_bootstrap,
                                                                  tenant_id):
    app, client = app_client
    await seed_directory(client, kafka_bootstrap, tenant_id)
    rt = app.state.runtime
    outbox = Staged(rt)  # every decision staged, published or not
    cfg = rt.config
    day = today() - dt.timedelta(days=2)

    # deterministic interleaving: A has decided (row updated, not committed); B read the
    # entry as still submitted and its UPDATE waits for A's row lock; when A commits, B's
    # status/version guard matches no row: B is refused, nothing staged by B
    staff, kasubag = as_user(tenant_id, STAFF), as_user(tenant_id, KASUBAG)
    r = await client.post(f"/api/activity/{tenant_id}/entries",
                          json=entry_json(day, "07:30", "08:00"), headers=staff)
    assert r.status_code == 201, r.text
    entry_id = r.json()["id"]
    eid = uuid.UUID(entry_id)

    async def decide_in_b() -> None:
        async with rt.sessionmaker() as b, b.begin():
            await bind_tenant(b, tenant_id)
            await decide(b, tenant_id, eid, KASUBAG, approve=False, reason="Tidak jelas",
                         cfg=cfg)

    async def b_waits_for_the_lock() -> bool:
        async with rt.engine.connect() as conn:
            n = await conn.scalar(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'"))
        return bool(n)

    async with rt.sessionmaker() as a:
        await a.begin()
        await bind_tenant(a, tenant_id)
        await decide(a, tenant_id, eid, KASUBAG, approve=True, cfg=cfg)
        b_task = asyncio.create_task(decide_in_b())
        await eventually(b_waits_for_the_lock, timeout=30)
        await a.commit()
    with pytest.raises(Conflict) as refused:
        await b_task
    assert refused.value.code == "concurrent_decision"

    # racing HTTP requests: approve vs reject, approve vs approve
    ids = []
    for n in range(6):
        r = await client.post(f"/api/activity/{tenant_id}/entries",
                              json=entry_json(day, f"{8 + n:02d}:00", f"{8 + n:02d}:45"),
                              headers=staff)
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    for n, i in enumerate(ids):
        url = f"/api/activity/{tenant_id}/entries/{i}"
        second = ("reject", {"reason": "Uraian tidak sesuai"}) if n % 2 else ("approve", {})
        results = await asyncio.gather(
            client.post(f"{url}/approve", json={}, headers=kasubag),
            client.post(f"{url}/{second[0]}", json=second[1], headers=kasubag))
        codes = sorted(res.status_code for res in results)
        assert codes[0] == 200 and codes[1] in (409, 422), [res.text for res in results]
        loser = next(res for res in results if res.status_code != 200)
        assert loser.json()["code"] in ("concurrent_decision", "invalid_transition")
    decisions = [*await outbox.payloads(tenant_id, "activity.entry.approved"),
                 *await outbox.payloads(tenant_id, "activity.entry.rejected")]
    per_entry: dict = {}
    for e in map(ev.parse_event, decisions):
        per_entry[str(e.entry_id)] = per_entry.get(str(e.entry_id), 0) + 1
    assert per_entry == {i: 1 for i in [entry_id, *ids]}


async def test_bulk_approval_of_hundreds_in_one_request(app_client, kafka_bootstrap, tenant_id):
    app, client = app_client
    await seed_directory(client, kafka_bootstrap, tenant_id)
    rt = app.state.runtime
    cfg = rt.config
    staff = [f"1990{n:014d}" for n in range(30)]
    await publish(kafka_bootstrap, *[ev.EmployeeUpserted(
        tenant_id=tenant_id, nip=nip, name=f"Staf {n}", unit_id="BKPSDM", supervisor_nip=KASUBAG,
        tpp_base=Decimal("2000000")) for n, nip in enumerate(staff)])

    await wait_known(client, tenant_id, staff)
    day = today() - dt.timedelta(days=1)
    ids = []

    async def create_all(s) -> None:
        for nip in staff:
            for k in range(10):  # 10 entries of 20 minutes each
                e = await create_entry(
                    s, tenant_id, nip,
                    NewEntry(day, dt.time(8 + k // 3, (k % 3) * 20),
                             dt.time(8 + (k + 1) // 3, ((k + 1) % 3) * 20),
                             f"Kegiatan {k}"), submit=True, cfg=cfg)
                ids.append(str(e.id))

    await rt.uow.in_tenant(tenant_id).run(create_all)
    kasubag = as_user(tenant_id, KASUBAG)
    r = await client.get(f"/api/activity/{tenant_id}/approvals/queue", headers=kasubag)
    assert sorted(x["id"] for x in r.json()) == sorted(ids)
    r = await client.get(f"/api/activity/{tenant_id}/approvals/pending-counts",
                         headers=as_hr(tenant_id))
    assert [(c["supervisor_nip"], c["pending"]) for c in r.json()] == [(KASUBAG, 300)]

    async with EventProbe(kafka_bootstrap, ACTIVITY_ENTRIES.name, tenant_id) as probe:
        r = await client.post(f"/api/activity/{tenant_id}/approvals/bulk", json={
            "decisions": [{"entry_id": i, "approve": True} for i in ids]
            + [{"entry_id": ids[0], "approve": False, "reason": "dua kali"}]}, headers=kasubag)
        assert r.status_code == 200, r.text
        body = r.json()
        assert (body["decided"], body["refused"]) == (300, 1)
        assert body["results"][-1]["code"] == "duplicate_decision"

        async def all_approved():
            got = {str(e.entry_id) for e in probe.events
                   if isinstance(e, ev.ActivityEntryApproved)}
            return got if got == set(ids) else None

        await eventually(all_approved, timeout=60)
        assert sum(isinstance(e, ev.ActivityEntryApproved) for e in probe.events) == 300
    r = await client.get(f"/api/activity/{tenant_id}/approvals/queue",
                         params={"approver_nip": KASUBAG}, headers=as_hr(tenant_id))
    assert r.json() == []


async def test_closed_month_from_the_periods_topic(app_client, kafka_bootstrap, tenant_id):
    app, client = app_client
    await seed_directory(client, kafka_bootstrap, tenant_id)
    day = today() - dt.timedelta(days=1)
    period = f"{day:%Y-%m}"
    await publish(kafka_bootstrap, ev.PeriodClosed(tenant_id=tenant_id, period=period,
                                                   closed_by="bkpsdm"))

    staff = as_user(tenant_id, STAFF)

    async def refused_closed():
        r = await client.post(f"/api/activity/{tenant_id}/entries",
                              json=entry_json(day, "08:00", "09:00"), headers=staff)
        return r.json().get("code") == "period_closed" or None

    await eventually(refused_closed, timeout=60)
    await publish(kafka_bootstrap, ev.PeriodReopened(tenant_id=tenant_id, period=period,
                                                     reopened_by="bkpsdm", reason="koreksi"))

    async def accepted():  # (an attempt before the close was applied may hold 08:00-09:00)
        r = await client.post(f"/api/activity/{tenant_id}/entries",
                              json=entry_json(day, "10:00", "11:00"), headers=staff)
        return r.status_code == 201 or None

    await eventually(accepted, timeout=60)


async def test_admin_acting_revoke_plans_and_agenda_over_http(app_client, kafka_bootstrap,
                                                              tenant_id):
    app, client = app_client
    await seed_directory(client, kafka_bootstrap, tenant_id)
    base = f"/api/activity/{tenant_id}"
    day = today() - dt.timedelta(days=1)
    hr, staff = as_hr(tenant_id), as_user(tenant_id, STAFF)
    plh, kasubag = as_user(tenant_id, STAFF2), as_user(tenant_id, KASUBAG)
    verifier = as_user(tenant_id, VERIFIER)

    # per-tenant rules: defaults, then an override with a bad value refused
    r = await client.get(f"{base}/rules", headers=staff)
    assert r.json() == {"edit_window_days": 7, "daily_cap_minutes": 450,
                        "approval_deadline_day": 10}
    r = await client.put(f"{base}/rules", json={"daily_cap_minutes": 60}, headers=hr)
    assert r.status_code == 200 and r.json()["daily_cap_minutes"] == 60
    r = await client.put(f"{base}/rules", json={"approval_deadline_day": 40}, headers=hr)
    assert r.status_code == 422
    r = await client.post(f"{base}/entries", json=entry_json(day, "08:00", "09:30"),
                          headers=staff)
    assert r.json()["code"] == "daily_cap_exceeded", r.text
    r = await client.put(f"{base}/rules", json={}, headers=hr)  # nothing given: nothing changes
    assert r.status_code == 200 and r.json()["daily_cap_minutes"] == 60
    r = await client.put(f"{base}/rules", json={"daily_cap_minutes": 450}, headers=hr)
    assert r.json() == {"edit_window_days": 7, "daily_cap_minutes": 450,
                        "approval_deadline_day": 10}

    # plan, agenda, an entry realising both
    r = await client.post(f"{base}/plans", json={
        "period": f"{day:%Y-%m}", "kind": "rpok", "title": "Verifikasi berkas",
        "target_quantity": "20", "unit": "berkas"}, headers=staff)
    assert r.status_code == 201, r.text
    plan_id = r.json()["id"]
    r = await client.post(f"{base}/agenda", json={
        "agenda_date": str(day), "slot": "morning",
        "description": "Verifikasi berkas pagi", "plan_item_id": plan_id}, headers=staff)
    assert r.status_code == 201, r.text
    agenda_id = r.json()["id"]
    r = await client.post(f"{base}/entries", json=entry_json(
        day, "08:00", "10:00", output_quantity="5", output_unit="berkas", plan_item_id=plan_id,
        agenda_item_id=agenda_id), headers=staff)
    assert r.status_code == 201, r.text
    entry_id = r.json()["id"]

    # the Kasubag is away: a Plh approves within the range
    r = await client.post(f"{base}/acting", json={
        "principal_nip": KASUBAG, "acting_nip": STAFF2, "kind": "plh",
        "start_date": str(today() - dt.timedelta(days=1)), "end_date": str(today())},
        headers=hr)
    assert r.status_code == 201, r.text
    r = await client.get(f"{base}/approvals/queue", headers=plh)
    assert [x["id"] for x in r.json()] == [entry_id]
    r = await client.post(f"{base}/entries/{entry_id}/approve", json={}, headers=plh)
    assert r.status_code == 200 and r.json()["decided_by"] == STAFF2, r.text

    r = await client.get(f"{base}/plans", params={"nip": STAFF, "period": f"{day:%Y-%m}"},
                         headers=kasubag)
    [plan] = r.json()
    assert (Decimal(plan["approved_quantity"]), Decimal(plan["realisation_pct"])) == (
        Decimal("5"), Decimal("25"))
    r = await client.get(f"{base}/agenda", params={"nip": STAFF, "date_from": str(day),
                                                   "date_to": str(day)}, headers=plh)
    assert [(d["planned"], d["done"]) for d in r.json()] == [(1, 1)]

    # the verifier revokes it; scoring takes the minutes back on the event
    async with EventProbe(kafka_bootstrap, ACTIVITY_ENTRIES.name, tenant_id) as probe:
        r = await client.post(f"{base}/entries/{entry_id}/revoke",
                              json={"reason": "Kegiatan fiktif"}, headers=verifier)
        assert r.status_code == 422 and r.json()["code"] == "not_verifier"
        assert (await client.put(f"{base}/verifiers/{VERIFIER}", headers=hr)).status_code == 204
        r = await client.post(f"{base}/entries/{entry_id}/revoke",
                              json={"reason": "Kegiatan fiktif"}, headers=verifier)
        assert r.status_code == 200 and r.json()["status"] == "revoked", r.text
        revoked = await probe.wait_for(lambda e: isinstance(e, ev.ActivityEntryRevoked))
        assert (str(revoked.entry_id), revoked.minutes, revoked.reason) == (
            entry_id, 120, "Kegiatan fiktif")
    r = await client.get(f"{base}/plans", params={"nip": STAFF, "period": f"{day:%Y-%m}"},
                         headers=staff)
    assert Decimal(r.json()[0]["approved_quantity"]) == 0

    # bad input: a 4xx with the reason
    r = await client.post(f"{base}/entries", json=entry_json(day, "10:00", "09:00"),
                          headers=staff)
    assert r.status_code == 422 and r.json()["code"] == "end_before_start"
    r = await client.post(f"{base}/entries", json={**entry_json(day, "25:00", "26:00")},
                          headers=staff)
    assert r.status_code == 422 and r.json()["code"] == "invalid_request"
    r = await client.post(f"{base}/entries/{entry_id}/approve", json={}, headers=kasubag)
    assert r.status_code == 422 and r.json()["code"] == "invalid_transition"
    r = await client.post(f"{base}/admin/expire", headers=hr)
    assert r.status_code == 200 and r.json() == {"expired": 0}


async def test_expiry_after_the_deadline(app_client, kafka_bootstrap, tenant_id):
    app, client = app_client
    await seed_directory(client, kafka_bootstrap, tenant_id)
    rt = app.state.runtime
    base = f"/api/activity/{tenant_id}"
    hr, staff = as_hr(tenant_id), as_user(tenant_id, STAFF)
    # an entry submitted two months ago, on its own day, never decided
    old_day = today().replace(day=1) - dt.timedelta(days=1)
    old_day = old_day.replace(day=1) - dt.timedelta(days=1)
    then = dt.datetime.combine(old_day, dt.time(18, 0), zone(TZ))
    old = await rt.uow.in_tenant(tenant_id).run(
        create_entry, tenant_id, STAFF, NewEntry(
            old_day, dt.time(8, 0), dt.time(9, 0), "Laporan lama"), submit=True,
        cfg=rt.config, now=then)
    r = await client.post(f"{base}/entries", json=entry_json(today() - dt.timedelta(days=1),
                                                              "08:00", "09:00"), headers=staff)
    assert r.status_code == 201
    fresh_id = r.json()["id"]
    r = await client.get(f"{base}/approvals/pending-counts", headers=hr)
    assert [(c["supervisor_nip"], c["pending"]) for c in r.json()] == [(KASUBAG, 1)]
    async with EventProbe(kafka_bootstrap, ACTIVITY_ENTRIES.name, tenant_id) as probe:
        r = await client.post(f"{base}/admin/expire", headers=hr)
        assert r.status_code == 200 and r.json() == {"expired": 1}
        expired = await probe.wait_for(lambda e: isinstance(e, ev.ActivityEntryExpired))
        assert expired.entry_id == old.id and "Kedaluwarsa" in expired.reason
    r = await client.get(f"{base}/entries/{old.id}/history", headers=staff)
    assert r.json()[-1]["to_status"] == "expired" and r.json()[-1]["actor_nip"] is None
    r = await client.get(f"{base}/entries/{fresh_id}", headers=staff)
    assert r.json()["status"] == "submitted"
    r = await client.post(f"{base}/admin/expire", headers=hr)
    assert r.json() == {"expired": 0}


async def test_regencies_are_isolated_in_postgresql(app_client, tenant_id):
    """The app's role sees a regency's rows only when bound to it; the expiry job lists
    the regencies cross-tenant and expires each in its own bound transaction."""
    app, client = app_client
    rt = app.state.runtime
    other = f"{tenant_id}-b"
    old_day = today().replace(day=1) - dt.timedelta(days=1)
    old_day = old_day.replace(day=1) - dt.timedelta(days=1)
    then = dt.datetime.combine(old_day, dt.time(18, 0), zone(TZ))

    async def seed(s, tenant: str) -> uuid.UUID:
        await apply_directory_event(s, ev.TenantUpserted(
            tenant_id=tenant, name="Uji", timezone=TZ, policy_preset="cilegon"))
        for nip, sup in ((KASUBAG, None), (STAFF, KASUBAG)):
            await apply_directory_event(s, ev.EmployeeUpserted(
                tenant_id=tenant, nip=nip, name=nip, unit_id="U", supervisor_nip=sup,
                tpp_base=Decimal("1"), occurred_at=then - dt.timedelta(days=30)))
        e = await create_entry(s, tenant, STAFF, NewEntry(
            old_day, dt.time(8, 0), dt.time(9, 0), "Laporan lama"), submit=True,
            cfg=rt.config, now=then)
        return e.id

    mine = await rt.uow.in_tenant(tenant_id).run(seed, tenant_id)
    theirs = await rt.uow.in_tenant(other).run(seed, other)

    async def visible(uow) -> set[uuid.UUID]:
        async with uow.read() as s:
            return set((await s.scalars(select(Entry.id).where(
                Entry.id.in_([mine, theirs])))).all())

    assert await visible(rt.uow) == set()  # a query that forgets its regency sees nothing
    assert await visible(rt.uow.in_tenant(tenant_id)) == {mine}
    assert await visible(rt.uow.cross_tenant("test-audit")) == {mine, theirs}
    r = await client.get(f"/api/activity/{tenant_id}/entries/{theirs}", headers=as_hr(tenant_id))
    assert r.status_code == 404 and r.json()["code"] == "unknown_entry"

    done = await expire_all_tenants(rt.uow, cfg=rt.config)
    assert (done.get(tenant_id), done.get(other)) == (1, 1)
    for tenant, entry_id in ((tenant_id, mine), (other, theirs)):
        r = await client.get(f"/api/activity/{tenant}/entries/{entry_id}",
                             headers=as_user(tenant, STAFF))
        assert r.json()["status"] == "expired", r.text


async def test_decisions_are_audited_in_their_transaction_as_the_token_says(
        app_client, kafka_bootstrap, tenant_id):
    """A decision's audit record names the token's person (bodies have no actor field), comes from
    the same transaction as the decision, and a refused or rolled-back decision leaves none."""
    app, client = app_client
    rt = app.state.runtime
    await seed_directory(client, kafka_bootstrap, tenant_id)
    day = today() - dt.timedelta(days=1)
    ids = []
    for start, end in (("07:00", "08:00"), ("08:00", "09:00")):
        r = await client.post(f"/api/activity/{tenant_id}/entries",
                              json=entry_json(day, start, end), headers=as_user(tenant_id, STAFF))
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    boss = {**as_user(tenant_id, KASUBAG, Role.EMPLOYEE, Role.SUPERVISOR),
            "X-Forwarded-For": "203.0.113.9", "User-Agent": "uji-audit"}
    async with EventProbe(kafka_bootstrap, AUDIT.name, tenant_id) as probe:
        r = await client.post(f"/api/activity/{tenant_id}/entries/{ids[0]}/approve", json={},
                              headers=as_user(tenant_id, STAFF))
        assert r.json()["code"] == "self_approval"  # refused: nothing recorded
        r = await client.post(f"/api/activity/{tenant_id}/entries/{ids[0]}/approve",
                              json={"approver_nip": KABAG}, headers=boss)
        assert r.status_code == 422  # nobody acts in another's name
        # the relay held back, so that the rows stay as the decision's transaction wrote them
        await rt.relay.stop()
        r = await client.post(f"/api/activity/{tenant_id}/entries/{ids[0]}/approve", json={},
                              headers=boss)
        assert r.status_code == 200 and r.json()["decided_by"] == KASUBAG, r.text
        async with rt.uow.in_tenant(tenant_id).read() as session:
            event_id = await session.scalar(select(Outbox.event_id).where(
                Outbox.event_type == "audit.recorded", Outbox.payload.contains(ids[0])))
            assert await written_together(session, event_id, "entries", "id = :id",
                                          {"id": uuid.UUID(ids[0])})
        rt.relay.start()
        record = await audit_record(probe, "activity.entry.approve", ids[0])
        assert record.event_id == event_id
        assert (record.actor, record.actor_nip, record.actor_roles, record.service) == (
            f"{tenant_id}:{KASUBAG}", KASUBAG, ["employee", "supervisor"], "activity")
        assert (record.forwarded_for, record.user_agent) == ("203.0.113.9", "uji-audit")
        assert record.source_ip and record.detail["status"] == "approved"
        assert record.detail["path"].endswith(f"/entries/{ids[0]}/approve")
        assert [e.target for e in probe.events
                if isinstance(e, ev.AuditRecorded)] == [ids[0]]

    # the same decision whose transaction fails after the record was staged: both roll back
    caller = Caller(subject=f"{tenant_id}:{KASUBAG}", tenant_id=tenant_id, nip=KASUBAG,
                    roles=frozenset({Role.SUPERVISOR}))
    hook = Auditor(service="activity", caller=caller, source=Source(), outbox_model=Outbox,
                   uow=rt.uow).on_success(tenant_id, "activity.entry.approve", target=ids[1])

    def then_fail(session, result):
        hook(session, result)
        raise RuntimeError("the transaction fails after staging")

    with pytest.raises(RuntimeError):
        await rt.uow.in_tenant(tenant_id).audited(then_fail).run(
            decide, tenant_id, uuid.UUID(ids[1]), KASUBAG, approve=True, cfg=rt.config)
    async with rt.uow.in_tenant(tenant_id).read() as session:
        assert (await session.get(Entry, uuid.UUID(ids[1]))).status == "submitted"
        staged = await session.scalar(select(func.count()).select_from(Outbox).where(
            Outbox.event_type == "audit.recorded", Outbox.payload.contains(ids[1])))
        assert staged == 0


async def test_outbox_rows_are_all_published(app_client, kafka_bootstrap, tenant_id):
    """After the tests above the relay leaves nothing of this database unpublished."""
    app, _client = app_client
    rt = app.state.runtime

    async def drained():
        async with rt.sessionmaker() as s:
            n = await s.scalar(select(func.count()).select_from(Outbox))
        return n == 0 or None

    await eventually(drained, timeout=60)
