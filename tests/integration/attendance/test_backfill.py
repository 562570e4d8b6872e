"""Back-filling a month on the real PostgreSQL and Kafka: a regency whose devices upload
their backlog before the roster exists, whose roster (with the start and end of duty)
arrives afterwards, and whose HR closes the past days as a range, ends with the same days
as a regency that lived the same days one by one. A backlog older than a day's close
re-opens that day as a new revision."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from attendance.adapters.orm import Punch
from attendance.app import create_app
from attendance.settings import Settings
from ekinerja_shared import events as ev
from ekinerja_shared.tenancy import bind_tenant
from tests.support.apps import eventually, publish, running_app
from tests.support.infra import unique
from tests.support.tokens import as_hr

from .conftest import roster_copied, tenant
from .simulator import ZKDeviceSimulator

pytestmark = pytest.mark.integration

A, B, C, D = ("197001012000011001", "197502022000022002", "198003032000033003",
              "198504042010041004")
NOV = lambda d: dt.date(2026, 11, d)  # noqa: E731
FIRST, LAST = NOV(2), NOV(13)  # Monday 2 to Friday 13 November 2026


def staff(tenant_id: str) -> list[ev.EmployeeUpserted]:
    """A on duty from the 2nd; B from the 9th (TMT); C retired after the 11th; D
    deactivated without a date (an older producer's way)."""
    def emp(nip: str, pin: str, **kw: object) -> ev.EmployeeUpserted:
        return ev.EmployeeUpserted(tenant_id=tenant_id, nip=nip, name=f"Pegawai {pin}",
                                   unit_id="dinas", tpp_base=Decimal("5000000"),
                                   device_pin=pin, **kw)  # type: ignore[arg-type]
    return [emp(A, "1", start_date=NOV(2), effective_from=NOV(2)),
            emp(B, "2", start_date=NOV(9), effective_from=NOV(9)),
            emp(C, "3", start_date=NOV(2), end_date=NOV(11), end_reason="pensiun",
                active=False),
            emp(D, "4", active=False)]


# local (WIB) punches per day: A late on the 3rd, no departure on the 5th, absent the 4th
PUNCHES: dict[dt.date, list[tuple[str, str]]] = {
    NOV(2): [("1", "07:25"), ("1", "16:05"), ("3", "07:30"), ("3", "16:00")],
    NOV(3): [("1", "07:50"), ("1", "16:00")],
    NOV(5): [("1", "07:30")],
    NOV(9): [("1", "07:20"), ("1", "16:10"), ("2", "07:29"), ("2", "16:01")],
    NOV(10): [("1", "07:20"), ("1", "16:10"), ("3", "07:30"), ("3", "16:00")],
    NOV(12): [("1", "07:20"), ("1", "16:10"), ("2", "07:31"), ("2", "16:00"),
              ("3", "07:30"), ("3", "16:00")],
}
def transfer(tenant_id: str) -> ev.EmployeeUpserted:
    """A moves to the hospital (another OPD) from Monday the 9th."""
    return ev.EmployeeUpserted(tenant_id=tenant_id, nip=A, name="Pegawai 1", unit_id="rsud",
                               tpp_base=Decimal("5000000"), device_pin="1",
                               start_date=NOV(2), effective_from=NOV(9))


async def summary_of(client, api: str) -> dict[str, int]:  # type: ignore[no-untyped-def]
    r = await client.get(f"{api}/month-summary", params={"period": "2026-11"})
    assert r.status_code == 200, r.text
    return {u["unit_id"]: u["working_days"] for u in r.json()["units"]}


FIELDS = ("status", "absence_code", "tl_code", "psw_code", "deduction_pct", "is_working_day")


def punch_day(device: ZKDeviceSimulator, day: dt.date) -> None:
    for pin, hhmm in PUNCHES.get(day, []):
        h, m = map(int, hhmm.split(":"))
        device.punch(pin, dt.datetime.combine(day, dt.time(h, m)))


async def month_of(client, api: str) -> dict[tuple[str, dt.date], tuple]:  # type: ignore[no-untyped-def]
    out = {}
    for nip in (A, B, C, D):
        r = await client.get(f"{api}/employees/{nip}/days", params={"period": "2026-11"})
        assert r.status_code == 200, r.text
        for d in r.json()["days"]:
            day = dt.date.fromisoformat(d["work_date"])
            if FIRST <= day <= LAST:
                out[(nip, day)] = tuple(str(d[f]) for f in FIELDS)
    return out


async def test_a_month_loaded_after_the_fact_equals_the_month_lived(
    settings: Settings, kafka_bootstrap: str, tenant_id: str
) -> None:
    lived_id = f"{tenant_id}-y"
    app = create_app(settings)
    rt = app.state.runtime
    async with running_app(app) as client:
        # --- the regency that lived the days: roster first, each day punched and closed
        await publish(kafka_bootstrap, tenant(lived_id, "Asia/Jakarta"), *staff(lived_id),
                      transfer(lived_id))
        await roster_copied(rt, lived_id, A, B, C, D)
        lived = f"/api/attendance/{lived_id}"
        client.headers.update(as_hr(lived_id, "bkpsdm-1"))
        serial = unique("ZK").upper()
        assert (await client.post(f"{lived}/devices", json={"serial_number": serial})
                ).status_code == 201
        device = ZKDeviceSimulator(client, serial)
        await device.handshake()
        for i in range((LAST - FIRST).days + 1):
            day = FIRST + dt.timedelta(days=i)
            punch_day(device, day)
            if PUNCHES.get(day):
                assert await device.upload()
            r = await client.post(f"{lived}/days/close", json={"work_date": f"{day}"})
            assert r.status_code == 200, r.text
        lived_month = await month_of(client, lived)
        # A's five days from the 9th count for the hospital; B's and C's for the office
        lived_summary = await summary_of(client, lived)
        assert lived_summary == {"dinas": 5 + 5 + 8, "rsud": 5}

        # --- the regency that starts on the 20th: the device's backlog first (PINs not yet
        # known: kept aside), then the roster with its dates, then HR closes the range
        back_id = tenant_id
        await publish(kafka_bootstrap, tenant(back_id, "Asia/Jakarta"))
        back = f"/api/attendance/{back_id}"
        client.headers.update(as_hr(back_id, "bkpsdm-1"))
        serial = unique("ZK").upper()

        async def tenant_known() -> bool:
            r = await client.post(f"{back}/devices", json={"serial_number": serial})
            return r.status_code == 201
        await eventually(tenant_known, timeout=90)
        device = ZKDeviceSimulator(client, serial)
        await device.handshake()
        for day in sorted(PUNCHES):
            punch_day(device, day)
        assert await device.upload()
        r = await client.post(f"{back}/days/close", json={"work_date": f"{FIRST}"})
        assert r.json()["employees"] == 0 and r.json()["tk"] == 0  # nobody known yet

        await publish(kafka_bootstrap, *staff(back_id))
        await roster_copied(rt, back_id, A, B, C, D)

        async def recorded() -> bool:  # the kept-aside punches, recorded once PINs are known
            async with rt.sessionmaker() as s, s.begin():
                await bind_tenant(s, back_id)
                n = await s.scalar(select(func.count()).select_from(Punch).where(
                    Punch.tenant_id == back_id))
            # C's punches after the last day of duty stay in quarantine
            return n == sum(len(v) for v in PUNCHES.values()) - 2
        await eventually(recorded, timeout=60)

        r = await client.post(f"{back}/days/close-range",
                              json={"start": f"{FIRST}", "end": f"{LAST}"})
        assert r.status_code == 200, r.text
        report = {dt.date.fromisoformat(d["work_date"]): d for d in r.json()["days"]}
        assert len(report) == 12
        monday = report[NOV(2)]
        assert (monday["employees"], monday["tk"], monday["day_kind"]) == (2, 0, "work")
        assert {s["reason"]: s["employees"] for s in monday["skipped"]} == {
            "not_yet_employed": 1, "inactive": 1}
        assert "TMT" in next(s["detail"] for s in monday["skipped"]
                             if s["reason"] == "not_yet_employed")
        # the 4th: A and C on duty, neither punched
        assert (report[NOV(4)]["employees"], report[NOV(4)]["tk"]) == (2, 2)
        assert report[NOV(7)]["day_kind"] == "off" and report[NOV(7)]["tk"] == 0
        assert report[NOV(7)]["note"]
        # the 11th: C's last day; the 12th: C has ended, B on duty
        assert (report[NOV(11)]["employees"], report[NOV(11)]["tk"]) == (3, 3)
        assert {s["reason"]: s["employees"] for s in report[NOV(12)]["skipped"]} == {
            "ended": 1, "inactive": 1}
        assert r.json()["tk"] == sum(d["tk"] for d in report.values())

        # the same days as lived one by one
        assert await month_of(client, back) == lived_month
        assert lived_month[(A, NOV(4))][:2] == ("absent", "TK")
        assert lived_month[(A, NOV(3))][2] == "TL1"
        assert (C, NOV(12)) not in lived_month and (B, NOV(6)) not in lived_month

        # the transfer recorded after the days were closed: the days since the 9th follow it
        await publish(kafka_bootstrap, transfer(back_id))

        async def split() -> bool:
            return await summary_of(client, back) == lived_summary
        await eventually(split, timeout=90)
        assert await month_of(client, back) == lived_month

        # closing again changes nothing; the future is reported, not closed
        tomorrow = dt.date.today() + dt.timedelta(days=1)
        r = await client.post(f"{back}/days/close-range",
                              json={"start": f"{LAST}", "end": f"{tomorrow}"})
        assert r.status_code == 200, r.text
        assert r.json()["days"][0]["changed"] == 0
        assert r.json()["days"][-1]["closed"] is False and r.json()["days"][-1]["note"]
        r = await client.post(f"{back}/days/close-range",
                              json={"start": "2026-01-01", "end": "2026-12-31"})
        assert r.status_code == 422 and r.json()["code"] == "bad_range"

        # a backlog older than the close re-opens the day as a new revision
        device.punch("1", dt.datetime(2026, 11, 4, 7, 40))
        device.punch("1", dt.datetime(2026, 11, 4, 16, 0))
        assert await device.upload()

        async def day4() -> tuple[str, str | None, int] | None:  # the punches' consumer
            r = await client.get(f"{back}/employees/{A}/days", params={"period": "2026-11"})
            d = next(d for d in r.json()["days"] if d["work_date"] == "2026-11-04")
            return (d["status"], d["absence_code"], d["revision"]) if d["revision"] > 1 else None
        assert await eventually(day4, timeout=60) == ("present", None, 2)
