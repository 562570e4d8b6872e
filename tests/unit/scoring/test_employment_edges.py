"""Edges of scoring.domain.employment the worked cases do not reach (found by mutation
testing): statements at the same date or the same instant, what a plan drops and whether
it changes anything, the reasons of a month's spans at the edges of the month."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal as D

import pytest

from scoring.domain.employment import (
    FOREVER,
    RecordPlan,
    Span,
    Stated,
    Terms,
    _what_changed,
    month_spans,
    plan_record,
)

A = Terms("a", "OPD A", "Analis", "PNS", D("5000000"))
B = Terms("b", "OPD B", "Analis", "PNS", D("5000000"))
C = Terms("c", "OPD C", "Analis", "PNS", D("5000000"))
P = "2026-11"


def at(hour: int) -> dt.datetime:
    return dt.datetime(2026, 11, 25, hour, tzinfo=dt.UTC)


def nov(day: int) -> dt.date:
    return dt.date(2026, 11, day)


def test_the_beginning_and_the_defaults() -> None:
    assert FOREVER == dt.date.min
    assert Terms("x").tpp_base == D(0)
    for value in (A, Stated(nov(1), A, at(1)), RecordPlan(None), Span(nov(1), nov(2), A)):
        with pytest.raises(dataclasses.FrozenInstanceError):
            value.reason = "x"  # type: ignore[misc,union-attr]


def test_a_newer_statement_of_the_same_date_covers_an_older_one() -> None:
    plan = plan_record([Stated(nov(10), B, at(3))], C, at(2), nov(10), nov(25))
    assert plan.write is None and not plan.changed


def test_a_statement_of_the_same_instant_and_date_replaces_the_held_one() -> None:
    plan = plan_record([Stated(nov(10), B, at(2))], C, at(2), nov(10), nov(25))
    assert plan.write == Stated(nov(10), C, at(2)) and plan.drop == () and plan.changed


def test_only_older_statements_of_later_dates_are_dropped() -> None:
    history = [Stated(FOREVER, A, at(1)), Stated(nov(10), B, at(1)),
               Stated(nov(20), B, at(2)), Stated(nov(25), C, at(3))]
    plan = plan_record(history, C, at(2), nov(10), nov(25))
    # the 10th is replaced (not dropped); the 20th was stated at the same instant and the
    # 25th later: both are kept
    assert plan.drop == () and plan.changed


def test_restating_the_value_in_force_before_a_newer_later_change_changes_nothing() -> None:
    history = [Stated(FOREVER, A, at(1)), Stated(nov(20), B, at(3))]
    plan = plan_record(history, A, at(2), nov(10), nov(25))
    assert plan.write == Stated(nov(10), A, at(2)) and not plan.changed


def test_dropping_a_later_change_changes_the_days_after_it() -> None:
    history = [Stated(FOREVER, A, at(1)), Stated(nov(20), B, at(1))]
    plan = plan_record(history, A, at(2), nov(10), nov(25))
    assert plan.drop == (nov(20),) and plan.changed


def test_what_changed_in_each_direction() -> None:
    assert _what_changed(A, B) == "pindah ke OPD B"
    assert _what_changed(B, A) == "pindah ke OPD A"
    assert _what_changed(A, A) == ""
    kabag = dataclasses.replace(A, position="Kabag")
    assert _what_changed(A, kabag) == "jabatan Kabag"
    assert _what_changed(kabag, A) == "jabatan Analis"
    assert _what_changed(kabag, dataclasses.replace(A, position="")) == "jabatan -"
    cpns = dataclasses.replace(A, employment_type="CPNS")
    assert _what_changed(A, cpns) == "status CPNS" and _what_changed(cpns, A) == "status PNS"
    more = dataclasses.replace(A, tpp_base=D("6000000"))
    assert _what_changed(A, more) == "TPP dasar Rp6.000.000"
    assert _what_changed(more, A) == "TPP dasar Rp5.000.000"


def test_a_single_day_on_duty_is_a_span() -> None:
    spans = month_spans([Stated(FOREVER, A, at(1))], P, nov(30), nov(30))
    assert [(s.first, s.last) for s in spans] == [(nov(30), nov(30))]


def test_a_start_on_or_before_the_first_is_no_reason() -> None:
    history = [Stated(FOREVER, A, at(1))]
    assert month_spans(history, P, nov(1))[0].reason == ""
    assert month_spans(history, P, dt.date(2026, 10, 1))[0].reason == ""
    assert month_spans(history, P, nov(5))[0].reason == "mulai bertugas (TMT) 05-11-2026"


def test_changes_before_the_month_or_on_its_last_day() -> None:
    history = [Stated(FOREVER, A, at(1)), Stated(dt.date(2026, 10, 1), B, at(1))]
    assert [s.terms for s in month_spans(history, P)] == [B]
    history = [Stated(FOREVER, A, at(1)), Stated(nov(30), B, at(1))]
    assert [(s.first, s.last, s.terms) for s in month_spans(history, P)] == [
        (nov(1), nov(29), A), (nov(30), nov(30), B)]


def test_an_end_of_duty_is_a_reason_only_inside_the_month() -> None:
    history = [Stated(FOREVER, A, at(1))]
    assert month_spans(history, P, None, dt.date(2026, 12, 5))[-1].reason == ""
    assert month_spans(history, P, None, nov(30))[-1].reason == ""
    assert month_spans(history, P, None, nov(20))[-1].reason == "akhir tugas 20-11-2026"
    assert month_spans(history, P, nov(5), nov(20), "pensiun")[-1].reason == (
        "mulai bertugas (TMT) 05-11-2026; akhir tugas 20-11-2026 (pensiun)")
