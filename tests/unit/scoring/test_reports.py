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
from scoring.adapters.export import to_csv, to_xlsx
from scoring.domain.ranking import competition_rank
from scoring.domain.payslip import SHEET_COLUMNS
from scoring.service_layer import admin, month_end, reports, services

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


TENANT = ev.TenantUpserted(tenant_id=T, name="Kabupaten Uji", timezone="WITA",
                           policy_preset="performance60_discipline40")


async def test_rankings_and_export_of_a_closed_month(sessionmaker) -> None:
    """Four employees of two OPDs, one of them with no fact at all and one CPNS; an
    inactive one is not on the roster. 60/40, 20 effective days (6,000 minutes)."""
    sm = sessionmaker
    calendar = ev.EffectiveDaysPublished(tenant_id=T, period="2026-10",
                                         effective_days=D(20), revision=1)
    async with sm() as session, session.begin():
        await services.apply_events(session, [
            TENANT, calendar,
            *_facts("199001", "dinkes", 6000, "4000000"),        # 100 -> 100.00
            *_facts("199002", "dinkes", 3000, "4000000", "CPNS"),  # 50 -> 70.00
            *_facts("199003", "bappeda", 4500, "3000000"),      # 75 -> 85.00
            *_facts("199004", "bappeda", 0, "5000000"),         # no fact: 0 -> 40.00
            ev.EmployeeUpserted(tenant_id=T, nip="199005", name="Pensiun", unit_id="dinkes",
                                unit_name="DINKES", tpp_base=D(1), active=False),
        ])
    async with sm() as session:
        units = await reports.unit_ranking(session, T, "2026-10", "cilegon")
        staff = await reports.employee_ranking(session, T, "2026-10", "dinkes", "cilegon")
        regency = await reports.employee_ranking(session, T, "2026-10", None, "cilegon")
        with pytest.raises(Conflict, match="belum ditutup"):
            await reports.tpp_rows(session, T, "2026-10")
        items = await month_end.month_check(session, T, "2026-10", "cilegon")
    # dinkes (100 + 70) / 2 = 85.00; bappeda (85 + 40) / 2 = 62.50: every member counts
    assert [(r, u.unit_id, u.unit_name, u.avg_final_pct, u.members) for r, u in units] == [
        (1, "dinkes", "DINKES", D("85.00"), 2), (2, "bappeda", "BAPPEDA", D("62.50"), 2)]
    assert units[0][1].tpp_total == D("4000000") + D("2240000")
    assert [(r, e["nip"]) for r, e in staff] == [(1, "199001"), (2, "199002")]
    assert [(r, e["nip"], D(e["final_pct"])) for r, e in regency] == [
        (1, "199001", D("100.00")), (2, "199003", D("85.00")), (3, "199002", D("70.00")),
        (4, "199004", D("40.00"))]
    assert [(i.code, i.nips) for i in items] == [
        ("no_attendance_data", ("199001", "199002", "199003", "199004")),
        ("no_approved_activity", ("199004",))]

    async with sm() as session, session.begin():
        await admin.close_period(session, T, "2026-10", actor="bkpsdm", confirmed=True)
    async with sm() as session:
        # the close gave the employee without a fact a frozen, flagged score
        frozen = await services.get_score(session, T, "199004", "2026-10")
        table, title = await reports.payroll(session, T, "2026-10")
        state = await admin.period_state(session, T, "2026-10")
    assert (frozen.final_pct, frozen.flags) == (D("40.000"), [
        "no_attendance_data", "no_approved_activity"])
    assert state["history"][0]["reason"] == (  # what was open is recorded with the close
        "4 pegawai: tidak ada data presensi bulan ini: kehadiran dihitung 100 %; "
        "1 pegawai: tidak ada aktivitas disetujui: kinerja 0 %")
    assert title[0] == "Daftar Pembayaran TPP - Kabupaten Uji"
    assert title[1] == "Periode: Oktober 2026"
    assert title[2].startswith("Ditutup: ") and title[2].endswith("WITA oleh bkpsdm")
    assert title[3].startswith("Dibuat: ")
    assert table.header == [
        "No", "NIP", "Nama", "Status kepegawaian", "Unit kerja (OPD)",
        "Kinerja (%; bobot 60 %)", "Disiplin (%; bobot 40 %)", "Nilai akhir (%)",
        "TPP dasar (Rp)", "TPP sesuai nilai (Rp)", "Faktor TPP (%)", "TPP dibayar (Rp)",
        *SHEET_COLUMNS, "Keterangan", "Tanda tangan"]
    no_att = "tidak ada data presensi bulan ini: kehadiran dihitung 100 %"

    def slip(paid: int) -> list[str]:
        """The pay slip's columns without inputs, penalty, leave or cut: TPP after cuts =
        TPP paid; BPJS 1 % of it (salary 0, under the ceiling); PPh 21 0; netto = paid -
        1 %; employer 4 %."""
        return ["0", "0", "0", str(paid), str(paid // 100), "0", str(paid - paid // 100),
                str(paid * 4 // 100)]

    def line(*cells: str) -> list[str]:
        """A line: the fixed columns up to TPP dibayar, the slip's, Keterangan, signature."""
        *fixed, note = cells
        return [*fixed, *slip(int(fixed[-1])), note, ""]

    expected = [line(*x) for x in [
        ["1", "199003", "Pegawai 199003", "PNS", "BAPPEDA", "75.00", "100.00", "85.00",
         "3000000", "2550000", "100.00", "2550000", no_att],
        ["2", "199004", "Pegawai 199004", "PNS", "BAPPEDA", "0.00", "100.00", "40.00",
         "5000000", "2000000", "100.00", "2000000",
         no_att + "; tidak ada aktivitas disetujui: kinerja 0 %"],
        ["", "", "Subtotal BAPPEDA (2 pegawai)", "", "", "", "", "", "8000000", "4550000",
         "", "4550000", ""],
        ["3", "199001", "Pegawai 199001", "PNS", "DINKES", "100.00", "100.00", "100.00",
         "4000000", "4000000", "100.00", "4000000", no_att],
        # CPNS: 4,000,000 x 70 % = 2,800,000, paid x 80 % = 2,240,000
        ["4", "199002", "Pegawai 199002", "CPNS", "DINKES", "50.00", "100.00", "70.00",
         "4000000", "2800000", "80.00", "2240000", no_att],
        ["", "", "Subtotal DINKES (2 pegawai)", "", "", "", "", "", "8000000", "6800000",
         "", "6240000", ""],
        ["", "", "Jumlah seluruhnya (4 pegawai)", "", "", "", "", "", "16000000",
         "11350000", "", "10790000", ""],
    ]]
    parsed = list(csv.reader(io.StringIO(to_csv(table).decode("utf-8-sig"))))
    assert parsed[0] == table.header and parsed[1:] == expected

    book = load_workbook(io.BytesIO(to_xlsx(table, "TPP 2026-10", title)))
    sheet = book.active
    values = list(sheet.iter_rows(values_only=True))
    assert [v[0] for v in values[:4]] == title and values[4] == (None,) * len(table.header)
    assert values[5] == tuple(table.header)

    def as_text(v: object, column: int) -> str:  # percent columns: F, G, H, K
        if v is None:
            return ""
        return f"{v:.2f}" if column in (5, 6, 7, 10) else str(v)

    assert [[as_text(v, i) for i, v in enumerate(row)] for row in values[6:13]] == expected
    assert sheet.freeze_panes == "C7" and sheet.print_title_rows == "$6:$6"
    assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.paperSize == 9
    assert sheet.column_dimensions["C"].width == 32
    assert sheet.cell(9, 3).font.bold and not sheet.cell(7, 3).font.bold
    assert sheet.cell(7, 12).number_format == "#,##0"
