"""The activity rules at their bounds: who else may decide while a Plt/Plh is in force,
the limits of a tenant's rule values, deadlines around the turn of the year, today's
entries, plan and agenda links."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from activity.domain.model import (
    ActingAssignment,
    ActingKind,
    check_acting_assignment,
    check_can_decide,
    principals_on,
)
from activity.domain.plans import (
    check_agenda_link,
    check_plan_link,
    check_plan_owner,
    realisation_pct,
)
from activity.domain.rules import (
    EntryContext,
    TenantRules,
    TimeSlot,
    approval_deadline,
    check_daily_cap,
    check_entry,
    expirable_before,
)

from .test_rules import NOW, T, code_of, ctx

IN_FORCE = dt.date(2026, 3, 12)
PLH = ActingAssignment("KASUBAG", "PLH", ActingKind.PLH, dt.date(2026, 3, 10),
                       dt.date(2026, 3, 20))


# --- who decides while an acting assignment is in force --------------------------------


@pytest.mark.parametrize("third", ["AAA", "KABAG", "PLG", "PLI", "ZZZ"])
def test_a_third_official_cannot_decide_while_a_plh_acts(third: str) -> None:
    assert code_of(check_can_decide, "STAFF", "KASUBAG", third, [PLH],
                   today=IN_FORCE) == "not_supervisor"
    assert principals_on(third, [PLH], IN_FORCE) == set()


@pytest.mark.parametrize("supervisor", ["AAA", "KASUBAF", "KASUBAH", "ZZZ"])
def test_the_plh_acts_only_for_the_official_named(supervisor: str) -> None:
    assert code_of(check_can_decide, "STAFF", supervisor, "PLH", [PLH],
                   today=IN_FORCE) == "not_supervisor"


def test_the_direct_supervisor_still_decides_and_the_kind_is_reported() -> None:
    assert check_can_decide("STAFF", "KASUBAG", "KASUBAG", [PLH], today=IN_FORCE) == "direct"
    plt = ActingAssignment("KABAG", "PLT", ActingKind.PLT, IN_FORCE, IN_FORCE)
    assert check_can_decide("STAFF", "KABAG", "PLT", [PLH, plt], today=IN_FORCE) == "plt"
    assert check_can_decide("STAFF", "KASUBAG", "PLH", [plt, PLH], today=IN_FORCE) == "plh"
    # without a date the acting assignments are not looked at
    assert code_of(check_can_decide, "STAFF", "KASUBAG", "PLH", [PLH]) == "not_supervisor"


def test_a_one_day_assignment_is_valid() -> None:
    check_acting_assignment(ActingAssignment("A", "B", ActingKind.PLH, IN_FORCE, IN_FORCE))
    check_acting_assignment(ActingAssignment("B", "A", ActingKind.PLT, IN_FORCE, IN_FORCE))
    assert principals_on("B", [ActingAssignment("A", "B", ActingKind.PLH, IN_FORCE, IN_FORCE)],
                         IN_FORCE) == {"A"}


def test_the_date_is_named_and_the_rest_may_be() -> None:
    assert check_can_decide(employee_nip="STAFF", supervisor_nip="KASUBAG", approver_nip="PLH",
                            acting=[PLH], today=IN_FORCE) == "plh"
    with pytest.raises(TypeError):
        check_can_decide("STAFF", "KASUBAG", "PLH", [PLH], IN_FORCE)  # type: ignore[misc]


# --- a tenant's rule values --------------------------------------------------------------


@pytest.mark.parametrize(("changes", "ok"), [
    ({"edit_window_days": 0}, True), ({"edit_window_days": 62}, True),
    ({"edit_window_days": 63}, False), ({"edit_window_days": -1}, False),
    ({"daily_cap_minutes": 1}, True), ({"daily_cap_minutes": 1440}, True),
    ({"daily_cap_minutes": 1441}, False), ({"daily_cap_minutes": 0}, False),
    ({"approval_deadline_day": 1}, True), ({"approval_deadline_day": 28}, True),
    ({"approval_deadline_day": 29}, False), ({"approval_deadline_day": 0}, False),
])
def test_rule_values_are_bounded(changes: dict, ok: bool) -> None:
    rules = TenantRules(**changes)
    if ok:
        assert rules.validate() is rules
    else:
        assert code_of(rules.validate) == "invalid_rules"


def test_default_rule_values() -> None:
    rules = TenantRules()
    assert (rules.edit_window_days, rules.daily_cap_minutes, rules.approval_deadline_day) == (
        7, 450, 10)
    assert rules.validate() is rules
    check_daily_cap(TimeSlot(T(7, 0), T(14, 30)), (), rules)  # 450 minutes
    assert code_of(check_daily_cap, TimeSlot(T(7, 0), T(14, 31)), (), rules) == (
        "daily_cap_exceeded")
    assert EntryContext(NOW, rules).revising_rejected is False


def test_overrides_keep_what_is_not_given() -> None:
    r = TenantRules(daily_cap_minutes=300).with_overrides({"approval_deadline_day": 5})
    assert r == TenantRules(daily_cap_minutes=300, approval_deadline_day=5)
    assert TenantRules().with_overrides({}) == TenantRules()


# --- dates -------------------------------------------------------------------------------


@pytest.mark.parametrize(("work_date", "deadline"), [
    (dt.date(2026, 1, 31), dt.date(2026, 2, 10)),
    (dt.date(2026, 10, 5), dt.date(2026, 11, 10)),
    (dt.date(2026, 11, 30), dt.date(2026, 12, 10)),
    (dt.date(2026, 12, 31), dt.date(2027, 1, 10)),
])
def test_deadline_month_and_year(work_date: dt.date, deadline: dt.date) -> None:
    assert approval_deadline(work_date, TenantRules()) == deadline


@pytest.mark.parametrize(("today", "cutoff"), [
    (dt.date(2026, 3, 1), dt.date(2026, 2, 1)),
    (dt.date(2026, 3, 31), dt.date(2026, 3, 1)),
    (dt.date(2026, 3, 2), dt.date(2026, 3, 1)),
])
def test_expirable_before_on_early_deadlines(today: dt.date, cutoff: dt.date) -> None:
    assert expirable_before(today, TenantRules(approval_deadline_day=1)) == cutoff


def test_an_earlier_day_may_end_later_in_the_day_than_now() -> None:
    yesterday = NOW.date() - dt.timedelta(days=1)
    assert check_entry(yesterday, T(15, 0), T(17, 0), ctx()) == 120
    assert check_entry(NOW.date(), T(13, 0), T(14, 0), ctx()) == 60  # ends right now
    assert code_of(check_entry, NOW.date(), T(13, 0), T(14, 1), ctx()) == "future_time"


# --- plans and agenda -----------------------------------------------------------------------


def test_realisation_of_small_and_negative_targets() -> None:
    assert realisation_pct(Decimal("1"), Decimal("1")) == Decimal("100.00")
    assert realisation_pct(Decimal("0.5"), Decimal("1")) == Decimal("200.00")
    assert realisation_pct(Decimal("-2"), Decimal("1")) == Decimal("0")
    assert realisation_pct(Decimal("3"), Decimal("2")) == Decimal("66.67")  # half up
    assert realisation_pct(Decimal("8"), Decimal("1")) == Decimal("12.50")


def test_agenda_link_needs_the_same_employee_and_date() -> None:
    day = dt.date(2026, 3, 5)
    check_agenda_link("A", day, "A", day)
    assert code_of(check_agenda_link, "B", day, "A", day) == "agenda_mismatch"
    assert code_of(check_agenda_link, "A", day, "A", day + dt.timedelta(days=1)) == (
        "agenda_mismatch")
    assert code_of(check_agenda_link, "B", day, "A", day - dt.timedelta(days=1)) == (
        "agenda_mismatch")
    assert code_of(check_agenda_link, "A", day, "B", day) == "agenda_mismatch"


def test_plan_link_needs_the_same_employee_and_month() -> None:
    check_plan_link("B", "2026-03", "B", dt.date(2026, 3, 31))
    assert code_of(check_plan_link, "B", "2026-04", "B", dt.date(2026, 3, 5)) == "plan_mismatch"
    assert code_of(check_plan_link, "A", "2026-03", "B", dt.date(2026, 3, 5)) == "plan_mismatch"


def test_a_plan_item_is_changed_by_its_owner_only() -> None:
    check_plan_owner("198001012006041001", "198001012006041001")
    # any other employee, whichever way their NIP sorts against the owner's
    for actor in ("197001012006041001", "199001012006041001"):
        assert code_of(check_plan_owner, "198001012006041001", actor) == "not_owner"
