"""View models of HR's attendance settings and compliance pages: the apel form and summary,
the designated devices to tick, the apel and punch window bodies (refused before a service
is asked when a field is missing or out of range), the compliance entry."""

from __future__ import annotations

import pytest

from gateway.web import views_hr_attendance as va
from gateway.web.views_hr import FormError

APEL = {"window_start": "07:30:00", "window_end": "08:00:00", "weekdays": [4, 0],
        "device_serials": ["SN2", "SN1"]}


def test_the_apel_in_force_as_the_form_and_the_summary_show_it() -> None:
    assert va.apel_form(APEL) == {"window_start": "07:30", "window_end": "08:00",
                                  "weekdays": ["4", "0"], "devices": ["SN2", "SN1"]}
    assert va.apel_summary(APEL) == "Senin, Jumat 07:30-08:00, di SN2, SN1."
    assert va.apel_summary({**APEL, "device_serials": []}).endswith("di mesin mana pun.")
    # none yet: Monday offered, the summary says the apel does not count
    assert va.apel_form(None)["weekdays"] == ["0"]
    assert "belum diatur" in va.apel_summary(None)


def test_devices_to_tick_keep_a_designated_serial_no_longer_registered() -> None:
    devices = [{"serial_number": "SN1", "location": "Halaman"}, {"serial_number": "SN3"}]
    assert va.device_choices(devices, ["SN2", "SN1"]) == [
        {"serial": "SN1", "location": "Halaman", "checked": True},
        {"serial": "SN2", "location": "tidak terdaftar", "checked": True},
        {"serial": "SN3", "location": "", "checked": False}]


def test_the_apel_body_from_the_form() -> None:
    form = {"window_start": "07:30", "window_end": "08:00"}
    assert va.apel_body(form, ["4", "0", "4"], ["SN1", "", "SN1"]) == {
        "window_start": "07:30", "window_end": "08:00", "weekdays": [0, 4],
        "device_serials": ["SN1"]}
    with pytest.raises(FormError, match="Isi jam selesai, hari apel."):
        va.apel_body({"window_start": "07:30"}, [], [])
    with pytest.raises(FormError, match="Hari apel tidak valid"):
        va.apel_body(form, ["7"], [])


def test_the_punch_window_in_whole_numbers_within_range() -> None:
    assert va.window_body({"max_future_hours": "0", "max_age_days": " 30 "}) == {
        "max_future_hours": 0, "max_age_days": 30}
    with pytest.raises(FormError) as refused:
        va.window_body({"max_future_hours": "169", "max_age_days": "0"})
    assert "(0-168)" in str(refused.value) and "(1-3660)" in str(refused.value)
    with pytest.raises(FormError):
        va.window_body({"max_future_hours": "1,5", "max_age_days": "30"})


def test_compliance_entry_and_whether_the_policy_uses_it() -> None:
    assert va.compliance_body({"value_pct": "87,5", "note": "LHKPN"}) == {
        "value_pct": "87.5", "note": "LHKPN"}
    for wrong in ("", "101", "-1", "87,555", "abc"):
        with pytest.raises(FormError):
            va.compliance_body({"value_pct": wrong})
    uses = {"components": [{"name": "c", "parts": [{"source": "compliance"}]}]}
    assert va.uses_compliance(uses)
    assert not va.uses_compliance({"components": [{"name": "p",
                                                   "parts": [{"source": "performance"}]}]})


def test_who_still_lacks_compliance_and_the_entry_result() -> None:
    check = {"open_items": [{"code": "no_tpp_base", "nips": ["3"]},
                            {"code": "compliance_not_entered", "nips": ["2", "1"]}]}
    assert va.compliance_missing(check, {"1": "Budi", "2": "Ani"}) == [
        {"nip": "2", "name": "Ani"}, {"nip": "1", "name": "Budi"}]
    score = {"nip": "1", "sources": {"compliance": "87.5"}, "final_pct": "38.75"}
    assert va.compliance_result(score, {"1": "Budi"}) == {
        "nip": "1", "name": "Budi", "compliance": "87,50 %", "final": "38,75 %"}


def test_a_shift_roster_over_dates_and_the_month_per_employee() -> None:
    body = va.shifts_body({"nip": "1", "start_date": "2026-10-30", "end_date": "2026-11-01",
                           "hours": "22:00 - 06:00"})
    assert body == {"nip": "1", "shifts": {"2026-10-30": "22:00-06:00",
                                           "2026-10-31": "22:00-06:00",
                                           "2026-11-01": "22:00-06:00"}}
    # one day when no end is given; empty hours = off
    assert va.shifts_body({"nip": "1", "start_date": "2026-10-30"})["shifts"] == {
        "2026-10-30": None}
    for wrong in ({"start_date": ""}, {"start_date": "2026-10-30", "end_date": "2026-10-29"},
                  {"start_date": "2026-01-01", "end_date": "2026-03-05"}):
        with pytest.raises(FormError):
            va.shifts_body(wrong)
    rows = [{"nip": "2", "work_date": "2026-10-02", "hours": None},
            {"nip": "1", "work_date": "2026-10-02", "hours": "22:00-06:00"},
            {"nip": "2", "work_date": "2026-10-01", "hours": "07:00-15:00"}]
    view = va.shifts_view(rows, {"1": "Budi", "2": "Ani"})
    assert [(e["nip"], [s["hours"] for s in e["shifts"]]) for e in view] == [
        ("2", ["07:00-15:00", "Libur"]), ("1", ["22:00-06:00"])]
