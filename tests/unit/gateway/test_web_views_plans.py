"""View models of the work plan pages and the pay slip page (gateway.web.views_plans,
views_payslip): plain functions of the activity and scoring services' answers and of the
submitted forms, and the templates rendering them."""

from __future__ import annotations

import pytest

from gateway.web import formats, views, views_payslip, views_plans
from gateway.web.render import ENV

A = "198503152010011001"


def plan(pid, kind, title, target, unit="laporan", approved="0", pct="0", n=0):
    return {"id": pid, "nip": A, "period": "2026-11", "kind": kind, "title": title,
            "target_quantity": target, "unit": unit, "approved_quantity": approved,
            "realisation_pct": pct, "approved_entries": n}


PLANS = [plan("p1", "rpok", "Rapat koordinasi", "2.00", "kegiatan"),
         plan("p2", "skp", "Menyusun laporan", "4.00", approved="3.00", pct="75.00", n=3),
         plan("p3", "skp", "Entri data", "1250.50", "berkas", approved="1500", pct="119.96",
              n=12)]


def test_quantities_in_indonesian_without_trailing_zeros():
    assert [formats.quantity(v) for v in ("4.00", "6.50", "1250.75", "10", "100.00", "0.10")] \
        == ["4", "6,5", "1.250,75", "10", "100", "0,1"]
    assert formats.quantity(None) == "-"


def test_plans_grouped_by_kind_with_their_realisation():
    groups = views_plans.plans_view(PLANS)
    assert [(g.kind, [p.id for p in g.plans]) for g in groups] == [
        ("skp", ["p2", "p3"]), ("rpok", ["p1"])]
    assert groups[0].title == "Sasaran Kinerja Pegawai (SKP)"
    report, data = groups[0].plans
    assert (report.target, report.approved, report.realisation, report.bar,
            report.approved_entries) == ("4 laporan", "3 laporan", "75,00 %", 75, 3)
    # over-achievement shows in the figure, the bar stops full
    assert (data.target, data.realisation, data.bar) == ("1.250,5 berkas", "119,96 %", 100)
    # the edit form's value has no thousands dot (it would read as a decimal point)
    assert data.target_input == "1250,5"
    assert views_plans.plans_view([]) == []
    assert [g.kind for g in views_plans.plans_view(PLANS[:1])] == ["rpok"]


def test_the_quick_form_offers_the_months_plan_items():
    assert views_plans.plan_choices([("2026-11", PLANS)]) == [
        ("p1", "RPOK · Rapat koordinasi (target 2 kegiatan)"),
        ("p2", "SKP · Menyusun laporan (target 4 laporan)"),
        ("p3", "SKP · Entri data (target 1.250,5 berkas)")]
    # early in a month the form takes last month's dates too: each item names its month
    both = views_plans.plan_choices([("2026-10", [plan("q1", "skp", "Arsip", "3")]),
                                     ("2026-11", PLANS[:1])])
    assert both == [("q1", "Oktober 2026 · SKP · Arsip (target 3 laporan)"),
                    ("p1", "November 2026 · RPOK · Rapat koordinasi (target 2 kegiatan)")]


GOOD = {"kind": "skp", "title": "Menyusun laporan", "target_quantity": "2,5", "unit": "dokumen"}


@pytest.mark.parametrize(("change", "message"), [
    ({"kind": "lain"}, "Pilih jenis rencana: SKP atau RPOK."),
    ({"title": "ab"}, "Uraian rencana minimal 3 huruf."),
    ({"target_quantity": "empat"}, "Target kuantitas harus berupa angka, misalnya 4 atau 2,5."),
    ({"target_quantity": ""}, "Target kuantitas harus berupa angka, misalnya 4 atau 2,5."),
    ({"target_quantity": "NaN"}, "Target kuantitas harus berupa angka, misalnya 4 atau 2,5."),
    ({"target_quantity": "0"}, "Target kuantitas harus lebih dari nol."),
    ({"target_quantity": "-3"}, "Target kuantitas harus lebih dari nol."),
    ({"target_quantity": "1,255"}, "Target kuantitas paling banyak dua angka di belakang koma."),
    ({"unit": ""}, "Isi satuan target, misalnya dokumen atau kegiatan."),
])
def test_the_plan_form_is_checked_in_bahasa_indonesia(change, message):
    assert views_plans.plan_form_error({**GOOD, **change}) == message


