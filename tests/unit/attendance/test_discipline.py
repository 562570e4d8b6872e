"""The regency's discipline counts of a month (TL/PSW/TK per code and per OPD)."""

from __future__ import annotations

from attendance.domain.discipline import DayCodes, month_discipline


def test_counts_days_per_code_and_unit_leave_is_excused() -> None:
    month = month_discipline([
        DayCodes("dinas", None, None, None, 40),       # on time
        DayCodes("dinas", "TL1", None, None, 3),
        DayCodes("dinas", "TL2", "PSW1", None, 2),     # late and left early: both counted
        DayCodes("rsud", None, "PSW4", None, 1),
        DayCodes("rsud", None, None, "TK", 5),
        DayCodes("rsud", None, None, "CT", 4),         # leave: excused
        DayCodes("", "TL1", None, None, 1),            # not in the directory copy
    ])
    t = month.total
    assert (t.tl, t.psw, t.tk, t.working_days) == (6, 3, 5, 56)
    assert dict(t.codes) == {"TL1": 4, "TL2": 2, "PSW1": 2, "PSW4": 1, "TK": 5}
    assert list(month.units) == ["", "dinas", "rsud"]
    dinas, rsud = month.units["dinas"], month.units["rsud"]
    assert (dinas.tl, dinas.psw, dinas.tk, dinas.working_days) == (5, 2, 0, 45)
    assert (rsud.tl, rsud.psw, rsud.tk, rsud.working_days) == (0, 1, 5, 10)
    assert "CT" not in rsud.codes


def test_an_empty_month() -> None:
    month = month_discipline([])
    assert (month.total.tl, month.total.tk, month.total.working_days, month.units) == (
        0, 0, 0, {})
