"""HR's pages on people in a real browser (Debian's chromium driven by Playwright) against
the four services started as real processes on the real Kafka and PostgreSQL, on a
phone-sized screen (360 px): HR finds the employee list from the overview, searches it by
name and filters it by OPD (each row with the supervisor, device PIN and employment type);
assigns a Plh (the NIP field suggesting employees by name as HR types; a refused
assignment first: the activity service's reason shown at the
form, what was typed kept), sees it in force and withdraws it; changes one activity rule
(only that one is sent). An employee is refused each of these pages."""

from __future__ import annotations

import datetime as dt

import pytest

from ekinerja_shared.timeutil import zone
from gateway.web.formats import date_long
from tests.e2e.test_pipeline import HEAD, STAFF
from tests.web.office import api_headers, chromium, fits, from_overview, hr_signed_in, office
from tests.web.test_pages import HR, LEADER, shoot

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

PAGES = ("/app/sdm/pegawai", "/app/sdm/plt", "/app/sdm/aturan-aktivitas")


async def test_hr_manages_people_in_a_browser(kafka_bootstrap, tenant_id, tmp_path,
                                              monkeypatch):
    from playwright.async_api import expect

    async with office(kafka_bootstrap, tenant_id, tmp_path, monkeypatch,
                      people=((STAFF, ()), (HR, ("hr",)))) as (system, gw):
        hr_api = await api_headers(gw, tenant_id, HR)
        today = dt.datetime.now(zone("WITA")).date()
        base = system.gateway

        async with chromium() as browser:
            # an employee is refused each page
            hr = await hr_signed_in(browser, base, tenant_id, STAFF, HR, PAGES)
            # HR finds the employee list from the overview: everyone, with the details
            await from_overview(hr, base, "Daftar pegawai", "/app/sdm/pegawai")
            await expect(hr.locator("#list-title")).to_have_text("4 dari 4 pegawai")
            budi = hr.locator(f"tr[data-nip='{STAFF}']")
            for shown in ("Budi Santoso", "Bagian Umum", "Pelaksana", "Hj. Siti Aminah",
                          HEAD, "PNS", "11", "Aktif"):
                await expect(budi).to_contain_text(shown)
            await fits(hr)
            await shoot(hr, "pegawai")
            # searched by part of the name, typed with the keyboard
            await hr.get_by_label("Nama atau NIP").focus()
            await hr.keyboard.type("budi")
            await hr.keyboard.press("Enter")
            await expect(hr.locator("#list-title")).to_have_text("1 dari 4 pegawai")
            await expect(hr.locator("table.employees tbody tr")).to_have_count(1)
            # filtered by OPD (the search emptied)
            await hr.get_by_label("Nama atau NIP").fill("")
            await hr.get_by_label("OPD").select_option(label="Sekretariat Daerah")
            await hr.get_by_role("button", name="Cari").click()
            await expect(hr.locator("table.employees tbody tr")).to_have_count(1)
            await expect(hr.locator(f"tr[data-nip='{LEADER}']")).to_contain_text(
                "Ir. Bambang Wijaya")

            # a Plh while the head is away: refused first (ends before it starts)
            await from_overview(hr, base, "Plt dan Plh", "/app/sdm/plt")
            await hr.get_by_label("NIP pejabat definitif").fill(HEAD)
            # the NIP field suggests employees by name as one types (the page does not
            # carry the whole directory)
            await expect(hr.locator("#pegawai option")).to_have_count(0)
            await hr.get_by_label("NIP pelaksana").focus()
            await hr.keyboard.type("bambang")
            await expect(hr.locator("#pegawai option")).to_have_count(1)
            await expect(hr.locator(f"#pegawai option[value='{LEADER}']")).to_have_text(
                "Ir. Bambang Wijaya · Sekretariat Daerah")
            await hr.get_by_label("NIP pelaksana").fill(LEADER)
            await hr.get_by_label("Jenis penugasan").select_option("plh")
            await hr.get_by_label("Tanggal mulai").fill(today.isoformat())
            await hr.get_by_label("Tanggal selesai").fill(
                (today - dt.timedelta(days=1)).isoformat())
            await hr.get_by_role("button", name="Simpan penugasan").click()
            await expect(hr.locator("#acting-error")).to_have_text(
                "Tanggal akhir penugasan Plt/Plh harus setelah tanggal mulai.")
            await expect(hr.get_by_label("NIP pelaksana")).to_have_value(LEADER)
            end = today + dt.timedelta(days=3)
            await hr.get_by_label("Tanggal selesai").fill(end.isoformat())
            await hr.get_by_role("button", name="Simpan penugasan").click()
            await expect(hr.locator("[role=status]")).to_contain_text(
                "Penugasan Plt/Plh disimpan")
            row = hr.locator("table.acting tbody tr").first
            for shown in ("Plh", "Berlaku", "Hj. Siti Aminah", "Ir. Bambang Wijaya",
                          f"{date_long(today)} s.d. {date_long(end)}"):
                await expect(row).to_contain_text(shown)
            r = await gw.get(f"/api/activity/{tenant_id}/acting", headers=hr_api)
            assert [(a["principal_nip"], a["acting_nip"], a["kind"], a["end_date"])
                    for a in r.json()] == [(HEAD, LEADER, "plh", end.isoformat())]
            await fits(hr)
            await shoot(hr, "plt")
            # withdrawn
            await row.get_by_role("button", name="Cabut").click()
            await expect(hr.locator("[role=status]")).to_contain_text(
                "Penugasan Plt/Plh dicabut")
            await expect(hr.locator("table.acting")).to_have_count(0)
            r = await gw.get(f"/api/activity/{tenant_id}/acting", headers=hr_api)
            assert r.json() == []

            # the activity rules: one limit changed, the others kept
            await from_overview(hr, base, "Aturan aktivitas", "/app/sdm/aturan-aktivitas")
            before = (await gw.get(f"/api/activity/{tenant_id}/rules",
                                   headers=hr_api)).json()
            cap = 480 if before["daily_cap_minutes"] != 480 else 420
            await hr.get_by_label("Batas menit aktivitas per hari").fill(str(cap))
            await hr.get_by_role("button", name="Simpan perubahan").click()
            await expect(hr.locator("[role=status]")).to_contain_text(
                "Aturan aktivitas disimpan")
            await expect(hr.get_by_label("Batas menit aktivitas per hari")).to_have_value(
                str(cap))
            await fits(hr)
            await shoot(hr, "aturan-aktivitas")
            after = (await gw.get(f"/api/activity/{tenant_id}/rules",
                                  headers=hr_api)).json()
            assert after == {**before, "daily_cap_minutes": cap}, (before, after)
