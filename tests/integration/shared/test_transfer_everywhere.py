"""A mid-month transfer, a supervisor change and a TPP base change, end to end (issue 12):
the gateway's roster, then a roster change dated a past day D, through attendance, activity
and scoring's HTTP APIs on the real Kafka and PostgreSQL (each app as its application role).

Umum (head H1) and Keuangan (head H2); A, B and C work in Umum under H1. HR uploads, after
the days have passed, a change effective from D: A moves to Keuangan under H2, B's supervisor
becomes H2 (B stays in Umum), C's TPP base rises. Everyone punches on time every working day
of the window; A and B log a report each working day.
- the gateway keeps A's change with its date; today H2 sees A's directory row, H1 no longer;
- activity routes A's and B's entries dated before D to H1's queue and from D to H2's; the
  other supervisor may not decide them;
- attendance's month summary counts A's working days before D in Umum, from D in Keuangan;
- scoring, under a policy prorating by calendar days, pays C's month in two segments split
  at D (each base x final % x its days / the month's days), and its OPD ranking counts A in
  both OPDs, weighted by A's days in each."""

from __future__ import annotations

import calendar
import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest

from tests.integration.shared.test_acting_everywhere import four_services
from tests.integration.shared.test_backfilled_month import (
    DAYS,
    PERIODS,
    WAIT,
    WORK,
    Regency,
    row,
)
from tests.support.apps import eventually
from tests.support.tokens import as_user

pytestmark = pytest.mark.integration

H1, H2, A, B, C = ("197001011995031001", "197202021996032002", "198503152010011003",
                   "199001012015011004", "198808082012012005")
PINS = {H1: "1", H2: "2", A: "21", B: "22", C: "23"}
UMUM, KEU = ("umum", "Bagian Umum"), ("keu", "Bagian Keuangan")
# the change's day: a working day with working days of the window before it, not a 1st
# (then the month of D holds days of A in both OPDs)
D = next(d for d in WORK[2:] if d.day != 1)
P = f"{D:%Y-%m}"


def person(nip: str, sup: str, base: int, unit: tuple[str, str] = UMUM,
           effective: dt.date | None = None) -> str:
    return row(nip, sup, base, unit=unit, pins=PINS, effective=effective)


def on_time(day: dt.date) -> list[tuple[str, str]]:
    return [(nip, hhmm) for nip in PINS for hhmm in ("07:20", "16:40")] if day in WORK else []


