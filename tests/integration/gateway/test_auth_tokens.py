"""Tokens on PostgreSQL: machine clients with scopes, the JWKS a service verifies with
(fetched over real HTTP), key rotation, and forged tokens refused."""

from __future__ import annotations

import asyncio
import base64
import json
import time

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey

from ekinerja_shared.errors import NotFound
from ekinerja_shared.identity import Role, Unauthenticated
from ekinerja_shared.tokens import JwksAuthenticator, unverified_header
from gateway.app import create_app
from gateway.auth.cli import create_operator
from tests.integration.gateway.conftest import serve_loopback
from tests.support.apps import eventually
from tests.support.auth import (
    ADMIN,
    LIA,
    NEW_PASSWORD,
    auth_settings,
    bearer,
    login,
    running_auth_app,
    seed_regency,
    signed_in,
)

pytestmark = pytest.mark.integration


def basic(client_id: str, secret: str) -> dict[str, str]:
    raw = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


async def client_token(client, client_id, secret, **form):
    return await client.post("/api/auth/token", headers=basic(client_id, secret),
                             data={"grant_type": "client_credentials", **form})


async def test_machine_client_gets_scoped_tokens(settings, tenant_id):
    app = create_app(auth_settings(settings))
    async with running_auth_app(app) as client:
        await seed_regency(client, tenant_id)
        r = await client.post(f"/api/tenants/{tenant_id}/clients", headers=ADMIN,
                              json={"name": "SIMPEG Kota Uji",
                                    "scopes": ["directory.write", "scores.read"]})
        assert r.status_code == 201, r.text
        made = r.json()
        cid, secret = made["client_id"], made["client_secret"]
        assert cid.startswith(f"{tenant_id}.") and len(secret) >= 40
        listed = (await client.get(f"/api/tenants/{tenant_id}/clients", headers=ADMIN)).json()
        assert [c["client_secret"] for c in listed] == [None]  # shown once only

        r = await client_token(client, cid, secret)
        assert r.status_code == 200, r.text
        assert r.json()["token_type"] == "Bearer" and r.json()["expires_in"] == 600
        assert r.json()["scope"] == "directory.write scores.read"
        assert r.headers["cache-control"] == "no-store"
        verifier = JwksAuthenticator("http://test/.well-known/jwks.json", issuer="ekinerja",
                                     client=client)
        caller = await verifier.authenticate(f"Bearer {r.json()['access_token']}", {})
        assert caller.kind == "client" and caller.subject == f"client:{cid}"
        assert caller.tenant_id == tenant_id and caller.nip is None and not caller.roles
        assert caller.require(tenant_id, Role.HR, scope="scores.read") is caller
        with pytest.raises(NotFound):
            caller.require("kota-lain", scope="scores.read")
        me = (await client.get("/api/auth/me", headers=bearer(r.json()["access_token"]))).json()
        assert me["kind"] == "client" and me["scopes"] == ["directory.write", "scores.read"]
        r2 = await client.get(f"/api/tenants/{tenant_id}/accounts",
                              headers=bearer(r.json()["access_token"]))
        assert r2.status_code == 403  # a client is not HR

        r = await client_token(client, cid, secret, scope="scores.read")
        assert r.json()["scope"] == "scores.read"
        r = await client_token(client, cid, secret, scope="tpp.read")
        assert r.status_code == 400 and r.json()["error"] == "invalid_scope"
        r = await client_token(client, cid, secret, grant_type="password")
        assert r.status_code == 400 and r.json()["error"] == "unsupported_grant_type"
        r = await client_token(client, cid, secret + "x")
        assert r.status_code == 401 and r.json()["error"] == "invalid_client"
        assert r.headers["www-authenticate"].startswith("Basic")
        r = await client.post("/api/auth/token", data={  # client_secret_post
            "grant_type": "client_credentials", "client_id": cid, "client_secret": secret})
        assert r.status_code == 200

        r = await client.post(f"/api/tenants/{tenant_id}/clients/{cid}/disable", headers=ADMIN)
        assert r.status_code == 200 and r.json()["disabled"] is True
        assert (await client_token(client, cid, secret)).status_code == 401
        audit = (await client.get(f"/api/tenants/{tenant_id}/audit", headers=ADMIN)).json()
        actions = [e["action"] for e in audit]
        assert actions.count("client_token") == 3 and actions.count("client_auth_failed") == 2
        assert {"client_created", "client_disabled"} <= set(actions)

        async def operator_read_recorded():  # through the audit topic, like every service's
            audit = (await client.get(f"/api/tenants/{tenant_id}/audit", headers=ADMIN,
                                      params={"action": "operator.access"})).json()
            return [e for e in audit if e["detail"]["path"].endswith("/audit")]

        await eventually(operator_read_recorded, timeout=120)


