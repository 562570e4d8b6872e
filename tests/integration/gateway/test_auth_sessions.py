"""Sessions on PostgreSQL: refresh-token rotation and reuse detection, sign-out, and access
that ends when HR disables the account or the roster deactivates the employee."""

from __future__ import annotations

import pytest

from ekinerja_shared.tokens import ACCESS_COOKIE, REFRESH_COOKIE
from gateway.app import create_app
from tests.support.auth import (
    ADMIN,
    DEDI,
    LIA,
    NEW_PASSWORD,
    SITI,
    auth_settings,
    bearer,
    csrf,
    login,
    running_auth_app,
    seed_regency,
    signed_in,
)

pytestmark = pytest.mark.integration


async def refresh(client, token: str):
    return await client.post("/api/auth/refresh", json={"refresh_token": token})


async def test_refresh_rotates_and_a_reused_token_ends_the_whole_sign_in(settings, tenant_id):
    async with running_auth_app(create_app(auth_settings(settings))) as client:
        await seed_regency(client, tenant_id)
        first = await signed_in(client, tenant_id, LIA)
        r1 = first["refresh_token"]
        r = await refresh(client, r1)
        assert r.status_code == 200, r.text
        r2 = r.json()["refresh_token"]
        assert r2 != r1 and r.json()["access_token"] != first["access_token"]
        assert r.json()["roles"] == ["employee"]
        r = await refresh(client, r2)
        assert r.status_code == 200
        r3 = r.json()["refresh_token"]

        # r1 was stolen and is played again: the whole family ends, r3 included
        r = await refresh(client, r1)
        assert r.status_code == 401 and r.json()["code"] == "refresh_reused"
        r = await refresh(client, r3)
        assert r.status_code == 401 and r.json()["code"] == "session_revoked"
        r = await refresh(client, "bukan-token")
        assert r.status_code == 401 and r.json()["code"] == "invalid_session"
        # a sign-in of its own is not touched
        other = (await login(client, tenant_id, LIA, NEW_PASSWORD)).json()
        assert (await refresh(client, other["refresh_token"])).status_code == 200

        audit = (await client.get(f"/api/tenants/{tenant_id}/audit", headers=ADMIN)).json()
        reuse = [e for e in audit if e["action"] == "refresh_reuse"]
        assert len(reuse) == 1 and reuse[0]["target"] == LIA and reuse[0]["source_ip"]


async def test_browser_session_refresh_and_sign_out_with_csrf(settings, tenant_id):
    async with running_auth_app(create_app(auth_settings(settings))) as client:
        await seed_regency(client, tenant_id)
        await signed_in(client, tenant_id, SITI)
        r = await login(client, tenant_id, SITI, NEW_PASSWORD, session="cookie")
        assert r.status_code == 200 and r.json()["refresh_token"] is None
        old_refresh = client.cookies.get(REFRESH_COOKIE)
        assert (await client.get("/api/auth/me")).json()["nip"] == SITI

        r = await client.post("/api/auth/refresh")
        assert r.status_code == 403 and r.json()["code"] == "csrf_failed"
        r = await client.post("/api/auth/refresh", headers={"X-CSRF-Token": "tebakan"})
        assert r.status_code == 403
        r = await client.post("/api/auth/refresh", headers=csrf(client))
        assert r.status_code == 200, r.text
        new_refresh = client.cookies.get(REFRESH_COOKIE)
        assert new_refresh and new_refresh != old_refresh

        r = await client.post("/api/auth/logout")
        assert r.status_code == 403  # sign-out is CSRF-protected too
        r = await client.post("/api/auth/logout", headers=csrf(client))
        assert r.status_code == 204
        assert ACCESS_COOKIE not in client.cookies and REFRESH_COOKIE not in client.cookies
        assert (await client.get("/api/auth/me")).status_code == 401
        r = await refresh(client, new_refresh)
        assert r.status_code == 401 and r.json()["code"] == "session_revoked"
        audit = (await client.get(f"/api/tenants/{tenant_id}/audit", headers=ADMIN,
                                  params={"action": "logout"})).json()
        assert [e["actor"] for e in audit] == [f"{tenant_id}:{SITI}"]


