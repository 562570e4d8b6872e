"""The pages' layout at phone width in a real browser, without the services: the busiest
templates rendered with long Indonesian names and the longest menu (every role), served
with the real stylesheet and script. At 360 and 390 px the menu folds behind its button
and opens on a tap, and no page scrolls sideways (closed or open); at 1280 px the button
is hidden. No rupiah amount is broken across lines at any of the widths (the pay slip's
amounts were, at 390 px, between "Rp" and the number). The pages with live data at 360 px:
tests/web/test_pages.py."""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from importlib.resources import files
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from gateway.service_layer.page_reads import EmployeePage
from gateway.web import board, views, views_hr_people, views_payslip, views_plans
from gateway.web.render import ENV
from tests.unit.gateway.test_web_board import figures, summary
from tests.unit.gateway.test_web_views_plans import SLIP
from tests.web.office import wrapped_amounts
from tests.web.test_pages import CHROMIUM_ARGS, chromium_path, phone_menu

NIP = "198503152010011001"
LONG = "Dinas Pemberdayaan Masyarakat, Desa, Kependudukan dan Pencatatan Sipil"


class Person:
    tenant_id = "uji"
    tenant_name = "Pemerintah Kabupaten Kepulauan Siau Tagulandang Biaro"
    name = "Hj. Siti Aminah Binti Abdullah Rahman"


def entry(i: int, status: str) -> dict:
    return {"id": f"e{i}", "nip": NIP, "work_date": f"2026-10-0{1 + i % 9}", "start": "08:00",
            "end": "11:30", "minutes": 210, "status": status, "version": 1,
            "description": "Menyusun laporan bulanan pengadaan barang dan jasa " * 3,
            "reason": "Uraian kurang lengkap, lampirkan bukti dukung"
            if status == "rejected" else None, "output_quantity": "1",
            "output_unit": "dokumen"}


def pages() -> dict[str, str]:
    entries = [entry(i, s) for i, s in enumerate(["submitted", "approved", "rejected"] * 3)]
    fig = figures()
    fig["units"] = [{"unit_id": f"u{i}", "unit_name": f"{LONG} {i}", "members": 100,
                     "avg_final_pct": "79.12", "tpp_total": "409123000"} for i in range(20)]
    score = {"nip": NIP, "final_pct": "88.5", "tpp_amount": "4000000", "version": 1,
             "components": [{"name": "performance", "weight": "60", "value_pct": "90"}]}
    day = {"work_date": "2026-10-01", "status": "present", "tl_code": "TL1",
           "psw_code": "PSW2", "arrival": "2026-10-01T07:41:00+08:00",
           "departure": "2026-10-01T16:03:00+08:00", "deduction_pct": "1.5"}
    plans = [{"id": f"p{i}", "kind": ("skp", "rpok")[i % 2], "unit": "dokumen pengadaan",
              "title": "Menyusun laporan bulanan pengadaan barang dan jasa " * 3,
              "target_quantity": "1250.5", "approved_quantity": "125000", "approved_entries": 3,
              "realisation_pct": "9996.00"} for i in range(4)]
    common = dict(page=Person(), csrf="x", prev="2026-09", next="2026-11", period="2026-10",
                  nav=views.nav_for(["supervisor", "hr", "leader"], "/app/pimpinan"))
    contexts = {
        "pimpinan.html": dict(
            board=board.dashboard(fig), discipline=board.discipline_board(summary(), {}),
            trend=board.trend_points([{"period": f"2026-{m:02d}", "employees": 2000,
                                       "avg_final_pct": "78.5"} for m in range(5, 11)])),
        "persetujuan.html": dict(queue=views.queue_view(entries, {NIP: "Budi Santoso"}),
                                 nip="", tanggal="", results=None),
        "aktivitas.html": dict(month=views.month_entries(entries), failed_id=None,
                               days=views.attendance_days({"days": [day]},
                                                          ZoneInfo("Asia/Makassar"))),
        "tim.html": dict(team=views.team_view([score], {NIP: "Budi Santoso"}, "-")),
        "pegawai.html": dict(q="", opd="", listing=views_hr_people.employee_list(EmployeePage(
            [{"nip": f"1985031520100110{i:02d}", "name": Person.name, "unit_id": f"u{i % 3}",
              "unit_name": f"{LONG} {i % 3}", "position": "Analis Kebijakan Ahli Muda " * 2,
              "supervisor_nip": NIP, "supervisor_name": Person.name, "employment_type": "PPPK",
              "device_pin": "123456", "active": i % 7 != 0} for i in range(25)],
            matches=1234, total=2000, units=[(f"u{i}", f"{LONG} {i}") for i in range(3)],
            page=2, size=25), "Aminah", "u1")),
        "rencana.html": dict(groups=views_plans.plans_view(plans), kinds=views_plans.KINDS,
                             form=views_plans.PLAN_FORM, form_error=None, failed=plans[0]["id"],
                             row_error="Periode 2026-10 sudah ditutup.", edits={}),
        "slip.html": dict(nip=NIP, own=False, is_hr=True, keep=f"nip={NIP}", error=None,
                          slip=views_payslip.payslip_view({**SLIP, "name": Person.name,
                                                           "unit": LONG})),
    }
    return {name: ENV.get_template(name).render(request_path="/app/x", **common, **ctx)
            for name, ctx in contexts.items()}


@pytest.fixture
def site(tmp_path: Path):
    static = tmp_path / "app" / "static"
    static.mkdir(parents=True)
    for asset in ("app.css", "app.js"):
        shutil.copy(str(files("gateway.web") / "static" / asset), static / asset)
    for name, html in pages().items():
        (tmp_path / name).write_text(html)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


async def test_phone_menu_and_no_sideways_scroll(site: str) -> None:
    from playwright.async_api import async_playwright, expect

    executable = chromium_path()
    wide, broken = [], []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            for width in (360, 390, 1280):
                page = await (await browser.new_context(
                    viewport={"width": width, "height": 780}, locale="id-ID")).new_page()
                for name in pages():
                    await page.goto(f"{site}/{name}")
                    broken += [f"{name} at {width} px: {a!r}"
                               for a in await wrapped_amounts(page)]
                    toggle, menu = page.locator(".nav-toggle"), page.locator("#menu-utama")
                    if width == 1280:
                        await expect(toggle).to_be_hidden()
                        await expect(menu).to_be_visible()
                        continue
                    wide += await phone_menu(page, f"{name} at {width} px")
                    await page.keyboard.press("Escape")
                    await expect(menu).to_be_hidden()
                    await expect(toggle).to_be_focused()
        finally:
            await browser.close()
    assert not wide, wide
    assert not broken, broken
