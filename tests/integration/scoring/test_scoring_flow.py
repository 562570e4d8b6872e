"""The scoring service on the real Kafka and PostgreSQL: facts from the directory,
attendance and activity topics become a running score, published as ScoreUpdated and
served by the API; duplicates change nothing; garbage is quarantined and the stream goes on.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from ekinerja_shared import events as ev
from ekinerja_shared.topics import ATTENDANCE_DAYS, SCORES
from scoring.adapters.orm import Quarantine
from tests.integration.scoring.pg_app import fresh_app
from tests.support.apps import (EventProbe, Staged, eventually, from_now_on, publish,
                                publish_raw, running_app)
from tests.support.tokens import as_hr, as_user

pytestmark = pytest.mark.integration

NIP = "198501012010011001"
# every test publishes its facts after the app's start, so its consumer groups begin at the
# end of the shared topics (``from_now_on``); the wait covers a slow, loaded machine
WAIT = 240


@pytest.fixture
async def app(kafka_bootstrap, group_prefix):
    app = await fresh_app(kafka_bootstrap, group_prefix, outbox_poll_interval_s=0.2)
    await from_now_on(app)
    app.state.staged = Staged(app.state.runtime)  # what it staged: the relay deletes rows
    return app


def is_score(final: str, tpp: str, nip: str = NIP):
    """The directory and the facts travel on different topics, so intermediate scores
    (e.g. before the TPP base is known) may come first: wait for the settled one."""
    return lambda e: (isinstance(e, ev.ScoreUpdated) and e.nip == nip
                      and e.final_pct == D(final) and e.tpp_amount == D(tpp))


async def published(app, probe: EventProbe, tenant_id: str, predicate) -> ev.ScoreUpdated:
    """A score event that THIS app staged in its outbox, once seen on Kafka. (Other scoring
    instances on the shared broker may publish for the same tenant: the probe alone does not
    tell which instance computed an event.)"""
    async def staged() -> ev.Event | None:
        rows = await app.state.staged.payloads(tenant_id, "scoring.score.updated")
        return next((e for e in map(ev.parse_event, rows) if predicate(e)), None)

    mine = await eventually(staged, timeout=WAIT)
    await probe.wait_for(lambda e: e.event_id == mine.event_id, timeout=WAIT)
    assert isinstance(mine, ev.ScoreUpdated)
    return mine


async def test_facts_to_score_event_and_api(app, kafka_bootstrap, tenant_id) -> None:
    tenant = ev.TenantUpserted(tenant_id=tenant_id, name="Kabupaten Uji", timezone="WITA",
                               policy_preset="performance60_discipline40")
    emp = ev.EmployeeUpserted(tenant_id=tenant_id, nip=NIP, name="Siti", unit_id="bappeda",
                              tpp_base=D("6000000"), employment_type="CPNS")
    calendar = ev.EffectiveDaysPublished(tenant_id=tenant_id, period="2026-11",
                                         effective_days=D("20"), revision=1)
    day = ev.AttendanceDayEvaluated(tenant_id=tenant_id, nip=NIP,
                                    work_date=dt.date(2026, 11, 2), revision=1,
                                    late_minutes=40, tl_code="TL2", deduction_pct=D("1"))
    approvals = [
        ev.ActivityEntryApproved(tenant_id=tenant_id, entry_id=uuid.uuid4(), nip=NIP,
                                 work_date=dt.date(2026, 11, d), minutes=300, version=2)
        for d in range(2, 12)
    ]
    async with EventProbe(kafka_bootstrap, SCORES.name, tenant_id) as probe, \
            running_app(app) as client:
        await publish(kafka_bootstrap, tenant, emp, calendar)
        await publish(kafka_bootstrap, day, *approvals)
        # 3,000 / (20 x 300) = 50.00; attendance 99.00 -> 30 + 39.6 = 69.60;
        # TPP = 6,000,000 x 69.60% x 80% (CPNS) = 3,340,800
        final = await published(app, probe, tenant_id, is_score("69.60", "3340800"))
        assert isinstance(final, ev.ScoreUpdated)
        assert final.nip == NIP and final.period == "2026-11"
        assert final.tpp_base == D("6000000") and final.tpp_amount == D("3340800")
        assert {c.name: c.value_pct for c in final.components} == {
            "performance": D("50.00"), "discipline": D("99.00")}
        # the fact that settled it: the directory and the facts race on their topics
        assert final.cause_type in {"activity.entry.approved", "attendance.day.evaluated",
                                    "directory.employee.upserted",
                                    "attendance.effective_days.published"}

        own = as_user(tenant_id, NIP)  # the employee reads their own score
        resp = await client.get(f"/api/scoring/{tenant_id}/scores/{NIP}",
                                params={"period": "2026-11"}, headers=own)
        assert resp.status_code == 200, resp.text
        body = resp.json()
        assert D(body["final_pct"]) == D("69.60") and D(body["tpp_amount"]) == D("3340800")
        version = body["version"]

        listing = await client.get(f"/api/scoring/{tenant_id}/scores",
                                   params={"period": "2026-11", "unit_id": "bappeda"},
                                   headers=as_hr(tenant_id))
        assert [s["nip"] for s in listing.json()] == [NIP]
        none = await client.get(f"/api/scoring/{tenant_id}/scores/{NIP}",
                                params={"period": "2026-10"}, headers=own)
        assert none.status_code == 404 and "belum ada" in none.json()["detail"]

        # duplicates (same events again) then garbage, then a new revision of the day on the
        # same key: everything before it on that partition was consumed when it applies
        await publish(kafka_bootstrap, day, *approvals)
        garbage = f'{{"event_type": "attendance.day.evaluated", "junk": "{uuid.uuid4()}"}}'
        await publish_raw(kafka_bootstrap, ATTENDANCE_DAYS.name, garbage.encode(),
                          f"{tenant_id}:{NIP}".encode())
        fixed = day.model_copy(update={"event_id": uuid.uuid4(), "revision": 2,
                                       "deduction_pct": D("0")})
        await publish(kafka_bootstrap, fixed)
        # attendance 100 -> 30 + 40 = 70.00; TPP 6,000,000 x 70% x 80% = 3,360,000
        # (an intermediate score of the same figures may have been staged before the month
        # settled, while the day had not arrived yet: the one wanted comes after ``version``)
        settled_again = is_score("70.00", "3360000")
        after = await published(app, probe, tenant_id,
                                lambda e: settled_again(e) and e.version > version)
        assert isinstance(after, ev.ScoreUpdated)
        assert after.tpp_amount == D("3360000")
        assert after.version == version + 1  # the duplicates published nothing
        assert after.cause_event_id == fixed.event_id

        resp = await client.get(f"/api/scoring/{tenant_id}/scores/{NIP}",
                                params={"period": "2026-11"}, headers=own)
        assert resp.json()["version"] == version + 1
        assert resp.json()["approved_minutes"] == 3000

        rt = app.state.runtime

        async def quarantined() -> list[Quarantine]:
            # an undecodable record has no regency: only a cross-regency read sees it
            async with rt.uow.cross_tenant("test-audit").read() as session:
                rows = await session.scalars(
                    select(Quarantine).where(Quarantine.raw == garbage))
                return list(rows.all())

        rows = await eventually(quarantined, timeout=WAIT)
        assert rows[0].source == f"kafka:{ATTENDANCE_DAYS.name}"
        assert "invalid event" in rows[0].reason


async def test_close_month_export_late_fact_reopen_and_rebuild(
        app, kafka_bootstrap, tenant_id, tmp_path) -> None:
    from ekinerja_shared.topics import PERIODS
    from scoring.cli import run_rebuild

    emps = [ev.EmployeeUpserted(tenant_id=tenant_id, nip=nip, name=f"Pegawai {nip}",
                                unit_id="dishub", unit_name="Dinas Perhubungan",
                                tpp_base=D("4500000"), employment_type="PNS")
            for nip in ("197001", "197002")]
    calendar = ev.EffectiveDaysPublished(tenant_id=tenant_id, period="2026-10",
                                         effective_days=D("22"), revision=1)

    def approvals(nip: str, days: range) -> list[ev.ActivityEntryApproved]:
        return [ev.ActivityEntryApproved(tenant_id=tenant_id, entry_id=uuid.uuid4(), nip=nip,
                                         work_date=dt.date(2026, 10, d), minutes=300,
                                         version=2) for d in days]

    day = ev.AttendanceDayEvaluated(tenant_id=tenant_id, nip="197002",
                                    work_date=dt.date(2026, 10, 5), revision=1,
                                    status="absent", absence_code="TK", deduction_pct=D("5"))
    async with EventProbe(kafka_bootstrap, SCORES.name, tenant_id) as scores, \
            EventProbe(kafka_bootstrap, PERIODS.name, tenant_id) as periods, \
            running_app(app) as client:
        await publish(kafka_bootstrap, *emps, calendar, day,
                      *approvals("197001", range(1, 23)), *approvals("197002", range(1, 12)))
        # 197001: 6,600 / 6,600 -> 100 -> 100.00 -> TPP 4,500,000
        # 197002: 3,300 / 6,600 = 50 -> 30 + 40 x 95% = 68.00 -> TPP 3,060,000
        await published(app, scores, tenant_id, is_score("100.00", "4500000", "197001"))
        await published(app, scores, tenant_id, is_score("68.00", "3060000", "197002"))
        base = f"/api/scoring/{tenant_id}"
        hr = as_hr(tenant_id)
        ranks = (await client.get(f"{base}/rankings/employees", headers=hr,
                                  params={"period": "2026-10", "unit_id": "dishub"})).json()
        assert [(r["rank"], r["nip"]) for r in ranks] == [(1, "197001"), (2, "197002")]
        early = await client.get(f"{base}/exports/tpp", params={"period": "2026-10"},
                                 headers=hr)
        assert early.status_code == 409 and "belum ditutup" in early.json()["detail"]

        closed = await client.post(f"{base}/periods/2026-10/close", headers=hr,
                                   json={"confirm": True})
        assert closed.status_code == 200, closed.text
        close_event = await periods.wait_for(lambda e: isinstance(e, ev.PeriodClosed)
                                             and e.period == "2026-10", timeout=WAIT)
        assert isinstance(close_event, ev.PeriodClosed)
        assert close_event.closed_by == "199001172015031002"  # the token's HR
        # the open items confirmed at the close travel with the event
        confirmation = closed.json()["confirmation"]
        assert [i.model_dump() for i in close_event.open_items_confirmed] == (
            confirmation["open_items"] if confirmation else [])

        # a late approval for the closed month: recorded, shown, not applied
        late = approvals("197002", range(12, 13))
        await publish(kafka_bootstrap, *late)

        async def late_recorded() -> dict | None:
            state = (await client.get(f"{base}/periods/2026-10", headers=hr)).json()
            return state if state["late_facts"] else None

        state = await eventually(late_recorded, timeout=WAIT)
        assert state["closed"] is True
        assert state["late_facts"][0]["event_id"] == str(late[0].event_id)
        frozen = (await client.get(f"{base}/scores/197002", params={"period": "2026-10"},
                                   headers=hr)).json()
        assert D(frozen["final_pct"]) == D("68.00") and frozen["closed"] is True

        csv_resp = await client.get(f"{base}/exports/tpp", headers=hr,
                                    params={"period": "2026-10", "unit_id": "dishub"})
        assert csv_resp.status_code == 200
        lines = csv_resp.content.decode("utf-8-sig").splitlines()
        # no, NIP, name, status, OPD, components, final, base, by score, factor, paid; the
        # pay slip's cuts (penalty, leave, discipline), after cuts, BPJS 1 % (no salary
        # entered: the whole TPP is its base), PPh 21, netto, BPJS employer 4 %; note, sign
        assert lines[1:] == [
            "1,197001,Pegawai 197001,PNS,Dinas Perhubungan,100.00,100.00,100.00,4500000,"
            "4500000,100.00,4500000,0,0,0,4500000,45000,0,4455000,180000,"
            "tidak ada data presensi bulan ini: kehadiran dihitung 100 %,",
            "2,197002,Pegawai 197002,PNS,Dinas Perhubungan,50.00,95.00,68.00,4500000,"
            "3060000,100.00,3060000,0,0,0,3060000,30600,0,3029400,122400,,",
            ",,Subtotal Dinas Perhubungan (2 pegawai),,,,,,9000000,7560000,,7560000,"
            "0,0,0,7560000,75600,0,7484400,302400,,",
            ",,Jumlah seluruhnya (2 pegawai),,,,,,9000000,7560000,,7560000,"
            "0,0,0,7560000,75600,0,7484400,302400,,",
        ]
        xlsx = await client.get(f"{base}/exports/tpp", headers=hr,
                                params={"period": "2026-10", "format": "xlsx"})
        assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"

        reopened = await client.post(f"{base}/periods/2026-10/reopen", headers=hr,
                                     json={"reason": "koreksi"})
        assert reopened.status_code == 200, reopened.text
        # the late 300 minutes apply: 3,600 / 6,600 = 54.5454.. -> 54.55
        # final = 60 x 54.55 / 100 + 38 = 32.73 + 38 = 70.73 -> TPP 3,182,850
        await published(app, scores, tenant_id, is_score("70.73", "3182850", "197002"))
        await periods.wait_for(lambda e: isinstance(e, ev.PeriodReopened), timeout=WAIT)

        # rebuild from the Kafka topics into a fresh database: the same numbers
        settings = app.state.runtime.settings
        stats = await run_rebuild(settings, f"sqlite+aiosqlite:///{tmp_path}/rebuilt.db",
                                  settings.database_url, progress=False,
                                  tenants={tenant_id})
        assert stats["differences"] == []
        assert stats["applied"] >= 37 and stats["closed_periods"] == 0

        # closed again, and one more approval comes after the close: frozen at 70.73
        closed = await client.post(f"{base}/periods/2026-10/close", headers=hr,
                                   json={"confirm": True})
        assert closed.status_code == 200, closed.text

        async def closed_twice() -> bool:
            return sum(isinstance(e, ev.PeriodClosed) and e.period == "2026-10"
                       for e in periods.events) == 2

        await eventually(closed_twice, timeout=WAIT)
        second_late = approvals("197002", range(13, 14))
        await publish(kafka_bootstrap, *second_late)

        async def second_late_recorded() -> dict | None:
            st = (await client.get(f"{base}/periods/2026-10", headers=hr)).json()
            ids = {f["event_id"] for f in st["late_facts"]}
            return st if st["closed"] and str(second_late[0].event_id) in ids else None

        await eventually(second_late_recorded, timeout=WAIT)
        frozen = (await client.get(f"{base}/scores/197002", params={"period": "2026-10"},
                                   headers=hr)).json()
        assert D(frozen["final_pct"]) == D("70.73")

        # a rebuild freezes the month as it stood at its last close: the first late fact
        # (applied by the reopen) counts, the second stays a late fact
        stats = await run_rebuild(settings, f"sqlite+aiosqlite:///{tmp_path}/rebuilt2.db",
                                  settings.database_url, progress=False,
                                  tenants={tenant_id})
        assert stats["differences"] == []
        assert stats["closed_periods"] == 1 and stats["late_facts"] == 1


async def test_unit_collective_component_settles_on_postgres(app, kafka_bootstrap,
                                                            tenant_id) -> None:
    policy = {"name": "khas_unit", "components": [
        {"name": "individual", "weight": "70", "parts": [{"source": "performance",
                                                          "weight": "100"}]},
        {"name": "collective_work", "weight": "30", "parts": [{"source": "unit_performance",
                                                               "weight": "100"}]}]}
    staff = [ev.EmployeeUpserted(tenant_id=tenant_id, nip=nip, name=nip, unit_id="kecamatan-a",
                                 tpp_base=D("2000000")) for nip in ("N1", "N2")]
    calendar = ev.EffectiveDaysPublished(tenant_id=tenant_id, period="2026-10",
                                         effective_days=D("20"), revision=1)

    def approvals(nip: str, days: range) -> list[ev.ActivityEntryApproved]:
        return [ev.ActivityEntryApproved(tenant_id=tenant_id, entry_id=uuid.uuid4(), nip=nip,
                                         work_date=dt.date(2026, 10, d), minutes=300,
                                         version=2) for d in days]

    async with running_app(app) as client:
        base = f"/api/scoring/{tenant_id}"
        hr = as_hr(tenant_id)
        r = await client.put(f"{base}/policies/2026-01", json={"policy": policy}, headers=hr)
        assert r.status_code == 200, r.text
        await publish(kafka_bootstrap, *staff, calendar, *approvals("N1", range(1, 21)),
                      *approvals("N2", range(1, 11)))

        async def settled() -> list | None:
            resp = await client.get(f"{base}/scores", params={"period": "2026-10"}, headers=hr)
            rows = {s["nip"]: s for s in resp.json()}
            # N1 100, N2 50 -> unit average 75: N1 70 + 22.5 = 92.50, N2 35 + 22.5 = 57.50.
            # Before the directory arrives both sit in the unknown unit with the same average
            # but no TPP base: settled means the TPP too.
            ok = all(D(rows.get(nip, {}).get("final_pct", 0)) == D(final)
                     and D(rows.get(nip, {}).get("tpp_amount", 0)) == D(tpp)
                     for nip, final, tpp in (("N1", "92.50", "1850000"),
                                             ("N2", "57.50", "1150000")))
            return list(rows.values()) if ok else None

        rows = await eventually(settled, timeout=WAIT)
        assert {r["nip"]: D(r["tpp_amount"]) for r in rows} == {
            "N1": D("1850000"), "N2": D("1150000")}
        async with app.state.runtime.uow.in_tenant(tenant_id).read() as session:
            from scoring.service_layer import check
            assert await check.check(session, tenant_id) == []
