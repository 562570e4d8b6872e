"""The regency HR's administration pages in a real browser (Debian's chromium driven by
Playwright) against the four services started as real processes on the real Kafka and
PostgreSQL, on a phone-sized screen (360 px): HR finds the pages from the menu, declares a
holiday (typed with the keyboard) and sees it listed, enters leave (a refused one first:
the service's reason in Bahasa Indonesia shown at the form, what was typed kept), changes
one attendance rule and the policy's weights (only those are sent), discards a device line
set aside in quarantine, corrects a day of the closed last month (a refused correction
first) and finds it among that month's late facts; an employee is refused every HR
page."""

from __future__ import annotations

import datetime as dt

import pytest

from ekinerja_shared.timeutil import zone
from gateway.web.formats import date_long, shift_period
from tests.e2e.test_pipeline import STAFF
from tests.e2e.test_pipeline import last_mon_to_thu_before as work_day
from tests.support.apps import eventually
from tests.web.office import api_headers, chromium, fits, office, phone, refused_everywhere
from tests.web.test_pages import HR, PASSWORD, shoot, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

HR_PAGES = ("/app/sdm", "/app/sdm/jadwal", "/app/sdm/libur", "/app/sdm/cuti",
            "/app/sdm/koreksi", "/app/sdm/aturan", "/app/sdm/kebijakan", "/app/sdm/karantina")


async def late_listed(page, url: str) -> bool:
    """The month page, loaded again, lists a late fact."""
    await page.goto(url)
    return await page.locator("table.late tbody tr").count() > 0