def test_the_plan_body_has_no_person_and_reads_the_decimal_comma():
    assert views_plans.plan_form_error(GOOD) is None
    assert views_plans.plan_body({**GOOD, "nip": "199001172015031002"}, "2026-11") == {
        "kind": "skp", "title": "Menyusun laporan", "target_quantity": "2.5",
        "unit": "dokumen", "period": "2026-11"}
    body = views_plans.plan_body({**GOOD, "target_quantity": "1.250,75", "period": "2020-01"})
    assert body == {"kind": "skp", "title": "Menyusun laporan", "target_quantity": "1250.75",
                    "unit": "dokumen"}
    assert views_plans.plan_body({**GOOD, "target_quantity": "6.5"})["target_quantity"] == "6.5"


def test_the_employees_menu_has_plans_and_the_pay_slip():
    labels = [n.label for n in views.nav_for(["employee"], "/app/slip")]
    assert labels == ["Hari ini", "Aktivitas", "Rencana kerja", "Nilai saya", "Slip TPP"]
    assert [n.href for n in views.nav_for(["employee"], "/app/slip") if n.current] == [
        "/app/slip"]


SLIP = {
    "tenant_id": "t", "nip": A, "name": "Budi Santoso", "unit": "Bagian Umum",
    "period": "2026-11", "period_name": "November 2026", "status": "sementara",
    "employment_type": "CPNS", "tpp_base": "4500000", "final_pct": "87.5",
    "earnings": [{"code": "component:performance", "label": "Kinerja", "amount": "2362500",
                  "amount_text": "Rp2.362.500", "reason": "4.500.000 x 60 % x 87,5 %",
                  "rule": "Bobot kinerja 60 %"},
                 {"code": "component:discipline", "label": "Disiplin", "amount": "1575000",
                  "amount_text": "Rp1.575.000", "reason": "", "rule": ""}],
    "bruto": "3937500",
    "cuts": [{"code": "adjustment", "label": "Penyesuaian CPNS", "amount": "787500",
              "amount_text": "Rp787.500", "reason": "TPP CPNS 80 %",
              "rule": "Perkada TPP pasal 7"},
             {"code": "leave:CLTN", "label": "Cuti di luar tanggungan negara",
              "amount": "150000.4", "amount_text": "Rp150.000", "reason": "1 dari 21 hari",
              "rule": "CLTN: TPP tidak dibayar"}],
    "tpp_after_cuts": "3000000",
    "deductions": [{"code": "bpjs_employee", "label": "BPJS Kesehatan 1 % (pegawai)",
                    "amount": "30000", "amount_text": "Rp30.000", "reason": "1 % x 3.000.000",
                    "rule": "Perpres 64/2020"},
                   {"code": "pph21", "label": "PPh 21", "amount": "0", "amount_text": "Rp0",
                    "reason": "", "rule": ""}],
    "employer": [{"code": "bpjs_employer", "label": "BPJS Kesehatan 4 % (pemda)",
                  "amount": "120000", "amount_text": "Rp120.000", "reason": "", "rule": ""}],
    "netto": "2970000", "netto_text": "Rp2.970.000",
    "notes": ["Nilai kepatuhan belum diisi: dianggap 100 %."], "inputs": None}


