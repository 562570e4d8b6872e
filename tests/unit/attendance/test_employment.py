"""Who counts on a day (attendance.domain.employment): from the TMT (or, for older
directory events, the day first seen) to the last day of duty."""

from __future__ import annotations

import datetime as dt

from attendance.domain.employment import (
    ENDED,
    INACTIVE,
    NOT_YET_EMPLOYED,
    SKIP_REASONS,
    Employment,
)
from attendance.domain.schedule import (
    FIVE_DAY,
    SIX_DAY,
    Calendar,
    ScheduleAssignment,
    ScopedAssignment,
)

D = dt.date(2026, 11, 10)
DAY = dt.timedelta(days=1)


def test_the_start_of_duty_wins_over_the_day_first_seen():
    # loaded on the 20th with a TMT of the 10th: counts from the 10th
    e = Employment(start_date=D, first_seen_on=D + 10 * DAY, end_date=None, active=True)
    assert e.skip_reason(D - DAY) == NOT_YET_EMPLOYED
    assert e.counts_on(D) and e.counts_on(D + 30 * DAY)
    # an older event without a TMT: from the day first seen
    legacy = Employment(start_date=None, first_seen_on=D, end_date=None, active=True)
    assert not legacy.counts_on(D - DAY) and legacy.counts_on(D)
    assert Employment(None, None, None, True).counts_on(dt.date(1990, 1, 1))


def test_an_ended_employee_counts_until_the_last_day_even_inactive():
    e = Employment(start_date=D, first_seen_on=D, end_date=D + 5 * DAY, active=False)
    assert e.counts_on(D) and e.counts_on(D + 2 * DAY) and e.counts_on(D + 5 * DAY)
    assert e.skip_reason(D + 6 * DAY) == ENDED
    assert e.skip_reason(D - DAY) == NOT_YET_EMPLOYED


def test_a_deactivation_without_a_date_counts_never():
    e = Employment(start_date=D, first_seen_on=D, end_date=None, active=False)
    assert e.skip_reason(D) == e.skip_reason(D - DAY) == INACTIVE
    assert set(SKIP_REASONS) == {ENDED, INACTIVE, NOT_YET_EMPLOYED}


def test_a_transfer_changes_the_unit_and_its_schedule_from_its_date():
    cal = Calendar(assignments=[ScopedAssignment("unit", "puskesmas",
                                                 ScheduleAssignment(SIX_DAY))],
                   units={"E1": "puskesmas", "E2": "dinas"},
                   unit_history={"E1": [(dt.date(2026, 11, 9), "puskesmas"),
                                        (dt.date(2026, 11, 2), "dinas")]})
    saturday_before, saturday_after = dt.date(2026, 11, 7), dt.date(2026, 11, 14)
    assert cal.unit_of("E1", dt.date(2026, 11, 8)) == "dinas"
    assert cal.unit_of("E1", dt.date(2026, 11, 9)) == "puskesmas"
    assert cal.unit_of("E1", dt.date(2026, 10, 1)) == "dinas"  # before the first: the first
    assert cal.unit_of("E2", saturday_after) == "dinas"  # no history: the copy's unit
    assert cal.day_kind("E1", saturday_before) == "off"
    assert cal.day_kind("E1", saturday_after) == "work"
    assert cal.schedule_for("E1", saturday_before) is FIVE_DAY
