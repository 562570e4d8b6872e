"""The web application's sign-in at the gateway (in-process, PostgreSQL): the sign-in form,
the first-password change, the CSRF token of forms, refusals as pages for browsers and as
JSON for API clients, sign-out. The services' pages are driven in a real browser by
tests/web."""

from __future__ import annotations

import pytest

from ekinerja_shared.tokens import ACCESS_COOKIE, CSRF_COOKIE, REFRESH_COOKIE
from gateway.app import create_app
from tests.support.auth import (
    DEDI,
    LIA,
    NEW_PASSWORD,
    auth_settings,
    one_time_password,
    running_auth_app,
    seed_regency,
)

pytestmark = pytest.mark.integration
HTML = {"accept": "text/html"}


async def test_sign_in_form_first_password_csrf_and_sign_out(settings, tenant_id):
    async with running_auth_app(create_app(auth_settings(settings))) as client:
        await seed_regency(client, tenant_id)
        otp = await one_time_password(client, tenant_id, LIA)

        form = {"tenant": tenant_id, "nip": LIA, "password": "salah-sekali-123", "next": "/"}
        r = await client.post("/app/masuk", data=form, headers=HTML)
        assert r.status_code == 401 and "NIP atau kata sandi salah" in r.text
        assert f'value="{LIA}"' in r.text and ACCESS_COOKIE not in client.cookies

        # a one-time password: the password page first
        r = await client.post("/app/masuk", data={**form, "password": otp}, headers=HTML)
        assert r.status_code == 303 and r.headers["location"] == "/app/kata-sandi"
        token = client.cookies[CSRF_COOKIE]
        change = {"current_password": otp, "new_password": NEW_PASSWORD,
                  "repeat_password": NEW_PASSWORD}
        # a form without its CSRF token is refused by the one CSRF check
        r = await client.post("/app/kata-sandi", data=change, headers=HTML)
        assert r.status_code == 403 and r.json()["code"] == "csrf_failed"
        r = await client.post("/app/kata-sandi", data={**change, "csrf_token": "lain"},
                              headers=HTML)
        assert r.status_code == 403 and r.json()["code"] == "csrf_failed"
        r = await client.post("/app/kata-sandi", headers=HTML,
                              data={**change, "repeat_password": "beda", "csrf_token": token})
        assert r.status_code == 422 and "tidak sama" in r.text
        r = await client.post("/app/kata-sandi", data={**change, "csrf_token": token},
                              headers=HTML)
        assert r.status_code == 303 and r.headers["location"] == "/app/hari-ini"

        # signed in: the start page by role; the sign-in page's form carries the token
        r = await client.get("/app", headers=HTML)
        assert r.status_code == 303 and r.headers["location"] == "/app/hari-ini"
        page = await client.get("/app/masuk", headers=HTML)
        assert f'name="csrf_token" value="{client.cookies[CSRF_COOKIE]}"' in page.text
        # another role's page: a page with the reason for browsers, JSON for API clients
        r = await client.get("/app/sdm/roster", headers=HTML)
        assert r.status_code == 403 and "bukan untuk peran Anda" in r.text
        r = await client.get("/app/sdm/roster")
        assert r.status_code == 403 and r.json()["code"] == "forbidden"

        # sign-out ends the sign-in (its refresh token revoked) and clears every cookie;
        # the pages send the browser to the sign-in page
        refresh = client.cookies[REFRESH_COOKIE]
        r = await client.post("/api/auth/keluar", headers=HTML, data={"csrf_token": "lain"})
        assert r.status_code == 403 and r.json()["code"] == "csrf_failed"
        r = await client.post("/api/auth/keluar", headers=HTML,
                              data={"csrf_token": client.cookies[CSRF_COOKIE]})
        assert r.status_code == 303 and r.headers["location"] == "/app/masuk"
        assert not {ACCESS_COOKIE, REFRESH_COOKIE, CSRF_COOKIE} & set(client.cookies.keys())
        r = await client.post("/api/auth/refresh", json={"refresh_token": refresh})
        assert r.status_code == 401, r.text
        r = await client.get("/app/nilai?period=2026-10", headers=HTML)
        assert r.status_code == 303
        assert r.headers["location"] == "/app/masuk?next=%2Fapp%2Fnilai%3Fperiod%3D2026-10"


async def test_sign_in_lands_on_the_role_page_and_next_stays_on_site(settings, tenant_id):
    async with running_auth_app(create_app(auth_settings(settings))) as client:
        await seed_regency(client, tenant_id)
        r = await client.put(f"/api/tenants/{tenant_id}/accounts/{DEDI}/roles",
                             json={"roles": ["hr"]},
                             headers={"Authorization": "Bearer test-admin-token"})
        assert r.status_code == 200, r.text
        otp = await one_time_password(client, tenant_id, DEDI)
        r = await client.post("/app/masuk", headers=HTML, data={
            "tenant": tenant_id, "nip": DEDI, "password": otp,
            "next": "https://evil.example/"})
        assert r.headers["location"] == "/app/kata-sandi"  # not the other site
        r = await client.post("/app/kata-sandi", headers=HTML, data={
            "current_password": otp, "new_password": NEW_PASSWORD,
            "repeat_password": NEW_PASSWORD, "csrf_token": client.cookies[CSRF_COOKIE]})
        assert r.status_code == 303 and r.headers["location"] == "/app/sdm/roster"
        r = await client.get("/app/sdm/roster", headers=HTML)
        assert r.status_code == 200 and "Unggah" in r.text and "Pemerintah Kota Uji" in r.text
        assert 'aria-current="page"' in r.text
