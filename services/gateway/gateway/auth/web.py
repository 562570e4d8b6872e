"""HTTP plumbing of sign-in: who the caller is at the gateway, the session cookies, the
CSRF double-submit check (an ASGI middleware, so that it also covers the proxied
services) and the request's source for the audit."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import Request, Response
from starlette.datastructures import Headers
from starlette.requests import cookie_parser
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from ekinerja_shared.errors import Forbidden
from ekinerja_shared.identity import Caller, Role
from ekinerja_shared.tokens import (
    ACCESS_COOKIE,
    AUDIENCE,
    CSRF_COOKIE,
    CSRF_HEADER,
    PASSWORD_CHANGE_AUDIENCE,
    REFRESH_COOKIE,
    KeySetAuthenticator,
    caller_from_claims,
    check_csrf,
    token_from,
)

from ..settings import Settings
from .keys import KeyRing
from .sessions import Issued
from .store import Source

ADMIN_TOKEN_CALLER = Caller(subject="admin-token", tenant_id=None, nip=None,
                            roles=frozenset({Role.OPERATOR}), kind="client")
# unsafe requests that need no CSRF header: they do not act on a cookie session
CSRF_EXEMPT = frozenset({"/api/auth/login", "/api/auth/token"})


class GatewayAuthenticator:
    """The gateway verifies its own tokens against its key ring (the same keys it
    publishes). ``EK_ADMIN_TOKEN``, when set, remains a break-glass operator credential;
    without credentials the caller is anonymous."""

    def __init__(self, keys: KeyRing, settings: Settings) -> None:
        self._admin_token = settings.admin_token
        common: dict[str, Any] = dict(issuer=settings.auth_issuer, leeway_s=settings.auth_leeway_s,
                                      cache_ttl_s=60.0, refetch_interval_s=1.0)
        self.full = KeySetAuthenticator(keys.jwks, audiences=(AUDIENCE,), **common)
        self.any = KeySetAuthenticator(keys.jwks, audiences=(AUDIENCE, PASSWORD_CHANGE_AUDIENCE),
                                       **common)

    def _admin(self, authorization: str | None) -> bool:
        return bool(self._admin_token) and authorization == f"Bearer {self._admin_token}"

    async def authenticate(self, authorization: str | None,
                           cookies: Mapping[str, str]) -> Caller:
        if self._admin(authorization):
            return ADMIN_TOKEN_CALLER
        return await self.full.authenticate(authorization, cookies)

    async def authenticate_any(self, authorization: str | None,
                               cookies: Mapping[str, str]) -> tuple[Caller, bool]:
        """Also the restricted token of a one-time password: (caller, restricted)."""
        token = token_from(authorization, cookies)
        if token is None:
            return await self.authenticate(None, {}), False
        claims = await self.any.verify(token)
        return caller_from_claims(claims), claims.get("aud") == PASSWORD_CHANGE_AUDIENCE


def source_of(request: Request) -> Source:
    return Source(ip=request.client.host if request.client else None,
                  user_agent=request.headers.get("user-agent"))


async def signed_in_any(request: Request) -> Caller:
    """FastAPI dependency of the password change: the signed-in caller, also with the
    restricted token of a one-time password (401 without credentials)."""
    auth: GatewayAuthenticator = request.app.state.auth_authenticator
    caller, _restricted = await auth.authenticate_any(request.headers.get("authorization"),
                                                      request.cookies)
    return caller.require()


# --- cookies ---------------------------------------------------------------------------------


def set_session_cookies(response: Response, issued: Issued, settings: Settings) -> None:
    """Access token (HttpOnly, SameSite=Lax, whole site: the proxied services read it),
    refresh token (HttpOnly, SameSite=Strict, only /api/auth), CSRF token (readable by the
    page, sent back as the X-CSRF-Token header)."""
    common: dict[str, Any] = dict(secure=settings.auth_cookie_secure,
                                  domain=settings.auth_cookie_domain)
    response.set_cookie(ACCESS_COOKIE, issued.access_token, max_age=issued.expires_in,
                        httponly=True, samesite="lax", path="/", **common)
    if issued.refresh_token:
        response.set_cookie(REFRESH_COOKIE, issued.refresh_token,
                            max_age=settings.auth_refresh_ttl_s, httponly=True,
                            samesite="strict", path="/api/auth", **common)
    else:
        response.delete_cookie(REFRESH_COOKIE, path="/api/auth", httponly=True,
                               samesite="strict", **common)
    if issued.csrf_token:
        response.set_cookie(CSRF_COOKIE, issued.csrf_token, max_age=settings.auth_refresh_ttl_s,
                            httponly=False, samesite="lax", path="/", **common)


def clear_session_cookies(response: Response, settings: Settings) -> None:
    common: dict[str, Any] = dict(secure=settings.auth_cookie_secure,
                                  domain=settings.auth_cookie_domain)
    response.delete_cookie(ACCESS_COOKIE, path="/", httponly=True, samesite="lax", **common)
    response.delete_cookie(REFRESH_COOKIE, path="/api/auth", httponly=True, samesite="strict",
                           **common)
    response.delete_cookie(CSRF_COOKIE, path="/", samesite="lax", **common)


class CsrfMiddleware:
    """Refuses (403) an unsafe request authenticated by the session cookies without a
    matching ``X-CSRF-Token`` header. Pure ASGI: streaming responses pass untouched."""

    def __init__(self, app: ASGIApp, exempt: frozenset[str] = CSRF_EXEMPT) -> None:
        self.app = app
        self.exempt = exempt

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("path") not in self.exempt:
            headers = Headers(scope=scope)
            cookies = cookie_parser(headers.get("cookie", ""))
            try:
                check_csrf(scope["method"], headers.get("authorization"), cookies,
                           headers.get(CSRF_HEADER))
            except Forbidden as exc:
                response = JSONResponse({"detail": exc.message, "code": exc.code},
                                        status_code=exc.status_code)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
