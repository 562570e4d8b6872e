"""OpenID Connect sign-in for regencies with their own identity provider (Keycloak, BKN's
SIASN SSO, a pemda SSO): authorization code + PKCE (S256) with ``state`` and ``nonce``
kept server-side (one use, bound to the browser by a short cookie), the code exchanged
with authlib's httpx client, the ID token verified against the provider's JWKS, and the
configured NIP claim mapped to an active employee of that regency."""

from __future__ import annotations

import datetime as dt
import secrets
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from ekinerja_shared.errors import DomainError, Forbidden, NotFound
from ekinerja_shared.identity import Unauthenticated
from ekinerja_shared.timeutil import utcnow
from ekinerja_shared.tokens import unverified_header
from ekinerja_shared.uow import UnitOfWork

from ..settings import Settings
from . import store
from .keys import SecretBox
from .orm import OidcLogin, OidcProvider
from .rules import safe_next
from .sessions import AuthService, Issued
from .store import Source

from authlib.deprecate import AuthlibDeprecationWarning

with warnings.catch_warnings():  # authlib asks for httpx2; the httpx client is the same API
    warnings.simplefilter("ignore", AuthlibDeprecationWarning)
    from authlib.integrations.httpx_client import AsyncOAuth2Client

STATE_COOKIE = "ek_oidc_state"
# asymmetric algorithms only: "none" and HMAC (keyed with the client secret) are refused
ID_TOKEN_ALGS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384",
                 "ES512", "EdDSA")
METADATA_TTL_S = 600.0
JWKS_REFETCH_S = 30.0


def _unavailable(exc: Exception | None = None) -> DomainError:
    return DomainError("Penyedia identitas (SSO) instansi tidak dapat dihubungi; coba lagi "
                       "beberapa saat lagi.", code="oidc_unavailable", status_code=502)


def _state_error() -> DomainError:
    return DomainError("Permintaan masuk SSO tidak dikenal atau sudah kedaluwarsa; ulangi "
                       "dari halaman masuk.", code="oidc_state", status_code=400)


@dataclass
class _Cached:
    at: float
    value: Any


