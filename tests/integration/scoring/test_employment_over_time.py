"""Employment over time on the real Kafka and PostgreSQL: the directory events of a
mid-month transfer between OPDs and of a mid-month TPP base change reach scoring through
Kafka; under a policy that prorates by working days the pay slip has one bruto line per
TPP base, and the OPD ranking counts the moved employee in each OPD for their days there.

October 2026 (WITA): the 1st is a Thursday; working days (Monday-Friday) 1-2, 5-9, 12-16,
19-23, 26-30: 22 in all; 7 of them on the 1st-11th, 15 on the 12th-31st."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from decimal import Decimal as D

import pytest

from ekinerja_shared import events as ev
from tests.integration.scoring.test_scoring_flow import WAIT, app  # noqa: F401  (fixture)
from tests.support.apps import eventually, publish, running_app
from tests.support.tokens import as_hr

pytestmark = pytest.mark.integration

A, B, C = "199001012015011001", "199502022019032002", "198803032010011003"
HR = "199001172015031002"
P = "2026-10"


def employee(t: str, nip: str, unit: str, base: str, day: int) -> ev.EmployeeUpserted:
    return ev.EmployeeUpserted(tenant_id=t, nip=nip, name=f"Pegawai {nip[-1]}", unit_id=unit,
                               unit_name=unit.upper(), tpp_base=D(base),
                               effective_from=dt.date(2026, 10, day))


def entries(t: str, nip: str, days: int) -> list[ev.ActivityEntryApproved]:
    return [ev.ActivityEntryApproved(tenant_id=t, entry_id=uuid.uuid4(), nip=nip,
                                     work_date=dt.date(2026, 10, 1 + i), minutes=300,
                                     version=2) for i in range(days)]


async def test_transfer_and_tpp_base_change_mid_month(app, kafka_bootstrap, tenant_id) -> None:
    t, hr = tenant_id, as_hr(tenant_id, HR)
    base = f"/api/scoring/{t}"
    async with running_app(app) as client:
        r = await client.put(f"{base}/policies/{P}", headers=hr, json={"policy": {
            "proration": {"basis": "working_days",
                          "rule": "TPP dibayar menurut hari kerja pada tiap kelas jabatan"}}})
        assert r.status_code == 200, r.text
        await publish(kafka_bootstrap,
                      ev.TenantUpserted(tenant_id=t, name="Kabupaten Uji", timezone="WITA",
                                        policy_preset="performance60_discipline40"),
                      ev.EffectiveDaysPublished(tenant_id=t, period=P, effective_days=D(22),
                                                revision=1),
                      employee(t, A, "dinkes", "5000000", 1),
                      employee(t, B, "dinkes", "4000000", 1),
                      employee(t, C, "bappeda", "4000000", 1))
        # A moves to Bappeda from the 16th (same base); B's base rises from the 12th
        await publish(kafka_bootstrap, employee(t, A, "bappeda", "5000000", 16),
                      employee(t, B, "dinkes", "6000000", 12))
        # of 22 x 300 = 6.600 effective minutes: A 6.600 (100 %: final 100 %), B and C
        # 3.300 (50 %: final 60 x 50 % + 40 = 70 %); no attendance day: discipline 100 %
        await publish(kafka_bootstrap, *entries(t, A, 22), *entries(t, B, 11),
                      *entries(t, C, 11))

        async def settled() -> list | None:
            ranks = (await client.get(f"{base}/rankings/units", params={"period": P},
                                      headers=hr)).json()
            tpp = {u["unit_id"]: u["tpp_total"] for u in ranks}
            # every fact applied: Dinkes pays B's prorated TPP, Bappeda A's and C's
            return ranks if tpp == {"dinkes": "3754545.00", "bappeda": "7800000.00"} else None

        ranks = await eventually(settled, timeout=WAIT)
        # by days in each OPD (calendar days): Dinkes A 15 x 100 + B 31 x 70 = 3.670 over
        # 46 days = 79,78 %; Bappeda A 16 x 100 + C 31 x 70 = 3.770 over 47 = 80,21 %
        assert [(u["rank"], u["unit_id"], u["members"], u["avg_final_pct"])
                for u in ranks] == [(1, "bappeda", 2, "80.21"), (2, "dinkes", 2, "79.78")]

        r = await client.get(f"{base}/scores/{A}", params={"period": P}, headers=hr)
        assert (r.json()["unit_id"], r.json()["tpp_amount"]) == ("bappeda", "5000000")

        # B's pay slip: 4.000.000 x 70 % x 7/22 = 890.909,09 -> 890.909;
        # 6.000.000 x 70 % x 15/22 = 2.863.636,36 -> 2.863.636; bruto 3.754.545
        r = await client.get(f"{base}/payslips/{B}", params={"period": P}, headers=hr)
        assert r.status_code == 200, r.text
        slip = r.json()
        assert [(x["label"], x["amount"]) for x in slip["earnings"]] == [
            ("TPP 01-10-2026 s.d. 11-10-2026", "890909"),
            ("TPP 12-10-2026 s.d. 31-10-2026", "2863636")]
        assert slip["earnings"][0]["reason"] == (
            "TPP dasar Rp4.000.000 (PNS) x nilai akhir 70 % x 7/22 hari kerja")
        assert slip["earnings"][1]["reason"].endswith(
            "15/22 hari kerja - TPP dasar Rp6.000.000 sejak 12-10-2026")
        assert slip["earnings"][1]["rule"].startswith("TPP dibayar menurut hari kerja")
        # no cut; BPJS 1 % of 3.754.545 = 37.545,45 -> 37.545; netto 3.717.000
        assert (slip["bruto"], slip["cuts"], slip["netto"]) == ("3754545", [], "3717000")

        # the month closed: the sheet's "TPP sesuai nilai" of B is the segments' bruto
        r = await client.post(f"{base}/periods/{P}/close", headers=hr, json={"confirm": True})
        assert r.status_code == 200, r.text
        r = await client.get(f"{base}/exports/tpp", headers=hr,
                             params={"period": P, "format": "csv"})


        rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
        b = next(x for x in rows if x["NIP"] == B)
        assert (b["TPP sesuai nilai (Rp)"], b["TPP dibayar (Rp)"]) == ("3754545", "3754545")
        r = await client.get(f"{base}/payslips/{B}", params={"period": P}, headers=hr)
        assert (r.json()["status"], r.json()["netto"]) == ("final", "3717000")
