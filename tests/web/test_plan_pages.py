"""The work plan (SKP/RPOK) and pay slip pages in a real browser (Debian's chromium driven
by Playwright) against the four services started as real processes on the real Kafka and
PostgreSQL, on a phone-sized screen (360 px).

The employee finds "Rencana kerja" in the menu, adds a plan item (a refused one first: the
reason in Bahasa Indonesia at the form, what was typed kept), changes its target, logs an
activity against it from "Hari ini"; once the supervisor approves it the plan shows its
realisation. The supervisor reads the plans of their team member (no edit form), an
employee may not, a Plh of the supervisor may while acting. The employee opens their "Slip TPP" from "Nilai saya" (bruto, cuts,
BPJS, PPh 21, netto, status sementara; printable; no amount broken across lines at 360 or
390 px) and may not open a colleague's; HR opens
any employee's by NIP (suggested by name) and reads their plans."""

from __future__ import annotations

import datetime as dt

import pytest

from ekinerja_shared.timeutil import zone
from gateway.web.formats import period_label, shift_period
from tests.e2e.test_pipeline import HEAD, STAFF
from tests.e2e.test_pipeline import last_mon_to_thu_before as work_day
from tests.web.office import api_headers, chromium, fits, office, phone, wrapped_amounts
from tests.support.apps import eventually
from tests.web.test_pages import HR, LEADER, PASSWORD, shoot, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


