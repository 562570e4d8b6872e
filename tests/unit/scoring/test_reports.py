"""Rankings and the closed month's TPP export."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from decimal import Decimal as D

import pytest
from openpyxl import load_workbook

from ekinerja_shared import events as ev
from ekinerja_shared.errors import Conflict
from scoring.adapters.export import to_csv, to_xlsx, tpp_table
from scoring.domain.ranking import competition_rank
from scoring.service_layer import admin, reports, services

T = "t-rep"


def test_competition_rank_shares_ties() -> None:
    items = [("a", D("80")), ("b", D("90")), ("c", D("80")), ("d", D("70"))]
    ranked = competition_rank(items, lambda i: i[1], lambda i: i[0])
    assert [(r, i[0]) for r, i in ranked] == [(1, "b"), (2, "a"), (2, "c"), (4, "d")]


def _facts(nip: str, unit: str, minutes: int, base: str, kind: str = "PNS") -> list[ev.Event]:
    out: list[ev.Event] = [ev.EmployeeUpserted(
        tenant_id=T, nip=nip, name=f"Pegawai {nip}", unit_id=unit, unit_name=unit.upper(),
        tpp_base=D(base), employment_type=kind)]
    day = 1
    while minutes > 0:
        out.append(ev.ActivityEntryApproved(tenant_id=T, entry_id=uuid.uuid4(), nip=nip,
                                            work_date=dt.date(2026, 10, day),
                                            minutes=min(300, minutes), version=2))
        minutes -= 300
        day += 1
    return out


async def test_rankings_and_export_of_a_closed_month(sessionmaker) -> None:
    sm = sessionmaker
    calendar = ev.EffectiveDaysPublished(tenant_id=T, period="2026-10",
                                         effective_days=D(20), revision=1)
    async with sm() as session, session.begin():
        await services.apply_events(session, [
            calendar,
            *_facts("199001", "dinkes", 6000, "4000000"),        # 100 -> 100.00
            *_facts("199002", "dinkes", 3000, "4000000", "CPNS"),  # 50 -> 70.00
            *_facts("199003", "bappeda", 4500, "3000000"),      # 75 -> 85.00
        ])
    async with sm() as session:
        units = await reports.unit_ranking(session, T, "2026-10")
        staff = await reports.employee_ranking(session, T, "2026-10", "dinkes")
        with pytest.raises(Conflict, match="belum ditutup"):
            await reports.tpp_rows(session, T, "2026-10")
    # dinkes (100 + 70) / 2 = 85.00 ties bappeda 85.00: shared rank 1
    assert [(r, u.unit_id, u.avg_final_pct, u.members) for r, u in units] == [
        (1, "bappeda", D("85.00"), 1), (1, "dinkes", D("85.00"), 2)]
    assert units[1][1].tpp_total == D("4000000") + D("2240000")
    assert [(r, e["nip"]) for r, e in staff] == [(1, "199001"), (2, "199002")]

    async with sm() as session, session.begin():
        await admin.close_period(session, T, "2026-10", actor="bkpsdm")
    async with sm() as session:
        rows = await reports.tpp_rows(session, T, "2026-10", "dinkes")
    header, lines = tpp_table(rows)
    assert header == ["NIP", "Nama", "Unit (OPD)", "performance (%)", "discipline (%)",
                      "Nilai akhir (%)", "TPP dasar (Rp)", "TPP dibayar (Rp)"]
    parsed = list(csv.reader(io.StringIO(to_csv(header, lines).decode("utf-8-sig"))))
    assert parsed[1:] == [
        ["199001", "Pegawai 199001", "DINKES", "100.00", "100.00", "100.00", "4000000",
         "4000000"],
        # CPNS: 4,000,000 x 70% x 80% = 2,240,000
        ["199002", "Pegawai 199002", "DINKES", "50.00", "100.00", "70.00", "4000000",
         "2240000"],
    ]
    sheet = load_workbook(io.BytesIO(to_xlsx(header, lines, "TPP 2026-10"))).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0] == tuple(header)
    assert values[2] == ("199002", "Pegawai 199002", "DINKES", 50.0, 100.0, 70.0, 4000000,
                         2240000)
