"""The flags of an employee-month (scoring.domain.flags): why a figure rests on a default."""

from __future__ import annotations

import dataclasses
from decimal import Decimal as D

import pytest

from scoring.domain.flags import BLOCKING, FLAG_TEXT, DirectoryState, describe, month_flags
from scoring.domain.policy import ComponentSpec, Part, Policy, preset, validate
from scoring.domain.score import MonthFacts

CILEGON = preset("cilegon")  # performance, attendance, apel
DISCIPLINE = preset("performance60_discipline40")  # performance, attendance
COMPLIANCE = preset("performance60_attendance30_compliance10")  # + apel, compliance

PAID = DirectoryState(tpp_base=D("5000000"))
# a month with every input present: no flag under any preset
COMPLETE = MonthFacts("2026-10", approved_minutes=6000, effective_days=D("21"),
                      attendance_days=21, apel_recorded=4, apel_attended=4,
                      compliance_pct=D("90"))


def test_a_complete_month_of_a_paid_employee_has_no_flag():
    for policy in (CILEGON, DISCIPLINE, COMPLIANCE):
        assert month_flags(policy, COMPLETE, PAID) == []


def test_an_unknown_nip_is_only_not_in_directory_whatever_its_state_says():
    unknown = DirectoryState(known=False, active=False, tpp_base=D(0))
    assert month_flags(DISCIPLINE, COMPLETE, unknown) == ["not_in_directory"]


def test_inactive_and_no_tpp_base_are_flagged_for_a_known_employee():
    assert month_flags(DISCIPLINE, COMPLETE, DirectoryState(active=False, tpp_base=D(1))) \
        == ["inactive"]
    # a known employee without a base given has a base of 0 (paid nothing), flagged
    assert DirectoryState() == DirectoryState(True, True, D(0))
    assert month_flags(DISCIPLINE, COMPLETE, DirectoryState()) == ["no_tpp_base"]
    assert month_flags(DISCIPLINE, COMPLETE, DirectoryState(tpp_base=D("-1"))) \
        == ["no_tpp_base"]
    # a base of one rupiah is a base
    assert month_flags(DISCIPLINE, COMPLETE, DirectoryState(tpp_base=D("1"))) == []


def test_no_attendance_data_when_a_policy_uses_attendance_or_apel():
    empty = MonthFacts("2026-10", approved_minutes=6000, effective_days=D("21"),
                       compliance_pct=D("90"))
    assert month_flags(DISCIPLINE, empty, PAID) == ["no_attendance_data"]
    assert month_flags(CILEGON, empty, PAID) == ["no_attendance_data"]
    one_day = MonthFacts("2026-10", approved_minutes=6000, effective_days=D("21"),
                         attendance_days=1)
    assert month_flags(DISCIPLINE, one_day, PAID) == []


def test_no_approved_activity_when_a_policy_uses_performance():
    idle = MonthFacts("2026-10", effective_days=D("21"), attendance_days=21,
                      compliance_pct=D("90"))
    assert month_flags(DISCIPLINE, idle, PAID) == ["no_approved_activity"]
    one_minute = MonthFacts("2026-10", approved_minutes=1, effective_days=D("21"),
                            attendance_days=21)
    assert month_flags(DISCIPLINE, one_minute, PAID) == []


def test_compliance_not_entered_only_under_a_policy_that_uses_compliance():
    no_compliance = MonthFacts("2026-10", approved_minutes=6000, effective_days=D("21"),
                               attendance_days=21)
    assert month_flags(COMPLIANCE, no_compliance, PAID) == ["compliance_not_entered"]
    assert month_flags(DISCIPLINE, no_compliance, PAID) == []
    zero = MonthFacts("2026-10", approved_minutes=6000, effective_days=D("21"),
                      attendance_days=21, compliance_pct=D("0"))
    assert month_flags(COMPLIANCE, zero, PAID) == []  # entered as 0 is entered


def test_no_calendar_only_under_a_policy_that_uses_performance():
    no_days = MonthFacts("2026-10", approved_minutes=6000, attendance_days=21)
    assert month_flags(DISCIPLINE, no_days, PAID) == ["no_calendar"]
    assert month_flags(DISCIPLINE, MonthFacts("2026-10", approved_minutes=6000,
                                              effective_days=D("0"), attendance_days=21),
                       PAID) == []


def test_policies_without_the_source_raise_no_flag_for_it():
    attendance_only = validate(Policy("a", (ComponentSpec("attendance", D("100"),
                                                           (Part("attendance", D("100")),)),)))
    unit_only = validate(Policy("u", (ComponentSpec("collective_work", D("100"),
                                                     (Part("unit_performance", D("100")),)),)))
    apel_only = validate(Policy("p", (ComponentSpec("collective_work", D("100"),
                                                     (Part("apel", D("100")),)),)))
    nothing = MonthFacts("2026-10")
    assert month_flags(attendance_only, nothing, PAID) == ["no_attendance_data"]
    assert month_flags(unit_only, nothing, PAID) == ["no_approved_activity"]
    assert month_flags(apel_only, nothing, PAID) == ["no_attendance_data"]


def test_every_flag_at_once_in_the_order_of_the_text_table():
    flags = month_flags(COMPLIANCE, MonthFacts("2026-10"),
                        DirectoryState(active=False))
    assert flags == ["inactive", "no_tpp_base", "no_attendance_data", "no_approved_activity",
                     "compliance_not_entered", "no_calendar"]
    assert flags == [code for code in FLAG_TEXT if code in flags]


def test_describe_joins_the_texts_and_keeps_an_unknown_code():
    assert describe([]) == ""
    assert describe(["no_tpp_base"]) == "TPP dasar belum diisi (0)"
    assert describe(["inactive", "something_new"]) == \
        "pegawai tidak aktif di direktori; something_new"


def test_the_blocking_flags_are_the_ones_that_leave_money_unpaid():
    assert BLOCKING == ("not_in_directory", "no_tpp_base", "compliance_not_entered")
    assert set(BLOCKING) <= set(FLAG_TEXT)


def test_a_directory_state_is_a_value():
    with pytest.raises(dataclasses.FrozenInstanceError):
        PAID.known = False  # type: ignore[misc]
