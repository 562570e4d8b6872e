"""The regency's month in figures (the leadership dashboard's source)."""

from __future__ import annotations

from decimal import Decimal

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
