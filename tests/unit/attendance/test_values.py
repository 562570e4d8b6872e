from __future__ import annotations

from tests.unit.domain_values import mutable_dataclasses


def test_domain_values_are_immutable() -> None:
    # the tenant's calendar is built up by the service layer, the month's discipline counts
    # are summed up group by group; everything else is a value
    assert mutable_dataclasses(
        "attendance.domain.rules", "attendance.domain.schedule", "attendance.domain.apel",
        "attendance.domain.discipline", "attendance.domain.month_open",
        "attendance.domain.employment",
    ) == {"attendance.domain.schedule.Calendar", "attendance.domain.discipline.Discipline",
          "attendance.domain.discipline.MonthDiscipline"}
