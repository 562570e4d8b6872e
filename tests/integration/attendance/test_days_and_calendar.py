"""Schedules, holidays, night shifts, leave, closing days (TK), late punches and HR
corrections as new revisions, per-tenant rules, and the month listings: on the real
PostgreSQL and Kafka, through the HTTP API and the device protocol."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from attendance.adapters.orm import Punch
from attendance.app import create_app
from attendance.settings import Settings
from ekinerja_shared import events as ev
from ekinerja_shared.topics import ATTENDANCE_CALENDAR, ATTENDANCE_DAY_BATCHES
from tests.support.apps import EventProbe, publish, running_app
from tests.support.infra import unique
from tests.support.tokens import as_hr, as_user

from .conftest import employee, roster_copied, tenant
from .simulator import ZKDeviceSimulator

pytestmark = pytest.mark.integration

A, B, C = "197001012000011001", "197502022000022002", "198003032000033003"
SINCE = dt.date(2026, 11, 1)
WITA = dt.timezone(dt.timedelta(hours=8))


def day_of(nip: str, work_date: dt.date, **match: object):  # type: ignore[no-untyped-def]
    def pred(e: ev.Event) -> bool:
        return (isinstance(e, ev.AttendanceDayEvaluated) and e.nip == nip
                and e.work_date == work_date
                and all(getattr(e, k) == v for k, v in match.items()))

    return pred


async def test_calendar_leave_close_corrections_rules(
    settings: Settings, kafka_bootstrap: str, tenant_id: str
) -> None:
    await publish(kafka_bootstrap, tenant(tenant_id, "Asia/Makassar"),
                  employee(tenant_id, A, "1", unit_id="dinas", effective_from=SINCE),
                  employee(tenant_id, B, "2", unit_id="rsud", effective_from=SINCE),
                  employee(tenant_id, C, "3", unit_id="dinas", effective_from=SINCE))
    app = create_app(settings)
    rt = app.state.runtime
    api = f"/api/attendance/{tenant_id}"
    serial = unique("ZK").upper()
    async with (
        running_app(app) as client,
        EventProbe(kafka_bootstrap, ATTENDANCE_DAY_BATCHES.name, tenant_id) as days,
        EventProbe(kafka_bootstrap, ATTENDANCE_CALENDAR.name, tenant_id) as cal,
    ):
        client.headers.update(as_hr(tenant_id, "bkpsdm-1"))  # HR acts, in their own name
        await roster_copied(rt, tenant_id, A, B, C)
        first = await cal.wait_for(lambda e: isinstance(e, ev.EffectiveDaysPublished)
                                   and e.nip is None)
        assert first.revision == 1  # type: ignore[attr-defined]
        r = await client.post(f"{api}/devices", json={"serial_number": serial, "location": "x"})
        assert r.status_code == 201
        device = ZKDeviceSimulator(client, serial)
        await device.handshake()

        # a local holiday: one working day less, published as a new revision
        r = await client.put(f"{api}/holidays/2026-11-16", json={"name": "Libur daerah",
                                                                 "kind": "local"})
        assert r.status_code == 200, r.text
        period = f"{dt.date.today():%Y-%m}"
        if period == "2026-11":
            second = await cal.wait_for(lambda e: isinstance(e, ev.EffectiveDaysPublished)
                                        and e.nip is None and e.revision == 2)
            assert second.effective_days == first.effective_days - 1  # type: ignore[attr-defined]
            assert dt.date(2026, 11, 16) not in second.working_dates  # type: ignore[attr-defined]
        device.punch("1", dt.datetime(2026, 11, 16, 9, 0))
        assert await device.upload()
        hol = await days.wait_for(day_of(A, dt.date(2026, 11, 16)))
        assert (hol.status, hol.is_working_day, hol.deduction_pct) == (  # type: ignore[attr-defined]
            "holiday", False, Decimal(0))

        # leave entered afterwards excuses the day
        r = await client.post(f"{api}/leaves", json={
            "nip": A, "kind": "CT", "start_date": "2026-11-17", "end_date": "2026-11-18",
            "note": "urusan keluarga"})
        assert r.status_code == 201, r.text
        await days.wait_for(day_of(A, dt.date(2026, 11, 17), status="leave", absence_code="CT"))
        r = await client.post(f"{api}/leaves", json={
            "nip": A, "kind": "CS", "start_date": "2026-11-18", "end_date": "2026-11-18"})
        assert r.status_code == 409 and r.json()["code"] == "leave_overlap"
        r = await client.post(f"{api}/leaves", json={
            "nip": A, "kind": "XX", "start_date": "2026-11-19", "end_date": "2026-11-19"})
        assert r.status_code == 422 and r.json()["code"] == "unknown_leave_kind"

        # B works nights in the hospital: 22:00-06:00, then a day off
        r = await client.put(f"{api}/shifts", json={"nip": B, "shifts": {
            "2026-11-18": "22:00-06:00", "2026-11-19": None}})
        assert r.status_code == 200, r.text
        own = await cal.wait_for(lambda e: isinstance(e, ev.EffectiveDaysPublished)
                                 and e.nip == B)
        assert dt.date(2026, 11, 19) not in own.working_dates  # type: ignore[attr-defined]
        device.punch("2", dt.datetime(2026, 11, 18, 22, 10))
        device.punch("2", dt.datetime(2026, 11, 19, 6, 2))
        assert await device.upload()
        night = await days.wait_for(day_of(B, dt.date(2026, 11, 18), status="present"))
        assert isinstance(night, ev.AttendanceDayEvaluated)
        assert night.departure == dt.datetime(2026, 11, 19, 6, 2, tzinfo=WITA)
        assert (night.late_minutes, night.tl_code, night.psw_code) == (10, "TL1", None)

        # closing 18 Nov: C never came (TK); A is on leave; B worked the night
        r = await client.post(f"{api}/days/close", json={"work_date": "2026-11-18"})
        assert r.status_code == 200, r.text
        assert r.json()["employees"] == 3
        tk = await days.wait_for(day_of(C, dt.date(2026, 11, 18), status="absent"))
        assert (tk.absence_code, tk.deduction_pct) == ("TK", Decimal(5))  # type: ignore[attr-defined]
        r = await client.post(f"{api}/days/close",
                              json={"work_date": f"{dt.date.today() + dt.timedelta(days=1)}"})
        assert r.status_code == 409 and r.json()["code"] == "day_not_over"

        # C's punches arrive late (device was offline): a new revision replaces the TK
        device.punch("3", dt.datetime(2026, 11, 18, 7, 41))
        device.punch("3", dt.datetime(2026, 11, 18, 16, 3))
        assert await device.upload()
        late = await days.wait_for(day_of(C, dt.date(2026, 11, 18), status="present"))
        assert late.revision == tk.revision + 1  # type: ignore[attr-defined]
        assert (late.tl_code, late.deduction_pct) == ("TL1", Decimal("0.5"))  # type: ignore[attr-defined]

        # HR corrects the arrival (the device queue was jammed): revision 3, punches intact
        r = await client.post(f"{api}/employees/{C}/days/2026-11-18/corrections", json={
            "arrival": "2026-11-18T07:28:00", "reason": "Antrean mesin presensi macet"},
            headers=as_hr(tenant_id, "bkpsdm-2"))
        assert r.status_code == 201, r.text
        assert r.json()["day"]["revision"] == late.revision + 1  # type: ignore[attr-defined]
        fixed = await days.wait_for(day_of(C, dt.date(2026, 11, 18), tl_code=None,
                                           status="present"))
        assert fixed.deduction_pct == Decimal(0)  # type: ignore[attr-defined]
        r = await client.post(f"{api}/employees/{C}/days/2026-11-18/corrections",
                              json={"arrival": "2026-11-18T07:28:00", "reason": ""})
        assert r.status_code == 422
        trail = (await client.get(f"{api}/employees/{C}/corrections")).json()
        assert [(t["corrected_by"], t["reason"]) for t in trail] == [
            ("bkpsdm-2", "Antrean mesin presensi macet")]
        async with rt.uow.in_tenant(tenant_id).read() as s:
            assert await s.scalar(select(func.count()).select_from(Punch).where(
                Punch.tenant_id == tenant_id, Punch.nip == C)) == 2

        # the regency adopts its own rules (TTU-style): judged days are re-evaluated
        r = await client.put(f"{api}/rules", json={"preset": "ttu"})
        assert r.status_code == 200 and r.json()["rules"]["tk_pct"] == "12"
        if period == "2026-11":
            await days.wait_for(day_of(C, dt.date(2026, 11, 18), status="present",
                                       revision=fixed.revision))  # type: ignore[attr-defined]
            await days.wait_for(day_of(B, dt.date(2026, 11, 18), deduction_pct=Decimal(1)))
        r = await client.put(f"{api}/rules", json={"rules": {"tl": [], "psw": []}})
        assert r.status_code == 422 and r.json()["code"] == "bad_rules"

        # the month as the employee and HR see it
        month = (await client.get(f"{api}/employees/{C}/days", headers=as_user(tenant_id, C),
                                  params={"period": "2026-11"})).json()
        [d18] = [d for d in month["days"] if d["work_date"] == "2026-11-18"]
        assert d18["revision"] == fixed.revision and d18["tl_code"] is None  # type: ignore[attr-defined]
        punches = (await client.get(f"{api}/employees/{C}/punches",
                                    params={"period": "2026-11"})).json()
        assert [p["punched_at"] for p in punches] == ["2026-11-18T07:41:00+08:00",
                                                      "2026-11-18T16:03:00+08:00"]
        calendar = (await client.get(f"{api}/calendar", params={"period": "2026-11"})).json()
        assert "2026-11-16" in calendar["holidays"]
        assert "2026-11-16" not in calendar["working_dates"]
        leaves = (await client.get(f"{api}/leaves", params={"nip": A})).json()
        assert [(x["kind"], x["kind_name"]) for x in leaves] == [("CT", "cuti tahunan")]

        # the regency's month as HR and leadership see it: TL/PSW/TK days per code and OPD
        # (B's late night shift; C's TK was replaced by the late punches; A's leave is excused)
        r = await client.get(f"{api}/month-summary", params={"period": "2026-11"})
        assert r.status_code == 200, r.text
        summary = r.json()
        assert (summary["total"]["tl"], summary["total"]["psw"], summary["total"]["tk"]) == (
            1, 0, 0)
        assert summary["total"]["working_days"] == 4  # A 17 and 18 (leave), B 18, C 18
        units = {u["unit_id"]: u for u in summary["units"]}
        assert (units["rsud"]["tl"], units["dinas"]["tl"]) == (1, 0)
        assert sum(units["rsud"]["codes"].values()) == 1
        r = await client.get(f"{api}/month-summary", params={"period": "2026-11"},
                             headers=as_user(tenant_id, C))
        assert r.status_code == 403
