"""Verifying the gateway's access tokens: the ``Authenticator`` of every service.

The gateway signs short-lived access tokens (JWT, ES256, header ``kid``) and publishes its
public keys at ``/.well-known/jwks.json``. A service reads the token from
``Authorization: Bearer`` or from the access cookie, checks it against those keys and turns
its claims into a ``Caller``. Only ES256 is accepted: ``alg: none``, HMAC (``HS*``, e.g. the
public key used as a shared secret) and any other algorithm are refused before a key is
even looked up. Claims (see services/gateway/README.md, "Token contract"):

    iss  EK_AUTH_ISSUER ("ekinerja")     aud  "ekinerja"
    sub  "<tenant>:<nip>" | "client:<id>" | "operator:<name>"
    tid  tenant id (null for the operator)   nip  NIP (null for clients)
    roles [Role values]   scope "a b" (clients)   kind "user" | "client"
    iat, exp, jti

``KeySetAuthenticator`` does the work over any async source of a JWK set;
``JwksAuthenticator`` fetches it over HTTP (cached, refetched at most once per
``refetch_interval_s`` when a token names an unknown ``kid``), ``StaticKeysAuthenticator``
holds a fixed set (tests, tools).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
import json
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import httpx
from joserfc import jwt
from joserfc.errors import BadSignatureError, ExpiredTokenError, JoseError
from joserfc.jwk import ECKey

from .errors import DomainError, Forbidden
from .identity import ANONYMOUS, Caller, Role, Unauthenticated

ACCESS_COOKIE = "ek_access"
REFRESH_COOKIE = "ek_refresh"
CSRF_COOKIE = "ek_csrf"
CSRF_HEADER = "X-CSRF-Token"
AUDIENCE = "ekinerja"
# audience of the restricted token given after a sign-in with a one-time password: it only
# opens the gateway's POST /api/auth/password
PASSWORD_CHANGE_AUDIENCE = "ekinerja:password-change"
ALGORITHM = "ES256"
KINDS = ("user", "client")
MAX_TOKEN_BYTES = 8192
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})

JwkSet = dict[str, Any]


def _refuse(message: str, code: str) -> Unauthenticated:
    return Unauthenticated(message, code=code)


def _invalid(code: str = "invalid_token") -> Unauthenticated:
    return _refuse("Token akses tidak valid; silakan masuk kembali.", code)


def token_from(authorization: str | None, cookies: Mapping[str, str]) -> str | None:
    """The access token of a request: the ``Authorization: Bearer`` header, else the
    access cookie; None without credentials. Another scheme is refused."""
    if authorization:
        scheme, _, value = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise _refuse("Gunakan header Authorization: Bearer <token>.", "unsupported_scheme")
        return value.strip()
    return cookies.get(ACCESS_COOKIE) or None


def _b64json(segment: str) -> Any:
    padded = segment + "=" * (-len(segment) % 4)
    return json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))


def unverified_header(token: str) -> dict[str, Any]:
    """The JOSE header of a compact JWS, before anything is trusted; only its shape."""
    if len(token) > MAX_TOKEN_BYTES:
        raise _invalid()
    parts = token.split(".")
    if len(parts) != 3:  # a JWE (5 parts) or garbage
        raise _invalid()
    try:
        header = _b64json(parts[0])
    except (ValueError, UnicodeError, binascii.Error):
        raise _invalid() from None
    if not isinstance(header, dict):
        raise _invalid()
    return header


def check_header(header: Mapping[str, Any]) -> str:
    """Only ES256 with a ``kid`` is accepted; returns the ``kid``."""
    if header.get("alg") != ALGORITHM:
        raise _refuse("Algoritma tanda tangan token tidak diterima.", "token_algorithm")
    if "crit" in header or header.get("typ") not in (None, "JWT", "at+jwt"):
        raise _invalid()
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise _refuse("Token tidak menyebut kunci penandatangannya (kid).", "unknown_key")
    return kid


def _str_or_none(claims: Mapping[str, Any], name: str) -> str | None:
    value = claims.get(name)
    if value is not None and (not isinstance(value, str) or not value):
        raise _invalid()
    return value


def expected_subject(kind: str, tenant_id: str | None, nip: str | None, sub: str) -> str:
    """``sub`` as the contract builds it: ``<tenant>:<nip>`` for people of a regency,
    ``client:<id>`` for machine clients, ``operator:<name>`` for platform operators."""
    if kind == "client":
        return sub if sub.startswith("client:") and len(sub) > 7 else ""
    if tenant_id is None:
        return sub if sub.startswith("operator:") and len(sub) > 9 else ""
    return f"{tenant_id}:{nip}"


def caller_from_claims(claims: Mapping[str, Any]) -> Caller:
    """The ``Caller`` a verified token describes; inconsistent claims are refused."""
    kind = claims.get("kind")
    roles_claim = claims.get("roles", [])
    scope = claims.get("scope", "")
    if kind not in KINDS or not isinstance(roles_claim, list) or not isinstance(scope, str):
        raise _invalid()
    if not all(isinstance(r, str) for r in roles_claim):
        raise _invalid()
    known = {r.value for r in Role}
    roles = frozenset(Role(r) for r in roles_claim if r in known)  # later roles are ignored
    tenant_id = _str_or_none(claims, "tid")
    nip = _str_or_none(claims, "nip")
    if Role.OPERATOR in roles:
        if tenant_id is not None or kind != "user":
            raise _invalid()
    elif tenant_id is None:
        raise _invalid()
    elif kind == "user" and nip is None:
        raise _invalid()
    elif kind == "client" and (nip is not None or roles):
        raise _invalid()
    subject = claims["sub"]
    if subject != expected_subject(kind, tenant_id, nip, subject):
        raise _invalid()
    return Caller(subject=subject, tenant_id=tenant_id, nip=nip, roles=roles,
                  scopes=frozenset(scope.split()), kind=kind)


class KeySetAuthenticator:
    """Verifies access tokens against a JWK set from ``load`` (an async callable).

    The set is cached for ``cache_ttl_s`` (so that retired keys fall out); a token with a
    ``kid`` not in the cache makes one reload, at most once per ``refetch_interval_s``.
    ``audiences`` are the accepted ``aud`` values (the gateway's password-change route
    accepts the restricted one too)."""

    def __init__(
        self,
        load: Callable[[], Awaitable[JwkSet]],
        *,
        issuer: str,
        audiences: tuple[str, ...] = (AUDIENCE,),
        leeway_s: int = 30,
        cache_ttl_s: float = 300.0,
        refetch_interval_s: float = 30.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._load = load
        self.issuer = issuer
        self.audiences = audiences
        self.leeway_s = leeway_s
        self.cache_ttl_s = cache_ttl_s
        self.refetch_interval_s = refetch_interval_s
        self._clock = clock
        self._keys: dict[str, ECKey] = {}
        self._loaded_at: float | None = None
        self._lock = asyncio.Lock()

    # --- keys ----------------------------------------------------------------------------

    @staticmethod
    def parse_jwks(jwks: Mapping[str, Any]) -> dict[str, ECKey]:
        """The usable signing keys of a JWK set by ``kid`` (EC P-256 public keys only;
        entries of other types, uses or algorithms are skipped)."""
        keys: dict[str, ECKey] = {}
        for entry in jwks.get("keys", []) if isinstance(jwks, Mapping) else []:
            if not isinstance(entry, Mapping) or not isinstance(entry.get("kid"), str):
                continue
            if entry.get("kty") != "EC" or entry.get("crv") != "P-256":
                continue
            if entry.get("use", "sig") != "sig" or entry.get("alg", ALGORITHM) != ALGORITHM:
                continue
            public = {k: v for k, v in entry.items() if k != "d"}  # never sign-capable
            try:
                keys[entry["kid"]] = ECKey.import_key(public)
            except (JoseError, ValueError, TypeError):
                continue
        return keys

    async def _reload(self, *, force: bool) -> None:
        async with self._lock:
            now = self._clock()
            if self._loaded_at is not None:
                age = now - self._loaded_at
                if (force and age < self.refetch_interval_s) or (
                        not force and age < self.cache_ttl_s):
                    return  # someone else just loaded, or reloads are rate-limited
            try:
                jwks = await self._load()
            except Exception as exc:
                if self._keys:  # keep verifying with what we have; retry soon
                    self._loaded_at = now - self.cache_ttl_s + self.refetch_interval_s
                    return
                raise DomainError("Layanan identitas tidak dapat dihubungi; coba lagi.",
                                  code="identity_unavailable", status_code=503) from exc
            self._keys = self.parse_jwks(jwks)
            self._loaded_at = now

    async def key_for(self, kid: str) -> ECKey:
        await self._reload(force=False)
        if kid not in self._keys:
            await self._reload(force=True)
        key = self._keys.get(kid)
        if key is None:
            raise _refuse("Kunci penandatangan token tidak dikenal.", "unknown_key")
        return key

    # --- tokens --------------------------------------------------------------------------

    async def verify(self, token: str) -> dict[str, Any]:
        """The claims of a valid token; ``Unauthenticated`` otherwise."""
        kid = check_header(unverified_header(token))
        key = await self.key_for(kid)
        try:
            decoded = jwt.decode(token, key, algorithms=[ALGORITHM])
        except BadSignatureError:
            raise _invalid("bad_signature") from None
        except JoseError:
            raise _invalid() from None
        if decoded.header.get("alg") != ALGORITHM:  # belt and braces
            raise _invalid("token_algorithm")
        return self.check_claims(decoded.claims)

    def check_claims(self, claims: dict[str, Any]) -> dict[str, Any]:
        aud = claims.get("aud")
        auds = aud if isinstance(aud, list) else [aud]
        if PASSWORD_CHANGE_AUDIENCE in auds and PASSWORD_CHANGE_AUDIENCE not in self.audiences:
            raise _refuse("Anda harus mengganti kata sandi sekali pakai terlebih dahulu.",
                          "password_change_required")
        registry = jwt.JWTClaimsRegistry(
            now=lambda: int(self._clock()), leeway=self.leeway_s,
            iss={"essential": True, "value": self.issuer},
            aud={"essential": True, "values": list(self.audiences)},
            sub={"essential": True}, exp={"essential": True}, iat={"essential": True},
            jti={"essential": True}, kind={"essential": True, "values": list(KINDS)},
        )
        try:
            registry.validate(claims)
        except ExpiredTokenError:
            raise _refuse("Sesi Anda telah berakhir; silakan masuk kembali.",
                          "token_expired") from None
        except JoseError:
            raise _invalid() from None
        return claims

    async def authenticate(self, authorization: str | None,
                           cookies: Mapping[str, str]) -> Caller:
        token = token_from(authorization, cookies)
        if token is None:
            return ANONYMOUS
        return caller_from_claims(await self.verify(token))


class JwksAuthenticator(KeySetAuthenticator):
    """Verifies tokens against the gateway's JWKS fetched over HTTP (``jwks_url``, e.g.
    ``http://gateway:8000/.well-known/jwks.json``)."""

    def __init__(self, jwks_url: str, issuer: str, audience: str = AUDIENCE, *,
                 leeway_s: int = 30, cache_ttl_s: float = 300.0,
                 refetch_interval_s: float = 30.0, timeout_s: float = 5.0,
                 client: httpx.AsyncClient | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.jwks_url = jwks_url
        self._client = client
        self._timeout_s = timeout_s
        super().__init__(self._fetch, issuer=issuer, audiences=(audience,),
                         leeway_s=leeway_s, cache_ttl_s=cache_ttl_s,
                         refetch_interval_s=refetch_interval_s, clock=clock)

    async def _fetch(self) -> JwkSet:
        if self._client is not None:
            r = await self._client.get(self.jwks_url, timeout=self._timeout_s)
        else:
            async with httpx.AsyncClient(timeout=self._timeout_s, trust_env=False) as client:
                r = await client.get(self.jwks_url)
        r.raise_for_status()
        data = r.json()
        if not isinstance(data, dict):
            raise ValueError("JWKS is not a JSON object")
        return data


class StaticKeysAuthenticator(KeySetAuthenticator):
    """Verifies tokens against a JWK set held in memory."""

    def __init__(self, jwks: Mapping[str, Any], issuer: str, audience: str = AUDIENCE, *,
                 leeway_s: int = 30, clock: Callable[[], float] = time.time) -> None:
        self._jwks = dict(jwks)

        async def load() -> JwkSet:
            return self._jwks

        super().__init__(load, issuer=issuer, audiences=(audience,), leeway_s=leeway_s,
                         cache_ttl_s=float("inf"), refetch_interval_s=0.0, clock=clock)


def csrf_required(method: str, authorization: str | None, cookies: Mapping[str, str]) -> bool:
    """A request needs the double-submit CSRF header when it changes something and its
    credentials are cookies (a browser sends those by itself); a Bearer request does not."""
    if method.upper() in SAFE_METHODS or authorization:
        return False
    return ACCESS_COOKIE in cookies or REFRESH_COOKIE in cookies


def check_csrf(method: str, authorization: str | None, cookies: Mapping[str, str],
               header_value: str | None) -> None:
    """Raises ``Forbidden`` when a cookie-authenticated unsafe request lacks a
    ``X-CSRF-Token`` header equal to the ``ek_csrf`` cookie."""
    if not csrf_required(method, authorization, cookies):
        return
    expected = cookies.get(CSRF_COOKIE, "")
    if not expected or not header_value or not hmac.compare_digest(
            expected.encode(), header_value.encode()):
        raise Forbidden("Permintaan ditolak: token CSRF tidak valid. Muat ulang halaman.",
                        code="csrf_failed")
