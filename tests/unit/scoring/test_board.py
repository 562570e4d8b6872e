"""The regency's month in figures (the leadership dashboard's source), assembled from the
sums the database groups."""

from __future__ import annotations

from decimal import Decimal

from scoring.domain.board import TOP, BoardRow, ComponentSums, UnitSums, month_board


def top(nip: str, final: str) -> BoardRow:
    return BoardRow(nip, f"Pegawai {nip}", "u1", "U1", Decimal(final), Decimal(1000), 1)


def test_figures_bands_units_and_top() -> None:
    units = [UnitSums("u2", "U2", 3, Decimal("195.50"), Decimal(2000), 5),
             UnitSums("u1", "U1", 2, Decimal("179.99"), Decimal(2000), 2)]
    comps = [ComponentSums("discipline", 2, 5, Decimal(500)),
             ComponentSums("performance", 1, 5, Decimal(320))]
    b = month_board(units, {0: 1, 8: 1, 9: 2, 10: 1}, comps, [top("3", "100"), top("2", "90")])
    assert (b.employees, b.avg_final_pct, b.tpp_total, b.version_sum) == (
        5, Decimal("75.10"), Decimal(4000), 7)
    assert b.tens == [1, 0, 0, 0, 0, 0, 0, 0, 1, 2, 1]
    # in the policy's order, not by name
    assert b.components == [("performance", Decimal("64.00")), ("discipline", Decimal("100.00"))]
    assert [(u.unit_id, u.unit_name, u.members, u.avg_final_pct, u.tpp_total)
            for u in b.units] == [("u1", "U1", 2, Decimal("90.00"), Decimal(2000)),
                                  ("u2", "U2", 3, Decimal("65.17"), Decimal(2000))]
    assert [r.nip for r in b.top] == ["3", "2"]


def test_an_opd_without_a_name_in_the_directory_copy_shows_its_id() -> None:
    b = month_board([UnitSums("dinkes", "", 1, Decimal("50.005"), Decimal(1), 1)], {5: 1}, [], [])
    assert [(u.unit_name, u.avg_final_pct) for u in b.units] == [("dinkes", Decimal("50.01"))]


def test_a_month_nobody_was_scored() -> None:
    b = month_board([], {}, [], [])
    assert (b.employees, b.avg_final_pct, b.tens, b.units, b.top, b.components) == (
        0, None, [0] * 11, [], [], [])


def test_averages_keep_their_fraction_and_the_board_shows_the_ten_highest() -> None:
    b = month_board([UnitSums("u1", "U1", 3, Decimal(200), Decimal(3), 3)], {6: 3},
                    [ComponentSums("performance", 1, 3, Decimal(200))], [])
    assert (b.avg_final_pct, b.components) == (Decimal("66.67"),
                                               [("performance", Decimal("66.67"))])
    assert TOP == 10  # the dashboard's "sepuluh nilai tertinggi" (reports.board's LIMIT)
