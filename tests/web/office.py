"""What the browser tests of the web application share: the four services running as real
processes with the test office seeded and its people able to sign in (every service
holding its copy of the directory), Debian's chromium driven by Playwright, and a page on a
phone-sized screen."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.processes import System, directory_everywhere, running_system
from tests.web.test_pages import (
    CHROMIUM_ARGS,
    PASSWORD,
    chromium_path,
    permanent_password,
    seed_office,
    sign_in,
)


@contextlib.asynccontextmanager
async def office(kafka_bootstrap: str, tenant_id: str, tmp_path: Path,
                 monkeypatch: pytest.MonkeyPatch,
                 people: tuple[tuple[str, tuple[str, ...]], ...]
                 ) -> AsyncIterator[tuple[System, httpx.AsyncClient]]:
    """The system with the office; each of ``people`` (NIP, granted roles) signs in with
    PASSWORD. Yields the system and a client of its gateway."""
    chromium_path()  # skipped before anything starts when there is no browser
    monkeypatch.setenv("EK_AUTH_COOKIE_SECURE", "false")  # plain http on 127.0.0.1
    async with running_system(kafka_bootstrap, tmp_path) as system, httpx.AsyncClient(
        base_url=system.gateway, timeout=15
    ) as gw:
        await seed_office(gw, tenant_id)
        for nip, roles in people:
            await permanent_password(gw, tenant_id, nip, roles=roles)
        # every service has its copy of the directory (a new consumer group reads the topic
        # from its start: on a long-lived shared broker that takes minutes)
        await directory_everywhere(system, timeout=600)
        yield system, gw


async def api_headers(gw: httpx.AsyncClient, tenant_id: str, nip: str) -> dict[str, str]:
    """An access token of ``nip`` for the API calls of a test (it lives 10 minutes)."""
    r = await gw.post("/api/auth/login", json={"tenant": tenant_id, "nip": nip,
                                               "password": PASSWORD, "session": "token"})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


@contextlib.asynccontextmanager
async def chromium() -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


async def phone(browser: Any) -> Any:
    """A page of its own browser context (own cookies), Indonesian, 360 px wide."""
    context = await browser.new_context(locale="id-ID", viewport={"width": 360, "height": 780})
    return await context.new_page()


async def fits(page, width: int = 360) -> None:
    """The page does not scroll sideways at phone width (wide tables scroll in their card)."""
    wide = await page.evaluate(
        """w => [...document.querySelectorAll('main *')]
               .filter(e => e.getBoundingClientRect().right > w + 1)
               .slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + e.outerHTML.slice(0, 80))""",
        width)
    assert await page.evaluate("document.documentElement.scrollWidth") <= width, (page.url, wide)


# an amount in rupiah as the pages write it (formats.rupiah), or with a plain space
AMOUNT = r"-?\u2060?Rp[ \u00a0][0-9.]+"


async def wrapped_amounts(page: Any) -> list[str]:
    """The rupiah amounts in the page's main part that the browser broke across lines
    (empty: each amount sits on one line)."""
    return list(await page.evaluate(
        """pattern => {
             const found = [], walk = document.createTreeWalker(
               document.querySelector('main'), NodeFilter.SHOW_TEXT);
             for (let node = walk.nextNode(); node; node = walk.nextNode()) {
               for (const m of node.data.matchAll(new RegExp(pattern, 'g'))) {
                 const range = document.createRange();
                 range.setStart(node, m.index);
                 range.setEnd(node, m.index + m[0].length);
                 const tops = new Set([...range.getClientRects()]
                   .filter(r => r.width > 0).map(r => Math.round(r.top)));
                 if (tops.size > 1) found.push(m[0]);
               }
             }
             return found;
           }""", AMOUNT))


async def refused_everywhere(page: Any, base: str, paths: tuple[str, ...]) -> None:
    """Each of ``paths`` answers the signed-in ``page`` 403 with the reason shown."""
    from playwright.async_api import expect

    for path in paths:
        answer = await page.goto(f"{base}{path}")
        assert answer is not None and answer.status == 403, path
        await expect(page.locator("[role=alert]")).to_contain_text("bukan untuk peran Anda")


async def hr_signed_in(browser: Any, base: str, tenant_id: str, staff: str, hr: str,
                       pages: tuple[str, ...]) -> Any:
    """On two phones: the employee ``staff`` is refused each of HR's ``pages``; then ``hr``
    signed in (their page returned, on the roster page HR lands on)."""
    from playwright.async_api import expect

    hr_page, staff_page = await phone(browser), await phone(browser)
    await sign_in(staff_page, base, tenant_id, staff, PASSWORD)
    await expect(staff_page).to_have_url(f"{base}/app/hari-ini")
    await refused_everywhere(staff_page, base, pages)
    await sign_in(hr_page, base, tenant_id, hr, PASSWORD)
    await expect(hr_page).to_have_url(f"{base}/app/sdm/roster")
    return hr_page


async def from_overview(page: Any, base: str, link: str, path: str) -> None:
    """HR opens one of the administration pages from the overview's card ``link``."""
    from playwright.async_api import expect

    await page.goto(f"{base}/app/sdm")
    await page.get_by_role("link", name=link).click()
    await expect(page).to_have_url(f"{base}{path}")
