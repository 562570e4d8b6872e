"""View models of HR's pages on people: the employee list's search and OPD filter, the
Plt/Plh assignments' state and order, the activity rules' partial change."""

from __future__ import annotations

import datetime as dt

from gateway.web import views_hr_people as vp


def emp(nip: str, name: str, unit: str = "umum", boss: str | None = None,
        pin: str | None = "7", kind: str = "PNS", active: bool = True) -> dict[str, object]:
    return {"nip": nip, "name": name, "unit_id": unit, "unit_name": unit.upper(),
            "position": "Pelaksana", "supervisor_nip": boss, "employment_type": kind,
            "device_pin": pin, "active": active}


ROWS = [emp("1001", "Siti Aminah"), emp("1002", "Budi Santoso", boss="1001", pin=None),
        emp("2001", "Ani Lestari", "dinkes", kind="PPPK", active=False),
        emp("2002", "budiman", "dinkes", boss="9999")]


def test_the_list_shows_supervisor_pin_and_type_by_opd_then_name() -> None:
    listing = vp.employee_list(ROWS)
    assert [(r.nip, r.unit_name) for r in listing.rows] == [
        ("2001", "DINKES"), ("2002", "DINKES"), ("1002", "UMUM"), ("1001", "UMUM")]
    budi = listing.rows[2]
    assert (budi.supervisor_nip, budi.supervisor_name, budi.device_pin, budi.employment) == (
        "1001", "Siti Aminah", "", "PNS")
    # a supervisor outside the list HR reads: the NIP without a name
    assert (listing.rows[1].supervisor_nip, listing.rows[1].supervisor_name) == ("9999", "")
    assert not listing.rows[0].active and listing.rows[0].employment == "PPPK"
    assert listing.units == [("dinkes", "DINKES"), ("umum", "UMUM")]
    assert (listing.matches, listing.total, listing.cut) == (4, 4, False)


def test_search_by_part_of_the_name_or_the_nip_within_an_opd() -> None:
    assert [r.nip for r in vp.employee_list(ROWS, "  BUDI ").rows] == ["2002", "1002"]
    assert [r.nip for r in vp.employee_list(ROWS, "budi", "umum").rows] == ["1002"]
    assert [r.nip for r in vp.employee_list(ROWS, "100").rows] == ["1002", "1001"]
    nobody = vp.employee_list(ROWS, "xyz")
    assert (nobody.rows, nobody.matches, nobody.total) == ([], 0, 4)


def test_a_long_list_is_cut_and_says_so() -> None:
    listing = vp.employee_list(ROWS, shown=2)
    assert (len(listing.rows), listing.matches, listing.cut) == (2, 4, True)


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
