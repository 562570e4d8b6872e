"""The TPP pay slip on the real PostgreSQL with the service running on the real Kafka:
HR enters the payroll inputs and a disciplinary penalty, the employee reads the own pay
slip (and no one else's), the month is closed and the OPD payroll sheet (CSV with
Indonesian numbers, XLSX with the signature block) carries the same figures, all
against hand-computed amounts."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from decimal import Decimal as D

import pytest
from openpyxl import load_workbook

from ekinerja_shared import events as ev
from ekinerja_shared.identity import Role
from scoring.service_layer import services
from tests.integration.scoring.pg_app import fresh_app
from tests.support.apps import running_app
from tests.support.tokens import as_hr, as_user

pytestmark = pytest.mark.integration

A, B = "199001012015011001", "199502022023212002"
HR = "199001172015031002"


def seed(t: str) -> list[ev.Event]:
    """performance60_discipline40; 21 effective days x 300 = 6.300 minutes.
    A (PNS, base 5.000.000): 21 entries x 270 = 5.670 minutes (90 %); days: TL2 1 %, TK
    5 % (discipline 100 - 6 = 94 %), two days of cuti besar, one of cuti tahunan.
    B (CPNS, base 4.000.000): no fact at all."""
    def day(d: int, **kw: object) -> ev.Event:
        return ev.AttendanceDayEvaluated(tenant_id=t, nip=A, work_date=dt.date(2026, 10, d),
                                         revision=1, **kw)  # type: ignore[arg-type]

    return [
        ev.TenantUpserted(tenant_id=t, name="Kabupaten Uji", timezone="WITA",
                          policy_preset="performance60_discipline40"),
        ev.EffectiveDaysPublished(tenant_id=t, period="2026-10", effective_days=D(21),
                                  revision=1),
        ev.EmployeeUpserted(tenant_id=t, nip=A, name="Ani", unit_id="dinkes",
                            unit_name="DINKES", tpp_base=D("5000000")),
        ev.EmployeeUpserted(tenant_id=t, nip=B, name="Budi", unit_id="dinkes",
                            unit_name="DINKES", tpp_base=D("4000000"), employment_type="CPNS"),
        day(1, tl_code="TL2", late_minutes=40, deduction_pct=D("1")),
        day(2, status="absent", absence_code="TK", deduction_pct=D("5")),
        day(5, status="leave", absence_code="CB"), day(6, status="leave", absence_code="CB"),
        day(7, status="leave", absence_code="CT"),
        *[ev.ActivityEntryApproved(tenant_id=t, entry_id=uuid.uuid4(), nip=A,
                                   work_date=dt.date(2026, 10, 1 + i), minutes=270, version=2)
          for i in range(21)],
    ]


@pytest.fixture
async def app(kafka_bootstrap, group_prefix):
    return await fresh_app(kafka_bootstrap, group_prefix, consumer_batch_size=100)


def amounts(lines: list[dict[str, str]]) -> dict[str, str]:
    return {x["code"]: x["amount"] for x in lines}


async def test_pay_slip_inputs_penalty_close_and_sheet(app, tenant_id) -> None:
    t, hr = tenant_id, as_hr(tenant_id, HR)
    own_a, own_b = as_user(t, A, Role.EMPLOYEE), as_user(t, B, Role.EMPLOYEE)
    base = f"/api/scoring/{t}"
    october = {"period": "2026-10"}
    async with running_app(app) as client:
        await app.state.runtime.uow.in_tenant(t).run(services.apply_events, seed(t))

        # inputs for a NIP not in the directory, or PPh 21 twice, are refused
        r = await client.put(f"{base}/payslips/199999999999999999/inputs", params=october,
                             json={"salary": "1"}, headers=hr)
        assert (r.status_code, r.json()["code"]) == (404, "employee_not_found"), r.text
        r = await client.put(f"{base}/payslips/{A}/inputs", params=october, headers=hr,
                             json={"salary": "1", "pph21_pct": "5", "pph21_amount": "1"})
        assert (r.status_code, r.json()["code"]) == (422, "pph21_twice"), r.text
        r = await client.post(f"{base}/penalties/{A}", headers=hr, json={
            "pct": "25", "from_period": "2026-11", "to_period": "2026-10"})
        assert (r.status_code, r.json()["code"]) == (422, "bad_penalty_period"), r.text
        # the employee may not enter their own
        r = await client.put(f"{base}/payslips/{A}/inputs", params=october, headers=own_a,
                             json={"salary": "1"})
        assert r.status_code == 403

        r = await client.put(f"{base}/payslips/{A}/inputs", params=october, headers=hr,
                             json={"salary": "4500000", "pph21_pct": "5"})
        assert r.status_code == 200, r.text
        r = await client.post(f"{base}/penalties/{A}", headers=hr, json={
            "pct": "25", "from_period": "2026-10", "to_period": "2027-03",
            "decree": "800/17/BKPSDM/2026", "reason": "Hukuman disiplin sedang"})
        assert r.status_code == 201, r.text
        penalty_id = r.json()["id"]
        wrong = (await client.post(f"{base}/penalties/{A}", headers=hr, json={
            "pct": "50", "from_period": "2026-10", "to_period": "2026-10"})).json()["id"]
        r = await client.delete(f"{base}/penalties/{A}/{wrong}", headers=hr)
        assert r.status_code == 204
        r = await client.get(f"{base}/penalties/{A}", headers=hr)
        assert [p["id"] for p in r.json()] == [penalty_id]

        # A reads the own pay slip; another employee's is refused
        r = await client.get(f"{base}/payslips/{A}", params=october, headers=own_a)
        assert r.status_code == 200, r.text
        slip = r.json()
        assert (slip["status"], slip["period_name"], slip["final_pct"]) == (
            "sementara", "Oktober 2026", "91.60")
        # performance 90 %, discipline 94 %: final 54 + 37.6 = 91.60 %, bruto 4.580.000 =
        # 5.000.000 x 60 % x 90 % (2.700.000) + 5.000.000 x 40 % x 94 % (1.880.000)
        assert amounts(slip["earnings"]) == {"component:performance": "2700000",
                                             "component:discipline": "1880000"}
        assert slip["bruto"] == "4580000"
        # cuti besar 2/21 of 4.580.000 = 436.190,48 -> 436.190 (cuti tahunan: paid);
        # penalty 25 % = 1.145.000; after 4.580.000 - 436.190 - 1.145.000 = 2.998.810
        assert amounts(slip["cuts"]) == {"leave:CB": "436190", "penalty:1": "1145000"}
        assert slip["tpp_after_cuts"] == "2998810"
        # BPJS: min(4.500.000 + 2.998.810, 12.000.000) - 4.500.000 = 2.998.810; 1 % =
        # 29.988,10 -> 29.988; 4 % = 119.952,40 -> 119.952; PPh 21 5 % = 149.940,50 ->
        # 149.941 (half up); netto 2.998.810 - 29.988 - 149.941 = 2.818.881
        assert amounts(slip["deductions"]) == {"bpjs_employee": "29988", "pph21": "149941"}
        assert amounts(slip["employer"]) == {"bpjs_employer": "119952"}
        assert (slip["netto"], slip["netto_text"]) == ("2818881", "Rp2.818.881")
        penalty = next(c for c in slip["cuts"] if c["code"] == "penalty:1")
        assert "800/17/BKPSDM/2026" in penalty["reason"] and "PP 94/2021" in penalty["rule"]
        assert penalty["amount_text"] == "Rp1.145.000"
        assert slip["inputs"]["salary"] == "4500000" and slip["inputs"]["entered_by"] == HR
        r = await client.get(f"{base}/payslips/{A}", params=october, headers=own_b)
        assert (r.status_code, r.json()["code"]) == (403, "own_data_only"), r.text

        # B has no fact and no score row: the pay slip is computed from what is known
        # (performance 0, attendance 100: final 40 %, bruto 1.600.000, CPNS 80 %)
        r = await client.get(f"{base}/payslips/{B}", params=october, headers=own_b)
        assert r.status_code == 200, r.text
        b = r.json()
        assert (b["bruto"], amounts(b["cuts"]), b["tpp_after_cuts"]) == (
            "1600000", {"adjustment": "320000"}, "1280000")
        # BPJS 1 % of 1.280.000 = 12.800; netto 1.267.200
        assert (b["netto"], b["inputs"], len(b["notes"])) == ("1267200", None, 2)

        r = await client.post(f"{base}/periods/2026-10/close", headers=hr,
                              json={"confirm": True})
        assert r.status_code == 200, r.text
        r = await client.get(f"{base}/payslips/{A}", params=october, headers=hr)
        assert (r.json()["status"], r.json()["netto"]) == ("final", "2818881")

        # the sheet: Indonesian numbers, semicolons; the total's netto 2.818.881 +
        # 1.267.200 = 4.086.081
        r = await client.get(f"{base}/exports/tpp", headers=hr,
                             params={**october, "format": "csv_id"})
        assert r.status_code == 200, r.text
        rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig")), delimiter=";"))
        sheet = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
        assert [x["NIP"] for x in sheet] == [A, B, "", ""]
        assert (sheet[0]["Nilai akhir (%)"], sheet[0]["TPP dibayar (Rp)"]) == ("91,60",
                                                                              "4.580.000")
        assert (sheet[0]["Potongan hukuman disiplin (Rp)"],
                sheet[0]["Potongan cuti/tugas (Rp)"], sheet[0]["PPh 21 (Rp)"]) == (
            "1.145.000", "436.190", "149.941")
        assert sheet[-1]["TPP bersih diterima (Rp)"] == "4.086.081"
        assert sheet[-1]["BPJS Kesehatan pemberi kerja (Rp)"] == "171.152"  # 119.952 + 51.200
        r = await client.get(f"{base}/exports/tpp", headers=hr,
                             params={**october, "format": "xlsx"})
        values = list(load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True))
        words = [v[1] for v in values if v[1] and str(v[1]).startswith("Jumlah TPP bersih")]
        assert words == ["Jumlah TPP bersih yang dibayarkan: Rp4.086.081 (empat juta delapan "
                         "puluh enam ribu delapan puluh satu rupiah)"]
        assert any(v[1] == "Pengguna Anggaran/Kepala OPD" and "Bendahara Pengeluaran" in v
                   for v in values)


async def test_a_closed_slip_keeps_its_days_until_the_month_is_closed_again(app, tenant_id
                                                                          ) -> None:
    """The close keeps the days a pay slip rests on (leave by kind, effective days): a late
    leave day and a late calendar, stored and listed after the close, change neither A's
    closed slip nor the sheet; a reopening and a new close take them in."""
    t, hr = tenant_id, as_hr(tenant_id, HR)
    base, october = f"/api/scoring/{t}", {"period": "2026-10"}
    uow = app.state.runtime.uow.in_tenant(t)
    async with running_app(app) as client:
        await uow.run(services.apply_events, seed(t))
        r = await client.post(f"{base}/periods/2026-10/close", headers=hr,
                              json={"confirm": True})
        assert r.status_code == 200, r.text
        closed = (await client.get(f"{base}/payslips/{A}", params=october, headers=hr)).json()
        # as computed by hand above: cuti besar 2/21 of 4.580.000 -> 436.190
        assert (closed["status"], amounts(closed["cuts"])) == ("final", {"leave:CB": "436190"})

        # a third day of cuti besar and a calendar of 22 days arrive after the close
        await uow.run(services.apply_events, [
            ev.AttendanceDayEvaluated(tenant_id=t, nip=A, work_date=dt.date(2026, 10, 8),
                                      revision=1, status="leave", absence_code="CB"),
            ev.EffectiveDaysPublished(tenant_id=t, period="2026-10", effective_days=D(22),
                                      revision=2)])
        r = await client.get(f"{base}/periods/2026-10", headers=hr)
        assert [f["work_date"] for f in r.json()["late_facts"]] == ["2026-10-08"], r.text
        assert (await client.get(f"{base}/payslips/{A}", params=october,
                                 headers=hr)).json() == closed
        r = await client.get(f"{base}/exports/tpp", headers=hr,
                             params={**october, "format": "csv"})
        sheet = {x["NIP"]: x for x in csv.DictReader(io.StringIO(r.content.decode("utf-8-sig")))}
        assert sheet[A]["Potongan cuti/tugas (Rp)"] == "436190"

        # reopened and closed again: performance 5.670 / (22 x 300) = 85,91 %, final
        # 60 % x 85,91 + 40 % x 94 = 89,146 -> 89,15 %, TPP 4.457.500; cuti besar 3/22 of
        # it = 607.840,91 -> 607.841
        r = await client.post(f"{base}/periods/2026-10/reopen", headers=hr,
                              json={"reason": "Cuti besar dan kalender terlambat"})
        assert r.status_code == 200, r.text
        r = await client.post(f"{base}/periods/2026-10/close", headers=hr,
                              json={"confirm": True})
        assert r.status_code == 200, r.text
        again = (await client.get(f"{base}/payslips/{A}", params=october, headers=hr)).json()
        assert (again["status"], again["final_pct"], again["bruto"]) == (
            "final", "89.15", "4457500")
        assert amounts(again["cuts"]) == {"leave:CB": "607841"}
