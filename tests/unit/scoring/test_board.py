"""The regency's month in figures (the leadership dashboard's source)."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from scoring.domain.board import BoardRow, month_board


def row(nip: str, final: str, unit: str = "u1", tpp: str = "1000", version: int = 1,
        perf: str = "80") -> BoardRow:
    return BoardRow(nip, f"Pegawai {nip}", unit, unit.upper(), Decimal(final), Decimal(tpp),
                    version, [{"name": "performance", "weight": "60", "value_pct": perf},
                              {"name": "discipline", "weight": "40", "value_pct": "100"}])


def test_figures_bands_units_and_top() -> None:
    rows = [row("3", "100.00", "u2", version=3), row("1", "89.99"), row("2", "90.00"),
            row("4", "5.50", "u2", tpp="0", perf="0"), row("5", "90.00", "u2")]
    b = month_board(rows, top=3)
    assert (b.employees, b.avg_final_pct, b.tpp_total, b.version_sum) == (
        5, Decimal("75.10"), Decimal(4000), 7)
    assert b.tens == [1, 0, 0, 0, 0, 0, 0, 0, 1, 2, 1]
    assert b.components == [("performance", Decimal("64.00")), ("discipline", Decimal("100.00"))]
    assert [(u.unit_id, u.unit_name, u.members, u.avg_final_pct, u.tpp_total)
            for u in b.units] == [("u1", "U1", 2, Decimal("90.00"), Decimal(2000)),
                                  ("u2", "U2", 3, Decimal("65.17"), Decimal(2000))]
    assert [r.nip for r in b.top] == ["3", "2", "5"]  # ties by NIP


def test_a_month_nobody_was_scored() -> None:
    b = month_board([])
    assert (b.employees, b.avg_final_pct, b.tens, b.units, b.top) == (0, None, [0] * 11, [], [])


def test_the_top_is_ten_by_default() -> None:
    rows = [row(f"{n:02d}", f"{50 + n}.00") for n in range(12)]
    assert [r.nip for r in month_board(rows).top] == [f"{n:02d}" for n in range(11, 1, -1)]


def test_finals_outside_0_to_100_count_in_the_first_or_last_band() -> None:
    """The bands are clamped: nothing is lost or misplaced by a final % below 0 or above
    100 (the last band holds 100 and more)."""
    b = month_board([row("1", "-15.00"), row("2", "110.00"), row("3", "100.00"),
                     row("4", "9.99"), row("5", "10.00")])
    assert b.tens == [2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 2]


def test_component_averages_keep_their_cents() -> None:
    b = month_board([row("1", "80", perf="80"), row("2", "80", perf="85"),
                     row("3", "80", perf="85.01")])
    assert b.components == [("performance", Decimal("83.34")), ("discipline", Decimal("100.00"))]


def test_a_unit_is_named_by_its_first_member_and_by_its_id_without_a_name() -> None:
    nameless = BoardRow("9", "Pegawai 9", "u9", "", Decimal("70"), Decimal("10"), 1)
    renamed = [row("1", "80", "u1"), BoardRow("2", "Pegawai 2", "u1", "Bidang Lama",
                                              Decimal("60"), Decimal("10"), 1)]
    b = month_board([nameless, *renamed])
    assert [(u.unit_id, u.unit_name, u.members) for u in b.units] == [("u1", "U1", 2),
                                                                       ("u9", "u9", 1)]


def test_the_figures_are_values() -> None:
    b = month_board([row("1", "80")])
    for value in (b, b.units[0], b.top[0]):
        with pytest.raises(dataclasses.FrozenInstanceError):
            value.unit_id = "x"  # type: ignore[misc,union-attr]
