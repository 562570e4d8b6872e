"""Pure rules of the activity service: entry checks, deadlines, who may decide, plans."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from activity.domain.model import (
    ActingAssignment,
    ActingKind,
    EntryStatus,
    RuleViolation,
    check_acting_assignment,
    check_can_decide,
    check_editable,
    check_owner,
    check_transition,
    check_verifier,
    principals_on,
)
from activity.domain.plans import agenda_state, approved_output, check_plan_link, realisation_pct
from activity.domain.rules import (
    EntryContext,
    TenantRules,
    TimeSlot,
    approval_deadline,
    check_before_deadline,
    check_daily_cap,
    check_entry,
    check_on_duty,
    entry_minutes,
    expirable_before,
    expiry_reason,
    is_past_deadline,
)

WIB = dt.timezone(dt.timedelta(hours=7))
NOW = dt.datetime(2026, 3, 16, 14, 0, tzinfo=WIB)  # Monday afternoon
T = dt.time


def ctx(**kw) -> EntryContext:
    return EntryContext(now_local=kw.pop("now", NOW), rules=kw.pop("rules", TenantRules()), **kw)


def code_of(fn, *args, **kw) -> str:
    with pytest.raises(RuleViolation) as info:
        fn(*args, **kw)
    assert info.value.message  # a message for staff
    return info.value.code


# --- entry checks -------------------------------------------------------------------------


def test_valid_entry_returns_its_minutes():
    assert check_entry(dt.date(2026, 3, 16), T(8, 0), T(9, 30), ctx()) == 90


@pytest.mark.parametrize("start,end", [(T(9, 0), T(9, 0)), (T(10, 0), T(9, 0))])
def test_end_must_be_after_start(start, end):
    assert code_of(check_entry, dt.date(2026, 3, 16), start, end, ctx()) == "end_before_start"
    assert code_of(entry_minutes, start, end) == "end_before_start"


def test_future_date_refused():
    assert code_of(check_entry, dt.date(2026, 3, 17), T(8, 0), T(9, 0), ctx()) == "future_date"


def test_end_later_today_refused_but_earlier_today_accepted():
    assert code_of(check_entry, NOW.date(), T(13, 0), T(15, 0), ctx()) == "future_time"
    assert check_entry(NOW.date(), T(13, 0), T(14, 0), ctx()) == 60


def test_edit_window_is_inclusive_and_per_tenant():
    seven_back = NOW.date() - dt.timedelta(days=7)
    assert check_entry(seven_back, T(8, 0), T(9, 0), ctx()) == 60
    eight_back = NOW.date() - dt.timedelta(days=8)
    assert code_of(check_entry, eight_back, T(8, 0), T(9, 0), ctx()) == "edit_window_passed"
    wider = TenantRules(edit_window_days=10)
    assert check_entry(eight_back, T(8, 0), T(9, 0), ctx(rules=wider)) == 60
    strict = TenantRules(edit_window_days=0)
    assert code_of(check_entry, NOW.date() - dt.timedelta(days=1), T(8, 0), T(9, 0),
                   ctx(rules=strict)) == "edit_window_passed"


def test_a_rejected_entry_may_be_revised_after_the_edit_window():
    old = NOW.date() - dt.timedelta(days=12)
    assert code_of(check_entry, old, T(8, 0), T(9, 0), ctx()) == "edit_window_passed"
    assert check_entry(old, T(8, 0), T(9, 0), ctx(revising_rejected=True)) == 60
    # the other checks still apply
    assert code_of(check_entry, old, T(8, 0), T(9, 0), ctx(
        revising_rejected=True, closed_periods=frozenset({"2026-03"}))) == "period_closed"


def test_closed_month_refused():
    c = ctx(closed_periods=frozenset({"2026-03"}))
    assert code_of(check_entry, dt.date(2026, 3, 16), T(8, 0), T(9, 0), c) == "period_closed"
    assert check_entry(dt.date(2026, 3, 16), T(8, 0), T(9, 0),
                       ctx(closed_periods=frozenset({"2026-02"}))) == 60


@pytest.mark.parametrize("start,end,ok", [
    (T(8, 0), T(9, 0), True),  # touches the other entry at 09:00 only
    (T(10, 0), T(11, 0), True),  # starts where the other ends
    (T(8, 30), T(9, 30), False),
    (T(9, 15), T(9, 45), False),  # inside
    (T(8, 0), T(11, 0), False),  # around
])
def test_overlap_with_other_entries_of_the_day(start, end, ok):
    c = ctx(same_day=(TimeSlot(T(9, 0), T(10, 0)),))
    if ok:
        assert check_entry(dt.date(2026, 3, 16), start, end, c) > 0
    else:
        assert code_of(check_entry, dt.date(2026, 3, 16), start, end, c) == "overlap"


def test_daily_cap_counts_all_entries_of_the_day():
    rules = TenantRules(daily_cap_minutes=300)
    others = (TimeSlot(T(7, 30), T(11, 30)),)  # 240 min
    day = dt.date(2026, 3, 16)
    assert check_entry(day, T(12, 0), T(13, 0), ctx(rules=rules, same_day=others)) == 60
    assert code_of(check_entry, day, T(12, 0), T(13, 1),
                   ctx(rules=rules, same_day=others)) == "daily_cap_exceeded"


def test_rules_overrides_and_validation():
    r = TenantRules().with_overrides({"edit_window_days": 3, "unknown": 1,
                                      "daily_cap_minutes": None})
    assert r == TenantRules(edit_window_days=3)
    assert code_of(TenantRules(approval_deadline_day=31).validate) == "invalid_rules"
    assert code_of(TenantRules(daily_cap_minutes=0).validate) == "invalid_rules"
    assert code_of(TenantRules(edit_window_days=-1).validate) == "invalid_rules"


# --- deadlines ------------------------------------------------------------------------------


def test_approval_deadline_is_the_day_of_the_next_month():
    r5 = TenantRules(approval_deadline_day=5)
    assert approval_deadline(dt.date(2026, 3, 31), r5) == dt.date(2026, 4, 5)
    assert approval_deadline(dt.date(2026, 12, 1), TenantRules()) == dt.date(2027, 1, 10)
    assert not is_past_deadline(dt.date(2026, 3, 2), dt.date(2026, 4, 10), TenantRules())
    assert is_past_deadline(dt.date(2026, 3, 2), dt.date(2026, 4, 11), TenantRules())
    assert code_of(check_before_deadline, dt.date(2026, 3, 2), dt.date(2026, 4, 11),
                   TenantRules()) == "deadline_passed"
    assert "10-04-2026" in expiry_reason(dt.date(2026, 3, 2), TenantRules())


@pytest.mark.parametrize("today,cutoff", [
    (dt.date(2026, 4, 10), dt.date(2026, 3, 1)),  # March still open on the deadline day
    (dt.date(2026, 4, 11), dt.date(2026, 4, 1)),  # March expired the day after
    (dt.date(2026, 1, 5), dt.date(2025, 12, 1)),
    (dt.date(2026, 1, 11), dt.date(2026, 1, 1)),
])
def test_expirable_before_agrees_with_the_deadline(today, cutoff):
    rules = TenantRules()
    assert expirable_before(today, rules) == cutoff
    # every date before the cutoff is past its deadline, the cutoff's month is not
    assert is_past_deadline(cutoff - dt.timedelta(days=1), today, rules)
    assert not is_past_deadline(cutoff, today, rules)


# --- lifecycle ------------------------------------------------------------------------------


@pytest.mark.parametrize("current,target,ok", [
    (EntryStatus.DRAFT, EntryStatus.SUBMITTED, True),
    (EntryStatus.DRAFT, EntryStatus.APPROVED, False),
    (EntryStatus.SUBMITTED, EntryStatus.APPROVED, True),
    (EntryStatus.SUBMITTED, EntryStatus.REJECTED, True),
    (EntryStatus.SUBMITTED, EntryStatus.EXPIRED, True),
    (EntryStatus.REJECTED, EntryStatus.SUBMITTED, True),
    (EntryStatus.REJECTED, EntryStatus.APPROVED, False),
    (EntryStatus.APPROVED, EntryStatus.REVOKED, True),
    (EntryStatus.APPROVED, EntryStatus.REJECTED, False),
    (EntryStatus.APPROVED, EntryStatus.APPROVED, False),
    (EntryStatus.REVOKED, EntryStatus.APPROVED, False),
    (EntryStatus.EXPIRED, EntryStatus.SUBMITTED, False),
])
def test_transitions(current, target, ok):
    if ok:
        check_transition(current, target)
    else:
        assert code_of(check_transition, current, target) == "invalid_transition"


def test_only_drafts_and_rejected_entries_are_editable_by_their_owner():
    check_editable(EntryStatus.DRAFT)
    check_editable(EntryStatus.REJECTED)
    for s in (EntryStatus.SUBMITTED, EntryStatus.APPROVED, EntryStatus.REVOKED):
        assert code_of(check_editable, s) == "not_editable"
    check_owner("1", "1")
    # anyone else is refused, whichever way their NIPs sort
    assert code_of(check_owner, "1", "2") == "not_owner"
    assert code_of(check_owner, "2", "1") == "not_owner"


# --- who decides ------------------------------------------------------------------------------


# (the direct supervisor on a day, supervisor_on: tests/unit/shared/test_supervision.py)


PLH = ActingAssignment("KASUBAG", "PLH", ActingKind.PLH, dt.date(2026, 3, 10),
                       dt.date(2026, 3, 20))


def test_direct_supervisor_decides_and_never_oneself():
    assert check_can_decide("STAFF", "KASUBAG", "KASUBAG") == "direct"
    assert code_of(check_can_decide, "STAFF", "KASUBAG", "STAFF") == "self_approval"
    assert code_of(check_can_decide, "STAFF", "KASUBAG", "KABAG") == "not_supervisor"
    assert code_of(check_can_decide, "STAFF", None, "KASUBAG") == "no_supervisor"


def test_acting_supervisor_only_within_the_date_range():
    assert check_can_decide("STAFF", "KASUBAG", "PLH", [PLH], today=dt.date(2026, 3, 10)) == "plh"
    assert check_can_decide("STAFF", "KASUBAG", "PLH", [PLH], today=dt.date(2026, 3, 20)) == "plh"
    assert code_of(check_can_decide, "STAFF", "KASUBAG", "PLH", [PLH],
                   today=dt.date(2026, 3, 21)) == "not_supervisor"
    # acting for someone else's post does not help
    assert code_of(check_can_decide, "STAFF", "KABAG", "PLH", [PLH],
                   today=dt.date(2026, 3, 12)) == "not_supervisor"
    # an acting official never approves their own entries
    assert code_of(check_can_decide, "PLH", "KASUBAG", "PLH", [PLH],
                   today=dt.date(2026, 3, 12)) == "self_approval"
    assert principals_on("PLH", [PLH], dt.date(2026, 3, 12)) == {"KASUBAG"}
    assert principals_on("PLH", [PLH], dt.date(2026, 3, 9)) == set()


def test_acting_assignment_checks():
    assert code_of(check_acting_assignment, ActingAssignment(
        "A", "B", ActingKind.PLT, dt.date(2026, 3, 2), dt.date(2026, 3, 1))) == "invalid_range"
    assert code_of(check_acting_assignment, ActingAssignment(
        "A", "A", ActingKind.PLT, dt.date(2026, 3, 1), dt.date(2026, 3, 1))) == "self_acting"


def test_only_verifiers_revoke():
    check_verifier("V", ["V", "W"])
    assert code_of(check_verifier, "X", ["V"]) == "not_verifier"


# --- plans and agenda ------------------------------------------------------------------------


def test_realisation_is_approved_output_against_target():
    rows = [("approved", Decimal("3")), ("submitted", Decimal("5")), ("approved", None),
            ("rejected", Decimal("2")), ("approved", Decimal("1.5"))]
    assert approved_output(rows) == Decimal("4.5")
    assert realisation_pct(Decimal("10"), Decimal("4.5")) == Decimal("45.00")
    assert realisation_pct(Decimal("3"), Decimal("4")) == Decimal("133.33")  # over-achieved
    assert realisation_pct(Decimal("0"), Decimal("4")) == Decimal("0")


def test_agenda_state_and_plan_link():
    assert agenda_state([]) == "planned"
    assert agenda_state(["rejected"]) == "planned"
    assert agenda_state(["submitted", "rejected"]) == "reported"
    assert agenda_state(["submitted", "approved"]) == "done"
    check_plan_link("A", "2026-03", "A", dt.date(2026, 3, 5))
    assert code_of(check_plan_link, "A", "2026-03", "A", dt.date(2026, 4, 1)) == "plan_mismatch"
    assert code_of(check_plan_link, "B", "2026-03", "A", dt.date(2026, 3, 5)) == "plan_mismatch"


# --- properties ------------------------------------------------------------------------------

minutes_of_day = st.integers(min_value=0, max_value=24 * 60 - 1)


def _t(m: int) -> dt.time:
    return dt.time(m // 60, m % 60)


slots = st.tuples(minutes_of_day, minutes_of_day).filter(lambda p: p[0] < p[1]).map(
    lambda p: TimeSlot(_t(p[0]), _t(p[1])))


@given(slots, slots)
def test_overlap_means_a_shared_minute(a, b):
    def minutes(s: TimeSlot) -> set[int]:
        return set(range(s.start.hour * 60 + s.start.minute, s.end.hour * 60 + s.end.minute))

    assert a.overlaps(b) == b.overlaps(a) == bool(minutes(a) & minutes(b))
    assert a.minutes == len(minutes(a))


@given(st.lists(slots, max_size=6), slots, st.integers(min_value=1, max_value=1440))
def test_daily_cap_refuses_exactly_when_the_total_exceeds_it(others, slot, cap):
    rules = TenantRules(daily_cap_minutes=cap)
    total = slot.minutes + sum(o.minutes for o in others)
    if total > cap:
        assert code_of(check_daily_cap, slot, others, rules) == "daily_cap_exceeded"
    else:
        check_daily_cap(slot, others, rules)


def test_an_entry_is_logged_for_a_day_of_duty() -> None:
    """From the TMT to the last day of duty, whether the employee is still active or not
    (a retired employee's last days loaded after the fact); never before the TMT, after
    the end, or for one deactivated without an end date."""
    d = dt.date

    def code(day: dt.date, active: bool = True, start: dt.date | None = d(2026, 3, 9),
             end: dt.date | None = d(2026, 3, 13)) -> str | None:
        try:
            check_on_duty("X", day, active=active, start_date=start, end_date=end)
        except RuleViolation as exc:
            assert "X" in str(exc)
            return exc.code
        return None

    assert code(d(2026, 3, 9)) is None and code(d(2026, 3, 13), active=False) is None
    assert code(d(2026, 3, 8)) == "not_yet_employed"
    assert code(d(2026, 3, 14), active=False) == "duty_ended"
    assert code(d(2026, 3, 14)) == "duty_ended"  # an end stated ahead of the deactivation
    assert code(d(2026, 3, 1), start=None, end=None) is None
    assert code(d(2026, 3, 1), active=False, start=None, end=None) == "inactive_employee"
    # the flag and the two dates (TMT and end, both a date or None) are named at every
    # call: given by position, the TMT and the end could be swapped unseen
    tmt, end = d(2026, 3, 9), d(2026, 3, 13)
    with pytest.raises(TypeError):
        check_on_duty("X", d(2026, 3, 10), True, tmt, end)  # type: ignore[call-arg]
