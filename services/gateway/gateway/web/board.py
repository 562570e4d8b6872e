"""View models of the leadership dashboard: the regency's month in figures (the scoring
service's board: a few kilobytes, not every employee's score), its TL/PSW/TK days (the
attendance service's month summary) and the average final score of the last months (the
scoring service's trend). Pure, Indonesian formats."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from . import formats as f
from . import views

Json = Mapping[str, Any]
KINDS = ("TL", "PSW", "TK")
SHORT_MONTHS = ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov",
                "Des")


def dashboard(b: Json) -> views.Dashboard:
    """The scores part of the dashboard from scoring's board of the month: the
    distribution by band, the OPD ranking (average final score, ties by name), the
    components' averages and the ten highest."""
    tens = [int(n) for n in b.get("tens", [])]
    units = sorted(b.get("units", []),
                   key=lambda u: (-Decimal(str(u["avg_final_pct"])), u["unit_name"]))
    return views.Dashboard(
        employees=int(b["employees"]), average=f.percent(b.get("avg_final_pct")),
        tpp_total=f.rupiah(b.get("tpp_total", 0)),
        # each band of ten stands for its members by its lower bound (bands of views)
        distribution=views.distribution((Decimal(10 * i), n) for i, n in enumerate(tens)),
        units=[views.UnitRow(rank, u["unit_name"] or u["unit_id"], int(u["members"]),
                             f.percent(u["avg_final_pct"]), f.rupiah(u["tpp_total"]),
                             round(float(u["avg_final_pct"])))
               for rank, u in enumerate(units, 1)],
        discipline=[(f.component(c["name"]), f.percent(c["avg_value_pct"]))
                    for c in b.get("components", [])],
        top=[views.ScoreView(nip=t["nip"], name=t["name"], final=f.percent(t["final_pct"]),
                             final_pct=Decimal(str(t["final_pct"])), tpp="-", tpp_base="-",
                             version=0, components=[]) for t in b.get("top", [])],
        version_sum=int(b.get("version_sum", 0)))


@dataclass(frozen=True)
class DisciplineRow:
    unit: str
    tl: str
    psw: str
    tk: str
    days: int  # TL + PSW + TK: the order of the table


@dataclass
class DisciplineBoard:
    figures: list[tuple[str, str, str]]  # kind, days, share of the working days
    codes: list[tuple[str, str]]
    units: list[DisciplineRow]
    working_days: str


CODE = re.compile(r"([A-Za-z]*)(\d*)")


def _code_order(code: str) -> tuple[int, int, str]:
    m = CODE.match(code)
    kind, digits = (m.group(1), m.group(2)) if m else (code, "")
    rank = KINDS.index(kind) if kind in KINDS else len(KINDS)
    return rank, int(digits) if digits else 0, code


def _share(days: int, working: int) -> str:
    return f.percent(Decimal(100 * days) / working, 1) if working else "-"


def discipline_board(summary: Json | None,
                     unit_names: Mapping[str, str]) -> DisciplineBoard | None:
    """The month's TL/PSW/TK days: the regency's (with their share of the working days
    evaluated), per code, and per OPD (most days first)."""
    if not summary:
        return None
    total = summary["total"]
    working = int(total.get("working_days", 0))
    figures = [(k, f.number(total[k.lower()]), _share(int(total[k.lower()]), working))
               for k in KINDS]
    codes = [(c, f.number(n)) for c, n in sorted(total.get("codes", {}).items(),
                                                  key=lambda i: _code_order(i[0]))]
    rows = [DisciplineRow(unit_names.get(u["unit_id"], u["unit_id"] or "Tanpa OPD"),
                          f.number(u["tl"]), f.number(u["psw"]), f.number(u["tk"]),
                          int(u["tl"]) + int(u["psw"]) + int(u["tk"]))
            for u in summary.get("units", [])]
    rows.sort(key=lambda r: (-r.days, r.unit))
    return DisciplineBoard(figures, codes, rows, f.number(working))


@dataclass(frozen=True)
class TrendPoint:
    label: str
    title: str
    average: str
    change: str  # against the month before: "+1,25" / "-0,50" / "" (no month before)
    width: int  # the bar: the average on a 0-100 scale
    employees: int


def _month_short(period: str) -> str:
    year, month = period.split("-")
    return f"{SHORT_MONTHS[int(month) - 1]} {year[2:]}"


def trend_points(months: Sequence[Json] | None) -> list[TrendPoint]:
    """The average final score of each month, oldest first, with its change against the
    month before (a month nobody was scored: '-')."""
    out: list[TrendPoint] = []
    before: Decimal | None = None
    for m in months or []:
        avg = Decimal(str(m["avg_final_pct"])) if m.get("avg_final_pct") is not None else None
        change = ""
        if avg is not None and before is not None:
            diff = avg - before
            change = ("+" if diff > 0 else "") + f.number(diff, 2)
        out.append(TrendPoint(_month_short(m["period"]), f.period_label(m["period"]),
                              f.percent(avg), change,
                              max(0, min(100, round(avg))) if avg is not None else 0,
                              int(m.get("employees", 0))))
        before = avg
    return out