class OidcFlow:
    def __init__(self, uow: UnitOfWork, settings: Settings, box: SecretBox, auth: AuthService,
                 clock: Callable[[], dt.datetime] = utcnow) -> None:
        self._uow = uow
        self._settings = settings
        self._box = box
        self._auth = auth
        self._clock = clock
        self._metadata: dict[str, _Cached] = {}
        self._jwks: dict[str, _Cached] = {}

    def redirect_uri(self, tenant_id: str) -> str:
        return f"{self._settings.auth_public_url.rstrip('/')}/api/auth/oidc/{tenant_id}/callback"

    def _http(self, provider: OidcProvider, **kwargs: Any) -> AsyncOAuth2Client:
        """authlib's OAuth 2.0 client of the provider (authorization URL, code exchange)."""
        secret = self._box.open(provider.client_secret, provider.secret_encrypted)
        return AsyncOAuth2Client(
            client_id=provider.client_id, client_secret=secret,
            token_endpoint_auth_method="client_secret_basic", code_challenge_method="S256",
            timeout=self._settings.auth_oidc_timeout_s, trust_env=False, **kwargs)

    async def _provider(self, tenant_id: str) -> OidcProvider:
        async with self._uow.read() as session:
            provider = await session.get(OidcProvider, tenant_id)
        if provider is None or not provider.enabled:
            raise NotFound("Instansi ini belum mengatur masuk melalui SSO.",
                           code="oidc_not_configured")
        return provider

    async def _get_json(self, url: str) -> dict[str, Any]:
        try:
            async with httpx.AsyncClient(timeout=self._settings.auth_oidc_timeout_s,
                                         trust_env=False) as client:
                r = await client.get(url)
                r.raise_for_status()
                data = r.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise _unavailable(exc) from exc
        if not isinstance(data, dict):
            raise _unavailable()
        return data

    async def metadata(self, issuer: str) -> dict[str, Any]:
        """The provider's discovery document (cached); its ``issuer`` must be the one
        configured."""
        cached = self._metadata.get(issuer)
        if cached and time.monotonic() - cached.at < METADATA_TTL_S:
            known: dict[str, Any] = cached.value
            return known
        doc = await self._get_json(f"{issuer}/.well-known/openid-configuration")
        needed = ("authorization_endpoint", "token_endpoint", "jwks_uri")
        if doc.get("issuer") != issuer or not all(isinstance(doc.get(k), str) for k in needed):
            raise DomainError("Konfigurasi penyedia identitas (SSO) tidak sesuai: issuer "
                              "atau endpoint tidak cocok.", code="oidc_misconfigured",
                              status_code=502)
        self._metadata[issuer] = _Cached(time.monotonic(), doc)
        return doc

    async def _keyset(self, jwks_uri: str, kid: str | None) -> KeySet:
        cached = self._jwks.get(jwks_uri)
        fresh = cached and time.monotonic() - cached.at < METADATA_TTL_S
        known = cached and kid is not None and any(
            k.kid == kid for k in cached.value.keys)
        if cached and fresh and (known or time.monotonic() - cached.at < JWKS_REFETCH_S):
            keyset: KeySet = cached.value
            return keyset
        data = await self._get_json(jwks_uri)
        usable = [k for k in data.get("keys", []) if isinstance(k, dict)
                  and k.get("use", "sig") == "sig" and k.get("kty") in ("RSA", "EC", "OKP")]
        try:
            keyset = KeySet.import_key_set({"keys": usable})
        except (JoseError, ValueError) as exc:
            raise _unavailable(exc) from exc
        self._jwks[jwks_uri] = _Cached(time.monotonic(), keyset)
        return keyset

    # --- the two legs ----------------------------------------------------------------------

    async def start(self, tenant_id: str, next_path: str | None) -> tuple[str, str]:
        """(authorization URL, state): the browser goes to the provider with a PKCE
        challenge, ``state`` and ``nonce``; the verifier and nonce stay here."""
        now = self._clock()
        provider = await self._provider(tenant_id)
        meta = await self.metadata(provider.issuer)
        state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        verifier = secrets.token_urlsafe(64)[:96]
        async with self._http(provider, redirect_uri=self.redirect_uri(tenant_id),
                              scope=provider.scopes) as client:
            url, _ = client.create_authorization_url(
                meta["authorization_endpoint"], state=state, code_verifier=verifier,
                nonce=nonce)
        await self._uow.run(self._remember, OidcLogin(
            state_hash=store.sha256(state), tenant_id=tenant_id, code_verifier=verifier,
            nonce=nonce, next_path=safe_next(next_path),
            expires_at=now + dt.timedelta(seconds=self._settings.auth_oidc_login_ttl_s)), now)
        return url, state

    @staticmethod
    async def _remember(session: AsyncSession, pending: OidcLogin, now: dt.datetime) -> None:
        """Use case: a started sign-in is kept (and the expired ones forgotten)."""
        await session.execute(delete(OidcLogin).where(OidcLogin.expires_at < now))
        session.add(pending)

    @staticmethod
    async def _take(session: AsyncSession, state: str) -> OidcLogin | None:
        """Use case: the started sign-in of ``state``, used once whatever happens next."""
        pending = await session.get(OidcLogin, store.sha256(state), with_for_update=True) \
            if state else None
        if pending is not None:
            await session.delete(pending)
        return pending

    async def _fail(self, tenant_id: str, reason: str, source: Source,
                    refusal: DomainError, **detail: Any) -> DomainError:
        """The failure audited (committed); returns ``refusal`` for the caller to raise."""
        actor = detail.pop("actor", "sso")
        await self._uow.run(store.record, "oidc_failed", actor=actor, tenant_id=tenant_id,
                            at=self._clock(), source=source, reason=reason, **detail)
        return refusal

    async def callback(self, tenant_id: str, params: dict[str, str],
                       state_cookie: str | None, source: Source) -> tuple[Issued, str]:
        """The provider sent the browser back: check the state (and that this browser
        started the sign-in), exchange the code, verify the ID token, sign in the NIP."""
        now = self._clock()
        state = params.get("state") or ""
        pending = await self._uow.run(self._take, state)
        if pending is None or pending.tenant_id != tenant_id or pending.expires_at <= now:
            raise await self._fail(tenant_id, "unknown_state", source, _state_error())
        if not state_cookie or not secrets.compare_digest(state_cookie, state):
            raise await self._fail(tenant_id, "state_cookie_mismatch", source, _state_error())
        if params.get("error"):
            raise await self._fail(
                tenant_id, "provider_error", source,
                Unauthenticated("Masuk melalui SSO dibatalkan atau ditolak oleh penyedia "
                                "identitas.", code="oidc_denied"),
                provider_error=params["error"][:100])
        code = params.get("code")
        if not code:
            raise await self._fail(tenant_id, "missing_code", source, _state_error())
        provider = await self._provider(tenant_id)
        meta = await self.metadata(provider.issuer)
        try:
            async with self._http(provider, redirect_uri=self.redirect_uri(tenant_id)) as client:
                token = await client.fetch_token(
                    meta["token_endpoint"], grant_type="authorization_code", code=code,
                    code_verifier=pending.code_verifier)
        except httpx.HTTPError as exc:
            raise await self._fail(tenant_id, "token_endpoint_unreachable", source,
                                   _unavailable(exc)) from exc
        except Exception as exc:  # authlib's OAuthError: the provider refused the code
            raise await self._fail(
                tenant_id, "code_refused", source,
                Unauthenticated("Penyedia identitas menolak kode masuk; ulangi dari halaman "
                                "masuk.", code="oidc_code_refused"),
                provider_error=str(exc)[:200]) from exc
        claims = await self._verify_id_token(token.get("id_token"), provider, meta,
                                             pending.nonce, tenant_id, source)
        nip = claims.get(provider.nip_claim)
        if isinstance(nip, int):
            nip = str(nip)
        if not isinstance(nip, str) or not nip.strip():
            raise await self._fail(
                tenant_id, "missing_nip_claim", source,
                Forbidden(f"Akun SSO Anda tidak memuat NIP (klaim '{provider.nip_claim}'). "
                          "Hubungi pengelola SSO instansi.", code="oidc_no_nip"),
                actor=f"sso:{claims.get('sub')}")
        issued = await self._auth.sign_in_person(
            tenant_id, nip.strip(), method="oidc", source=source,
            idp_subject=str(claims.get("sub"))[:200])
        return issued, pending.next_path

    async def _verify_id_token(self, id_token: Any, provider: OidcProvider,
                               meta: dict[str, Any], nonce: str, tenant_id: str,
                               source: Source) -> dict[str, Any]:
        def refused(reason: str) -> Unauthenticated:
            return Unauthenticated("Token identitas dari SSO tidak valid.",
                                   code=f"oidc_{reason}")

        if not isinstance(id_token, str):
            raise await self._fail(tenant_id, "no_id_token", source, refused("no_id_token"))
        try:
            header = unverified_header(id_token)
        except Unauthenticated:
            raise await self._fail(tenant_id, "bad_id_token", source,
                                   refused("bad_id_token")) from None
        offered = meta.get("id_token_signing_alg_values_supported") or ["RS256"]
        alg = header.get("alg")
        if alg not in ID_TOKEN_ALGS or alg not in offered:
            raise await self._fail(tenant_id, "id_token_alg", source, refused("id_token_alg"),
                                   alg=str(alg)[:20])
        keyset = await self._keyset(meta["jwks_uri"], header.get("kid"))
        registry = jwt.JWTClaimsRegistry(
            leeway=self._settings.auth_leeway_s,
            iss={"essential": True, "value": provider.issuer},
            aud={"essential": True, "value": provider.client_id},
            sub={"essential": True}, exp={"essential": True}, iat={"essential": True},
            nonce={"essential": True, "value": nonce})
        try:
            decoded = jwt.decode(id_token, keyset, algorithms=[alg])
            registry.validate(decoded.claims)
        except (JoseError, ValueError) as exc:
            raise await self._fail(tenant_id, "id_token_invalid", source,
                                   refused("id_token_invalid"),
                                   failure=type(exc).__name__) from None
        claims = decoded.claims
        aud = claims.get("aud")
        if isinstance(aud, list) and len(aud) > 1 and claims.get("azp") != provider.client_id:
            raise await self._fail(tenant_id, "id_token_azp", source, refused("id_token_azp"))
        return claims
