"""``install``: sign-in wired into the gateway app (routes, CSRF middleware, the 429
handler); the app keeps everything else."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from ..runtime import GatewayRuntime
from ..settings import Settings
from . import admin_routes, routes
from .keys import KeyRing, SecretBox
from .oidc import OidcFlow
from .rules import TooManyAttempts
from .sessions import AuthService
from .web import CsrfMiddleware, GatewayAuthenticator


def install(app: FastAPI, rt: GatewayRuntime, settings: Settings) -> AuthService:
    box = SecretBox(settings.auth_key_encryption_secret)
    # its transactions cross regencies (named "sign-in"): it finds accounts by login,
    # machine clients by id, OIDC states by hash, and the directory facts of a sign-in
    uow = rt.uow.cross_tenant("sign-in")
    keys = KeyRing(uow, settings, box)
    auth = AuthService(uow, settings, keys)
    oidc = OidcFlow(uow, settings, box, auth)
    authenticator = GatewayAuthenticator(keys, settings)
    app.state.auth_authenticator = authenticator
    # every route of the gateway (CallerDep) verifies the gateway's own tokens
    rt.authenticator = authenticator
    app.include_router(routes.build_router(settings, auth, oidc, keys))
    app.include_router(routes.build_well_known(settings, keys))
    app.include_router(admin_routes.build_router(auth, box, oidc.redirect_uri))
    app.add_middleware(CsrfMiddleware)

    @app.exception_handler(TooManyAttempts)
    async def _too_many(_req: Request, exc: TooManyAttempts) -> JSONResponse:
        return JSONResponse({"detail": exc.message, "code": exc.code},
                            status_code=exc.status_code,
                            headers={"Retry-After": str(exc.retry_after_s)})

    return auth
