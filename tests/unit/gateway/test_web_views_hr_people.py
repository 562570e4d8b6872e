"""View models of HR's pages on people: the employee list's rows and page links (its search
and OPD filter are the database's: tests/integration/gateway/test_web_employee_list.py), the
Plt/Plh assignments' state and order, the activity rules' partial change."""

from __future__ import annotations

import datetime as dt

from gateway.service_layer.page_reads import EmployeePage
from gateway.web import views_hr_people as vp


def emp(nip: str, name: str, unit: str = "umum", boss: str | None = None,
        boss_name: str | None = None, pin: str | None = "7", kind: str = "PNS",
        active: bool = True) -> dict[str, object]:
    return {"nip": nip, "name": name, "unit_id": unit, "unit_name": unit.upper(),
            "position": "Pelaksana", "supervisor_nip": boss, "supervisor_name": boss_name,
            "employment_type": kind, "device_pin": pin, "active": active}


ROWS = [emp("2001", "Ani Lestari", "dinkes", kind="PPPK", active=False),
        emp("2002", "budiman", "dinkes", boss="9999"),
        emp("1002", "Budi Santoso", boss="1001", boss_name="Siti Aminah", pin=None),
        emp("1001", "Siti Aminah")]
UNITS = [("dinkes", "DINKES"), ("umum", "UMUM")]


def found(rows: list[dict[str, object]], matches: int, page: int = 1, size: int = 100,
          total: int = 250) -> EmployeePage:
    return EmployeePage(rows=rows, matches=matches, total=total, units=UNITS, page=page,
                        size=size)


def test_the_list_shows_supervisor_pin_and_type_as_read() -> None:
    listing = vp.employee_list(found(ROWS, 4))
    assert [(r.nip, r.unit_name) for r in listing.rows] == [
        ("2001", "DINKES"), ("2002", "DINKES"), ("1002", "UMUM"), ("1001", "UMUM")]
    budi = listing.rows[2]
    assert (budi.supervisor_nip, budi.supervisor_name, budi.device_pin, budi.employment) == (
        "1001", "Siti Aminah", "", "PNS")
    # a supervisor outside the list HR reads: the NIP without a name
    assert (listing.rows[1].supervisor_nip, listing.rows[1].supervisor_name) == ("9999", "")
    assert not listing.rows[0].active and listing.rows[0].employment == "PPPK"
    assert (listing.units, listing.matches, listing.total) == (UNITS, 4, 250)
    assert (listing.pages, listing.first, listing.last) == (1, 1, 4)


def test_pages_and_their_links_keep_the_search() -> None:
    middle = vp.employee_list(found(ROWS, 250, page=2), " budi ", "dinkes")
    assert (middle.pages, middle.first, middle.last) == (3, 101, 104)
    assert middle.href(1) == "/app/sdm/pegawai?q=budi&opd=dinkes"
    assert middle.href(3) == "/app/sdm/pegawai?q=budi&opd=dinkes&hal=3"
    assert vp.employee_list(found(ROWS, 201, size=100)).pages == 3
    assert vp.employee_list(found(ROWS, 4)).href(2) == "/app/sdm/pegawai?hal=2"
    assert vp.employee_list(found(ROWS, 4), "a&b=c").href(1) == "/app/sdm/pegawai?q=a%26b%3Dc"
    nobody = vp.employee_list(found([], 0))
    assert (nobody.pages, nobody.first, nobody.last) == (1, 0, 0)


def test_a_page_number_is_a_positive_whole_number_else_the_first() -> None:
    assert [vp.page_number(t) for t in ("3", "1", "0", "-2", "x", "", "2.5", "9" * 12)] == [
        3, 1, 1, 1, 1, 1, 1, 1]


def acting(id_: str, start: str, end: str, kind: str = "plh") -> dict[str, str]:
    return {"id": id_, "principal_nip": "1001", "acting_nip": "1002", "kind": kind,
            "start_date": start, "end_date": end}


def test_assignments_in_force_and_to_come_first_then_the_ended_latest_first() -> None:
    today = dt.date(2026, 11, 23)
    rows = vp.acting_view([acting("a", "2026-10-01", "2026-10-31"),
                           acting("b", "2026-12-01", "2026-12-05", "plt"),
                           acting("c", "2026-11-23", "2026-11-23"),
                           acting("d", "2026-11-01", "2026-11-22")],
                          {"1001": "Siti Aminah", "1002": "Budi Santoso"}, today)
    assert [(r.id, r.state, r.ended) for r in rows] == [
        ("c", "Berlaku", False), ("b", "Akan datang", False), ("d", "Selesai", True),
        ("a", "Selesai", True)]
    assert (rows[1].kind_label, rows[1].principal_name, rows[1].acting_name) == (
        "Plt", "Siti Aminah", "Budi Santoso")
    assert rows[1].span == "1 Desember 2026 s.d. 5 Desember 2026"


def test_only_changed_rules_are_sent_and_bad_ones_named() -> None:
    current = {"edit_window_days": 7, "daily_cap_minutes": 450, "approval_deadline_day": 5}
    assert vp.activity_rules_changes({"edit_window_days": "7", "daily_cap_minutes": "480",
                                      "approval_deadline_day": ""}, current) == (
        {"daily_cap_minutes": 480}, [])
    changes, wrong = vp.activity_rules_changes(
        {"edit_window_days": "-1", "daily_cap_minutes": "2000", "approval_deadline_day": "10"},
        current)
    assert changes == {"approval_deadline_day": 10}
    assert wrong == ["Batas pengisian aktivitas (hari ke belakang) (0-62)",
                     "Batas menit aktivitas per hari (1-1440)"]
