"""Employment by date in scoring (scoring.domain.employment): how directory events build
the history, and the spans of a month (transfers, TPP base changes, start and end of
duty)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

from scoring.domain.employment import (
    FOREVER,
    Stated,
    Terms,
    memberships,
    month_spans,
    plan_record,
    terms_at,
)

DINKES = Terms("dinkes", "Dinas Kesehatan", "Analis", "PNS", D("5000000"))
BAPPEDA = Terms("bappeda", "Bappeda", "Analis", "PNS", D("5000000"))
RAISED = Terms("dinkes", "Dinas Kesehatan", "Analis", "PNS", D("6000000"))


def at(day: int, hour: int = 9) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, tzinfo=dt.UTC)


def nov(day: int) -> dt.date:
    return dt.date(2026, 11, day)


def apply(history: list[Stated], terms: Terms, stated: dt.datetime,
          effective: dt.date | None) -> tuple[list[Stated], bool]:
    plan = plan_record(history, terms, stated, effective, stated.date())
    if plan.write is None:
        return history, plan.changed
    kept = [s for s in history
            if s.effective_from not in plan.drop and s.effective_from != plan.write.effective_from]
    return sorted([*kept, plan.write], key=lambda s: s.effective_from), plan.changed


def test_an_undated_first_statement_holds_from_the_beginning() -> None:
    history, changed = apply([], DINKES, at(20), None)
    assert changed and [s.effective_from for s in history] == [FOREVER]
    assert terms_at(history, dt.date(2020, 1, 1)) == DINKES


def test_a_dated_change_holds_from_its_date_and_replaying_it_changes_nothing() -> None:
    history, _ = apply([], DINKES, at(1), nov(1))
    history, changed = apply(history, BAPPEDA, at(20), nov(16))
    assert changed
    assert terms_at(history, nov(15)) == DINKES and terms_at(history, nov(16)) == BAPPEDA
    # before the first change the first values hold (we heard of the employee late)
    assert terms_at(history, dt.date(2026, 10, 1)) == DINKES
    again, changed = apply(history, BAPPEDA, at(20), nov(16))
    assert again == history and not changed


def test_an_undated_event_with_the_same_values_records_nothing() -> None:
    """A start-of-duty correction or a deactivation: the directory sends it undated."""
    history, _ = apply([], DINKES, at(1), nov(1))
    plan = plan_record(history, DINKES, at(22), None, nov(22))
    assert plan.write is None and not plan.changed
    # an undated change of values (an older producer) holds from the day it was published
    history, changed = apply(history, RAISED, at(22), None)
    assert changed and terms_at(history, nov(21)) == DINKES and terms_at(history, nov(22)) == RAISED


def test_the_later_published_statement_wins_whatever_the_arrival_order() -> None:
    # published on the 20th: from the 16th, Bappeda; published on the 21st: from the 10th,
    # the raise in Dinkes (a correction: the transfer did not happen)
    first, _ = apply([], DINKES, at(1), nov(1))
    a, _ = apply(first, BAPPEDA, at(20), nov(16))
    a, _ = apply(a, RAISED, at(21), nov(10))
    b, _ = apply(first, RAISED, at(21), nov(10))
    b, changed = apply(b, BAPPEDA, at(20), nov(16))  # the older one arrives late: ignored
    assert a == b and not changed
    assert terms_at(a, nov(20)) == RAISED


def test_month_spans_split_at_each_change_and_stop_at_the_end_of_duty() -> None:
    history, _ = apply([], DINKES, at(1), nov(1))
    history, _ = apply(history, BAPPEDA, at(20), nov(16))
    spans = month_spans(history, "2026-11")
    assert [(s.first.day, s.last.day, s.terms.unit_id) for s in spans] == [
        (1, 15, "dinkes"), (16, 30, "bappeda")]
    assert spans[1].reason == "pindah ke Bappeda sejak 16-11-2026"
    assert memberships(spans) == (("dinkes", 15), ("bappeda", 15))
    # TMT on the 10th, retired after the 25th
    spans = month_spans(history, "2026-11", nov(10), nov(25), "pensiun")
    assert [(s.first.day, s.last.day, s.days) for s in spans] == [(10, 15, 6), (16, 25, 10)]
    assert spans[0].reason == "mulai bertugas (TMT) 10-11-2026"
    assert spans[1].reason.endswith("akhir tugas 25-11-2026 (pensiun)")
    # the month before: the first values the whole month; a month after the end: nothing
    assert memberships(month_spans(history, "2026-10")) == (("dinkes", 31),)
    assert month_spans(history, "2026-12", end_date=nov(25)) == ()
    assert month_spans([], "2026-11") == ()
