"""Access tokens for the services' tests, signed like the gateway signs them (ES256, ``kid``,
the claims of the token contract in services/gateway/README.md) with a key of the test
run. A service under test verifies them against ``TEST_JWKS`` (``Settings(auth_jwks=...)``),
exactly as it verifies the gateway's tokens against its JWKS in production.

    headers = as_user("cilegon", "1985...", Role.EMPLOYEE)
    await client.post(url, json=..., headers=headers)
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterable
from typing import Any

from joserfc import jwt
from joserfc.jwk import ECKey

from ekinerja_shared.identity import Role
from ekinerja_shared.tokens import ALGORITHM, AUDIENCE

ISSUER = "ekinerja"
KID = "test-" + uuid.uuid4().hex[:8]
_KEY = ECKey.generate_key("P-256", parameters={"kid": KID, "use": "sig", "alg": ALGORITHM})
TEST_JWKS: dict[str, Any] = {"keys": [_KEY.as_dict(private=False)]}
TEST_JWKS_JSON = json.dumps(TEST_JWKS)


# a test module mints its headers when it is imported, at collection: they must outlive the
# whole suite (up to the CI's 90 minutes on a busy machine), not the gateway's 10 minutes
TEST_TOKEN_TTL_S = 4 * 3600


def mint(claims: dict[str, Any], *, ttl_s: int = TEST_TOKEN_TTL_S, key: ECKey = _KEY,
         header: dict[str, Any] | None = None) -> str:
    now = int(time.time())
    body = {"iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + ttl_s,
            "jti": uuid.uuid4().hex, **claims}
    hdr = {"alg": ALGORITHM, "kid": key.kid or KID, **(header or {})}
    return jwt.encode(hdr, body, key)


def user_token(tenant_id: str, nip: str, *roles: Role, ttl_s: int = TEST_TOKEN_TTL_S) -> str:
    wanted: Iterable[Role] = roles or (Role.EMPLOYEE,)
    return mint({"sub": f"{tenant_id}:{nip}", "tid": tenant_id, "nip": nip,
                 "roles": sorted({r.value for r in wanted}), "kind": "user"}, ttl_s=ttl_s)


def operator_token(name: str = "ops") -> str:
    return mint({"sub": f"operator:{name}", "tid": None, "nip": None,
                 "roles": [Role.OPERATOR.value], "kind": "user"})


def client_token(tenant_id: str, client_id: str, *scopes: str) -> str:
    return mint({"sub": f"client:{client_id}", "tid": tenant_id, "nip": None, "roles": [],
                 "scope": " ".join(scopes), "kind": "client"})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def as_user(tenant_id: str, nip: str, *roles: Role) -> dict[str, str]:
    """Headers of a signed-in person of ``tenant_id`` with ``roles`` (employee by default)."""
    return bearer(user_token(tenant_id, nip, *roles))


def as_hr(tenant_id: str, nip: str = "199001172015031002") -> dict[str, str]:
    return as_user(tenant_id, nip, Role.HR, Role.EMPLOYEE)


def as_operator() -> dict[str, str]:
    return bearer(operator_token())
