"""The scoring service decides every route itself: the authorization matrix
(tests/authz/scoring.toml) on the app in-process (real lifespan, SQLite, real Kafka), and
requests sent straight to the service with a missing, expired, forged or foreign token are
refused the same way."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal

import httpx
import pytest
from joserfc.jwk import ECKey

from ekinerja_shared import events as ev
from ekinerja_shared.identity import Role
from scoring.app import create_app
from scoring.service_layer import services
from scoring.settings import Settings
from tests.authz.matrix import EMPLOYEE, OTHER_TENANT, SUPERVISOR, TENANT, check_matrix
from tests.support import infra
from tests.support.apps import from_now_on, running_app
from tests.support.tokens import (
    KID,
    TEST_JWKS,
    TEST_JWKS_JSON,
    as_user,
    bearer,
    mint,
    user_token,
)

pytestmark = pytest.mark.integration

# the directory copy says SUPERVISOR is EMPLOYEE's direct supervisor; stated "in the
# future" so that no directory event of the shared broker's history replaces it
SEEDED_AT = dt.datetime.now(dt.UTC) + dt.timedelta(days=3650)


@pytest.fixture(scope="module")
async def client(tmp_path_factory: pytest.TempPathFactory,
                 kafka_bootstrap: str) -> AsyncIterator[httpx.AsyncClient]:
    db = tmp_path_factory.mktemp("authz") / "scoring.db"
    app = create_app(Settings(database_url=f"sqlite+aiosqlite:///{db}",
                              kafka_bootstrap=kafka_bootstrap,
                              consumer_group_prefix=infra.unique("authz"),
                              auth_jwks=TEST_JWKS_JSON,
                              http_expose_docs=True))  # /openapi.json is internal by default
    await from_now_on(app)  # the shared topics' history is not this module's
    async with running_app(app) as c:
        staff = ev.EmployeeUpserted(tenant_id=TENANT, nip=EMPLOYEE, name="Lia Amalia",
                                    unit_id="aptika", supervisor_nip=SUPERVISOR,
                                    tpp_base=Decimal("4800000"), occurred_at=SEEDED_AT)
        await app.state.runtime.uow.in_tenant(TENANT).run(services.apply_events, [staff])
        yield c


async def test_every_route_decides_as_its_row_says(client: httpx.AsyncClient) -> None:
    await check_matrix(client, "scoring")


async def test_a_supervisor_of_another_team_is_refused(client: httpx.AsyncClient) -> None:
    other_boss = as_user(TENANT, "198003152005011003", Role.EMPLOYEE, Role.SUPERVISOR)
    r = await client.get(f"/api/scoring/{TENANT}/scores/{EMPLOYEE}",
                         params={"period": "2026-10"}, headers=other_boss)
    assert r.status_code == 403 and r.json()["code"] == "own_data_only"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _claims() -> dict[str, object]:
    """An HR of the regency (the registered claims are added by ``mint``)."""
    return {"sub": f"{TENANT}:{EMPLOYEE}", "tid": TENANT, "nip": EMPLOYEE,
            "roles": ["employee", "hr"], "kind": "user"}


def _unsigned(alg: str, secret: bytes | None = None) -> str:
    head = _b64(json.dumps({"alg": alg, "kid": KID, "typ": "JWT"}).encode())
    now = int(time.time())
    body = _b64(json.dumps({"iss": "ekinerja", "aud": "ekinerja", "iat": now,
                            "exp": now + 600, "jti": uuid.uuid4().hex, **_claims()}).encode())
    signature = b"" if secret is None else hmac.new(
        secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{_b64(signature)}"


STRANGER_KEY = ECKey.generate_key("P-256", parameters={"kid": KID, "use": "sig",
                                                        "alg": "ES256"})
UNKNOWN_KEY = ECKey.generate_key("P-256", parameters={"kid": "not-the-gateways",
                                                       "use": "sig", "alg": "ES256"})

REFUSED = {
    "no token": ({}, 401, "not_signed_in"),
    "expired": (bearer(mint(_claims(), ttl_s=-3600)), 401, "token_expired"),
    "signed by another key with the gateway's kid": (
        bearer(mint(_claims(), key=STRANGER_KEY)), 401, "bad_signature"),
    "signed by a key the gateway does not publish": (
        bearer(mint(_claims(), key=UNKNOWN_KEY)), 401, "unknown_key"),
    "alg none": (bearer(_unsigned("none")), 401, "token_algorithm"),
    "HS256 keyed with the public key": (
        bearer(_unsigned("HS256", json.dumps(TEST_JWKS["keys"][0]).encode())), 401,
        "token_algorithm"),
    "another scheme": ({"Authorization": "Basic aHI6aHI="}, 401, "unsupported_scheme"),
    "HR of another regency": (bearer(user_token(OTHER_TENANT, "197001011995031001",
                                                Role.HR)), 404, "tenant_not_found"),
}


@pytest.mark.parametrize("case", list(REFUSED))
async def test_requests_straight_to_the_service_are_refused(client: httpx.AsyncClient,
                                                            case: str) -> None:
    headers, status, code = REFUSED[case]
    base = f"/api/scoring/{TENANT}"
    for method, path, params, body in (
            ("GET", f"{base}/scores/{EMPLOYEE}", {"period": "2026-10"}, None),
            ("GET", f"{base}/exports/tpp", {"period": "2026-10"}, None),
            ("PUT", f"{base}/policies/2026-11", {}, {"preset": "cilegon"}),
            ("POST", f"{base}/periods/2026-10/close", {}, None)):
        r = await client.request(method, path, params=params, json=body, headers=headers)
        assert (r.status_code, r.json().get("code")) == (status, code), (method, path, r.text)
    r = await client.get(f"{base}/policies", headers=headers)
    assert r.status_code == status
