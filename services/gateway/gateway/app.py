"""Composition root of the gateway."""

from __future__ import annotations

import asyncio

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from ekinerja_shared import events as ev
from ekinerja_shared.service import build_runtime, create_service_app
from ekinerja_shared.topics import DIRECTORY

from .adapters.orm import Outbox, ProcessedEvent, Quarantine
from .auth.wiring import install as install_auth
from .domain.roster import RosterInvalid
from .entrypoints import api, consumers, dashboard, proxy
from .service_layer.stream import ScoreHub
from .settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    rt = build_runtime(settings, inbox_model=ProcessedEvent, quarantine_model=Quarantine,
                       outbox_model=Outbox)
    hub = ScoreHub(queue_size=settings.stream_queue_size, registry=rt.metrics.registry)
    backend_proxy = proxy.make_proxy(settings, rt.metrics.registry)
    rt.extras.update(hub=hub, proxy=backend_proxy)
    consumers.register(rt, hub)
    # declared for the AsyncAPI document; the outbox relay does the publishing
    for schema in (ev.TenantUpserted, ev.EmployeeUpserted):
        rt.broker.publisher(DIRECTORY.name, schema=schema, title=schema.__name__)

    async def proxy_client_lifetime() -> None:
        """Closes the proxy's connection pool and the live streams at shutdown."""
        try:
            await asyncio.Event().wait()
        finally:
            hub.close_all()
            await backend_proxy.client.aclose()

    app = create_service_app(
        rt, package="gateway", title="e-Kinerja gateway",
        description="Tenant and employee directory, monthly scores, live score stream, and "
                    "the entry point to the attendance, activity and scoring services.",
        routers=[api.build_router(settings, hub), proxy.build_router(settings, backend_proxy),
                 dashboard.router],
        background=[proxy_client_lifetime],
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
