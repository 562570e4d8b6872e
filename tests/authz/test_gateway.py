"""The gateway decides who may call its own routes: every route of its OpenAPI document
(the directory, the scores read model and its stream, and the sign-in package's routes),
called as the six personas, gives the outcome of tests/authz/gateway.toml; and a request
without a valid token is refused (no token, expired, signed by another key, ``alg: none``
or HMAC, another scheme, another regency's, a machine client without the scope).

The app runs in-process with its real lifespan (migrations on a SQLite file, the Kafka
consumers and the outbox relay on the real Kafka). The matrix's supervisor is the
employee's direct supervisor in the roster loaded here. Proxied paths are not in the
document: the services decide those (their own matrices)."""

from __future__ import annotations

import base64
import json

import pytest
from joserfc.jwk import ECKey

from ekinerja_shared.identity import Role
from gateway.app import create_app
from gateway.settings import Settings
from tests.authz.matrix import (
    EMPLOYEE,
    HR,
    OTHER_TENANT,
    SUPERVISOR,
    TENANT,
    check_matrix,
)
from tests.support.apps import from_now_on, running_app
from tests.support.infra import unique
from tests.support.tokens import (
    KID,
    TEST_JWKS_JSON,
    as_hr,
    as_operator,
    as_user,
    bearer,
    client_token,
    mint,
    user_token,
)

pytestmark = pytest.mark.integration

HEADER = "nip,name,unit_id,unit_name,position,supervisor_nip,tpp_base,employment_type,device_pin"
ROSTER = "\n".join([
    HEADER,
    f"{SUPERVISOR},Kepala Bidang,bkpsdm,BKPSDM,Kepala Bidang,,8500000,PNS,1",
    f"{EMPLOYEE},Pranata Komputer,bkpsdm,BKPSDM,Pranata Komputer,{SUPERVISOR},4800000,PNS,2",
    f"{HR},Pengelola Kepegawaian,bkpsdm,BKPSDM,Pengelola,{SUPERVISOR},4500000,PNS,3",
])
REGENCY = {"name": "Kabupaten Uji", "timezone": "WIB", "policy_preset": "cilegon"}


@pytest.fixture(scope="module")
async def client(tmp_path_factory, kafka_bootstrap):
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('gateway-authz') / 'g.db'}"
    # /openapi.json is internal by default; a stream ends at once (the matrix reads whole
    # answers); the admin token stays unset (no break-glass operator in the matrix)
    app = create_app(Settings(database_url=url, auth_jwks=TEST_JWKS_JSON,
                              kafka_bootstrap=kafka_bootstrap, http_expose_docs=True,
                              stream_max_s=0.2, admin_token=None, auth_cookie_secure=False,
                              consumer_group_prefix=unique("authz")))
    await from_now_on(app)  # the shared topics' history is not this module's
    async with running_app(app) as client:
        # the first signing key, as in any running deployment
        assert (await client.get("/.well-known/jwks.json")).status_code == 200
        for tenant in (TENANT, OTHER_TENANT):
            r = await client.put(f"/api/tenants/{tenant}", json=REGENCY, headers=as_operator())
            assert r.status_code == 201, r.text
        r = await client.post(f"/api/tenants/{TENANT}/roster", content=ROSTER,
                              headers={**as_hr(TENANT, HR), "content-type": "text/csv"})
        assert r.status_code == 200, r.text
        yield client


async def test_every_route_matches_the_matrix(client) -> None:
    await check_matrix(client, "gateway")


def _forged(header: dict[str, object], signature: bytes = b"") -> str:
    """A valid token's claims under another header (and signature)."""
    _, claims, _ = user_token(TENANT, EMPLOYEE).split(".")

    def b64(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return f"{b64(json.dumps(header).encode())}.{claims}.{b64(signature)}"


async def test_requests_without_a_valid_token_are_refused(client) -> None:
    employees = f"/api/tenants/{TENANT}/employees"
    other_key = ECKey.generate_key("P-256", parameters={"kid": KID, "alg": "ES256"})
    stranger = ECKey.generate_key("P-256", parameters={"kid": "unknown-kid", "alg": "ES256"})
    claims = {"sub": f"{TENANT}:{EMPLOYEE}", "tid": TENANT, "nip": EMPLOYEE,
              "roles": [Role.EMPLOYEE.value], "kind": "user"}
    refused = {
        "no token": ({}, 401, "not_signed_in"),
        "expired": (bearer(user_token(TENANT, EMPLOYEE, ttl_s=-3600)), 401, "token_expired"),
        "another key, same kid": (bearer(mint(claims, key=other_key)), 401, "bad_signature"),
        "an unknown key": (bearer(mint(claims, key=stranger)), 401, "unknown_key"),
        "alg none": (bearer(_forged({"alg": "none", "kid": KID})), 401, "token_algorithm"),
        "HMAC": (bearer(_forged({"alg": "HS256", "kid": KID}, b"x" * 32)), 401,
                 "token_algorithm"),
        "not a bearer": ({"Authorization": f"Basic {EMPLOYEE}"}, 401, "unsupported_scheme"),
        "an access cookie of another key": (
            {"Cookie": f"ek_access={mint(claims, key=stranger)}; ek_csrf=c",
             "X-CSRF-Token": "c"}, 401, "unknown_key"),
        "another regency": (as_user(OTHER_TENANT, EMPLOYEE), 404, "tenant_not_found"),
        "a machine client without the scope": (
            bearer(client_token(TENANT, "simpeg", "directory.write")), 403, "forbidden"),
    }
    mine = f"{employees}/{EMPLOYEE}"
    before = (await client.get(mine, headers=as_hr(TENANT, HR))).json()
    for name, (headers, status, code) in refused.items():
        for method, url, body in (("GET", employees, None),
                                  ("DELETE", f"{employees}/{EMPLOYEE}", None)):
            r = await client.request(method, url, headers=headers, json=body)
            assert (r.status_code, r.json().get("code")) == (status, code), (name, method,
                                                                              r.text)
    # a cookie session's change without the CSRF header is refused before anything else
    r = await client.delete(f"{employees}/{EMPLOYEE}",
                            headers={"Cookie": f"ek_access={user_token(TENANT, HR)}"})
    assert (r.status_code, r.json()["code"]) == (403, "csrf_failed")
    # nothing was changed by the refused requests; the employee's own token works
    assert (await client.get(mine, headers=as_hr(TENANT, HR))).json() == before
    r = await client.get(mine, headers=as_user(TENANT, EMPLOYEE))
    assert r.status_code == 200 and r.json()["updated_at"] == before["updated_at"]
    assert before["device_pin"] == "2" and r.json()["device_pin"] is None  # HR's only