async def test_bearer_requests_need_no_csrf_header(settings, tenant_id):
    async with running_auth_app(create_app(auth_settings(settings))) as client:
        await seed_regency(client, tenant_id)
        hr = await signed_in(client, tenant_id, DEDI, roles=["hr"])
        client.cookies.set(ACCESS_COOKIE, hr["access_token"])  # a browser cookie as well
        r = await client.put(f"/api/tenants/{tenant_id}/accounts/{LIA}/password",
                             headers=bearer(hr["access_token"]))
        assert r.status_code == 200
        r = await client.put(f"/api/tenants/{tenant_id}/accounts/{LIA}/password")
        assert r.status_code == 403 and r.json()["code"] == "csrf_failed"


async def test_disabled_account_loses_access(settings, tenant_id):
    async with running_auth_app(create_app(auth_settings(settings))) as client:
        await seed_regency(client, tenant_id)
        hr = bearer((await signed_in(client, tenant_id, DEDI, roles=["hr"]))["access_token"])
        lia = await signed_in(client, tenant_id, LIA)
        second = (await login(client, tenant_id, LIA, NEW_PASSWORD)).json()

        r = await client.post(f"/api/tenants/{tenant_id}/accounts/{LIA}/disable", headers=hr)
        assert r.status_code == 200 and r.json()["disabled"] is True
        for session in (lia, second):  # every session of the account
            r = await refresh(client, session["refresh_token"])
            assert r.status_code in (401, 403)
            assert r.json()["code"] in ("session_revoked", "account_disabled")
        r = await login(client, tenant_id, LIA, NEW_PASSWORD)
        assert r.status_code == 403 and r.json()["code"] == "account_disabled"
        assert "dinonaktifkan" in r.json()["detail"]
        r = await client.post(f"/api/tenants/{tenant_id}/accounts/{DEDI}/disable", headers=hr)
        assert r.status_code == 403 and r.json()["code"] == "own_account"

        r = await client.post(f"/api/tenants/{tenant_id}/accounts/{LIA}/enable", headers=hr)
        assert r.status_code == 200 and r.json()["disabled"] is False
        assert (await login(client, tenant_id, LIA, NEW_PASSWORD)).status_code == 200
        actions = [e["action"] for e in (await client.get(
            f"/api/tenants/{tenant_id}/audit", headers=hr)).json()]
        assert {"account_disabled", "account_enabled", "login_refused"} <= set(actions)


async def test_employee_deactivated_by_the_roster_loses_access(settings, tenant_id):
    async with running_auth_app(create_app(auth_settings(settings))) as client:
        await seed_regency(client, tenant_id)
        lia = await signed_in(client, tenant_id, LIA)
        r = await client.delete(f"/api/tenants/{tenant_id}/employees/{LIA}", headers=ADMIN)
        assert r.status_code == 200 and r.json()["active"] is False
        r = await refresh(client, lia["refresh_token"])
        assert r.status_code == 403 and r.json()["code"] == "employee_inactive"
        r = await refresh(client, lia["refresh_token"])  # the family was ended as well
        assert r.status_code == 401
        r = await login(client, tenant_id, LIA, NEW_PASSWORD)
        assert r.status_code == 403 and r.json()["code"] == "employee_inactive"
        r = await client.put(f"/api/tenants/{tenant_id}/accounts/{LIA}/password",
                             headers=ADMIN)
        assert r.status_code == 422 and r.json()["code"] == "employee_inactive"


async def test_changing_the_password_ends_the_other_sessions(settings, tenant_id):
    async with running_auth_app(create_app(auth_settings(settings))) as client:
        await seed_regency(client, tenant_id)
        phone = await signed_in(client, tenant_id, SITI)
        laptop = (await login(client, tenant_id, SITI, NEW_PASSWORD)).json()
        r = await client.post("/api/auth/password", headers=bearer(laptop["access_token"]),
                              json={"current_password": "bukan-yang-ini",
                                    "new_password": "kata-sandi-berikutnya"})
        assert r.status_code == 403 and r.json()["code"] == "invalid_current_password"
        r = await client.post("/api/auth/password", headers=bearer(laptop["access_token"]),
                              json={"current_password": NEW_PASSWORD,
                                    "new_password": "kata-sandi-berikutnya"})
        assert r.status_code == 200 and r.json()["refresh_token"]
        for old in (phone, laptop):
            r = await refresh(client, old["refresh_token"])
            assert r.status_code == 401 and r.json()["code"] == "session_revoked"
        fresh = (await login(client, tenant_id, SITI, "kata-sandi-berikutnya")).json()
        assert (await refresh(client, fresh["refresh_token"])).status_code == 200
