"""The regency's discipline of a month (for HR and leadership): how many working days
carried a late arrival (TL), an early departure (PSW) or an unexcused absence (TK), per
code and per OPD, from the evaluated day records. Leave days (their leave code) are
excused and not counted. Pure: the rows come grouped from the adapter."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

ABSENT = "TK"


@dataclass(frozen=True)
class DayCodes:
    """A group of working-day records of one OPD with the same codes, and its size."""

    unit_id: str
    tl_code: str | None
    psw_code: str | None
    absence_code: str | None
    days: int


@dataclass
class Discipline:
    """Counts of days: TL, PSW and TK, each code (TL1..TL4, PSW1..PSW4, TK), and the
    working days evaluated."""

    tl: int = 0
    psw: int = 0
    tk: int = 0
    codes: Counter[str] = field(default_factory=Counter)
    working_days: int = 0

    def add(self, group: DayCodes) -> None:
        self.working_days += group.days
        if group.tl_code:
            self.tl += group.days
            self.codes[group.tl_code] += group.days
        if group.psw_code:
            self.psw += group.days
            self.codes[group.psw_code] += group.days
        if group.absence_code == ABSENT:
            self.tk += group.days
            self.codes[ABSENT] += group.days


@dataclass
class MonthDiscipline:
    total: Discipline
    units: dict[str, Discipline]


def month_discipline(groups: Iterable[DayCodes]) -> MonthDiscipline:
    """The regency's totals and each OPD's (an employee unknown to the directory copy:
    unit ``""``)."""
    total = Discipline()
    units: dict[str, Discipline] = {}
    for g in groups:
        total.add(g)
        units.setdefault(g.unit_id, Discipline()).add(g)
    return MonthDiscipline(total, dict(sorted(units.items())))