async def test_operator_account_from_the_command_line(settings, tenant_id):
    app_settings = auth_settings(settings)
    async with running_auth_app(create_app(app_settings)) as client:
        await seed_regency(client, tenant_id)
        name = f"ops-{tenant_id}"
        otp = await create_operator(app_settings, name)
        r = await client.post("/api/auth/login", json={"operator": name, "password": otp,
                                                       "session": "token"})
        assert r.json()["status"] == "password_change_required"
        r = await client.post("/api/auth/password", headers=bearer(r.json()["access_token"]),
                              json={"current_password": otp,
                                    "new_password": "operator-platform-2026"})
        assert r.status_code == 200 and r.json()["roles"] == ["operator"]
        operator = bearer(r.json()["access_token"])
        assert r.json()["tenant_id"] is None and r.json()["subject"] == f"operator:{name}"
        r = await client.post(f"/api/tenants/{tenant_id}/clients", headers=operator,
                              json={"name": "Payroll", "scopes": ["tpp.read"]})
        assert r.status_code == 201 and r.json()["created_by"] == f"operator:{name}"


async def test_jwks_rotation_keeps_the_old_key_until_its_tokens_expire(settings, tenant_id):
    # short lives: a retired key leaves the JWKS 8 s + 1 s after retirement
    app_settings = auth_settings(settings, auth_access_ttl_s=8, auth_client_token_ttl_s=8,
                                 auth_leeway_s=1)
    async with serve_loopback(create_app(app_settings)) as base:
        async with httpx.AsyncClient(base_url=base, trust_env=False) as client:
            await seed_regency(client, tenant_id)
            # the service's verifier, fetching the JWKS over HTTP like attendance would
            verifier = JwksAuthenticator(f"{base}/.well-known/jwks.json", issuer="ekinerja",
                                         leeway_s=1, refetch_interval_s=0.5)
            old = (await signed_in(client, tenant_id, LIA))["access_token"]
            old_kid = unverified_header(old)["kid"]
            assert (await verifier.authenticate(f"Bearer {old}", {})).nip == LIA

            r = await client.post("/api/auth/keys/rotate", params={"immediately": "true"},
                                  headers=ADMIN)
            assert r.status_code == 200, r.text
            new_kid = r.json()["kid"]
            assert r.json()["published"] == [new_kid, old_kid]
            new = (await login(client, tenant_id, LIA, NEW_PASSWORD)).json()["access_token"]
            assert unverified_header(new)["kid"] == new_kid
            # an unknown kid makes the verifier fetch the JWKS again (at most once per
            # refetch interval, 0.5 s here, counted from its last fetch); both keys verify
            await asyncio.sleep(0.6)
            assert (await verifier.authenticate(f"Bearer {new}", {})).nip == LIA
            assert (await verifier.authenticate(f"Bearer {old}", {})).nip == LIA

            await asyncio.sleep(9.5)  # the old key's tokens have all expired
            jwks = (await client.get("/.well-known/jwks.json")).json()
            assert [k["kid"] for k in jwks["keys"]] == [new_kid]
            assert all("d" not in k for k in jwks["keys"])
            fresh_service = JwksAuthenticator(f"{base}/.well-known/jwks.json",
                                              issuer="ekinerja")
            with pytest.raises(Unauthenticated) as info:
                await fresh_service.authenticate(f"Bearer {old}", {})
            assert info.value.code == "unknown_key"
            audit = (await client.get(f"/api/tenants/{tenant_id}/audit", headers=ADMIN)).json()
            assert any(e["action"] == "login" for e in audit)


