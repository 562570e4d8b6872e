"""View models of the web pages (gateway.web.views): plain functions of the services'
answers."""

from __future__ import annotations

from decimal import Decimal
from zoneinfo import ZoneInfo

from gateway.web import views

A, B, C = "198503152010011001", "197001011995031001", "199001172015031002"


def entry(nip, day, start, end, status="submitted", minutes=60, **kw):
    return {"id": f"{nip[-4:]}-{day}-{start}", "nip": nip, "work_date": day, "start": start,
            "end": end, "minutes": minutes, "description": "Rapat", "status": status,
            "version": 1, **kw}


def score(nip, final, unit="umum", tpp="1000000", version=1):
    return {"nip": nip, "final_pct": final, "unit_id": unit, "tpp_amount": tpp,
            "tpp_base": "4000000", "version": version,
            "components": [{"name": "performance", "weight": "60", "value_pct": final},
                           {"name": "discipline", "weight": "40", "value_pct": "100"}]}


def test_navigation_by_role():
    labels = [n.label for n in views.nav_for(["employee"], "/app/nilai")]
    assert labels == ["Hari ini", "Aktivitas", "Rencana kerja", "Nilai saya", "Slip TPP"]
    nav = views.nav_for(["employee", "supervisor", "hr"], "/app/persetujuan")
    assert [n.href for n in nav if n.current] == ["/app/persetujuan"]
    assert {"Persetujuan", "Roster", "Dasbor"} <= {n.label for n in nav}
    assert "Dasbor" in [n.label for n in views.nav_for(["leader"], "")]
    assert "Roster" not in [n.label for n in views.nav_for(["leader"], "")]
    assert views.home_for(["employee"]) == "/app/hari-ini"
    assert views.home_for(["employee", "supervisor"]) == "/app/persetujuan"
    assert views.home_for(["employee", "supervisor", "hr"]) == "/app/sdm/roster"
    assert views.home_for(["leader"]) == "/app/pimpinan"


def test_score_view_in_indonesian():
    s = {**score(A, "33.27"), "approved_minutes": 210, "effective_minutes": "6300.00",
         "closed": True}
    v = views.score_view(s, "Budi")
    assert (v.final, v.tpp, v.tpp_base, v.name) == (
        "33,27 %", "Rp\u00a01.000.000", "Rp\u00a04.000.000", "Budi")
    assert [(c.label, c.weight, c.value) for c in v.components] == [
        ("Kinerja", "60", "33,27 %"), ("Disiplin", "40", "100,00 %")]
    assert (v.approved, v.effective, v.closed) == ("3 jam 30 menit", "105 jam", True)


def test_team_excludes_oneself_highest_first():
    team = views.team_view([score(A, "50"), score(B, "90"), score(C, "70")],
                           {A: "Budi", C: "Dedi"}, me=B)
    assert [t.nip for t in team] == [C, A]


def test_month_entries_by_day_with_totals():
    month = views.month_entries([
        entry(A, "2026-11-20", "13:00", "14:00", "approved"),
        entry(A, "2026-11-20", "08:00", "11:30", "rejected", minutes=210, reason="Kurang rinci"),
        entry(A, "2026-11-23", "08:00", "09:00"),
    ])
    assert [d for d, _ in month.days] == ["Senin, 23 November 2026", "Jumat, 20 November 2026"]
    friday = month.days[1][1]
    assert [e.start for e in friday] == ["08:00", "13:00"]
    assert friday[0].reason == "Kurang rinci" and friday[0].editable
    assert not friday[1].editable
    assert month.totals == {"Disetujui": "1 jam", "Ditolak": "3 jam 30 menit",
                            "Menunggu persetujuan": "1 jam"}
    assert month.count == 3


def test_queue_filters_and_pending_counts():
    rows = [entry(A, "2026-11-20", "08:00", "09:00"), entry(A, "2026-11-19", "08:00", "09:00"),
            entry(C, "2026-11-20", "10:00", "11:00")]
    q = views.queue_view(rows, {A: "Budi", C: "Dedi"})
    assert q.total == 3 and [(p[1], p[2]) for p in q.people] == [("Budi", 2), ("Dedi", 1)]
    assert [e.work_date for e in q.entries] == ["2026-11-19", "2026-11-20", "2026-11-20"]
    assert [e.nip for e in views.queue_view(rows, {}, nip=C).entries] == [C]
    only = views.queue_view(rows, {}, day="2026-11-20")
    assert len(only.entries) == 2 and only.total == 3


def test_roster_errors_in_file_order():
    body = {"errors": [{"baris": 12, "nip": "1", "kolom": "nip", "pesan": "NIP harus 18 digit"},
                       {"baris": 3, "nip": None, "kolom": "tpp_base", "pesan": "Bukan angka"}]}
    errors = views.roster_errors(body)
    assert [(e.row, e.column) for e in errors] == [("3", "tpp_base"), ("12", "nip")]
    assert views.roster_errors({"detail": "x"}) == []


def test_devices_and_days_in_the_regency_zone():
    wita = ZoneInfo("Asia/Makassar")
    devices = views.devices_view([
        {"serial_number": "S1", "location": "Kantor", "online": True,
         "last_seen_at": "2026-11-23T00:00:00+00:00"},
        {"serial_number": "S2", "location": "Aula", "online": False, "last_seen_at": None}], wita)
    assert [(d.serial, d.state, d.last_seen) for d in devices] == [
        ("S2", "Luring", "Belum pernah"), ("S1", "Daring", "23 November 2026 08:00")]
    days = views.attendance_days({"days": [
        {"work_date": "2026-11-20", "status": "present", "arrival": "2026-11-20T00:11:00+00:00",
         "departure": None, "tl_code": "TL1", "psw_code": None, "absence_code": None,
         "deduction_pct": Decimal("0.5")}]}, wita)
    assert [(d.status, d.arrival, d.departure, d.codes, d.deduction) for d in days] == [
        ("Hadir", "08:11", "-", "TL1", "0,50 %")]
    assert views.attendance_days(None, wita) == []
