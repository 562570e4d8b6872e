"""The rule of dated directory values: the statement made last wins from its date on."""

from __future__ import annotations

import datetime as dt

from ekinerja_shared.dated import after_statement

D1, D10, D20 = dt.date(2026, 11, 1), dt.date(2026, 11, 10), dt.date(2026, 11, 20)
T1, T2, T3 = (dt.datetime(2026, 11, 25, h, tzinfo=dt.timezone.utc) for h in (1, 2, 3))


def test_a_first_statement_is_recorded_from_its_date() -> None:
    assert after_statement({}, D10, "A", T1) == {D10: ("A", T1)}


def test_a_later_statement_replaces_older_ones_about_later_dates() -> None:
    history = {D10: ("A", T1), D20: ("B", T1)}
    # made at T2 about the 1st: the older statement of the 20th is dropped, the 10th's too
    assert after_statement(history, D1, "C", T2) == {D1: ("C", T2)}
    # made at T2 about the 10th: the 20th dropped, the 10th replaced
    assert after_statement(history, D10, "C", T2) == {D10: ("C", T2)}


def test_a_statement_arriving_late_changes_nothing_a_newer_one_covers() -> None:
    history = {D10: ("A", T3)}
    assert after_statement(history, D10, "B", T2) == history  # the same date
    assert after_statement(history, D20, "B", T2) == history  # a later date
    # an earlier date is not covered: it holds until the newer statement's date
    assert after_statement(history, D1, "B", T2) == {D1: ("B", T2), D10: ("A", T3)}


def test_older_statements_about_earlier_dates_are_kept() -> None:
    # a move from the 10th keeps the unit held from the 1st until then
    assert after_statement({D1: ("A", T1)}, D10, "B", T2) == {D1: ("A", T1), D10: ("B", T2)}


def test_newer_statements_about_later_dates_are_kept() -> None:
    history = {D20: ("A", T3)}
    assert after_statement(history, D10, "B", T2) == {D10: ("B", T2), D20: ("A", T3)}


def test_statements_of_the_same_instant_the_last_applied_wins_and_later_dates_stay() -> None:
    history = {D10: ("A", T2), D20: ("B", T2)}
    assert after_statement(history, D10, "C", T2) == {D10: ("C", T2), D20: ("B", T2)}


def test_the_history_given_is_not_changed() -> None:
    history = {D10: ("A", T1)}
    after_statement(history, D1, "B", T2)
    assert history == {D10: ("A", T1)}