async def test_transfer_supervisor_and_tpp_base_change_mid_month(
        kafka_bootstrap, group_prefix, tenant_id) -> None:
    async with four_services(kafka_bootstrap, group_prefix) as (apps, clients):
        rg = Regency(tenant_id, apps, clients)
        t, hr = rg.t, rg.hr
        await rg.register()
        for period in PERIODS:
            r = await rg.scoring.put(f"/api/scoring/{t}/policies/{period}", headers=hr, json={
                "policy": {"proration": {"basis": "calendar_days",
                                         "rule": "TPP dibayar menurut hari kalender"}}})
            assert r.status_code == 200, r.text
        await rg.roster(person(H1, "", 6_000_000), person(H2, "", 6_000_000, KEU),
                        *(person(n, H1, 4_000_000) for n in (A, B, C)))
        for nip, unit, sup in ((H1, "umum", H1), (H2, "keu", H2), (A, "umum", H1),
                               (B, "umum", H1), (C, "umum", H1)):
            await rg.copied(nip, unit=unit, supervisor=sup)
        # the change, uploaded after D
        await rg.roster(person(A, H2, 4_000_000, KEU, effective=D),
                        person(B, H2, 4_000_000, effective=D),
                        person(C, H1, 5_500_000, effective=D))
        await rg.copied(A, unit="keu", supervisor=H2)
        await rg.copied(B, supervisor=H2)
        # --- the gateway: the change kept with its date; today A is H2's report, not H1's
        r = await rg.gateway.get(f"/api/tenants/{t}/employees/{A}/history", headers=hr)
        assert r.status_code == 200, r.text
        dated = [h["state"] for h in r.json() if h["effective_from"] == f"{D}"]
        assert [(h["unit_id"], h["supervisor_nip"]) for h in dated] == [("keu", H2)], r.text
        for who, status in ((H2, 200), (H1, 403)):
            r = await rg.gateway.get(f"/api/tenants/{t}/employees/{A}",
                                     headers=as_user(t, who))
            assert r.status_code == status, (who, r.text)

        # --- activity: each entry goes to the supervisor in force on its date
        api = f"/api/activity/{t}"
        entries: dict[tuple[str, dt.date], str] = {}
        for day in WORK:
            for nip in (A, B):
                r = await rg.activity.post(f"{api}/entries", headers=as_user(t, nip), json={
                    "work_date": f"{day}", "start": "08:00", "end": "12:00", "submit": True,
                    "description": f"Laporan {day:%d-%m}"})
                assert r.status_code == 201, r.text
                entries[(nip, day)] = r.json()["id"]
        queues = {}
        for sup in (H1, H2):
            r = await rg.activity.get(f"{api}/approvals/queue", headers=hr,
                                      params={"approver_nip": sup})
            assert r.status_code == 200, r.text
            queues[sup] = sorted((e["nip"], e["work_date"], e["supervisor_nip"])
                                 for e in r.json())
        assert queues == {sup: sorted((nip, f"{day}", sup) for nip, day in entries
                                      if (day < D) == (sup == H1)) for sup in (H1, H2)}, queues
        # who may approve: not the other supervisor, on either side of D
        for nip, day, wrong, right in ((A, WORK[0], H2, H1), (B, D, H1, H2)):
            url = f"{api}/entries/{entries[(nip, day)]}/approve"
            r = await rg.activity.post(url, headers=as_user(t, wrong), json={})
            assert (r.status_code, r.json()["code"]) == (422, "not_supervisor"), r.text
        for (nip, day), entry in entries.items():
            r = await rg.activity.post(f"{api}/entries/{entry}/approve", json={},
                                       headers=as_user(t, H1 if day < D else H2))
            assert r.status_code == 200, r.text

        # --- attendance: A's days in the OPD of each day
        await rg.punch(DAYS, plan=on_time, pins=PINS)

        async def all_present() -> list[dict[str, Any]] | None:
            report = await rg.close(DAYS[0], DAYS[-1])
            ok = [d["employees"] for d in report if d["work_date"] in map(str, WORK)]
            return report if ok == [5] * len(WORK) and not any(d["tk"] for d in report) else None
        await eventually(all_present, timeout=WAIT, interval=2)
        for period in PERIODS:
            r = await rg.attendance.get(f"/api/attendance/{t}/month-summary", headers=hr,
                                        params={"period": period})
            assert r.status_code == 200, r.text
            days = [d for d in WORK if f"{d:%Y-%m}" == period]
            before = sum(d < D for d in days)
            want = {"umum": 3 * len(days) + before, "keu": len(days) + len(days) - before}
            counted = {u["unit_id"]: u["working_days"] for u in r.json()["units"]}
            assert counted == {k: v for k, v in want.items() if v}, (period, r.json())
            assert r.json()["total"]["tk"] == 0, r.json()

        # --- scoring: C paid in two segments split at D; A ranked in both OPDs by days
        base = f"/api/scoring/{t}"
        first, last = D.replace(day=1), D.replace(day=calendar.monthrange(D.year, D.month)[1])

        minutes = 240 * sum(f"{d:%Y-%m}" == P for d in WORK)  # A's and B's approved
        last_poll: list[Any] = []

        async def settled() -> list[Any] | None:
            """C's slip, the ranking and the scores once every fact is in, unchanged in
            two polls in a row (the calendar and the days arrive in any order)."""
            poll = [(await rg.scoring.get(f"{base}/{path}", params={"period": P},
                                          headers=hr)).json()
                    for path in (f"payslips/{C}", "rankings/units", "scores")]
            slip, ranks, scores = poll
            members = {u["unit_id"]: u["members"] for u in ranks}
            approved = {s["nip"]: s["approved_minutes"] for s in scores if s["nip"] in (A, B)}
            done = (len(slip.get("earnings", [])) == 2 and members == {"umum": 4, "keu": 2}
                    and approved == {A: minutes, B: minutes} and poll == last_poll)
            last_poll[:] = poll
            return poll if done else None
        try:
            slip, ranks, scores = await eventually(settled, timeout=WAIT, interval=2)
        except AssertionError as exc:
            raise AssertionError(f"scoring did not follow: {last_poll}") from exc
        fmt = "%d-%m-%Y"
        assert [e["label"] for e in slip["earnings"]] == [
            f"TPP {first:{fmt}} s.d. {D - dt.timedelta(days=1):{fmt}}",
            f"TPP {D:{fmt}} s.d. {last:{fmt}}"], slip
        assert slip["earnings"][1]["reason"].endswith(
            f"TPP dasar Rp5.500.000 sejak {D:{fmt}}"), slip
        assert "Rp4.000.000" in slip["earnings"][0]["reason"], slip

        final = {s["nip"]: Decimal(s["final_pct"]) for s in scores}
        month = (last - first).days + 1
        a_umum = (D - first).days  # calendar days before D (A in Umum, C on the old base)
        # each segment: base x final % x its calendar days / the month's, whole rupiah
        assert [e["amount"] for e in slip["earnings"]] == [
            f"{(b * final[C] / 100 * n / month).quantize(Decimal(1), ROUND_HALF_UP)}"
            for b, n in ((4_000_000, a_umum), (5_500_000, month - a_umum))], (final, slip)

        def avg(*parts: tuple[str, int]) -> str:
            total = sum((final[nip] * n for nip, n in parts), Decimal(0))
            total /= sum(n for _, n in parts)
            return f"{total.quantize(Decimal('0.01'), ROUND_HALF_UP)}"
        got = {u["unit_id"]: u["avg_final_pct"] for u in ranks}
        assert got == {"umum": avg((H1, month), (A, a_umum), (B, month), (C, month)),
                       "keu": avg((H2, month), (A, month - a_umum))}, (final, ranks)
        assert final[A] != final[H2], final  # A's days weigh in Keuangan's average