async def test_a_rotated_key_is_published_before_it_signs(settings, tenant_id):
    async with running_auth_app(create_app(auth_settings(
            settings, auth_key_publish_ahead_s=60))) as client:
        await seed_regency(client, tenant_id)
        before = (await signed_in(client, tenant_id, LIA))["access_token"]
        r = await client.post("/api/auth/keys/rotate", headers=ADMIN)
        ahead = r.json()["kid"]
        assert ahead in r.json()["published"]
        after = (await login(client, tenant_id, LIA, NEW_PASSWORD)).json()["access_token"]
        assert unverified_header(after)["kid"] == unverified_header(before)["kid"] != ahead
        meta = (await client.get("/.well-known/oauth-authorization-server")).json()
        assert meta["issuer"] == "ekinerja" and meta["jwks_uri"].endswith("/.well-known/jwks.json")


async def test_the_first_rotation_creates_a_key_that_signs_at_once(settings, tmp_path):
    """Before any key exists (a fresh database), the operator's rotation creates the first
    key, signing at once (nothing else could sign while it waits to be published)."""
    fresh = auth_settings(settings, database_url=f"sqlite+aiosqlite:///{tmp_path / 'g.db'}",
                          migration_database_url=None, auth_key_publish_ahead_s=60)
    async with running_auth_app(create_app(fresh)) as client:
        r = await client.post("/api/auth/keys/rotate", headers=ADMIN)
        assert r.status_code == 200, r.text
        kid = r.json()["kid"]
        assert r.json()["published"] == [kid]
        await seed_regency(client, "kota-uji")
        token = (await signed_in(client, "kota-uji", LIA))["access_token"]
        assert unverified_header(token)["kid"] == kid
        # a later rotation is published ahead: the first key still signs meanwhile
        r = await client.post("/api/auth/keys/rotate", headers=ADMIN)
        assert r.json()["kid"] != kid and set(r.json()["published"]) == {kid, r.json()["kid"]}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _forge(header: dict, claims: dict, signature: bytes = b"sig") -> str:
    return f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}." + \
        _b64(signature)


async def test_forged_and_foreign_tokens_are_refused_at_the_gateway(settings, tenant_id):
    async with running_auth_app(create_app(auth_settings(settings))) as client:
        await seed_regency(client, tenant_id)
        real = (await signed_in(client, tenant_id, LIA))["access_token"]
        kid = unverified_header(real)["kid"]
        now = int(time.time())
        claims = {"iss": "ekinerja", "aud": "ekinerja", "sub": f"{tenant_id}:{LIA}",
                  "tid": tenant_id, "nip": LIA, "roles": ["employee", "hr"], "kind": "user",
                  "iat": now, "exp": now + 600, "jti": "forged"}
        impostor = ECKey.generate_key("P-256", parameters={"kid": kid})
        cases = {
            "bad_signature": jwt.encode({"alg": "ES256", "kid": kid}, claims, impostor),
            "unknown_key": jwt.encode({"alg": "ES256", "kid": "lain"}, claims, impostor),
            "token_algorithm": _forge({"alg": "none", "kid": kid}, claims, b""),
        }
        for code, token in cases.items():
            r = await client.get("/api/auth/me", headers=bearer(token))
            assert r.status_code == 401, (code, r.text)
            assert r.json()["code"] == code
        # a valid token of this regency does not open another one
        r = await client.get(f"/api/tenants/{tenant_id}-lain/accounts/{LIA}",
                             headers=bearer(real))
        assert r.status_code == 404