def test_the_pay_slip_in_rupiah_with_every_cut_and_its_rule():
    v = views_payslip.payslip_view(SLIP)
    assert (v.name, v.period, v.status_label, v.tpp_base, v.final_pct) == (
        "Budi Santoso", "November 2026", "Sementara", "Rp\u00a04.500.000", "87,50 %")
    assert [(x.label, x.amount) for x in v.earnings] == [("Kinerja", "Rp\u00a02.362.500"),
                                                         ("Disiplin", "Rp\u00a01.575.000")]
    assert v.bruto == "Rp\u00a03.937.500"
    assert [(x.label, x.amount, x.reason, x.rule) for x in v.cuts] == [
        ("Penyesuaian CPNS", "Rp\u00a0787.500", "TPP CPNS 80 %", "Perkada TPP pasal 7"),
        ("Cuti di luar tanggungan negara", "Rp\u00a0150.000", "1 dari 21 hari",
         "CLTN: TPP tidak dibayar")]
    assert v.cuts_total == "Rp\u00a0937.500"  # summed before rounding, as the service adds them
    assert (v.tpp_after_cuts, v.netto) == ("Rp\u00a03.000.000", "Rp\u00a02.970.000")
    assert [x.amount for x in v.deductions] == ["Rp\u00a030.000", "Rp\u00a00"]
    assert [x.label for x in v.employer] == ["BPJS Kesehatan 4 % (pemda)"]
    assert "belum dimasukkan" in v.inputs_note and "dapat berubah" in v.status_note
    final = views_payslip.payslip_view({**SLIP, "status": "final", "cuts": [],
                                        "inputs": {"salary": "3000000"}})
    assert (final.status_label, final.cuts_total, final.inputs_note) == ("Final", "Rp\u00a00", "")
    assert "final" in final.status_note


class _Page:
    tenant_id, tenant_name, nip, name = "t", "Kabupaten Uji", A, "Budi Santoso"


def _html(template: str, **context) -> str:
    return ENV.get_template(template).render(
        page=_Page(), nav=views.nav_for(["employee"], "/app/x"), csrf="c", period="2026-11",
        prev="2026-10", next="2026-12", **context)


def test_the_pages_render_labelled_fields_and_the_figures():
    html = _html("rencana.html", groups=views_plans.plans_view(PLANS), kinds=views_plans.KINDS,
                 form={**views_plans.PLAN_FORM, "title": "Baru"},
                 form_error="Target kuantitas harus lebih dari nol.", failed="p2",
                 row_error="Periode 2026-11 sudah ditutup.", edits={"p2": "0"})
    assert 'id="plan-error">Target kuantitas harus lebih dari nol.' in html
    assert 'aria-describedby="plan-error"' in html
    assert '<label for="p-target">Target kuantitas</label>' in html
    assert '<label for="e-p2-target">Target kuantitas</label>' in html
    assert 'id="e-p2-target" name="target_quantity" inputmode="decimal" value="0"' in html
    assert 'id="e-p2-error">Periode 2026-11 sudah ditutup.' in html
    assert html.count("<details open>") == 1 and "75,00 %" in html
    other = _html("rencana_pegawai.html", nip="1&x", name="", groups=[], team=[],
                  by_nip=True, suggest=True, error=None)
    assert "?nip=1%26x&period=2026-10" in other.replace("&amp;", "&")
    assert 'list="pegawai"' in other and "Belum ada rencana kerja" in other
    slip = _html("slip.html", nip=A, own=True, is_hr=False, keep="", error=None,
                 slip=views_payslip.payslip_view(SLIP))
    assert "Rp\u00a02.970.000" in slip and "Dasar: CLTN: TPP tidak dibayar" in slip
    assert 'data-status="sementara"' in slip and 'id="s-nip"' not in slip
    today = _html("hari_ini.html", today=__import__("datetime").date(2026, 11, 23), entries=[],
                  agenda=[], plans=views_plans.plan_choices([("2026-11", PLANS)]),
                  form={"plan_item_id": "p2", "work_date": "", "start": "", "end": "",
                        "description": "", "output_quantity": "", "output_unit": ""})
    assert '<option value="p2" selected>SKP · Menyusun laporan (target 4 laporan)' in today
