"""The leadership dashboard's discipline and trend parts (gateway.web.board)."""

from __future__ import annotations

from gateway.web import board
from gateway.web.render import ENV


def summary() -> dict:
    return {"period": "2026-10",
            "total": {"tl": 7, "psw": 2, "tk": 3, "working_days": 200,
                      "codes": {"TK": 3, "PSW1": 2, "TL10": 1, "TL2": 2, "TL1": 4}},
            "units": [{"unit_id": "umum", "tl": 1, "psw": 0, "tk": 0},
                      {"unit_id": "dinkes", "tl": 6, "psw": 2, "tk": 3},
                      {"unit_id": "", "tl": 0, "psw": 0, "tk": 0}]}


def test_discipline_totals_shares_codes_and_units_most_days_first() -> None:
    b = board.discipline_board(summary(), {"umum": "Bagian Umum", "dinkes": "Dinas Kesehatan"})
    assert b is not None
    assert b.figures == [("TL", "7", "3,5 %"), ("PSW", "2", "1,0 %"), ("TK", "3", "1,5 %")]
    assert [c for c, _ in b.codes] == ["TL1", "TL2", "TL10", "PSW1", "TK"]
    assert [(u.unit, u.tl, u.tk) for u in b.units] == [
        ("Dinas Kesehatan", "6", "3"), ("Bagian Umum", "1", "0"), ("Tanpa OPD", "0", "0")]
    assert b.working_days == "200"
    assert board.discipline_board(None, {}) is None
    empty = board.discipline_board({"total": {"tl": 0, "psw": 0, "tk": 0, "working_days": 0},
                                    "units": []}, {})
    assert empty is not None and empty.figures[0] == ("TL", "0", "-")


def test_trend_changes_against_the_month_before() -> None:
    points = board.trend_points([
        {"period": "2025-12", "employees": 0, "avg_final_pct": None},
        {"period": "2026-01", "employees": 90, "avg_final_pct": "80.50"},
        {"period": "2026-02", "employees": 91, "avg_final_pct": "79.25"},
        {"period": "2026-03", "employees": 91, "avg_final_pct": "81.00"}])
    assert [(p.label, p.average, p.change, p.width) for p in points] == [
        ("Des 25", "-", "", 0), ("Jan 26", "80,50 %", "", 80),
        ("Feb 26", "79,25 %", "-1,25", 79), ("Mar 26", "81,00 %", "+1,75", 81)]
    assert points[1].title == "Januari 2026"
    assert board.trend_points(None) == []


def figures() -> dict:
    return {"period": "2026-10", "employees": 5, "avg_final_pct": "75.10", "tpp_total": "4000",
            "version_sum": 7, "tens": [1, 0, 0, 0, 0, 0, 0, 0, 1, 2, 1],
            "components": [{"name": "performance", "avg_value_pct": "64.00"}],
            "units": [{"unit_id": "u2", "unit_name": "Dinas B", "members": 3,
                       "avg_final_pct": "65.17", "tpp_total": "2000"},
                      {"unit_id": "u1", "unit_name": "Dinas A", "members": 2,
                       "avg_final_pct": "90.00", "tpp_total": "2000"}],
            "top": [{"nip": "3", "name": "Ani", "unit_name": "Dinas B", "final_pct": "100.00"}]}


def test_scores_part_from_the_month_in_figures() -> None:
    d = board.dashboard(figures())
    assert (d.employees, d.average, d.tpp_total, d.version_sum) == (
        5, "75,10 %", "Rp\u00a04.000", 7)
    assert [(b.label, b.count) for b in d.distribution] == [
        ("90-100", 3), ("80-89", 1), ("70-79", 0), ("60-69", 0), ("< 60", 1)]
    assert [(u.rank, u.unit, u.average, u.width) for u in d.units] == [
        (1, "Dinas A", "90,00 %", 90), (2, "Dinas B", "65,17 %", 65)]
    assert d.discipline == [("Kinerja", "64,00 %")]
    assert [(t.name, t.final) for t in d.top] == [("Ani", "100,00 %")]


def test_the_dashboard_shows_them() -> None:
    html = ENV.get_template("pimpinan.html").render(
        request_path="/app/pimpinan", period="2026-10", prev="2026-09", next="2026-11",
        page=type("P", (), {"tenant_id": "t", "tenant_name": "Kab. Uji", "name": "Ani"})(),
        board=board.dashboard(figures()),
        discipline=board.discipline_board(summary(), {"dinkes": "Dinas Kesehatan"}),
        trend=board.trend_points([{"period": "2026-10", "employees": 2,
                                   "avg_final_pct": "77.5"}]), csrf="x")
    assert 'data-discipline="TK">3<' in html and "Dinas Kesehatan" in html
    assert "Tanpa keterangan (TK)" in html and "77,50 %" in html
    assert "Dinas A" in html and 'data-version="7"' in html