async def test_plans_and_pay_slip_in_a_browser(kafka_bootstrap, tenant_id, tmp_path,
                                               monkeypatch):
    from playwright.async_api import expect

    async with office(kafka_bootstrap, tenant_id, tmp_path, monkeypatch,
                      people=((STAFF, ()), (HEAD, ()), (HR, ("hr",)), (LEADER, ()))
                      ) as (system, gw):
        today = dt.datetime.now(zone("WITA")).date()
        day = work_day(today)
        period = f"{day:%Y-%m}"
        base = system.gateway

        async with chromium() as browser:
            staff, head, hr = await phone(browser), await phone(browser), await phone(browser)
            await sign_in(staff, base, tenant_id, STAFF, PASSWORD)
            await expect(staff).to_have_url(f"{base}/app/hari-ini")

            # the employee's plans: from the menu, of the month of the work day
            await staff.get_by_role("link", name="Rencana kerja").first.click()
            await expect(staff).to_have_url(f"{base}/app/rencana")
            await staff.goto(f"{base}/app/rencana?period={period}")
            await expect(staff.get_by_role("heading", name=f"Tambah rencana "
                                                            f"{period_label(period)}")
                         ).to_be_visible()
            # refused first (a target of zero), typed with the keyboard; what was typed kept
            await staff.get_by_label("Jenis rencana").select_option("skp")
            await staff.get_by_label("Uraian rencana").focus()
            await staff.keyboard.type("Menyusun laporan bulanan")
            await staff.get_by_label("Target kuantitas").fill("0")
            await staff.get_by_label("Satuan").fill("laporan")
            await staff.get_by_role("button", name="Simpan rencana").click()
            await expect(staff.locator("#plan-error")).to_have_text(
                "Target kuantitas harus lebih dari nol.")
            await expect(staff.get_by_label("Uraian rencana")).to_have_value(
                "Menyusun laporan bulanan")
            await staff.get_by_label("Target kuantitas").fill("4")
            await staff.get_by_role("button", name="Simpan rencana").click()
            await expect(staff.locator("[role=status]")).to_contain_text(
                "Rencana kerja disimpan")
            item = staff.locator("li.plan", has_text="Menyusun laporan bulanan")
            await expect(item).to_contain_text("Target 4 laporan")
            await expect(item).to_contain_text("0,00 %")
            plan_id = await item.get_attribute("data-plan")

            # changed: the target with a decimal comma
            await item.get_by_text("Ubah rencana").click()
            await item.get_by_label("Target kuantitas").fill("6,5")
            await item.get_by_role("button", name="Simpan perubahan").click()
            await expect(staff.locator("[role=status]")).to_contain_text("Rencana kerja diubah")
            await expect(staff.locator(f"li.plan[data-plan='{plan_id}']")).to_contain_text(
                "Target 6,5 laporan")

            # "Hari ini" offers the plan item; an activity is logged against it
            await staff.goto(f"{base}/app/hari-ini")
            await staff.get_by_label("Rencana kerja (SKP/RPOK)").select_option(plan_id)
            await staff.get_by_label("Tanggal").fill(day.isoformat())
            await staff.get_by_label("Mulai").fill("08:00")
            await staff.get_by_label("Selesai").fill("10:00")
            await staff.get_by_label("Uraian kegiatan").fill("Menyusun laporan keuangan")
            await staff.get_by_label("Jumlah keluaran").fill("2")
            await staff.get_by_label("Satuan").fill("laporan")
            await staff.get_by_role("button", name="Simpan dan kirim").click()
            await expect(staff.locator("[role=status]")).to_contain_text("Aktivitas dicatat")
            await fits(staff)

            # the supervisor approves it (the queue page has its own test)
            head_api = await api_headers(gw, tenant_id, HEAD)
            r = await gw.get(f"/api/activity/{tenant_id}/entries", headers=head_api,
                             params={"nip": STAFF, "period": period})
            assert r.status_code == 200, r.text
            linked = [e for e in r.json() if e["plan_item_id"] == plan_id]
            assert len(linked) == 1, r.json()
            r = await gw.post(f"/api/activity/{tenant_id}/approvals/bulk", headers=head_api,
                              json={"decisions": [{"entry_id": linked[0]["id"],
                                                   "approve": True}]})
            assert r.status_code == 200 and r.json()["refused"] == 0, r.text
            await staff.goto(f"{base}/app/rencana?period={period}")
            item = staff.locator(f"li.plan[data-plan='{plan_id}']")
            await expect(item).to_contain_text("tercapai 2 laporan (1 aktivitas disetujui)")
            await expect(item).to_contain_text("30,77 %")
            await fits(staff)
            await shoot(staff, "rencana")

            # an employee without a team may not read others' plans
            answer = await staff.goto(f"{base}/app/tim/rencana?nip={HEAD}")
            assert answer is not None and answer.status == 403

            # the supervisor reads the team member's plans (read-only), from the team list
            await sign_in(head, base, tenant_id, HEAD, PASSWORD)
            await head.goto(f"{base}/app/tim/rencana?period={period}")
            await head.get_by_label("Anggota tim").select_option(STAFF)
            await head.get_by_role("button", name="Tampilkan").click()
            shown = head.locator(f"li.plan[data-plan='{plan_id}']")
            await expect(shown).to_contain_text("Menyusun laporan bulanan")
            await expect(shown).to_contain_text("30,77 %")
            await expect(head.get_by_text("Ubah rencana")).to_have_count(0)
            await expect(head.locator("h2#plans-title")).to_contain_text("Budi Santoso")
            await fits(head)
            await shoot(head, "rencana-tim")

            # the pay slip: from "Nilai saya"
            await staff.goto(f"{base}/app/nilai?period={period}")
            await staff.get_by_role("link", name=f"Slip TPP {period_label(period)}").click()
            await expect(staff).to_have_url(f"{base}/app/slip?period={period}")
            sheet = staff.locator("article.slip-sheet")
            await expect(sheet.locator("[data-status]")).to_have_text("Sementara")
            for shown_text in ("Budi Santoso", STAFF, "Penghasilan bruto per komponen",
                               "Potongan", "BPJS Kesehatan", "PPh 21", "Rp 4.500.000"):
                await expect(sheet).to_contain_text(shown_text)
            await expect(sheet.locator("[data-netto]")).to_contain_text("Rp ")
            await expect(staff.get_by_role("button", name="Cetak slip")).to_be_visible()
            await fits(staff)
            # no amount broken between "Rp" and the number, at 360 and at 390 px
            for width in (390, 360):
                await staff.set_viewport_size({"width": width, "height": 780})
                assert await wrapped_amounts(staff) == [], width
            await shoot(staff, "slip")
            # printed: the sheet without the menu and the buttons
            await staff.emulate_media(media="print")
            await expect(staff.locator("nav.nav")).to_be_hidden()
            await expect(staff.get_by_role("button", name="Cetak slip")).to_be_hidden()
            await expect(sheet).to_be_visible()
            await staff.emulate_media(media="screen")
            # a colleague's slip is not the employee's to read
            answer = await staff.goto(f"{base}/app/slip?nip={HEAD}")
            assert answer is not None and answer.status == 403

            # HR: any employee's slip by NIP (suggested by name) and their plans
            await sign_in(hr, base, tenant_id, HR, PASSWORD)
            await hr.goto(f"{base}/app/slip?period={period}")
            await hr.get_by_label("NIP pegawai").fill("")
            await hr.get_by_label("NIP pegawai").focus()
            await hr.keyboard.type("budi")
            await expect(hr.locator(f"#pegawai option[value='{STAFF}']")).to_have_count(1)
            await hr.get_by_label("NIP pegawai").fill(STAFF)
            await hr.get_by_role("button", name="Tampilkan").click()
            await expect(hr.locator("article.slip-sheet")).to_contain_text("Budi Santoso")
            await expect(hr.locator("nav.period a[rel=prev]")).to_have_attribute(
                "href", f"?nip={STAFF}&period={shift_period(period, -1)}")
            await fits(hr)
            await hr.goto(f"{base}/app/tim/rencana?nip={STAFF}&period={period}")
            await expect(hr.locator(f"li.plan[data-plan='{plan_id}']")).to_contain_text(
                "Target 6,5 laporan")

            # a Plh of the head (no team of their own before) reads the plans while acting
            plh = await phone(browser)
            await sign_in(plh, base, tenant_id, LEADER, PASSWORD)
            await expect(plh).to_have_url(f"{base}/app/hari-ini")
            answer = await plh.goto(f"{base}/app/tim/rencana")
            assert answer is not None and answer.status == 403
            r = await gw.post(f"/api/activity/{tenant_id}/acting",
                              headers=await api_headers(gw, tenant_id, HR),
                              json={"principal_nip": HEAD, "acting_nip": LEADER, "kind": "plh",
                                    "start_date": today.isoformat(),
                                    "end_date": (today + dt.timedelta(days=2)).isoformat()})
            assert r.status_code == 201, r.text

            async def acting_known() -> bool:  # the gateway's copy of the assignment
                r = await gw.get(f"/api/tenants/{tenant_id}/employees",
                                 headers=await api_headers(gw, tenant_id, LEADER))
                return STAFF in {e["nip"] for e in r.json()}

            await eventually(acting_known, timeout=60, interval=1)
            plh = await phone(browser)  # signed in again: the role is decided at sign-in
            await sign_in(plh, base, tenant_id, LEADER, PASSWORD)
            await expect(plh).to_have_url(f"{base}/app/persetujuan")
            await plh.goto(f"{base}/app/tim/rencana?period={period}")
            await plh.get_by_label("Anggota tim").select_option(STAFF)
            await plh.get_by_role("button", name="Tampilkan").click()
            await expect(plh.locator(f"li.plan[data-plan='{plan_id}']")).to_contain_text(
                "30,77 %")

