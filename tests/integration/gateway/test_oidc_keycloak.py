"""OpenID Connect sign-in end to end against a real Keycloak (deploy/keycloak/keycloak.sh):
the gateway redirects to Keycloak with PKCE, the test plays the browser (login form,
credentials, redirect back), the gateway exchanges the code, verifies the ID token, maps
the ``nip`` claim to the regency's directory and opens a session. No mocks.

Keycloak comes from EK_TEST_KEYCLOAK_URL (deploy/test.sh starts it) or is started here;
without Java the test is skipped, except under CI=true where it fails."""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from gateway.app import create_app
from tests.support.auth import (
    ADMIN,
    SITI,
    auth_settings,
    running_auth_app,
    seed_regency,
)

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "deploy" / "keycloak" / "keycloak.sh"
REALM_PATH = "/realms/ekinerja"
CLIENT = {"client_id": "ekinerja-gateway", "client_secret": "ekinerja-gateway-test-secret"}
PASSWORDS = {"siti": "sso-Siti-2026", "tanpa.nip": "sso-Tanpa-2026",
             "bukan.pegawai": "sso-Bukan-2026"}


def _reachable(url: str) -> bool:
    try:
        return httpx.get(f"{url}{REALM_PATH}/.well-known/openid-configuration", timeout=5,
                         trust_env=False).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture(scope="session")
def keycloak_url() -> Iterator[str]:
    url = os.environ.get("EK_TEST_KEYCLOAK_URL")
    if url:
        if not _reachable(url):
            pytest.fail(f"EK_TEST_KEYCLOAK_URL={url} does not serve the ekinerja realm")
        yield url.rstrip("/")
        return
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        if os.environ.get("CI"):
            pytest.fail("Java 17+ is needed for the Keycloak OIDC test (CI never skips it)")
        pytest.skip("Java not found: the OIDC test needs Keycloak (Java 17+)")
    started = time.monotonic()
    subprocess.run(["bash", str(SCRIPT), "start"], check=True, timeout=900)
    url = subprocess.run(["bash", str(SCRIPT), "url"], check=True, capture_output=True,
                         text=True).stdout.strip()
    print(f"keycloak started by the test in {time.monotonic() - started:.0f} s")
    try:
        yield url
    finally:
        subprocess.run(["bash", str(SCRIPT), "stop"], check=False, timeout=120)


async def sign_in_through_keycloak(gateway: httpx.AsyncClient, tenant_id: str,
                                   username: str, next_path: str = "/") -> httpx.Response:
    """The browser's journey: gateway -> Keycloak login form -> credentials -> back to the
    gateway's callback. Returns the callback's answer."""
    r = await gateway.get(f"/api/auth/oidc/{tenant_id}/start", params={"next": next_path})
    assert r.status_code == 303, r.text
    authorize = r.headers["location"]
    query = parse_qs(urlsplit(authorize).query)
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) == 43
    assert query["nonce"][0] and query["state"][0] and query["client_id"] == ["ekinerja-gateway"]
    async with httpx.AsyncClient(trust_env=False, timeout=60) as browser:
        page = await browser.get(authorize)
        assert page.status_code == 200, page.text[:500]
        form = re.search(r'<form[^>]*id="kc-form-login"[^>]*action="([^"]+)"', page.text)
        assert form, page.text[:2000]
        # Keycloak's session cookies are Secure; a browser sends them to http://127.0.0.1
        # (a potentially trustworthy origin), httpx's jar does not: send them as a browser
        cookie = "; ".join(f"{c.name}={c.value}" for c in browser.cookies.jar)
        answer = await browser.post(html.unescape(form.group(1)), headers={"Cookie": cookie},
                                    data={"username": username,
                                          "password": PASSWORDS[username], "credentialId": ""})
        assert answer.status_code == 302, re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ",
                                                                      answer.text))[-600:]
    back = urlsplit(answer.headers["location"])
    assert back.path == f"/api/auth/oidc/{tenant_id}/callback"
    return await gateway.get(f"{back.path}?{back.query}")


async def configure(client: httpx.AsyncClient, tenant_id: str, keycloak_url: str,
                    **over: str) -> None:
    r = await client.put(f"/api/tenants/{tenant_id}/oidc", headers=ADMIN, json={
        "issuer": f"{keycloak_url}{REALM_PATH}", "nip_claim": "nip", **CLIENT, **over})
    assert r.status_code == 200, r.text
    assert r.json()["redirect_uri"] == f"http://test/api/auth/oidc/{tenant_id}/callback"
    assert "client_secret" not in r.json()


