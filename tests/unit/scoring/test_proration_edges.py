"""The edges of scoring.domain.proration that the worked examples do not reach (found by
mutation testing): empty and inverted ranges, fractions of a rupiah, runs of spans with the
same pay and their reasons, a single partial segment. November 2026: 30 calendar days,
21 working days (Monday-Friday)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal as D

import pytest

from scoring.domain.employment import Span, Terms
from scoring.domain.policy import Policy, preset
from scoring.domain.proration import PaySegment, count_days, describe, pay_segments, prorated

P = "2026-11"


def nov(day: int) -> dt.date:
    return dt.date(2026, 11, day)


def policy(basis: str) -> Policy:
    return preset("performance60_discipline40").with_changes(
        {"proration": {"basis": basis, "rule": "Perbup 1/2026"}})


def seg(days: int, month_days: int, base: str = "5000001", pct: str = "100") -> PaySegment:
    return PaySegment(nov(1), nov(30), days, month_days, D(base), "PNS", D(pct))


def terms(unit: str, base: str, kind: str = "PNS") -> Terms:
    return Terms(unit, unit.upper(), "", kind, D(base))


def test_an_inverted_range_has_no_days() -> None:
    assert count_days(nov(10), nov(9), "calendar_days", {}) == 0
    assert count_days(nov(10), nov(8), "calendar_days", {}) == 0
    assert count_days(nov(10), nov(8), "working_days", {}) == 0


def test_a_segment_is_immutable_and_whole_only_at_the_months_days() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        seg(30, 30).days = 1  # type: ignore[misc]
    assert seg(30, 30).whole and not seg(31, 30).whole and not seg(29, 30).whole


def test_fractions_of_a_rupiah_are_rounded_once_not_cut() -> None:
    # 5.000.001 x 90 % = 4.500.000,9 -> 4.500.001 (not 4.500.000)
    assert seg(30, 30).bruto(D("90")) == D("4500001")
    # CPNS 80 %: 4.500.000,9 x 80 % = 3.600.000,72 -> 3.600.001
    assert seg(30, 30, pct="80").paid(D("90")) == D("3600001")
    # a month without working days pays nothing of a segment that has some
    assert seg(1, 0).bruto(D("90")) == D("0") and seg(1, 0).paid(D("90")) == D("0")


def test_no_spans_no_segments() -> None:
    assert pay_segments((), policy("working_days"), P) == ()


def test_latest_pays_the_last_spans_values_for_the_whole_month() -> None:
    spans = (Span(nov(1), nov(10), terms("a", "4000000")),
             Span(nov(11), nov(20), terms("b", "5000000")),
             Span(nov(21), nov(30), terms("c", "6000000")))
    (only,) = pay_segments(spans, policy("latest"), P)
    assert (only.first, only.last, only.days, only.tpp_base) == (nov(1), nov(30), 30,
                                                                 D("6000000"))


def test_spans_with_the_same_pay_make_one_segment_from_its_first_reason() -> None:
    # a raise on the 11th, then two transfers at the same pay: two segments, 10 + 20 days
    spans = (Span(nov(1), nov(10), terms("a", "5000000")),
             Span(nov(11), nov(15), terms("b", "6000000"), "TPP dasar naik"),
             Span(nov(16), nov(20), terms("c", "6000000"), "pindah ke C"),
             Span(nov(21), nov(30), terms("d", "6000000"), "pindah ke D"))
    out = pay_segments(spans, policy("calendar_days"), P)
    assert [(s.first, s.last, s.days, s.tpp_base, s.reason) for s in out] == [
        (nov(1), nov(10), 10, D("5000000"), ""),
        (nov(11), nov(30), 20, D("6000000"), "TPP dasar naik")]


def test_a_lower_pay_is_a_new_segment_too() -> None:
    spans = (Span(nov(1), nov(15), terms("a", "6000000")),
             Span(nov(16), nov(30), terms("a", "5000000"), "TPP dasar turun"))
    assert [s.days for s in pay_segments(spans, policy("calendar_days"), P)] == [15, 15]


def test_days_off_duty_between_spans_split_the_segment() -> None:
    spans = (Span(nov(1), nov(10), terms("a", "5000000")),
             Span(nov(16), nov(30), terms("a", "5000000"), "kembali bertugas"))
    out = pay_segments(spans, policy("calendar_days"), P)
    assert [(s.first, s.days) for s in out] == [(nov(1), 10), (nov(16), 15)]


def test_an_end_of_duty_is_named_once() -> None:
    spans = (Span(nov(1), nov(20), terms("a", "5000000"), "akhir tugas 20-11-2026"),)
    (only,) = pay_segments(spans, policy("calendar_days"), P)
    assert only.reason == "akhir tugas 20-11-2026"
    spans = (Span(nov(1), nov(10), terms("a", "5000000"), "mulai bertugas (TMT) 01-11-2026"),
             Span(nov(11), nov(20), terms("b", "5000000"), "akhir tugas 20-11-2026"))
    (only,) = pay_segments(spans, policy("calendar_days"), P)
    assert only.reason == "mulai bertugas (TMT) 01-11-2026; akhir tugas 20-11-2026"


def test_what_counts_as_paid_in_parts() -> None:
    assert prorated(()) is True  # nothing whole to pay
    assert prorated((seg(30, 30),)) is False
    assert prorated((seg(20, 30),)) is True  # one partial segment (a start mid-month)
    assert prorated((seg(30, 30), seg(30, 30))) is True


def test_described_in_working_or_calendar_days() -> None:
    assert describe(seg(10, 21), "working_days") == "01-11-2026 s.d. 30-11-2026: 10/21 hari kerja"
    assert describe(seg(10, 30), "calendar_days") == "01-11-2026 s.d. 30-11-2026: 10/30 hari"
