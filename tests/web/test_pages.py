"""The web application in a real browser (Debian's chromium driven by Playwright) against
the four services started as real processes on the real Kafka and PostgreSQL.

Signed in as each role, the browser completes each role's main task: the employee signs
in with a one-time password (and changes it), logs an activity; the supervisor approves it
in the queue; the employee's open "Nilai saya" page and HR's open dashboard show the new
score without a reload; HR uploads a roster with an error and sees the row's message,
closes a month and downloads its TPP XLSX."""

from __future__ import annotations

import datetime as dt
import io
import os

import httpx
import openpyxl
import pytest

from ekinerja_shared.timeutil import zone
from gateway.web.formats import period_label, shift_period
from tests.e2e.test_pipeline import HEAD, OPERATOR, REGENCY, ROSTER, STAFF
from tests.e2e.test_pipeline import last_mon_to_thu_before as work_day
from tests.support.processes import directory_everywhere, running_system

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

HR = "199001172015031002"
LEADER = "196805121990031003"
# the pipeline test's office (head, staff) plus an HR officer and the regency's secretary
OFFICE = (ROSTER
          + f"{HR},Dedi Kurniawan,bkpsdm,BKPSDM,Pengelola Kepegawaian,{HEAD},4000000,PNS,12\n"
          + f"{LEADER},Ir. Bambang Wijaya,setda,Sekretariat Daerah,Sekretaris Daerah,,"
            "8000000,PNS,14\n")
BAD_ROSTER = OFFICE + "12345,Pegawai Salah,umum,Bagian Umum,Pelaksana,,4000000,PNS,13\n"
PASSWORD = "kata-sandi-Uji-2026"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]


def chromium_path() -> str:
    path = os.environ.get("EK_TEST_CHROMIUM")
    if not path:
        pytest.skip("EK_TEST_CHROMIUM not set (make test installs chromium)")
    return path


async def one_time_password(gw: httpx.AsyncClient, tenant: str, nip: str,
                            roles: tuple[str, ...] = ()) -> str:
    if roles:
        r = await gw.put(f"/api/tenants/{tenant}/accounts/{nip}/roles",
                         json={"roles": list(roles)}, headers=OPERATOR)
        assert r.status_code == 200, r.text
    r = await gw.put(f"/api/tenants/{tenant}/accounts/{nip}/password", headers=OPERATOR)
    assert r.status_code == 200, r.text
    return str(r.json()["one_time_password"])


async def permanent_password(gw: httpx.AsyncClient, tenant: str, nip: str,
                             roles: tuple[str, ...] = ()) -> None:
    otp = await one_time_password(gw, tenant, nip, roles)
    r = await gw.post("/api/auth/login", json={"tenant": tenant, "nip": nip, "password": otp,
                                               "session": "token"})
    r = await gw.post("/api/auth/password", json={"current_password": otp,
                                                  "new_password": PASSWORD},
                      headers={"Authorization": f"Bearer {r.json()['access_token']}"})
    assert r.status_code == 200, r.text


async def seed_office(gw: httpx.AsyncClient, tenant: str) -> None:
    """The regency (WITA) and its office: the head, the staff member and an HR officer."""
    r = await gw.put(f"/api/tenants/{tenant}", headers=OPERATOR, json=REGENCY)
    assert r.status_code in (200, 201), r.text
    r = await gw.post(f"/api/tenants/{tenant}/roster", content=OFFICE,
                      headers={**OPERATOR, "content-type": "text/csv"})
    assert r.status_code == 200, r.text


async def shoot(page, name: str) -> None:
    """With EK_SCREENSHOTS_DIR set (`make screenshots`), the page at 1280 px and 390 px."""
    target = os.environ.get("EK_SCREENSHOTS_DIR")
    if not target:
        return
    size = page.viewport_size
    for width, height in ((1280, 900), (390, 844)):
        await page.set_viewport_size({"width": width, "height": height})
        await page.screenshot(path=f"{target}/{name}-{width}.png", full_page=True)
    await page.set_viewport_size(size)


