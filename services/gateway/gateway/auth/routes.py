"""Sign-in routes: ``/api/auth/...`` (local sign-in, password change, refresh, sign-out,
the caller, machine-client tokens, OIDC) and the published keys under ``/.well-known``.
Thin: parse, call the use case, shape the answer and the cookies."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Literal
from urllib.parse import unquote

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import BaseModel, Field

from ekinerja_shared.errors import DomainError
from ekinerja_shared.http import (
    SessionDep,
    SignedInDep,
    TenantPath,
    UowDep,
    current_caller,
    signed_in,
)
from ekinerja_shared.identity import Caller, Role, Unauthenticated
from ekinerja_shared.tokens import ALGORITHM, REFRESH_COOKIE

from ..settings import Settings
from . import store
from .keys import KeyRing
from .oidc import STATE_COOKIE, OidcFlow
from .orm import OidcProvider
from .rules import KNOWN_SCOPES, PLATFORM
from .sessions import AuthService, Issued
from .web import clear_session_cookies, set_session_cookies, signed_in_any, source_of

SessionMode = Literal["cookie", "token"]


class LoginIn(BaseModel):
    tenant: str | None = Field(default=None, max_length=64, description="regency (tenant) id")
    nip: str | None = Field(default=None, max_length=64)
    operator: str | None = Field(default=None, max_length=64,
                                 description="platform operator name (instead of tenant+NIP)")
    password: str = Field(min_length=1, max_length=256)
    session: SessionMode = Field(
        default="cookie", description="cookie: browser cookies are set; token: no cookies, "
                                      "the refresh token is in the answer (API clients)")


class PasswordIn(BaseModel):
    current_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=1, max_length=256)


class RefreshIn(BaseModel):
    refresh_token: str | None = Field(default=None, max_length=200)


class SessionOut(BaseModel):
    status: Literal["signed_in", "password_change_required"]
    access_token: str
    token_type: str = "Bearer"
    expires_in: int
    refresh_token: str | None = None
    subject: str
    tenant_id: str | None
    nip: str | None
    roles: list[str]


class MeOut(BaseModel):
    subject: str
    kind: str
    tenant_id: str | None
    nip: str | None
    name: str | None = None
    roles: list[str]
    scopes: list[str]


class MethodsOut(BaseModel):
    tenant_id: str
    password: bool
    sso: bool
    sso_start: str | None = Field(description="where the browser starts an SSO sign-in")


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "Bearer"
    expires_in: int
    scope: str


def _answer(issued: Issued, response: Response, settings: Settings,
            mode: SessionMode) -> SessionOut:
    if mode == "cookie":
        set_session_cookies(response, issued, settings)
    c = issued.claims
    return SessionOut(
        status="password_change_required" if issued.restricted else "signed_in",
        access_token=issued.access_token, expires_in=issued.expires_in,
        refresh_token=issued.refresh_token if mode == "token" else None, subject=c["sub"],
        tenant_id=c["tid"], nip=c["nip"], roles=c["roles"])


def _basic(authorization: str | None) -> tuple[str, str] | None:
    scheme, _, value = (authorization or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, sep, secret = base64.b64decode(value.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (unquote(user), unquote(secret)) if sep else None


def build_router(settings: Settings, auth: AuthService, oidc: OidcFlow,
                 keys: KeyRing) -> APIRouter:
    router = APIRouter(prefix="/api/auth", tags=["sign-in"])

    @router.post("/login", response_model=SessionOut,
                 summary="Sign in with NIP and password (or operator name and password)")
    async def login(body: LoginIn, request: Request, response: Response) -> SessionOut:
        if body.operator and not (body.tenant or body.nip):
            realm, login_name = PLATFORM, body.operator
        elif body.tenant and body.nip and not body.operator and body.tenant != PLATFORM:
            realm, login_name = body.tenant, body.nip.strip()
        else:
            raise DomainError("Isi kode instansi dan NIP (atau nama operator).",
                              code="invalid_request")
        issued = await auth.login(realm, login_name, body.password, source_of(request))
        return _answer(issued, response, settings, body.session)

    @router.post("/password", response_model=SessionOut,
                 summary="Change one's own password (required after a one-time password)")
    async def change_password(caller: Annotated[Caller, Depends(signed_in_any)],
                              body: PasswordIn, request: Request,
                              response: Response) -> SessionOut:
        issued = await auth.change_password(caller, body.current_password, body.new_password,
                                            source_of(request))
        mode: SessionMode = "token" if request.headers.get("authorization") else "cookie"
        return _answer(issued, response, settings, mode)

    @router.post("/refresh", response_model=SessionOut,
                 summary="New access token; the refresh token is rotated (reuse ends the "
                         "sign-in)")
    async def refresh(request: Request, response: Response,
                      body: RefreshIn | None = None) -> SessionOut:
        mode: SessionMode = "token" if body and body.refresh_token else "cookie"
        raw = body.refresh_token if body and body.refresh_token else \
            request.cookies.get(REFRESH_COOKIE)
        issued = await auth.refresh(raw, source_of(request))
        return _answer(issued, response, settings, mode)

    @router.post("/logout", status_code=204, summary="Sign out (the refresh token's sign-in "
                                                     "ends; cookies are cleared)")
    async def logout(request: Request, body: RefreshIn | None = None) -> Response:
        raw = body.refresh_token if body and body.refresh_token else \
            request.cookies.get(REFRESH_COOKIE)
        try:
            caller: Caller | None = await current_caller(request)
        except DomainError:  # a bad or expired token still signs out
            caller = None
        await auth.logout(raw, caller, source_of(request))
        response = Response(status_code=204)
        clear_session_cookies(response, settings)
        return response

    @router.get("/me", response_model=MeOut, summary="The signed-in caller")
    async def me(caller: SignedInDep, uow: UowDep) -> MeOut:
        name = None
        if caller.tenant_id and caller.nip:
            async with uow.in_tenant(caller.tenant_id).read() as session:
                emp = await store.employee(session, caller.tenant_id, caller.nip)
                name = emp.name if emp else None
        return MeOut(subject=caller.subject, kind=caller.kind, tenant_id=caller.tenant_id,
                     nip=caller.nip, name=name, roles=sorted(r.value for r in caller.roles),
                     scopes=sorted(caller.scopes))

    @router.post("/token", response_model=TokenOut,
                 summary="OAuth 2.0 client credentials for machine clients (HTTP Basic)",
                 openapi_extra={"requestBody": {"content": {
                     "application/x-www-form-urlencoded": {"schema": {
                         "type": "object", "required": ["grant_type"],
                         "properties": {"grant_type": {"enum": ["client_credentials"]},
                                        "scope": {"type": "string"}}}}}}})
    async def token(request: Request) -> JSONResponse:
        form = await request.form()
        creds = _basic(request.headers.get("authorization"))
        if creds is None and form.get("client_id") and form.get("client_secret"):
            creds = (str(form["client_id"]), str(form["client_secret"]))
        if form.get("grant_type") != "client_credentials":
            return _oauth_error("unsupported_grant_type", "Hanya grant_type=client_credentials "
                                "yang didukung.", 400)
        if creds is None:
            return _oauth_error("invalid_client", "Kredensial klien (HTTP Basic) wajib.", 401)
        scope = form.get("scope")
        try:
            issued = await auth.client_token(creds[0], creds[1],
                                             str(scope) if scope else None, source_of(request))
        except Unauthenticated as exc:
            return _oauth_error("invalid_client", exc.message, 401)
        except DomainError as exc:
            if exc.code != "invalid_scope":
                raise
            return _oauth_error("invalid_scope", exc.message, 400)
        body = TokenOut(access_token=issued.access_token, expires_in=issued.expires_in,
                        scope=issued.claims.get("scope", ""))
        return JSONResponse(body.model_dump(), headers={"Cache-Control": "no-store"})

    @router.post("/keys/rotate", summary="Rotate the signing key (operator)")
    async def rotate(caller: Annotated[Caller, Depends(signed_in(Role.OPERATOR))],
                     immediately: bool = Query(default=False)) -> dict[str, object]:
        kid = await keys.rotate(immediately=immediately)
        await auth.uow.run(store.record, "keys_rotated", actor=caller.subject, tenant_id=None,
                           at=auth.clock(), target=kid, immediately=immediately)
        return {"kid": kid, "published": [k["kid"] for k in (await keys.jwks())["keys"]]}

    # --- OpenID Connect --------------------------------------------------------------------

    @router.get("/methods/{tenant_id}", response_model=MethodsOut,
                summary="How people of a regency sign in (for the sign-in page)")
    async def methods(tenant_id: TenantPath, session: SessionDep) -> MethodsOut:
        provider = await session.get(OidcProvider, tenant_id)
        sso = provider is not None and provider.enabled
        return MethodsOut(tenant_id=tenant_id, password=True, sso=sso,
                          sso_start=f"/api/auth/oidc/{tenant_id}/start" if sso else None)


    @router.get("/oidc/{tenant_id}/start", status_code=303,
                summary="Sign in through the regency's identity provider (redirect)")
    async def oidc_start(tenant_id: TenantPath,
                         next: str | None = Query(default=None, max_length=500)) -> Response:
        url, state = await oidc.start(tenant_id, next)
        response = RedirectResponse(url, status_code=303)
        response.set_cookie(STATE_COOKIE, state, max_age=settings.auth_oidc_login_ttl_s,
                            httponly=True, samesite="lax", secure=settings.auth_cookie_secure,
                            path=f"/api/auth/oidc/{tenant_id}")
        return response

    @router.get("/oidc/{tenant_id}/callback", status_code=303,
                summary="Where the identity provider sends the browser back")
    async def oidc_callback(tenant_id: TenantPath, request: Request) -> Response:
        params = {k: v for k, v in request.query_params.items()}
        issued, next_path = await oidc.callback(tenant_id, params,
                                                request.cookies.get(STATE_COOKIE),
                                                source_of(request))
        response = RedirectResponse(next_path, status_code=303)
        set_session_cookies(response, issued, settings)
        response.delete_cookie(STATE_COOKIE, path=f"/api/auth/oidc/{tenant_id}")
        return response

    return router


def _oauth_error(error: str, message: str, status: int) -> JSONResponse:
    """RFC 6749 5.2 error fields, plus the project's ``detail``/``code``."""
    headers = {"Cache-Control": "no-store"}
    if status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="ekinerja"'
    return JSONResponse({"error": error, "error_description": message, "detail": message,
                         "code": error}, status_code=status, headers=headers)


def build_well_known(settings: Settings, keys: KeyRing) -> APIRouter:
    router = APIRouter(tags=["sign-in"])

    @router.get("/.well-known/jwks.json", summary="Public keys of the access tokens (JWKS)")
    async def jwks() -> JSONResponse:
        return JSONResponse(await keys.jwks(), headers={"Cache-Control": "public, max-age=60"})

    @router.get("/.well-known/oauth-authorization-server",
                summary="Metadata of the token issuer (RFC 8414 fields)")
    async def metadata() -> dict[str, object]:
        base = settings.auth_public_url.rstrip("/")
        return {
            "issuer": settings.auth_issuer,
            "jwks_uri": f"{base}/.well-known/jwks.json",
            "token_endpoint": f"{base}/api/auth/token",
            "grant_types_supported": ["client_credentials", "refresh_token"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic",
                                                      "client_secret_post"],
            "scopes_supported": sorted(KNOWN_SCOPES),
            "access_token_signing_alg_values_supported": [ALGORITHM],
        }

    return router
