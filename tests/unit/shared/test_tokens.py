"""The access-token verifier every service uses: only well-signed ES256 tokens of the
configured issuer and audience, with the contract's claims, make a ``Caller``."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey

from ekinerja_shared.errors import DomainError, Forbidden, NotFound
from ekinerja_shared.identity import ANONYMOUS, Role, Unauthenticated
from ekinerja_shared.tokens import (
    ACCESS_COOKIE,
    CSRF_COOKIE,
    PASSWORD_CHANGE_AUDIENCE,
    KeySetAuthenticator,
    StaticKeysAuthenticator,
    check_csrf,
)

ISSUER = "ekinerja-test"
NIP = "198507082010012011"


def new_key(kid: str) -> ECKey:
    return ECKey.generate_key("P-256", parameters={"kid": kid, "use": "sig", "alg": "ES256"})


def jwks(*keys: ECKey) -> dict:
    return {"keys": [k.as_dict(private=False) for k in keys]}


def claims(**over) -> dict:
    now = int(time.time())
    base = {"iss": ISSUER, "aud": "ekinerja", "sub": f"cilegon:{NIP}", "tid": "cilegon",
            "nip": NIP, "roles": ["employee", "supervisor"], "kind": "user", "iat": now,
            "exp": now + 600, "jti": uuid.uuid4().hex}
    base.update(over)
    return {k: v for k, v in base.items() if v is not ...}


def sign(key: ECKey, body: dict, **header) -> str:
    return jwt.encode({"alg": "ES256", "kid": key.kid, **header}, body, key,
                      algorithms=["ES256"])


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forge(header: dict, body: dict, signature: bytes = b"") -> str:
    head = b64(json.dumps(header).encode()) + "." + b64(json.dumps(body).encode())
    return head + "." + b64(signature)


KEY = new_key("k1")


@pytest.fixture
def auth() -> StaticKeysAuthenticator:
    return StaticKeysAuthenticator(jwks(KEY), issuer=ISSUER)


async def refused(auth, token: str, code: str) -> Unauthenticated:
    with pytest.raises(Unauthenticated) as info:
        await auth.authenticate(f"Bearer {token}", {})
    assert info.value.code == code, info.value.message
    assert info.value.status_code == 401
    return info.value


async def test_valid_token_makes_the_caller(auth):
    caller = await auth.authenticate(f"Bearer {sign(KEY, claims())}", {})
    assert caller.subject == f"cilegon:{NIP}" and caller.tenant_id == "cilegon"
    assert caller.nip == NIP and caller.kind == "user"
    assert caller.roles == {Role.EMPLOYEE, Role.SUPERVISOR}
    assert caller.require("cilegon", Role.SUPERVISOR) is caller


async def test_cookie_carries_the_token_too_and_no_credentials_is_anonymous(auth):
    caller = await auth.authenticate(None, {ACCESS_COOKIE: sign(KEY, claims())})
    assert caller.nip == NIP
    assert await auth.authenticate(None, {}) is ANONYMOUS


async def test_token_of_another_regency_is_not_let_into_it(auth):
    caller = await auth.authenticate(f"Bearer {sign(KEY, claims())}", {})
    with pytest.raises(NotFound):
        caller.require("kediri")
    with pytest.raises(Forbidden):
        caller.require("cilegon", Role.HR)


async def test_expired_token_is_refused(auth):
    now = int(time.time())
    err = await refused(auth, sign(KEY, claims(iat=now - 1200, exp=now - 600)), "token_expired")
    assert "berakhir" in err.message


async def test_expiry_has_a_small_leeway():
    clock = [1_000_000.0]
    auth = StaticKeysAuthenticator(jwks(KEY), issuer=ISSUER, leeway_s=30,
                                   clock=lambda: clock[0])
    token = sign(KEY, claims(iat=999_000, exp=1_000_000))
    clock[0] = 1_000_020  # 20 s after expiry: within the leeway
    assert (await auth.authenticate(f"Bearer {token}", {})).nip == NIP
    clock[0] = 1_000_031
    await refused(auth, token, "token_expired")


async def test_token_signed_by_another_key_under_a_known_kid_is_refused(auth):
    impostor = new_key("k1")
    await refused(auth, sign(impostor, claims()), "bad_signature")


async def test_tampered_claims_break_the_signature(auth):
    head, _, sig = sign(KEY, claims()).split(".")
    body = b64(json.dumps(claims(roles=["employee", "hr"])).encode())
    await refused(auth, f"{head}.{body}.{sig}", "bad_signature")


async def test_unknown_kid_is_refused(auth):
    await refused(auth, sign(new_key("k-unknown"), claims()), "unknown_key")


async def test_missing_kid_is_refused(auth):
    token = jwt.encode({"alg": "ES256"}, claims(), KEY, algorithms=["ES256"])
    await refused(auth, token, "unknown_key")


async def test_alg_none_is_refused(auth):
    await refused(auth, forge({"alg": "none", "kid": "k1", "typ": "JWT"}, claims()),
                  "token_algorithm")
    await refused(auth, forge({"alg": "None", "kid": "k1"}, claims()), "token_algorithm")


async def test_hs256_with_the_public_key_as_secret_is_refused(auth):
    """The classic confusion attack: HMAC keyed with the (public) verification key."""
    header = {"alg": "HS256", "kid": "k1", "typ": "JWT"}
    body = claims(roles=["operator"], tid=None, nip=None, sub="operator:x")
    signing_input = (b64(json.dumps(header).encode()) + "." +
                     b64(json.dumps(body).encode())).encode()
    for secret in (json.dumps(KEY.as_dict(private=False)).encode(),
                   KEY.as_pem(private=False)):
        mac = hmac.new(secret, signing_input, hashlib.sha256).digest()
        await refused(auth, signing_input.decode() + "." + b64(mac), "token_algorithm")


async def test_other_asymmetric_algorithms_are_refused(auth):
    p384 = ECKey.generate_key("P-384", parameters={"kid": "k1"})
    token = jwt.encode({"alg": "ES384", "kid": "k1"}, claims(), p384, algorithms=["ES384"])
    await refused(auth, token, "token_algorithm")


@pytest.mark.parametrize("over", [
    {"aud": "another-app"}, {"aud": ["another-app"]}, {"iss": "someone-else"},
    {"iat": int(time.time()) + 3600},  # issued in the future
    {"kind": "robot"}, {"roles": "employee"}, {"scope": ["a"]},
])
async def test_wrong_audience_issuer_or_claim_shapes_are_refused(auth, over):
    await refused(auth, sign(KEY, claims(**over)), "invalid_token")


@pytest.mark.parametrize("missing", ["exp", "iat", "iss", "aud", "sub", "jti", "kind"])
async def test_missing_claims_are_refused(auth, missing):
    await refused(auth, sign(KEY, claims(**{missing: ...})), "invalid_token")


@pytest.mark.parametrize("over", [
    {"nip": None},                                            # a person without a NIP
    {"tid": None},                                            # a person without a regency
    {"sub": "kediri:" + NIP},                                 # subject of another regency
    {"kind": "client", "sub": "client:simpeg", "nip": None},  # a client with roles
    {"roles": ["operator"], "sub": "operator:x", "nip": None},  # operator bound to a tenant
])
async def test_inconsistent_identity_claims_are_refused(auth, over):
    await refused(auth, sign(KEY, claims(**over)), "invalid_token")


async def test_machine_client_and_operator_tokens(auth):
    client = sign(KEY, claims(kind="client", sub="client:simpeg-cilegon", nip=None, roles=[],
                              scope="directory.read scores.read"))
    caller = await auth.authenticate(f"Bearer {client}", {})
    assert caller.kind == "client" and caller.nip is None and caller.tenant_id == "cilegon"
    assert caller.scopes == {"directory.read", "scores.read"}
    assert caller.require("cilegon", Role.HR, scope="scores.read") is caller
    operator = sign(KEY, claims(sub="operator:ops", tid=None, nip=None, roles=["operator"]))
    caller = await auth.authenticate(f"Bearer {operator}", {})
    assert caller.is_operator and caller.sees_tenant("kediri")


async def test_restricted_password_change_token_is_refused_with_its_reason(auth):
    token = sign(KEY, claims(aud=PASSWORD_CHANGE_AUDIENCE))
    err = await refused(auth, token, "password_change_required")
    assert "kata sandi" in err.message
    gateway = StaticKeysAuthenticator(jwks(KEY), issuer=ISSUER,
                                      audience=PASSWORD_CHANGE_AUDIENCE)
    assert (await gateway.authenticate(f"Bearer {token}", {})).nip == NIP


@pytest.mark.parametrize("token", ["", "abc", "a.b", "a.b.c.d.e", "!!!.e30.x",
                                   "e30.e30.", "W10.e30.AA"])
async def test_garbage_is_refused(auth, token):
    with pytest.raises(Unauthenticated):
        await auth.authenticate(f"Bearer {token}" if token else "Bearer", {})


async def test_other_authorization_schemes_are_refused(auth):
    with pytest.raises(Unauthenticated) as info:
        await auth.authenticate("Basic dXNlcjpwYXNz", {})
    assert info.value.code == "unsupported_scheme"


async def test_unknown_kid_reloads_the_key_set_at_most_once_per_interval():
    """A rotated key is picked up by a reload; a flood of unknown kids cannot turn into a
    flood of JWKS fetches."""
    served = {"keys": [KEY]}
    fetches: list[float] = []
    clock = [1000.0]

    async def load():
        fetches.append(clock[0])
        return jwks(*served["keys"])

    auth = KeySetAuthenticator(load, issuer=ISSUER, cache_ttl_s=300, refetch_interval_s=30,
                               clock=lambda: clock[0])
    now = int(clock[0])
    fresh = lambda key: sign(key, claims(iat=now, exp=now + 3600))  # noqa: E731
    assert (await auth.authenticate(f"Bearer {fresh(KEY)}", {})).nip == NIP
    assert len(fetches) == 1
    rotated = new_key("k2")
    served["keys"] = [KEY, rotated]
    clock[0] += 5  # within the interval: the unknown kid is refused without a fetch
    await refused(auth, fresh(rotated), "unknown_key")
    assert len(fetches) == 1
    clock[0] += 30
    assert (await auth.authenticate(f"Bearer {fresh(rotated)}", {})).nip == NIP
    assert len(fetches) == 2
    for _ in range(5):  # an attacker's random kids
        await refused(auth, fresh(new_key(uuid.uuid4().hex)), "unknown_key")
    assert len(fetches) == 2
    # the retired key falls out of the set after the cache lifetime
    served["keys"] = [rotated]
    clock[0] += 301
    await refused(auth, fresh(KEY), "unknown_key")
    assert len(fetches) == 3


async def test_unreachable_key_source_is_503_without_keys_and_tolerated_with_them():
    calls = {"n": 0, "fail": True}

    async def load():
        calls["n"] += 1
        if calls["fail"]:
            raise OSError("connection refused")
        return jwks(KEY)

    clock = [0.0]
    auth = KeySetAuthenticator(load, issuer=ISSUER, clock=lambda: clock[0])
    token = sign(KEY, claims(iat=0, exp=10_000))
    with pytest.raises(DomainError) as info:
        await auth.authenticate(f"Bearer {token}", {})
    assert info.value.status_code == 503 and info.value.code == "identity_unavailable"
    calls["fail"] = False
    clock[0] = 100
    assert (await auth.authenticate(f"Bearer {token}", {})).nip == NIP
    calls["fail"] = True
    clock[0] = 1000  # cache expired and the gateway is down: the cached keys still verify
    assert (await auth.authenticate(f"Bearer {token}", {})).nip == NIP


def test_jwks_entries_that_cannot_sign_es256_are_ignored():
    rsa_like = {"kty": "RSA", "kid": "r", "n": "AQAB", "e": "AQAB"}
    enc = dict(KEY.as_dict(private=False), kid="enc", use="enc")
    private = dict(KEY.as_dict(private=True), kid="priv")
    keys = KeySetAuthenticator.parse_jwks({"keys": [rsa_like, enc, private, "junk",
                                                    KEY.as_dict(private=False)]})
    assert set(keys) == {"k1", "priv"}
    assert not keys["priv"].is_private  # a private member in a JWKS is dropped


def test_csrf_double_submit_only_for_cookie_authenticated_unsafe_requests():
    cookies = {ACCESS_COOKIE: "t", CSRF_COOKIE: "abc"}
    check_csrf("GET", None, cookies, None)
    check_csrf("POST", "Bearer t", cookies, None)
    check_csrf("POST", None, {}, None)
    check_csrf("POST", None, cookies, "abc")
    for header in (None, "", "abd"):
        with pytest.raises(Forbidden) as info:
            check_csrf("POST", None, cookies, header)
        assert info.value.code == "csrf_failed"
    with pytest.raises(Forbidden):
        check_csrf("DELETE", None, {ACCESS_COOKIE: "t"}, "")