async def test_hr_administers_the_regency_in_a_browser(kafka_bootstrap, tenant_id, tmp_path,
                                                      monkeypatch):
    from playwright.async_api import expect

    async with office(kafka_bootstrap, tenant_id, tmp_path, monkeypatch,
                      people=((STAFF, ()), (HR, ("hr",)))) as (system, gw):
        hr_api = await api_headers(gw, tenant_id, HR)

        today = dt.datetime.now(zone("WITA")).date()
        day = work_day(today)
        base = system.gateway
        # a device line set aside: an impossible time
        serial = f"CQH{tenant_id[-8:].upper()}"
        r = await gw.post(f"/api/attendance/{tenant_id}/devices", headers=hr_api,
                          json={"serial_number": serial, "location": "Kantor BKPSDM"})
        assert r.status_code in (200, 201), r.text
        r = await gw.post("/iclock/cdata", params={"SN": serial, "table": "ATTLOG", "Stamp": "1"},
                          content=f"11\t{day} 25:99:00\t0\t1\r\n")
        assert r.status_code == 200, r.text

        async with chromium() as browser:
            hr, staff = await phone(browser), await phone(browser)

            # an employee is refused every HR page, and has no menu entry for them
            await sign_in(staff, base, tenant_id, STAFF, PASSWORD)
            await expect(staff).to_have_url(f"{base}/app/hari-ini")
            await expect(staff.get_by_role("link", name="Administrasi SDM")).to_have_count(0)
            await refused_everywhere(staff, base, HR_PAGES)

            # HR finds the pages from the menu
            await sign_in(hr, base, tenant_id, HR, PASSWORD)
            await expect(hr).to_have_url(f"{base}/app/sdm/roster")
            await hr.locator(".nav-toggle").click()  # the phone menu opens on a tap
            await hr.get_by_role("link", name="Administrasi SDM").click()
            await expect(hr).to_have_url(f"{base}/app/sdm")
            await fits(hr)
            await shoot(hr, "sdm")
            await hr.get_by_role("link", name="Hari libur").click()
            await expect(hr).to_have_url(f"{base}/app/sdm/libur")

            # declares a holiday, typed with the keyboard, and sees it listed
            holiday = today + dt.timedelta(days=40)
            await hr.get_by_label("Tanggal libur").fill(holiday.isoformat())
            await hr.get_by_label("Nama hari libur").focus()
            await hr.keyboard.type("Hari Jadi Kabupaten")
            await hr.keyboard.press("Tab")  # the kind
            await hr.keyboard.press("ArrowDown")  # Cuti bersama
            await hr.keyboard.press("ArrowDown")  # Libur daerah
            await hr.keyboard.press("Tab")
            await hr.keyboard.press("Enter")
            await expect(hr.locator("[role=status]")).to_contain_text("Hari libur disimpan")
            row = hr.locator(f"tr[data-date='{holiday.isoformat()}']")
            await expect(row).to_contain_text("Hari Jadi Kabupaten")
            await expect(row).to_contain_text(date_long(holiday))
            await expect(row).to_contain_text("Libur daerah")
            await fits(hr)
            await shoot(hr, "libur")

            # leave: a refused one first (ends before it starts), then the right one
            await hr.goto(f"{base}/app/sdm/cuti")
            await hr.get_by_label("NIP pegawai").fill(STAFF)
            await hr.get_by_label("Jenis cuti/izin").select_option("CLTN")
            await hr.get_by_label("Tanggal mulai").fill(day.isoformat())
            await hr.get_by_label("Tanggal selesai").fill(
                (day - dt.timedelta(days=1)).isoformat())
            await hr.get_by_label("Keterangan").fill("Urusan keluarga")
            await hr.get_by_role("button", name="Simpan cuti/izin").click()
            error = hr.locator("#leave-error")
            await expect(error).to_have_text(
                "Tanggal selesai cuti harus sama atau setelah tanggal mulai.")
            await expect(hr.get_by_label("Keterangan")).to_have_value("Urusan keluarga")
            await hr.get_by_label("Tanggal selesai").fill(day.isoformat())
            await hr.get_by_role("button", name="Simpan cuti/izin").click()
            await expect(hr.locator("[role=status]")).to_contain_text("Cuti/izin dicatat")
            leave = hr.locator("table.leaves tbody tr", has_text="Budi Santoso")
            await expect(leave).to_contain_text("Cuti di luar tanggungan negara")
            await fits(hr)
            await shoot(hr, "cuti")
            await leave.get_by_role("button", name="Batalkan").click()
            await expect(hr.locator("[role=status]")).to_contain_text("Cuti/izin dibatalkan")
            await expect(hr.locator("table.leaves tbody tr", has_text="Budi Santoso")
                         ).to_contain_text("Dibatalkan")

            # the attendance rules: one percentage changed, the rest kept
            await hr.goto(f"{base}/app/sdm/aturan")
            before = await hr.get_by_label("Toleransi terlambat (menit)").input_value()
            await hr.get_by_label("Potongan TK (tanpa keterangan)").fill("4,5")
            await hr.get_by_role("button", name="Simpan perubahan").click()
            await expect(hr.locator("[role=status]")).to_contain_text("Aturan presensi")
            await expect(hr.get_by_label("Potongan TK (tanpa keterangan)")).to_have_value(
                "4,5")
            await expect(hr.get_by_label("Toleransi terlambat (menit)")).to_have_value(before)
            await fits(hr)
            await shoot(hr, "aturan")
            rules = (await gw.get(f"/api/attendance/{tenant_id}/rules",
                                  headers=hr_api)).json()
            assert (rules["source"], rules["rules"]["tk_pct"]) == ("custom", "4.5"), rules

            # the scoring policy from this month on: the weights changed
            period = f"{today:%Y-%m}"
            await hr.goto(f"{base}/app/sdm/kebijakan?period={period}")
            await hr.get_by_label("Bobot Kinerja (%)").fill("65")
            await hr.get_by_label("Bobot Disiplin (%)").fill("35")
            await hr.get_by_role("button", name="Simpan perubahan").click()
            await expect(hr.locator("[role=status]")).to_contain_text("Kebijakan penilaian")
            await expect(hr.locator("table.list").first).to_contain_text("65,0 %")
            await fits(hr)
            await shoot(hr, "kebijakan")

            # the device line set aside, with its reason; HR discards it
            await hr.goto(f"{base}/app/sdm/karantina")
            entry = hr.locator("li.entry", has_text="Presensi")
            await expect(entry).to_have_count(1)
            await fits(hr)
            await shoot(hr, "karantina")
            await entry.get_by_label("Alasan membuang").fill("Jam mesin rusak")
            await entry.get_by_role("button", name="Buang").click()
            await expect(hr.locator("[role=status]")).to_contain_text("Data dibuang")
            await expect(hr.locator("li.entry", has_text="Presensi")).to_have_count(0)

            # last month closed; a correction of one of its days is a late fact there
            last = shift_period(period, -1)
            r = await gw.post(f"/api/tenants/{tenant_id}/periods/{last}/close",
                              headers=hr_api, json={"confirm": True})
            assert r.status_code == 200, r.text
            corrected = work_day(today.replace(day=1))
            await hr.goto(f"{base}/app/sdm/koreksi")
            await hr.get_by_label("NIP pegawai", exact=True).fill(STAFF)
            await hr.get_by_label("Tanggal yang dikoreksi").fill(corrected.isoformat())
            await hr.get_by_label("Jam datang", exact=True).fill("16:00")
            await hr.get_by_label("Jam pulang", exact=True).fill("07:30")
            await hr.get_by_label("Alasan koreksi").fill("Mesin presensi rusak")
            await hr.get_by_role("button", name="Simpan koreksi").click()
            await expect(hr.locator("#correction-error")).to_have_text(
                "Jam pulang harus setelah jam datang.")
            await expect(hr.get_by_label("Alasan koreksi")).to_have_value(
                "Mesin presensi rusak")
            await hr.get_by_label("Jam datang", exact=True).fill("07:30")
            await hr.get_by_label("Jam pulang", exact=True).fill("16:00")
            await hr.get_by_role("button", name="Simpan koreksi").click()
            await expect(hr.locator("[role=status]")).to_contain_text("Koreksi presensi")
            trail = hr.locator("table.corrections tbody tr").first
            await expect(trail).to_contain_text(date_long(corrected))
            await expect(trail).to_contain_text("07:30")
            await fits(hr)
            await shoot(hr, "koreksi")
            await eventually(lambda: late_listed(hr, f"{base}/app/sdm/bulan?period={last}"),
                             timeout=60)
            await expect(hr.locator("table.late tbody tr").first).to_contain_text(
                "Budi Santoso")
            await fits(hr)

            await hr.goto(f"{base}/app/sdm/jadwal")
            await expect(hr.locator("h1")).to_have_text("Jadwal kerja")
            await fits(hr)
            await shoot(hr, "jadwal")
