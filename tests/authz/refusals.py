"""The credentials a service must refuse on a request sent straight to it, each with the
answer it must give: none, expired, signed by another key with the same ``kid``, an unknown
key, ``alg: none``, HMAC, another scheme, a token of another regency, a machine client
(on a route that names no scope for it)."""

from __future__ import annotations

import base64
import json

from joserfc.jwk import ECKey

from ekinerja_shared.identity import Role
from tests.authz.matrix import OTHER_TENANT
from tests.support.tokens import KID, as_user, bearer, client_token, mint, user_token

Refusal = tuple[dict[str, str], int, str]  # headers, status, code


def forged(tenant_id: str, nip: str, header: dict[str, object],
           signature: bytes = b"") -> str:
    """A valid token's claims under another header (and signature)."""
    _, claims, _ = user_token(tenant_id, nip).split(".")

    def b64(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return f"{b64(json.dumps(header).encode())}.{claims}.{b64(signature)}"


def bad_credentials(tenant_id: str, nip: str, *roles: Role) -> dict[str, Refusal]:
    """What a person ``nip`` of ``tenant_id`` with ``roles`` could be impersonated with."""
    wanted = roles or (Role.EMPLOYEE,)
    other_key = ECKey.generate_key("P-256", parameters={"kid": KID, "alg": "ES256"})
    stranger = ECKey.generate_key("P-256", parameters={"kid": "unknown-kid", "alg": "ES256"})
    claims = {"sub": f"{tenant_id}:{nip}", "tid": tenant_id, "nip": nip,
              "roles": sorted(r.value for r in wanted), "kind": "user"}
    return {
        "no token": ({}, 401, "not_signed_in"),
        "expired": (bearer(user_token(tenant_id, nip, *wanted, ttl_s=-3600)), 401,
                    "token_expired"),
        "another key, same kid": (bearer(mint(claims, key=other_key)), 401, "bad_signature"),
        "an unknown key": (bearer(mint(claims, key=stranger)), 401, "unknown_key"),
        "alg none": (bearer(forged(tenant_id, nip, {"alg": "none", "kid": KID})), 401,
                     "token_algorithm"),
        "HMAC": (bearer(forged(tenant_id, nip, {"alg": "HS256", "kid": KID}, b"x" * 32)),
                 401, "token_algorithm"),
        "not a bearer": ({"Authorization": f"Basic {nip}"}, 401, "unsupported_scheme"),
        "another regency": (as_user(OTHER_TENANT, nip, *wanted), 404, "tenant_not_found"),
        "a machine client": (bearer(client_token(tenant_id, "sipd", "tpp:read")), 403,
                             "forbidden"),
    }
