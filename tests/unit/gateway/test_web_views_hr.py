"""View models and form changes of HR's administration pages (gateway.web.views_hr): plain
functions of the services' answers and of the submitted forms."""

from __future__ import annotations

from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from gateway.web import views, views_hr
from gateway.web.render import ENV

WITA = ZoneInfo("Asia/Makassar")
A = "198503152010011001"
RULES = {"name": "ttu", "description": "", "tk_pct": "3", "missing_punch_pct": None,
         "missed_apel_pct": "0", "late_tolerance_minutes": 0,
         "tl": [{"code": "TL1", "min_minutes": 1, "max_minutes": 30, "pct": "0.5"},
                {"code": "TL4", "min_minutes": 91, "max_minutes": None, "pct": "1.5"}],
         "psw": [{"code": "PSW1", "min_minutes": 1, "max_minutes": 30, "pct": "0.5"}]}
POLICY = {"name": "performance60_discipline40", "minutes_per_day": 300,
          "tpp_adjustments": {"CPNS": "80"},
          "components": [{"name": "performance", "weight": "60",
                          "parts": [{"source": "activity", "weight": "100"}]},
                         {"name": "discipline", "weight": "40", "parts": []}]}


def test_every_hr_page_template_compiles():
    for name in ("sdm", "jadwal", "libur", "cuti", "koreksi", "aturan", "kebijakan",
                 "karantina", "bulan"):
        ENV.get_template(f"{name}.html")


def test_hr_pages_lie_under_one_menu_entry():
    nav = views.nav_for(["employee", "hr"], "/app/sdm/libur")
    assert [n.href for n in nav if n.current] == ["/app/sdm"]
    nav = views.nav_for(["employee", "hr"], "/app/sdm/roster")
    assert [n.href for n in nav if n.current] == ["/app/sdm/roster"]
    assert "Administrasi SDM" not in [n.label for n in views.nav_for(["supervisor"], "")]


def test_schedule_from_the_form_and_back():
    body = views_hr.schedule_body({"name": "Lima hari", "mon": "07:30-16:00", "sat": ""})
    assert body == {"name": "Lima hari", "days": {"mon": "07:30-16:00", "tue": None,
                                                  "wed": None, "thu": None, "fri": None,
                                                  "sat": None, "sun": None}}
    shown = views_hr.schedules_view([{"name": "Lima hari", "days": body["days"]}])
    assert shown[0]["hours"][:2] == [("Senin", "07:30-16:00"), ("Selasa", "Libur")]


def test_holidays_and_leave_in_indonesian():
    h = views_hr.holidays_view([{"date": "2026-12-25", "name": "Natal", "kind": "national"},
                                {"date": "2026-08-17", "name": "HUT RI", "kind": "national"}])
    assert [x["day"] for x in h] == ["Senin, 17 Agustus 2026", "Jumat, 25 Desember 2026"]
    assert h[0]["kind"] == "Libur nasional"
    rows = views_hr.leaves_view([
        {"id": 1, "nip": A, "kind": "CT", "start_date": "2026-11-02", "end_date": "2026-11-04",
         "note": "", "cancelled_at": None},
        {"id": 2, "nip": A, "kind": "I", "start_date": "2026-11-10", "end_date": "2026-11-10",
         "note": "keluarga", "cancelled_at": "2026-11-09T01:00:00+00:00"}], {A: "Budi"})
    assert [(r["id"], r["span"], r["cancelled"]) for r in rows] == [
        (2, "10 November 2026", True), (1, "2 November 2026 s.d. 4 November 2026", False)]
    assert rows[1]["kind"] == "Cuti tahunan" and rows[1]["name"] == "Budi"


def test_leave_kinds_are_those_the_attendance_service_accepts():
    """The form offers every kind of leave attendance records (CLTN included) and no
    other: a kind missing here could not be entered, one extra would be refused."""
    from attendance.domain.leave import LEAVE_KINDS as ACCEPTED

    assert list(views_hr.LEAVE_KINDS) == list(ACCEPTED)
    assert views_hr.LEAVE_KINDS["CLTN"] == "Cuti di luar tanggungan negara"
    assert all(views_hr.LEAVE_KINDS[k].lower() == v for k, v in ACCEPTED.items())
    html = ENV.get_template("cuti.html").render(
        kinds=views_hr.LEAVE_KINDS, form={"kind": "CLTN"}, leaves=[], period="2026-11",
        prev="2026-10", next="2026-12")
    assert '<option value="CLTN" selected' in html


