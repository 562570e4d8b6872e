"""Composition root of the gateway."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from ekinerja_shared import events as ev
from ekinerja_shared.service import create_service_app
from ekinerja_shared.topics import AUDIT, DIRECTORY

from .adapters.orm import ConsumerAttempt, Outbox, ProcessedEvent, Quarantine
from .auth.wiring import install as install_auth
from .domain.roster import RosterInvalid
from .entrypoints import audit_api, consumers, directory_api, month_api, proxy, scores_api
from .entrypoints.callers import WithExtraKeys
from .runtime import GatewayRuntime
from .settings import Settings
from .web import install as install_web


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    rt = GatewayRuntime.build(settings, inbox_model=ProcessedEvent, quarantine_model=Quarantine,
                              outbox_model=Outbox, attempts_model=ConsumerAttempt)
    consumers.register(rt)
    rt.declare_published(DIRECTORY, ev.TenantUpserted, ev.EmployeeUpserted)
    rt.declare_published(AUDIT, ev.AuditRecorded)

    app = create_service_app(
        rt, package="gateway", title="e-Kinerja gateway",
        description="Tenant and employee directory, monthly scores, live score stream, and "
                    "the entry point to the attendance, activity and scoring services.",
        routers=[directory_api.router, scores_api.router, audit_api.router, month_api.router,
                 proxy.build_router(settings, rt.proxy)],
        # at shutdown: the live streams end, then the proxy's connection pool closes
        on_shutdown=[rt.close_streams, rt.proxy.aclose],
        api_prefix="/api/tenants/{tenant_id}",  # the quarantine API, beside the directory's
    )

    # sign-in (its transactions cross regencies, named "sign-in"); every route of the
    # gateway verifies the gateway's own tokens with its authenticator
    install_auth(app, rt, settings)
    if settings.auth_jwks:
        rt.authenticator = app.state.auth_authenticator = WithExtraKeys(
            app.state.auth_authenticator, settings.auth_jwks, settings)
    # the pages (after sign-in: their form CSRF bridge runs before its check)
    install_web(app, settings)

    @app.exception_handler(RosterInvalid)
    async def _roster_invalid(_req: Request, exc: RosterInvalid) -> JSONResponse:
        return JSONResponse(
            {"detail": exc.message, "code": exc.code,
             "errors": [e.as_dict() for e in exc.errors]},
            status_code=exc.status_code,
        )

    return app
