"""Local sign-in at the gateway on PostgreSQL: one-time password and its forced change,
throttling of failed sign-ins, browser cookies with CSRF, and the audit of it all."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

from ekinerja_shared.tokens import ACCESS_COOKIE, CSRF_COOKIE, REFRESH_COOKIE
from gateway.app import create_app
from tests.support.auth import (
    ADMIN,
    DEDI,
    HEAD,
    LIA,
    NEW_PASSWORD,
    SITI,
    auth_settings,
    bearer,
    csrf,
    login,
    one_time_password,
    running_auth_app,
    seed_regency,
    signed_in,
)

pytestmark = pytest.mark.integration


async def test_one_time_password_must_be_changed_at_first_sign_in(settings, tenant_id):
    async with running_auth_app(create_app(auth_settings(settings))) as client:
        await seed_regency(client, tenant_id)
        otp = await one_time_password(client, tenant_id, SITI)

        r = await login(client, tenant_id, SITI, otp, session="cookie")
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["status"] == "password_change_required" and body["refresh_token"] is None
        restricted = body["access_token"]
        assert REFRESH_COOKIE not in client.cookies  # no session yet
        # the restricted token opens nothing but the password change
        r = await client.get("/api/auth/me", headers=bearer(restricted))
        assert r.status_code == 401 and r.json()["code"] == "password_change_required"
        r = await client.get("/api/auth/me")  # the cookie holds the same restricted token
        assert r.status_code == 401 and r.json()["code"] == "password_change_required"

        # cookie-authenticated change without the CSRF header: refused
        change = {"current_password": otp, "new_password": NEW_PASSWORD}
        r = await client.post("/api/auth/password", json=change)
        assert r.status_code == 403 and r.json()["code"] == "csrf_failed"
        r = await client.post("/api/auth/password", headers=csrf(client),
                              json={"current_password": otp, "new_password": SITI + "x"})
        assert r.status_code == 422 and "NIP" in r.json()["detail"]
        r = await client.post("/api/auth/password", headers=csrf(client),
                              json={"current_password": otp, "new_password": otp})
        assert r.status_code == 422 and r.json()["code"] == "password_reused"
        r = await client.post("/api/auth/password", headers=csrf(client), json=change)
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "signed_in"
        assert {ACCESS_COOKIE, REFRESH_COOKIE, CSRF_COOKIE} <= set(client.cookies.keys())

        me = (await client.get("/api/auth/me")).json()
        assert me["nip"] == SITI and me["tenant_id"] == tenant_id
        assert me["name"].startswith("Siti Nurhaliza")
        assert me["roles"] == ["employee", "supervisor"]  # she supervises Dedi

        client.cookies.clear()
        r = await login(client, tenant_id, SITI, otp)
        assert r.status_code == 401 and r.json()["code"] == "invalid_credentials"
        r = await login(client, tenant_id, SITI, NEW_PASSWORD)
        assert r.status_code == 200 and r.json()["status"] == "signed_in"
        assert r.json()["refresh_token"] and r.json()["roles"] == ["employee", "supervisor"]


async def test_cookies_are_httponly_samesite_and_secure_when_configured(settings, tenant_id):
    async with running_auth_app(create_app(auth_settings(settings, auth_cookie_secure=True))) \
            as client:
        await seed_regency(client, tenant_id)
        await signed_in(client, tenant_id, LIA)
        r = await login(client, tenant_id, LIA, NEW_PASSWORD, session="cookie")
        cookies = {c.split("=", 1)[0]: c for c in r.headers.get_list("set-cookie")}
        access, refresh, token = (cookies[ACCESS_COOKIE], cookies[REFRESH_COOKIE],
                                  cookies[CSRF_COOKIE])
        for cookie in (access, refresh, token):
            assert "Secure" in cookie
        assert "HttpOnly" in access and "SameSite=lax" in access and "Path=/;" in access
        assert "HttpOnly" in refresh and "SameSite=strict" in refresh
        assert "Path=/api/auth" in refresh
        assert "HttpOnly" not in token  # the page reads it to send X-CSRF-Token


async def test_failed_sign_ins_are_throttled_per_account(settings, tenant_id):
    app = create_app(auth_settings(settings, auth_throttle_account_max=3,
                                   auth_throttle_ip_max=100))
    async with running_auth_app(app) as client:
        await seed_regency(client, tenant_id)
        await signed_in(client, tenant_id, LIA)
        for _ in range(3):
            r = await login(client, tenant_id, LIA, "salah-salah-salah")
            assert r.status_code == 401 and r.json()["detail"] == "NIP atau kata sandi salah."
        r = await login(client, tenant_id, LIA, NEW_PASSWORD)  # even the right one now
        assert r.status_code == 429
        assert r.json()["code"] == "too_many_attempts"
        assert "Coba lagi dalam 15 menit" in r.json()["detail"]
        assert 890 <= int(r.headers["retry-after"]) <= 900
        # another account from the same address is not locked by this one
        await signed_in(client, tenant_id, SITI)
        # HR's reset lifts the lock (and ends the account's sessions)
        otp = await one_time_password(client, tenant_id, LIA)
        assert (await login(client, tenant_id, LIA, otp)).status_code == 200

        audit = (await client.get(f"/api/tenants/{tenant_id}/audit",
                                  params={"limit": 1000}, headers=ADMIN)).json()
        failed = [e for e in audit if e["action"] == "login_failed" and e["target"] == LIA]
        assert len(failed) == 3
        assert all(e["detail"]["reason"] == "bad_password" and e["source_ip"] for e in failed)
        assert [e["target"] for e in audit if e["action"] == "login_throttled"] == [LIA]


async def test_failed_sign_ins_are_throttled_per_source_address(settings, tenant_id):
    app = create_app(auth_settings(settings, auth_throttle_account_max=100,
                                   auth_throttle_ip_max=4))
    async with running_auth_app(app) as client:
        await seed_regency(client, tenant_id)
        await signed_in(client, tenant_id, SITI)
        answers = set()
        for nip in (HEAD, SITI, DEDI, LIA):  # one failure on each of four accounts
            r = await login(client, tenant_id, nip, "tebak-tebakan-123")
            assert r.status_code == 401
            answers.add(r.text)
        assert len(answers) == 1  # with or without an account: the same answer
        r = await login(client, tenant_id, "199811112024031001", "apa-saja-boleh")
        assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
        audit = (await client.get(f"/api/tenants/{tenant_id}/audit", headers=ADMIN)).json()
        reasons = {e["target"]: e["detail"].get("reason") for e in audit
                   if e["action"] == "login_failed"}
        assert reasons[LIA] == "unknown_account" and reasons[SITI] == "bad_password"


async def test_unknown_nip_and_unknown_regency_get_the_same_answer(settings, tenant_id):
    async with running_auth_app(create_app(auth_settings(settings))) as client:
        await seed_regency(client, tenant_id)
        for tenant, nip in ((tenant_id, "199999999999999999"), ("tidak-ada", SITI)):
            r = await login(client, tenant, nip, "apa-saja-boleh")
            assert r.status_code == 401
            assert r.json() == {"detail": "NIP atau kata sandi salah.",
                                "code": "invalid_credentials"}
        r = await client.post("/api/auth/login", json={"tenant": tenant_id, "password": "x"})
        assert r.status_code == 422 and r.json()["code"] == "invalid_request"


async def test_hr_administers_only_its_own_regency(settings, tenant_id):
    other = tenant_id + "-lain"
    async with running_auth_app(create_app(auth_settings(settings))) as client:
        await seed_regency(client, tenant_id)
        await seed_regency(client, other)
        hr = await signed_in(client, tenant_id, DEDI, roles=["hr"])
        assert hr["roles"] == ["employee", "hr"]
        hr_auth = bearer(hr["access_token"])
        otp = await one_time_password(client, tenant_id, LIA, headers=hr_auth)
        assert len(otp) == 14
        # another regency is not revealed to this HR
        r = await client.put(f"/api/tenants/{other}/accounts/{LIA}/password", headers=hr_auth)
        assert r.status_code == 404 and r.json()["code"] == "tenant_not_found"
        r = await client.get(f"/api/tenants/{other}/audit", headers=hr_auth)
        assert r.status_code == 404
        # an employee is not HR
        siti = await signed_in(client, tenant_id, SITI)
        r = await client.get(f"/api/tenants/{tenant_id}/audit",
                             headers=bearer(siti["access_token"]))
        assert r.status_code == 403 and r.json()["code"] == "forbidden"
        r = await client.get(f"/api/tenants/{tenant_id}/accounts/{SITI}",
                             headers=bearer(siti["access_token"]))  # her own: allowed
        assert r.status_code == 200 and r.json()["has_password"] is True
        # roles: only grantable ones; not on oneself
        r = await client.put(f"/api/tenants/{tenant_id}/accounts/{SITI}/roles",
                             json={"roles": ["operator"]}, headers=hr_auth)
        assert r.status_code == 422 and r.json()["code"] == "invalid_role"
        r = await client.put(f"/api/tenants/{tenant_id}/accounts/{DEDI}/roles",
                             json={"roles": []}, headers=hr_auth)
        assert r.status_code == 403 and r.json()["code"] == "own_account"
        r = await client.put(f"/api/tenants/{tenant_id}/accounts/{SITI}/roles",
                             json={"roles": ["verifier", "leader"]}, headers=hr_auth)
        assert r.status_code == 200
        assert r.json()["roles"] == ["employee", "leader", "supervisor", "verifier"]
        # without credentials: 401; the operator routes are not HR's
        assert (await client.get(f"/api/tenants/{tenant_id}/audit")).status_code == 401
        r = await client.post(f"/api/tenants/{tenant_id}/clients", headers=hr_auth,
                              json={"name": "SIMPEG", "scopes": ["directory.read"]})
        assert r.status_code == 403

        audit = (await client.get(f"/api/tenants/{tenant_id}/audit", headers=hr_auth)).json()
        actions = [(e["action"], e["actor"], e["target"]) for e in audit]
        assert ("password_reset", f"{tenant_id}:{DEDI}", LIA) in actions
        assert ("roles_changed", f"{tenant_id}:{DEDI}", SITI) in actions
        assert ("login", f"{tenant_id}:{SITI}", SITI) in actions
        assert ("password_changed", f"{tenant_id}:{SITI}", SITI) in actions
        assert all(e["tenant_id"] == tenant_id for e in audit)
        assert [e["id"] for e in audit] == sorted((e["id"] for e in audit), reverse=True)


async def test_audit_log_is_append_only(settings, tenant_id):
    async with running_auth_app(create_app(auth_settings(settings))) as client:
        await seed_regency(client, tenant_id)
        await one_time_password(client, tenant_id, LIA)
    engine = create_async_engine(settings.database_url)
    try:
        for statement in ("UPDATE auth_audit SET actor = 'someone' WHERE tenant_id = :t",
                          "DELETE FROM auth_audit WHERE tenant_id = :t"):
            with pytest.raises(DBAPIError, match="append-only"):
                async with engine.begin() as conn:
                    await conn.execute(text(statement), {"t": tenant_id})
        async with engine.connect() as conn:
            count = await conn.scalar(text("SELECT count(*) FROM auth_audit WHERE tenant_id = :t"
                                           " AND action = 'password_reset'"), {"t": tenant_id})
        assert count == 1
    finally:
        await engine.dispose()