def test_correction_sends_local_times_of_the_day_given():
    body = views_hr.correction_body({"work_date": "2026-11-20", "arrival": "07:25",
                                     "departure": "", "reason": "Mesin mati"})
    assert body == {"reason": "Mesin mati", "arrival": "2026-11-20T07:25"}
    trail = views_hr.corrections_view([{"work_date": "2026-11-20",
                                        "arrival": "2026-11-19T23:25:00+00:00",
                                        "departure": None, "reason": "Mesin mati",
                                        "corrected_by": A,
                                        "created_at": "2026-11-21T01:00:00+00:00"}], WITA)
    assert (trail[0]["arrival"], trail[0]["departure"]) == ("07:25", "-")


def test_rules_form_sends_only_what_changed():
    view = views_hr.rules_view(RULES)
    assert view["scalars"][0]["value"] == "3" and view["scalars"][0]["shown"] == "3,00 %"
    assert view["tl"][0]["value"] == "0,5" and view["tl"][1]["range"] == ">= 91 menit"
    unchanged = {"tk_pct": "3", "missing_punch_pct": "", "missed_apel_pct": "0",
                 "late_tolerance_minutes": "0", "tl-0": "0,5", "tl-1": "1,5", "psw-0": "0,5"}
    assert views_hr.rules_changes(RULES, unchanged) == {}
    changes = views_hr.rules_changes(RULES, {**unchanged, "tk_pct": "4,5", "tl-1": "2"})
    assert changes == {"tk_pct": "4.5", "tl": [RULES["tl"][0], {**RULES["tl"][1], "pct": "2"}]}
    assert views_hr.rules_changes(RULES, {**unchanged, "late_tolerance_minutes": "5"}) == {
        "late_tolerance_minutes": 5}
    with pytest.raises(views_hr.FormError, match="angka tidak negatif"):
        views_hr.rules_changes(RULES, {**unchanged, "tk_pct": "empat"})
    with pytest.raises(views_hr.FormError, match="bilangan bulat"):
        views_hr.rules_changes(RULES, {**unchanged, "late_tolerance_minutes": "2,5"})


def test_policy_form_sends_only_what_changed():
    view = views_hr.policy_view(POLICY)
    assert [(c["label"], c["value"], c["shown"]) for c in view["components"]] == [
        ("Kinerja", "60", "60,0 %"), ("Disiplin", "40", "40,0 %")]
    same = {"w-performance": "60", "w-discipline": "40", "minutes_per_day": "300"}
    assert views_hr.policy_changes(POLICY, same) == {}
    changes = views_hr.policy_changes(POLICY, {**same, "w-performance": "62,5",
                                               "w-discipline": "37,5"})
    assert [(c["name"], Decimal(c["weight"])) for c in changes["components"]] == [
        ("performance", Decimal("62.5")), ("discipline", Decimal("37.5"))]
    assert changes["components"][0]["parts"] == POLICY["components"][0]["parts"]
    assert views_hr.policy_changes(POLICY, {**same, "minutes_per_day": "270"}) == {
        "minutes_per_day": 270}
    with pytest.raises(views_hr.FormError, match="1-1440"):
        views_hr.policy_changes(POLICY, {**same, "minutes_per_day": "0"})


def test_quarantine_of_every_service_newest_first():
    rows = views_hr.quarantine_view({
        "attendance": [{"id": 3, "source": "iclock:SN1", "reason": "PIN tidak dikenal",
                        "received_at": "2026-11-20T01:00:00+00:00", "status": "open",
                        "replayable": False}],
        "scoring": [{"id": 3, "source": "kafka:ekinerja.attendance.days.v1", "reason": "x",
                     "received_at": "2026-11-21T01:00:00+00:00", "status": "discarded",
                     "replayable": True, "resolution": "duplikat", "resolved_by": A}]}, WITA)
    assert [(r["key"], r["open"], r["status_label"]) for r in rows] == [
        ("scoring-3", False, "Dibuang"), ("attendance-3", True, "Terbuka")]
    assert rows[1]["at"] == "20 November 2026 09:00"


def test_late_facts_say_whose_day_and_what_changes():
    rows = views_hr.late_facts_view([
        {"nip": A, "work_date": "2026-10-07", "change": "Presensi 2026-10-07: hadir (TL2)",
         "received_at": "2026-11-02T02:00:00+00:00", "applied_at": None}], {A: "Budi"}, WITA)
    assert rows == [{"nip": A, "name": "Budi", "day": "7 Oktober 2026",
                     "change": "Presensi 2026-10-07: hadir (TL2)",
                     "received": "2 November 2026 10:00", "applied": "Belum diterapkan"}]