async def phone_menu(page, where: str) -> list[str]:
    """On the loaded page at phone width: the menu is folded behind its button and opens
    on a tap; what scrolls sideways, the menu closed or open (empty: nothing)."""
    from playwright.async_api import expect

    toggle, menu = page.locator(".nav-toggle"), page.locator("#menu-utama")
    await expect(toggle).to_be_visible()
    await expect(menu).to_be_hidden()
    wide = []
    for state in ("closed", "open"):
        over = await page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
        if over > 0:
            wide.append(f"{where} ({state}): {over} px too wide")
        if state == "closed":
            await toggle.click()
            await expect(toggle).to_have_attribute("aria-expanded", "true")
            await expect(menu.locator("a").first).to_be_visible()
    return wide


async def fits_a_phone(page, base: str) -> list[str]:
    """Every page of the person's menu at 360 px (``phone_menu``). The pages' paths."""
    size = page.viewport_size
    await page.set_viewport_size({"width": 360, "height": 780})
    await page.goto(f"{base}/app")
    hrefs = await page.locator("nav.nav a").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))")
    wide = []
    for href in hrefs:
        await page.goto(f"{base}{href}")
        wide += await phone_menu(page, href)
    assert not wide, wide
    await page.set_viewport_size(size)
    return hrefs


async def sign_in(page, base: str, tenant: str, nip: str, password: str) -> None:
    await page.goto(f"{base}/app/masuk")
    await page.get_by_label("Kode instansi").fill(tenant)
    await page.get_by_label("NIP").fill(nip)
    await page.get_by_label("Kata sandi").fill(password)
    await page.get_by_role("button", name="Masuk").click()


