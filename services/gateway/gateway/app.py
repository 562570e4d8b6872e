"""Composition root of the gateway."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from ekinerja_shared import events as ev
from ekinerja_shared.service import create_service_app
from ekinerja_shared.topics import DIRECTORY

from .adapters.orm import Outbox, ProcessedEvent, Quarantine
from .auth.wiring import install as install_auth
from .domain.roster import RosterInvalid
from .entrypoints import api, consumers, dashboard, proxy
from .runtime import GatewayRuntime
from .settings import Settings


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
        routers=[api.router, proxy.build_router(settings, rt.proxy), dashboard.router],
        # at shutdown: the live streams end, then the proxy's connection pool closes
        on_shutdown=[rt.close_streams, rt.proxy.client.aclose],
    )

    install_auth(app, rt, settings)

    @app.exception_handler(RosterInvalid)
    async def _roster_invalid(_req: Request, exc: RosterInvalid) -> JSONResponse:
        return JSONResponse(
            {"detail": exc.message, "code": exc.code,
             "errors": [e.as_dict() for e in exc.errors]},
            status_code=exc.status_code,
        )

    return app
