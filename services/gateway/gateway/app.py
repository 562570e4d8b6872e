"""Composition root of the gateway."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from ekinerja_shared import events as ev
from ekinerja_shared.service import create_service_app
from ekinerja_shared.topics import DIRECTORY

from .adapters.orm import Outbox, ProcessedEvent, Quarantine
from .auth.wiring import install as install_auth
from .domain.roster import RosterInvalid
from .entrypoints import consumers, directory_api, proxy, scores_api
from .entrypoints.callers import WithExtraKeys
from .runtime import GatewayRuntime
from .settings import Settings
from .web import install as install_web

DOC_PAGES = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json",
                       "/asyncapi", "/asyncapi.json"})
METRICS_PAGES = frozenset({"/metrics"})


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    rt = GatewayRuntime.build(settings, inbox_model=ProcessedEvent, quarantine_model=Quarantine,
                              outbox_model=Outbox)
    consumers.register(rt)
    rt.declare_published(DIRECTORY, ev.TenantUpserted, ev.EmployeeUpserted)

    app = create_service_app(
        rt, package="gateway", title="e-Kinerja gateway",
        description="Tenant and employee directory, monthly scores, live score stream, and "
                    "the entry point to the attendance, activity and scoring services.",
        routers=[directory_api.router, scores_api.router,
                 proxy.build_router(settings, rt.proxy)],
        # at shutdown: the live streams end, then the proxy's connection pool closes
        on_shutdown=[rt.close_streams, rt.proxy.client.aclose],
    )

    # sign-in: its sessions cross regencies (named "sign-in"); every route of the gateway
    # verifies the gateway's own tokens with its authenticator
    sign_in = rt.sign_in_view()
    install_auth(app, sign_in, settings)
    rt.authenticator = sign_in.authenticator
    if settings.auth_jwks:
        rt.authenticator = app.state.auth_authenticator = WithExtraKeys(
            app.state.auth_authenticator, settings.auth_jwks, settings)
    # the pages (after sign-in: their form CSRF bridge runs before its check)
    install_web(app, settings)
    hide_internal_pages(app, settings)

    @app.exception_handler(RosterInvalid)
    async def _roster_invalid(_req: Request, exc: RosterInvalid) -> JSONResponse:
        return JSONResponse(
            {"detail": exc.message, "code": exc.code,
             "errors": [e.as_dict() for e in exc.errors]},
            status_code=exc.status_code,
        )

    return app


class HiddenPages:
    """Answers 404 for ``paths`` before routing (pure ASGI middleware)."""

    def __init__(self, app: ASGIApp, paths: frozenset[str]) -> None:
        self.app = app
        self.paths = paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].rstrip("/") in self.paths:
            response = JSONResponse({"detail": "Halaman tidak ditemukan.", "code": "not_found"},
                                    status_code=404)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def hide_internal_pages(app: FastAPI, settings: Settings) -> None:
    """The operational pages answer 404 unless enabled (``EK_HTTP_EXPOSE_DOCS``,
    ``EK_HTTP_EXPOSE_METRICS``): the gateway is the public edge. ``/health`` stays."""
    hidden = (DOC_PAGES if not settings.http_expose_docs else frozenset()) | (
        METRICS_PAGES if not settings.http_expose_metrics else frozenset())
    if hidden:
        app.add_middleware(HiddenPages, paths=hidden)
