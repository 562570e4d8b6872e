"""Month-end rules (scoring.domain.month_end): the late-fact list, the closed months a policy
version governs, what is still open before a close."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from decimal import Decimal as D

import pytest

from ekinerja_shared import events as ev
from scoring.domain.month_end import (
    CHECKED_FLAGS,
    OpenItem,
    governed_closed_months,
    late_change,
    open_items,
)

T, NIP = "kota", "199001172015031002"
DAY = dt.date(2026, 10, 7)


def day(**changes: object) -> ev.AttendanceDayEvaluated:
    return ev.AttendanceDayEvaluated(tenant_id=T, nip=NIP, work_date=DAY, revision=2,
                                     **changes)  # type: ignore[arg-type]


def test_a_late_attendance_day_names_its_date_status_codes_deduction_and_revision():
    assert late_change(day(status="present", tl_code="TL2", psw_code="PSW1",
                           deduction_pct=D("2.5"))) == (
        DAY, "Presensi 2026-10-07: hadir (TL2, PSW1), potongan 2.5 % (revisi 2)")
    assert late_change(day(status="absent", absence_code="TK", deduction_pct=D("5"))) == (
        DAY, "Presensi 2026-10-07: tidak hadir (TK), potongan 5 % (revisi 2)")


def test_a_late_attendance_day_without_codes_has_no_brackets():
    assert late_change(day(status="incomplete")) == (
        DAY, "Presensi 2026-10-07: presensi tidak lengkap, potongan 0 % (revisi 2)")


def test_late_activity_decisions_name_the_decision_and_minutes():
    common = dict(tenant_id=T, nip=NIP, work_date=DAY, minutes=90, version=1,
                  entry_id=uuid.uuid4())
    assert late_change(ev.ActivityEntryApproved(**common)) == (  # type: ignore[arg-type]
        DAY, "Aktivitas 2026-10-07 disetujui: 90 menit")
    assert late_change(ev.ActivityEntryRejected(**common)) == (  # type: ignore[arg-type]
        DAY, "Aktivitas 2026-10-07 ditolak: 90 menit")
    assert late_change(ev.ActivityEntryRevoked(**common)) == (  # type: ignore[arg-type]
        DAY, "Aktivitas 2026-10-07 dicabut: 90 menit")


def test_late_effective_days_have_no_day_and_any_other_event_its_type():
    published = ev.EffectiveDaysPublished(tenant_id=T, period="2026-10",
                                          effective_days=D("21"), revision=1)
    assert late_change(published) == (None, "Hari kerja efektif 2026-10: 21 hari")
    other = ev.ActivityEntrySubmitted(tenant_id=T, nip=NIP, work_date=DAY, minutes=90,
                                      version=1, entry_id=uuid.uuid4())
    assert late_change(other) == (None, "activity.entry.submitted")


def test_a_version_governs_closed_months_from_its_own_up_to_the_next_version():
    closed = ["2026-07", "2026-08", "2026-09", "2026-10", "2026-11"]
    versions = ["2026-01", "2026-08", "2026-10"]
    assert governed_closed_months("2026-08", versions, closed) == ["2026-08", "2026-09"]
    # the last version governs every later closed month
    assert governed_closed_months("2026-10", versions, closed) == ["2026-10", "2026-11"]
    # a new version between two others; closed months given in any order
    assert governed_closed_months("2026-09", versions, reversed(closed)) == ["2026-09"]
    # from a month after every closed one: none
    assert governed_closed_months("2026-12", versions, closed) == []
    # no other version at all
    assert governed_closed_months("2026-01", [], closed) == closed


def test_open_items_list_each_checked_flag_with_its_employees_sorted():
    flags_of = {"N3": ["no_tpp_base", "inactive"], "N1": ["no_tpp_base"],
                "N2": ["compliance_not_entered"], "N4": ["inactive"], "N5": []}
    assert open_items(flags_of, 0) == [
        OpenItem("compliance_not_entered", "1 pegawai: nilai kepatuhan belum diisi: dihitung "
                 "0 %", ("N2",), count=1),
        OpenItem("no_tpp_base", "2 pegawai: TPP dasar belum diisi (0)", ("N1", "N3"), count=2),
    ]


def test_open_items_follow_the_checked_order_and_end_with_late_facts():
    every = {"N1": list(CHECKED_FLAGS)}
    items = open_items(every, 3)
    assert [i.code for i in items] == [*CHECKED_FLAGS, "late_facts_pending"]
    assert items[-1] == OpenItem("late_facts_pending", "3 fakta terlambat belum diterapkan",
                                 count=3)
    assert open_items({}, 0) == []
    assert open_items({}, 1) == [OpenItem("late_facts_pending",
                                          "1 fakta terlambat belum diterapkan", count=1)]


def test_an_open_item_is_a_value():
    item = OpenItem("late_facts_pending", "1 fakta terlambat belum diterapkan")
    with pytest.raises(dataclasses.FrozenInstanceError):
        item.code = "x"  # type: ignore[misc]


def test_an_early_version_governs_only_up_to_the_very_next_version():
    """Of several later versions, the nearest one ends the span (not the last one)."""
    closed = ["2026-07", "2026-08", "2026-09", "2026-10", "2026-11"]
    versions = ["2026-01", "2026-10", "2026-08"]
    assert governed_closed_months("2026-01", versions, closed) == ["2026-07"]


def test_an_open_item_without_a_count_is_the_size_of_its_employees():
    listed = OpenItem("no_tpp_base", "2 pegawai", ("N1", "N2"))
    assert listed.count == 0 and listed.size == 2
    assert OpenItem("late_facts_pending", "tanpa rincian").size == 0
    assert OpenItem("undecided_entries", "7 aktivitas", source="activity", count=7).size == 7
