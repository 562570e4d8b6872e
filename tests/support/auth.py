"""Helpers of the sign-in tests: a regency with the demo roster, an HR account, sign-in
through the real HTTP API."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
from asgi_lifespan import LifespanManager

from ekinerja_shared.tokens import CSRF_COOKIE

ROSTER = Path(__file__).resolve().parents[2] / "deploy" / "demo" / "roster-cilegon.csv"
ADMIN_TOKEN = "test-admin-token"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
HEAD = "197204121998031005"        # Kepala Dinas, supervises Rina and Budi
SITI = "198507082010012011"        # supervises Dedi
DEDI = "199001172015031002"        # Pengelola Kepegawaian: the HR of the tests
LIA = "199205302019032009"         # an employee without subordinates
TENANT = {"name": "Pemerintah Kota Uji", "timezone": "WIB", "policy_preset": "cilegon"}
NEW_PASSWORD = "sawah-hijau-di-Cilegon-7"


def auth_settings(settings: Any, **over: Any) -> Any:
    """The integration settings with an admin token (the operator of the tests), cookies
    usable over the test client's plain http, and a cheaper argon2id."""
    values = dict(admin_token=ADMIN_TOKEN, auth_cookie_secure=False,
                  auth_argon2_memory_kib=8192, auth_argon2_time_cost=1,
                  auth_key_publish_ahead_s=0)
    values.update(over)
    return settings.model_copy(update=values)


@contextlib.asynccontextmanager
async def running_auth_app(app: Any, base_url: str = "http://test"
                           ) -> AsyncIterator[httpx.AsyncClient]:
    """Like ``running_app``, from a source address of its own: the failed-sign-in counters
    per address are shared by every test on the database."""
    ip = "10." + ".".join(str(b) for b in secrets.token_bytes(3))
    async with LifespanManager(app, startup_timeout=90, shutdown_timeout=30):
        transport = httpx.ASGITransport(app=app, client=(ip, 40000))
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
            yield client


async def seed_regency(client: httpx.AsyncClient, tenant_id: str) -> None:
    r = await client.put(f"/api/tenants/{tenant_id}", json=TENANT, headers=ADMIN)
    assert r.status_code == 201, r.text
    r = await client.post(f"/api/tenants/{tenant_id}/roster", content=ROSTER.read_bytes(),
                          headers={**ADMIN, "content-type": "text/csv"})
    assert r.status_code == 200, r.text


async def one_time_password(client: httpx.AsyncClient, tenant_id: str, nip: str,
                            headers: dict[str, str] | None = None) -> str:
    r = await client.put(f"/api/tenants/{tenant_id}/accounts/{nip}/password",
                         headers=headers or ADMIN)
    assert r.status_code == 200, r.text
    assert r.json()["must_change"] is True
    return r.json()["one_time_password"]


async def login(client: httpx.AsyncClient, tenant_id: str, nip: str, password: str,
                session: str = "token") -> httpx.Response:
    return await client.post("/api/auth/login", json={
        "tenant": tenant_id, "nip": nip, "password": password, "session": session})


async def signed_in(client: httpx.AsyncClient, tenant_id: str, nip: str,
                    password: str = NEW_PASSWORD, roles: list[str] | None = None
                    ) -> dict[str, Any]:
    """A full session (token mode) for ``nip``: one-time password by the operator,
    changed to ``password``; ``roles`` granted first. Returns the login answer."""
    if roles:
        r = await client.put(f"/api/tenants/{tenant_id}/accounts/{nip}/roles",
                             json={"roles": roles}, headers=ADMIN)
        assert r.status_code == 200, r.text
    otp = await one_time_password(client, tenant_id, nip)
    r = await login(client, tenant_id, nip, otp)
    assert r.status_code == 200 and r.json()["status"] == "password_change_required", r.text
    r = await client.post("/api/auth/password", json={
        "current_password": otp, "new_password": password},
        headers=bearer(r.json()["access_token"]))
    assert r.status_code == 200, r.text
    return r.json()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def csrf(client: httpx.AsyncClient) -> dict[str, str]:
    return {"X-CSRF-Token": client.cookies.get(CSRF_COOKIE) or ""}