async def test_oidc_sign_in_end_to_end(settings, tenant_id, keycloak_url):
    app = create_app(auth_settings(settings, auth_public_url="http://test"))
    async with running_auth_app(app) as client:
        await seed_regency(client, tenant_id)
        r = await client.get(f"/api/auth/oidc/{tenant_id}/start")
        assert r.status_code == 404 and r.json()["code"] == "oidc_not_configured"
        methods = (await client.get(f"/api/auth/methods/{tenant_id}")).json()
        assert methods["sso"] is False and methods["password"] is True
        await configure(client, tenant_id, keycloak_url)
        methods = (await client.get(f"/api/auth/methods/{tenant_id}")).json()
        assert methods["sso_start"] == f"/api/auth/oidc/{tenant_id}/start"

        r = await sign_in_through_keycloak(client, tenant_id, "siti",
                                           next_path="/?tenant=x&period=2026-11")
        assert r.status_code == 303, r.text
        assert r.headers["location"] == "/?tenant=x&period=2026-11"
        me = await client.get("/api/auth/me")  # the session cookie
        assert me.status_code == 200, me.text
        assert me.json()["nip"] == SITI and me.json()["tenant_id"] == tenant_id
        assert me.json()["roles"] == ["employee", "supervisor"]
        assert me.json()["name"].startswith("Siti Nurhaliza")
        # a full session: the refresh cookie rotates like a local sign-in's
        r = await client.post("/api/auth/refresh",
                              headers={"X-CSRF-Token": client.cookies["ek_csrf"]})
        assert r.status_code == 200 and r.json()["nip"] == SITI

        audit = (await client.get(f"/api/tenants/{tenant_id}/audit", headers=ADMIN)).json()
        login = next(e for e in audit if e["action"] == "login")
        assert login["detail"]["method"] == "oidc" and login["target"] == SITI
        assert login["detail"]["idp_subject"]
        account = (await client.get(f"/api/tenants/{tenant_id}/accounts/{SITI}",
                                    headers=ADMIN)).json()
        assert account["has_password"] is False and account["last_login_at"]


async def test_oidc_refusals(settings, tenant_id, keycloak_url):
    app = create_app(auth_settings(settings, auth_public_url="http://test"))
    async with running_auth_app(app) as client:
        await seed_regency(client, tenant_id)
        await configure(client, tenant_id, keycloak_url)

        # the provider knows the user, the regency does not: no session, no account
        r = await sign_in_through_keycloak(client, tenant_id, "bukan.pegawai")
        assert r.status_code == 403 and r.json()["code"] == "employee_inactive"
        r = await sign_in_through_keycloak(client, tenant_id, "tanpa.nip")
        assert r.status_code == 403 and r.json()["code"] == "oidc_no_nip"
        assert "ek_access" not in client.cookies

        # a callback replayed (the state is used once) or from another browser is refused
        r = await client.get(f"/api/auth/oidc/{tenant_id}/start")
        state = parse_qs(urlsplit(r.headers["location"]).query)["state"][0]
        client.cookies.delete("ek_oidc_state", path=f"/api/auth/oidc/{tenant_id}")
        r = await client.get(f"/api/auth/oidc/{tenant_id}/callback",
                             params={"state": state, "code": "x"})
        assert r.status_code == 400 and r.json()["code"] == "oidc_state"
        r = await client.get(f"/api/auth/oidc/{tenant_id}/callback",
                             params={"state": state, "code": "x"})
        assert r.status_code == 400

        # a wrong client secret: Keycloak refuses the code exchange
        await configure(client, tenant_id, keycloak_url, client_secret="rahasia-salah")
        r = await sign_in_through_keycloak(client, tenant_id, "siti")
        assert r.status_code == 401 and r.json()["code"] == "oidc_code_refused"

        # HR disables the account: SSO does not get around it
        await configure(client, tenant_id, keycloak_url)
        r = await client.post(f"/api/tenants/{tenant_id}/accounts/{SITI}/disable",
                              headers=ADMIN)
        assert r.status_code == 200
        r = await sign_in_through_keycloak(client, tenant_id, "siti")
        assert r.status_code == 403 and r.json()["code"] == "account_disabled"

        audit = (await client.get(f"/api/tenants/{tenant_id}/audit", headers=ADMIN)).json()
        reasons = [e["detail"].get("reason") for e in audit
                   if e["action"] in ("oidc_failed", "login_refused")]
        for reason in ("employee_inactive", "missing_nip_claim", "unknown_state",
                       "state_cookie_mismatch", "code_refused", "account_disabled"):
            assert reason in reasons, (reason, reasons)
