"""Composition root of the scoring service."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from ekinerja_shared import events as ev
from ekinerja_shared.jobs import PeriodicJob
from ekinerja_shared.service import create_service_app
from ekinerja_shared.topics import AUDIT, PERIODS, SCORES

from .adapters.orm import ConsumerAttempt, Outbox, ProcessedEvent, Quarantine
from .domain.month_end import OpenItemsUnconfirmed
from .entrypoints import api, board_api, consumers, payslip_api
from .runtime import ScoringRuntime
from .service_layer import month_end, services
from .settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    rt = ScoringRuntime.build(settings, inbox_model=ProcessedEvent, quarantine_model=Quarantine,
                              outbox_model=Outbox, attempts_model=ConsumerAttempt)
    consumers.register(rt)
    rt.declare_published(SCORES, ev.ScoreUpdated)
    rt.declare_published(PERIODS, ev.PeriodClosed, ev.PeriodReopened)
    rt.declare_published(AUDIT, ev.AuditRecorded)

    async def refresh_units() -> int:
        """Coalesced refresh of unit averages (collective component) and their members."""
        return await services.refresh_units(rt.uow, default_preset=rt.default_preset)

    app = create_service_app(
        rt, package="scoring", title="e-Kinerja scoring service",
        description="Running monthly scores and TPP per regency policy.",
        routers=[api.router, board_api.router, payslip_api.router],
        jobs=[PeriodicJob("unit-refresher", refresh_units, settings.unit_refresh_interval_s,
                          again_when_busy=True)],
    )

    @app.exception_handler(OpenItemsUnconfirmed)
    async def _open_items(_req: Request, exc: OpenItemsUnconfirmed) -> JSONResponse:
        return JSONResponse({"detail": exc.message, "code": exc.code,
                             "open_items": month_end.items_out(exc.items)},
                            status_code=exc.status_code)

    return app
