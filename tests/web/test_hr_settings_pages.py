"""HR's attendance settings and compliance entry in a real browser (Debian's chromium driven
by Playwright) against the four services started as real processes on the real Kafka and
PostgreSQL, on a phone-sized screen (360 px): HR sets the apel from the overview (a refused
window first: the attendance service's reason shown at the form, what was typed and ticked
kept), on Mondays and Fridays at the registered device; sets the devices' punch window;
enters an employee's compliance % (refused first while the month's policy has no compliance
component, the form kept; entered once the policy uses it, the employee's month
recomputed); rosters a night shift over three days (refused first for a NIP not in the
directory). An employee is refused each of these pages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from ekinerja_shared.timeutil import zone
from tests.e2e.test_pipeline import STAFF
from tests.web.office import api_headers, chromium, fits, from_overview, hr_signed_in, office
from tests.web.test_pages import HR, shoot

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

PAGES = ("/app/sdm/apel", "/app/sdm/kepatuhan", "/app/sdm/shift")


async def test_hr_sets_apel_window_and_compliance_in_a_browser(kafka_bootstrap, tenant_id,
                                                               tmp_path, monkeypatch):
    from playwright.async_api import expect

    async with office(kafka_bootstrap, tenant_id, tmp_path, monkeypatch,
                      people=((STAFF, ()), (HR, ("hr",)))) as (system, gw):
        hr_api = await api_headers(gw, tenant_id, HR)
        period = f"{dt.datetime.now(zone('WITA')).date():%Y-%m}"
        base = system.gateway
        serial = f"APL{tenant_id[-8:].upper()}"
        r = await gw.post(f"/api/attendance/{tenant_id}/devices", headers=hr_api,
                          json={"serial_number": serial, "location": "Halaman kantor bupati"})
        assert r.status_code in (200, 201), r.text

        async with chromium() as browser:
            # an employee is refused each page; the apel, from the overview: none yet
            hr = await hr_signed_in(browser, base, tenant_id, STAFF, HR, PAGES)
            await from_overview(hr, base, "Apel & jam absen", "/app/sdm/apel")
            await expect(hr.locator("#apel-now")).to_contain_text("Apel belum diatur")
            # refused first: the window ends before it starts
            await hr.get_by_label("Jam mulai apel").fill("08:00")
            await hr.get_by_label("Jam selesai apel").fill("07:30")
            await hr.get_by_label("Jumat").check()
            await hr.get_by_label(serial).check()
            await hr.get_by_role("button", name="Simpan apel").click()
            await expect(hr.locator("#apel-error")).to_have_text(
                "Jam selesai apel harus setelah jam mulai.")
            await expect(hr.get_by_label("Jam mulai apel")).to_have_value("08:00")
            await expect(hr.get_by_label("Senin")).to_be_checked()
            await expect(hr.get_by_label("Jumat")).to_be_checked()
            await expect(hr.get_by_label("Selasa")).not_to_be_checked()
            await expect(hr.get_by_label(serial)).to_be_checked()
            # corrected
            await hr.get_by_label("Jam mulai apel").fill("07:30")
            await hr.get_by_label("Jam selesai apel").fill("08:00")
            await hr.get_by_role("button", name="Simpan apel").click()
            await expect(hr.locator("[role=status]")).to_contain_text("Apel disimpan")
            await expect(hr.locator("#apel-now")).to_have_text(
                f"Berlaku: Senin, Jumat 07:30-08:00, di {serial}.")
            r = await gw.get(f"/api/attendance/{tenant_id}/apel", headers=hr_api)
            assert r.json() == {"window_start": "07:30:00", "window_end": "08:00:00",
                                "weekdays": [0, 4], "device_serials": [serial]}, r.text

            # the punch window
            await hr.get_by_label("Paling lama ke belakang (hari)").fill("30")
            await hr.get_by_label("Paling jauh di depan jam server (jam)").fill("2")
            await hr.get_by_role("button", name="Simpan batas jam absen").click()
            await expect(hr.locator("[role=status]")).to_contain_text(
                "Batas jam absen disimpan")
            await expect(hr.get_by_label("Paling lama ke belakang (hari)")).to_have_value("30")
            await expect(hr.locator("main")).to_contain_text("Berlaku: Diatur instansi")
            r = await gw.get(f"/api/attendance/{tenant_id}/punch-window", headers=hr_api)
            assert r.json() == {"max_future_hours": 2, "max_age_days": 30,
                                "source": "tenant"}, r.text
            await fits(hr)
            await shoot(hr, "apel")

            # compliance: refused while the month's policy does not use it
            await from_overview(hr, base, "Nilai kepatuhan", "/app/sdm/kepatuhan")
            await expect(hr.locator("#not-used")).to_contain_text(
                "tidak memakai komponen kepatuhan")
            await hr.get_by_label("NIP pegawai").fill(STAFF)
            await hr.get_by_label("Nilai kepatuhan (%)").fill("87,5")
            await hr.get_by_label("Catatan").fill("LHKPN terlambat")
            await hr.get_by_role("button", name="Simpan nilai").click()
            await expect(hr.locator("#compliance-error")).to_contain_text(
                "tidak memiliki komponen kepatuhan")
            await expect(hr.get_by_label("Nilai kepatuhan (%)")).to_have_value("87,5")
            await expect(hr.get_by_label("NIP pegawai")).to_have_value(STAFF)
            # the month's policy uses compliance: entered, the month recomputed
            r = await gw.put(f"/api/scoring/{tenant_id}/policies/{period}", headers=hr_api,
                             json={"preset": "performance60_attendance30_compliance10"})
            assert r.status_code == 200, r.text
            await hr.get_by_role("button", name="Simpan nilai").click()
            await expect(hr.locator("[role=status]")).to_contain_text(
                "Nilai kepatuhan disimpan")
            await expect(hr.locator("#compliance-result")).to_contain_text(
                f"Budi Santoso, NIP {STAFF}: kepatuhan 87,50 %")
            await expect(hr.locator(f"table.missing tr[data-nip='{STAFF}']")).to_have_count(0)
            r = await gw.get(f"/api/scoring/{tenant_id}/scores/{STAFF}", headers=hr_api,
                             params={"period": period})
            assert Decimal(str(r.json()["sources"]["compliance"])) == Decimal("87.5"), r.text
            await fits(hr)
            await shoot(hr, "kepatuhan")

            # a night shift for three days: refused first (a NIP not in the directory)
            await from_overview(hr, base, "Jadwal shift", "/app/sdm/shift")
            first = dt.date.fromisoformat(f"{period}-01")
            await hr.get_by_label("NIP pegawai").fill("199912312020121999")
            await hr.get_by_label("Tanggal mulai").fill(first.isoformat())
            third = first + dt.timedelta(days=2)
            await hr.get_by_label("Tanggal selesai").fill(third.isoformat())
            await hr.get_by_label("Jam shift").fill("22:00-06:00")
            await hr.get_by_role("button", name="Simpan shift").click()
            await expect(hr.locator("#shift-error")).to_have_text(
                "Pegawai dengan NIP 199912312020121999 tidak terdaftar.")
            await expect(hr.get_by_label("Jam shift")).to_have_value("22:00-06:00")
            await hr.get_by_label("NIP pegawai").fill(STAFF)
            await hr.get_by_role("button", name="Simpan shift").click()
            await expect(hr.locator("[role=status]")).to_contain_text("Jadwal shift disimpan")
            rows = hr.locator(f"table.shifts tr[data-nip='{STAFF}']")
            await expect(rows).to_have_count(3)
            await expect(rows.first).to_contain_text("Budi Santoso")
            await expect(rows.nth(2)).to_contain_text("22:00-06:00")
            r = await gw.get(f"/api/attendance/{tenant_id}/shifts", headers=hr_api,
                             params={"period": period, "nip": STAFF})
            assert [(x["work_date"], x["hours"]) for x in r.json()] == [
                ((first + dt.timedelta(days=i)).isoformat(), "22:00-06:00")
                for i in range(3)], r.text
            await fits(hr)
            await shoot(hr, "shift")