async def test_each_role_completes_its_task_in_a_browser(kafka_bootstrap, tenant_id, tmp_path,
                                                         monkeypatch):
    from playwright.async_api import async_playwright, expect

    executable = chromium_path()
    monkeypatch.setenv("EK_AUTH_COOKIE_SECURE", "false")  # plain http on 127.0.0.1
    async with running_system(kafka_bootstrap, tmp_path) as system, httpx.AsyncClient(
        base_url=system.gateway, timeout=15
    ) as gw:
        await seed_office(gw, tenant_id)
        staff_otp = await one_time_password(gw, tenant_id, STAFF)
        await permanent_password(gw, tenant_id, HEAD)
        await permanent_password(gw, tenant_id, HR, roles=("hr",))
        await permanent_password(gw, tenant_id, LEADER, roles=("leader",))
        # every service has its copy of the directory (a new consumer group reads the topic
        # from its start: on a long-lived shared broker that takes minutes)
        await directory_everywhere(system, timeout=600)

        today = dt.datetime.now(zone("WITA")).date()
        day = work_day(today)
        period = f"{day:%Y-%m}"
        base = system.gateway

        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
            try:
                # an Indonesian browser; the employee on a phone
                staff = await (await browser.new_context(
                    locale="id-ID", viewport={"width": 390, "height": 844})).new_page()
                head = await (await browser.new_context(locale="id-ID")).new_page()
                hr = await (await browser.new_context(locale="id-ID",
                                                      accept_downloads=True)).new_page()

                await staff.goto(f"{base}/app/masuk")
                await shoot(staff, "masuk")
                # the employee: first sign-in with a one-time password, then a new password
                await sign_in(staff, base, tenant_id, STAFF, staff_otp)
                await expect(staff).to_have_url(f"{base}/app/kata-sandi")
                await staff.get_by_label("Kata sandi saat ini").fill(staff_otp)
                await staff.get_by_label("Kata sandi baru", exact=True).fill(PASSWORD)
                await staff.get_by_label("Ulangi kata sandi baru").fill(PASSWORD)
                await staff.get_by_role("button", name="Simpan").click()
                await expect(staff).to_have_url(f"{base}/app/hari-ini")

                # logs an activity (a refused one first: the end before the start)
                await staff.get_by_label("Tanggal").fill(day.isoformat())
                await staff.get_by_label("Mulai").fill("11:00")
                await staff.get_by_label("Selesai").fill("08:00")
                await staff.get_by_label("Uraian kegiatan").fill("Menyusun laporan bulanan")
                await staff.get_by_role("button", name="Simpan dan kirim").click()
                await expect(staff.locator("[role=alert]")).to_be_visible()
                await expect(staff.get_by_label("Uraian kegiatan")).to_have_value(
                    "Menyusun laporan bulanan")  # kept for correction
                await staff.get_by_label("Mulai").fill("08:00")
                await staff.get_by_label("Selesai").fill("11:30")
                await staff.get_by_role("button", name="Simpan dan kirim").click()
                await expect(staff.locator("[role=status]")).to_contain_text("Aktivitas dicatat")
                await shoot(staff, "hari-ini")
                await staff.goto(f"{base}/app/aktivitas?period={period}")
                await expect(staff.locator(".entry").first).to_contain_text(
                    "Menunggu persetujuan")
                await shoot(staff, "aktivitas")

                # ... and keeps "Nilai saya" open (live)
                await staff.goto(f"{base}/app/nilai?period={period}")
                await expect(staff.locator("body[data-live-connected=true]")).to_have_count(1)
                await staff.evaluate("window.__notReloaded = true")

                # HR keeps the regency's dashboard open (live)
                await sign_in(hr, base, tenant_id, HR, PASSWORD)
                await expect(hr).to_have_url(f"{base}/app/sdm/roster")
                await hr.goto(f"{base}/app/pimpinan?period={period}")
                await expect(hr.locator("body[data-live-connected=true]")).to_have_count(1)
                await hr.evaluate("window.__notReloaded = true")
                before = await hr.locator("#live").get_attribute("data-version")

                # the supervisor approves it in the queue (select all, approve)
                await sign_in(head, base, tenant_id, HEAD, PASSWORD)
                await expect(head).to_have_url(f"{base}/app/persetujuan")
                entry = head.locator("li.entry", has_text="Menyusun laporan bulanan")
                await expect(entry).to_contain_text("Budi Santoso")
                await head.get_by_label("Pilih semua yang tampil").check()
                await expect(head.locator("[data-selected-count]")).to_have_text(
                    "1 dari 1 dipilih")
                await shoot(head, "persetujuan")
                await head.get_by_role("button", name="Setujui yang dipilih").click()
                await expect(head.locator("[role=status]")).to_contain_text("Keputusan disimpan")
                await expect(head.locator("li.entry")).to_have_count(0)

                # the employee's open page shows the new score without a reload
                await expect(staff.locator("[data-approved]")).to_have_text(
                    "3 jam 30 menit", timeout=60_000)
                await expect(staff.locator("[data-final]")).to_contain_text(" %")
                await expect(staff.locator("[data-tpp]")).to_contain_text("Rp ")
                await shoot(staff, "nilai")
                assert await staff.evaluate("window.__notReloaded") is True
                # ... and HR's dashboard too
                await expect(hr.locator("#live")).not_to_have_attribute(
                    "data-version", before or "0", timeout=60_000)
                await expect(hr.locator("[data-count]")).not_to_have_text("0")
                # ... with the month's TL/PSW/TK days and the month's average in the trend
                await expect(hr.locator("[data-trend='6']")).to_contain_text(" %")
                await expect(hr.locator("[data-discipline='TK']")).to_have_text("0")
                await shoot(hr, "pimpinan")
                assert await hr.evaluate("window.__notReloaded") is True

                # HR uploads a roster with an error and sees the row's message
                await hr.goto(f"{base}/app/sdm/roster")
                roster = tmp_path / "roster-salah.csv"
                roster.write_text(BAD_ROSTER)
                await hr.get_by_label("Berkas roster (CSV)").set_input_files(str(roster))
                await hr.get_by_role("button", name="Unggah").click()
                row = hr.locator("table.errors tbody tr").first
                await expect(row).to_contain_text("6")  # line 6 of the file
                await expect(row).to_contain_text("12345")
                await expect(row).to_contain_text("NIP")
                await shoot(hr, "roster")

                # HR closes last month and downloads its TPP XLSX
                last = shift_period(f"{today:%Y-%m}", -1)
                await hr.goto(f"{base}/app/sdm/bulan?period={last}")
                # the month check lists what is still open; closing needs the confirmation
                await expect(hr.locator("ul.open-items")).to_contain_text(
                    "hari kerja belum ditutup")
                await hr.get_by_role("button", name=f"Tutup {period_label(last)}").click()
                await expect(hr.locator("[role=alert]")).to_contain_text("konfirmasi")
                await hr.get_by_label("tetap menutup bulan ini", exact=False).check()
                await hr.get_by_role("button", name=f"Tutup {period_label(last)}").click()
                await expect(hr.locator("[role=status]")).to_contain_text("Bulan ditutup")
                await shoot(hr, "bulan")
                async with hr.expect_download() as info:
                    await hr.get_by_role("link", name="Unduh TPP (XLSX)").click()
                download = await info.value
                assert download.suggested_filename == f"tpp-{tenant_id}-{last}.xlsx"
                book = openpyxl.load_workbook(io.BytesIO((await download.path()).read_bytes()))
                rows = [r for r in book.active.iter_rows(values_only=True)]
                assert str(rows[0][0]).startswith("Daftar Pembayaran TPP"), rows[0]
                header = next(r for r in rows if "NIP" in (str(v).upper() for v in r))
                employees = [r[header.index("NIP")] for r in rows[rows.index(header) + 1:]]
                assert {STAFF, HEAD} <= {str(v) for v in employees}, employees
                await head.goto(f"{base}/app/tim?period={period}")
                await expect(head.locator("#live")).to_contain_text("Budi Santoso")
                await shoot(head, "tim")
                await hr.goto(f"{base}/app/sdm/perangkat")
                await shoot(hr, "perangkat")

                # leadership: the regency's dashboard
                leader = await (await browser.new_context(locale="id-ID")).new_page()
                await sign_in(leader, base, tenant_id, LEADER, PASSWORD)
                await expect(leader).to_have_url(f"{base}/app/pimpinan")
                # this month's row of the trend (its short label's title names the month)
                await expect(leader.locator(
                    f"#tren abbr[title='{period_label(f'{today:%Y-%m}')}']")).to_have_count(1)
                await expect(leader.locator("#disiplin")).to_contain_text("Tanpa keterangan")

                # every role's pages fit a 360 px phone (no sideways scroll)
                assert "/app/nilai" in await fits_a_phone(staff, base)
                assert "/app/persetujuan" in await fits_a_phone(head, base)
                assert "/app/sdm/roster" in await fits_a_phone(hr, base)
                assert await fits_a_phone(leader, base) == [
                    "/app/hari-ini", "/app/aktivitas", "/app/rencana", "/app/nilai",
                    "/app/slip", "/app/pimpinan"]
                await expect(head.locator(".nav-toggle")).to_be_hidden()  # desktop: the list

                # signing out ends the sign-in: no way back without the password
                await staff.get_by_role("button", name="Keluar").click()
                await expect(staff).to_have_url(f"{base}/app/masuk")
                await staff.goto(f"{base}/app/nilai")
                await expect(staff).to_have_url(f"{base}/app/masuk?next=%2Fapp%2Fnilai")
                await staff.wait_for_timeout(1500)  # the sign-in page's renewal attempt
                await expect(staff).to_have_url(f"{base}/app/masuk?next=%2Fapp%2Fnilai")
            finally:
                await browser.close()
