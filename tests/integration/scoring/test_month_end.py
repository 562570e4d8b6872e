"""Closing a month on the real PostgreSQL with the service running on the real Kafka: a
roster with an employee who has no fact, a CPNS, compliance for an unknown NIP, a policy
change after the close, a partial policy change, a close with open items, and the payroll
files read back against hand-computed figures."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from decimal import Decimal as D

import pytest
from openpyxl import load_workbook

from ekinerja_shared import events as ev
from scoring.service_layer import services
from tests.integration.scoring.pg_app import fresh_app
from tests.support.apps import running_app
from tests.support.tokens import as_hr

pytestmark = pytest.mark.integration

A, B, C = "199001012015011001", "199502022023212002", "198003032005011003"
HR = "199001172015031002"


def seed(t: str) -> list[ev.Event]:
    """60 / 30 (attendance 60 + apel 40) / compliance 10; 20 effective days = 6,000 min."""
    def employee(nip: str, name: str, unit: str, base: str, kind: str = "PNS") -> ev.Event:
        return ev.EmployeeUpserted(tenant_id=t, nip=nip, name=name, unit_id=unit,
                                   unit_name=unit.upper(), tpp_base=D(base),
                                   employment_type=kind)

    def day(nip: str) -> ev.Event:
        return ev.AttendanceDayEvaluated(tenant_id=t, nip=nip, work_date=dt.date(2026, 10, 1),
                                         revision=1, apel_attended=True)

    def work(nip: str, minutes: int) -> list[ev.Event]:
        return [ev.ActivityEntryApproved(tenant_id=t, entry_id=uuid.uuid4(), nip=nip,
                                         work_date=dt.date(2026, 10, 1 + i), minutes=300,
                                         version=2) for i in range(minutes // 300)]

    return [
        ev.TenantUpserted(tenant_id=t, name="Kabupaten Uji", timezone="WITA",
                          policy_preset="performance60_attendance30_compliance10"),
        ev.EffectiveDaysPublished(tenant_id=t, period="2026-10", effective_days=D(20),
                                  revision=1),
        employee(A, "Ani", "dinkes", "4000000"), day(A), *work(A, 6000),
        employee(B, "Budi", "dinkes", "4000000", "CPNS"), day(B), *work(B, 3000),
        employee(C, "Citra", "bappeda", "3000000"),  # no punch, no entry, nothing
    ]


@pytest.fixture
async def app(kafka_bootstrap, group_prefix):
    return await fresh_app(kafka_bootstrap, group_prefix, consumer_batch_size=100)


NO_ATT = "tidak ada data presensi bulan ini: kehadiran dihitung 100 %"
NO_ACT = "tidak ada aktivitas disetujui: kinerja 0 %"
NO_COMP = "nilai kepatuhan belum diisi: dihitung 0 %"


def line(*cells: str) -> list[str]:
    """A line of the sheet: the fixed columns up to TPP dibayar, then the pay slip's (no
    inputs, penalty, leave or cut: after cuts = TPP paid, BPJS 1 % of it, PPh 21 0, netto
    = paid - 1 %, employer 4 %), Keterangan and the empty signature cell."""
    *fixed, note = cells
    paid = int(fixed[-1])
    return [*fixed, "0", "0", "0", str(paid), str(paid // 100), "0", str(paid - paid // 100),
            str(paid * 4 // 100), note, ""]


# hand-computed: A 60 + 30 + 10 x 50 % = 95; B 60 x 50 % + 30 + 0 = 60 (CPNS: x 80 %);
# C 0 + 30 (no attendance data: 100) + 0 = 30
EXPECTED = [line(*x) for x in [
    ["1", C, "Citra", "PNS", "BAPPEDA", "0.00", "100.00", "0.00", "30.00", "3000000",
     "900000", "100.00", "900000", f"{NO_ATT}; {NO_ACT}; {NO_COMP}"],
    ["", "", "Subtotal BAPPEDA (1 pegawai)", "", "", "", "", "", "", "3000000", "900000",
     "", "900000", ""],
    ["2", A, "Ani", "PNS", "DINKES", "100.00", "100.00", "50.00", "95.00", "4000000",
     "3800000", "100.00", "3800000", ""],
    ["3", B, "Budi", "CPNS", "DINKES", "50.00", "100.00", "0.00", "60.00", "4000000",
     "2400000", "80.00", "1920000", NO_COMP],
    ["", "", "Subtotal DINKES (2 pegawai)", "", "", "", "", "", "", "8000000", "6200000", "",
     "5720000", ""],
    ["", "", "Jumlah seluruhnya (3 pegawai)", "", "", "", "", "", "", "11000000", "7100000",
     "", "6620000", ""],
]]


async def test_month_end(app, tenant_id) -> None:
    t, hr = tenant_id, as_hr(tenant_id, HR)
    base = f"/api/scoring/{t}"
    async with running_app(app) as client:
        await app.state.runtime.uow.in_tenant(t).run(services.apply_events, seed(t))

        # compliance: an unknown NIP is refused; A's is entered
        r = await client.put(f"{base}/compliance/199999999999999999",
                             params={"period": "2026-10"}, json={"value_pct": "50"},
                             headers=hr)
        assert (r.status_code, r.json()["code"]) == (404, "employee_not_found"), r.text
        r = await client.put(f"{base}/compliance/{A}", params={"period": "2026-10"},
                             json={"value_pct": "50"}, headers=hr)
        assert r.status_code == 200 and r.json()["final_pct"] == "95.00", r.text

        # before the close: what is still open (C has no score row yet, and counts)
        r = await client.get(f"{base}/periods/2026-10/check", headers=hr)
        assert r.status_code == 200, r.text
        open_items = [(i["code"], i["nips"]) for i in r.json()["open_items"]]
        assert open_items == [("compliance_not_entered", sorted([B, C])),
                              ("no_attendance_data", [C]), ("no_approved_activity", [C])]
        r = await client.get(f"{base}/rankings/units", params={"period": "2026-10"},
                             headers=hr)
        assert [(u["rank"], u["unit_name"], u["members"], u["avg_final_pct"])
                for u in r.json()] == [(1, "DINKES", 2, "77.50"), (2, "BAPPEDA", 1, "30.00")]
        r = await client.get(f"{base}/rankings/employees", params={"period": "2026-10"},
                             headers=hr)
        assert [(e["rank"], e["nip"], e["unit_name"]) for e in r.json()] == [
            (1, A, "DINKES"), (2, B, "DINKES"), (3, C, "BAPPEDA")]
        # the trend: the scored employees' average per month (C has no score yet)
        r = await client.get(f"{base}/trend", params={"period": "2026-10", "months": 3},
                             headers=hr)
        assert [(m["period"], m["employees"], m["avg_final_pct"]) for m in r.json()] == [
            ("2026-08", 0, None), ("2026-09", 0, None), ("2026-10", 2, "77.50")]
        # the month in figures for the leadership dashboard (the scored employees)
        r = await client.get(f"{base}/board", params={"period": "2026-10"}, headers=hr)
        b = r.json()
        assert (b["employees"], b["avg_final_pct"], sum(b["tens"])) == (2, "77.50", 2)
        assert [(u["unit_name"], u["members"], u["avg_final_pct"]) for u in b["units"]] == [
            ("DINKES", 2, "77.50")]
        assert [t["nip"] for t in b["top"]] == [A, B]
        # each component's average (grouped in SQL) is that of the scores, in policy order
        r = await client.get(f"{base}/scores", params={"period": "2026-10"}, headers=hr)
        scored = [s for s in r.json() if s["version"] > 0]
        names = [c["name"] for c in scored[0]["components"]]
        def average(name: str) -> D:
            total = sum(D(c["value_pct"]) for s in scored for c in s["components"]
                        if c["name"] == name)
            return (total / len(scored)).quantize(D("0.01"), rounding="ROUND_HALF_UP")

        assert [(c["name"], D(c["avg_value_pct"])) for c in b["components"]] == [
            (n, average(n)) for n in names]

        # a close with items open is refused with the list, unless confirmed; the
        # confirmation is recorded (who from the token, when, the items at that moment)
        r = await client.post(f"{base}/periods/2026-10/close", headers=hr)
        assert (r.status_code, r.json()["code"]) == (409, "open_items"), r.text
        assert [(i["code"], i["nips"]) for i in r.json()["open_items"]] == open_items
        r = await client.get(f"{base}/periods/2026-10", headers=hr)
        assert r.json()["closed"] is False and r.json()["history"] == []
        r = await client.post(f"{base}/periods/2026-10/close", headers=hr,
                              json={"confirm": True, "closed_by": "orang lain"})
        assert r.status_code == 200, r.text
        assert [(i["code"], i["nips"]) for i in r.json()["open_items"]] == open_items
        assert r.json()["history"][0]["reason"].startswith("2 pegawai: " + NO_COMP)
        confirmation = (await client.get(f"{base}/periods/2026-10",
                                         headers=hr)).json()["confirmation"]
        assert confirmation["confirmed_by"] == HR
        assert [(i["source"], i["code"], i["count"]) for i in confirmation["open_items"]] == [
            ("scoring", "compliance_not_entered", 2), ("scoring", "no_attendance_data", 1),
            ("scoring", "no_approved_activity", 1)]
        r = await client.get(f"{base}/scores/{C}", params={"period": "2026-10"}, headers=hr)
        assert r.status_code == 200 and r.json()["closed"] is True
        assert [f["code"] for f in r.json()["flags"]] == [
            "no_attendance_data", "no_approved_activity", "compliance_not_entered"]

        # closed means closed: no policy from October (nor from before it); November may
        # change, partially, and inherits the rest of October's policy
        for month in ("2026-10", "2026-08"):
            r = await client.put(f"{base}/policies/{month}", json={"preset": "cilegon"},
                                 headers=hr)
            assert (r.status_code, r.json()["code"]) == (409, "period_closed"), r.text
            assert "buka kembali" in r.json()["detail"]
        r = await client.put(f"{base}/policies/2026-11",
                             json={"policy": {"minutes_per_day": 270}}, headers=hr)
        assert r.status_code == 200, r.text
        november = r.json()["policy"]
        assert (november["name"], november["minutes_per_day"]) == (
            "performance60_attendance30_compliance10", 270)
        r = await client.get(f"{base}/policy", params={"period": "2026-10"}, headers=hr)
        assert r.json()["policy"]["minutes_per_day"] == 300

        # the payroll files, read back
        r = await client.get(f"{base}/exports/tpp",
                             params={"period": "2026-10", "format": "csv"}, headers=hr)
        assert r.status_code == 200, r.text
        rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
        assert rows[0][5:9] == ["Kinerja (%; bobot 60 %)", "Kehadiran (%; bobot 30 %)",
                                "Kepatuhan (%; bobot 10 %)", "Nilai akhir (%)"]
        assert rows[1:] == EXPECTED
        r = await client.get(f"{base}/exports/tpp",
                             params={"period": "2026-10", "format": "xlsx"}, headers=hr)
        assert r.status_code == 200
        sheet = load_workbook(io.BytesIO(r.content)).active
        values = list(sheet.iter_rows(values_only=True))
        assert values[0][0] == "Daftar Pembayaran TPP - Kabupaten Uji"
        assert values[1][0] == "Periode: Oktober 2026"
        assert values[2][0].endswith(f"WITA oleh {HR}")
        assert list(values[5]) == rows[0]
        pct_columns = {5, 6, 7, 8, 11}
        as_text = [["" if v is None else f"{v:.2f}" if i in pct_columns else str(v)
                    for i, v in enumerate(row)] for row in values[6:12]]
        assert as_text == EXPECTED
