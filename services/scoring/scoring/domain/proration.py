"""Paying a month with changes: the month's TPP in segments of equal TPP base and
employment type, each for its share of the month's days (the policy's ``proration``).
Pure, no I/O.

- ``latest``: one segment, the values in force on the month's last day of duty, for the
  whole month (share 1): exactly the TPP of a month without changes.
- ``calendar_days`` / ``working_days``: the days on duty (``employment.month_spans``)
  grouped into consecutive runs of the same TPP base and employment type (a transfer of
  OPD alone does not split the pay); each run is paid ``days / month days`` of the month
  (the month's days counted the same way, whether on duty or not: an employee starting on
  the 16th gets the share of the days from the 16th).

Amounts, each rounded once to whole rupiah HALF_UP (``score.rupiah``):
  bruto of a segment = base x final % / 100 x days / month days;
  paid of a segment  = base x final % / 100 x adjustment % / 100 x days / month days;
the score's TPP is the sum of the segments' paid amounts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .employment import Span, fmt
from .pay_rules import HUNDRED
from .policy import Policy
from .score import period_bounds, rupiah


def count_days(first: dt.date, last: dt.date, basis: str,
               day_kinds: Mapping[dt.date, bool]) -> int:
    """Days from ``first`` to ``last`` (inclusive): every day for ``calendar_days``, else
    working days: Monday-Friday unless ``day_kinds`` (date -> is a working day, as the
    attendance service evaluated it) says otherwise."""
    n = (last - first).days + 1
    if basis == "calendar_days":
        return max(0, n)
    days = (first + dt.timedelta(days=i) for i in range(n))
    return sum(1 for d in days if day_kinds.get(d, d.weekday() < 5))


@dataclass(frozen=True)
class PaySegment:
    first: dt.date
    last: dt.date
    days: int
    month_days: int
    tpp_base: Decimal
    employment_type: str
    adjustment_pct: Decimal
    reason: str = ""

    @property
    def whole(self) -> bool:
        return self.days == self.month_days

    def _share(self, amount: Decimal) -> Decimal:
        if self.whole:
            return amount
        return amount * self.days / self.month_days if self.month_days else Decimal(0)

    def bruto(self, final_pct: Decimal) -> Decimal:
        return rupiah(self._share(self.tpp_base * final_pct / HUNDRED))

    def paid(self, final_pct: Decimal) -> Decimal:
        return rupiah(self._share(self.tpp_base * final_pct / HUNDRED
                                  * self.adjustment_pct / HUNDRED))

    def to_dict(self) -> dict[str, Any]:
        return {"first": self.first.isoformat(), "last": self.last.isoformat(),
                "days": self.days, "month_days": self.month_days,
                "tpp_base": str(self.tpp_base), "employment_type": self.employment_type,
                "adjustment_pct": str(self.adjustment_pct), "reason": self.reason}

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> "PaySegment":
        return cls(dt.date.fromisoformat(data["first"]), dt.date.fromisoformat(data["last"]),
                   int(data["days"]), int(data["month_days"]), Decimal(str(data["tpp_base"])),
                   str(data["employment_type"]), Decimal(str(data["adjustment_pct"])),
                   str(data.get("reason", "")))


def pay_segments(spans: Sequence[Span], policy: Policy, period: str,
                 day_kinds: Mapping[dt.date, bool] | None = None) -> tuple[PaySegment, ...]:
    """The month's pay segments under the policy; () without spans (the caller then uses
    the directory's latest values for the whole month)."""
    if not spans:
        return ()
    first, following = period_bounds(period)
    last = following - dt.timedelta(days=1)
    basis = policy.proration.basis
    if basis == "latest":
        terms = spans[-1].terms
        days = count_days(first, last, "calendar_days", {})
        return (PaySegment(first, last, days, days, terms.tpp_base, terms.employment_type,
                           policy.adjustment_pct(terms.employment_type)),)
    kinds = day_kinds or {}
    month_days = count_days(first, last, basis, kinds)
    runs: list[list[Span]] = []
    for s in spans:
        prev = runs[-1][-1].terms if runs else None
        if prev is not None and (prev.tpp_base, prev.employment_type) == (
                s.terms.tpp_base, s.terms.employment_type) and runs[-1][-1].last + \
                dt.timedelta(days=1) == s.first:
            runs[-1].append(s)
        else:
            runs.append([s])
    out = []
    for run in runs:
        terms, begin, end = run[0].terms, run[0].first, run[-1].last
        reasons = [run[0].reason] + [s.reason for s in run[1:] if "akhir tugas" in s.reason]
        out.append(PaySegment(begin, end, count_days(begin, end, basis, kinds), month_days,
                              terms.tpp_base, terms.employment_type,
                              policy.adjustment_pct(terms.employment_type),
                              "; ".join(r for r in reasons if r)))
    return tuple(out)


def prorated(segments: Sequence[PaySegment]) -> bool:
    """True when the month is paid in parts (not one segment for the whole month)."""
    return not (len(segments) == 1 and segments[0].whole)


def paid_total(segments: Sequence[PaySegment], final_pct: Decimal) -> Decimal:
    return sum((s.paid(final_pct) for s in segments), Decimal(0))


def describe(segment: PaySegment, basis: str) -> str:
    """``01-11-2026 s.d. 14-11-2026: 10/21 hari kerja``."""
    unit = "hari kerja" if basis == "working_days" else "hari"
    return (f"{fmt(segment.first)} s.d. {fmt(segment.last)}: "
            f"{segment.days}/{segment.month_days} {unit}")
