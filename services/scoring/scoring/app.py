"""Composition root of the scoring service."""

from __future__ import annotations

import asyncio
import logging

from fastapi import FastAPI

from ekinerja_shared import events as ev
from ekinerja_shared.service import build_runtime, create_service_app
from ekinerja_shared.topics import PERIODS, SCORES

from .adapters.orm import Outbox, ProcessedEvent, Quarantine
from .entrypoints import api, consumers
from .service_layer import services
from .settings import Settings

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    rt = build_runtime(settings, inbox_model=ProcessedEvent, quarantine_model=Quarantine,
                       outbox_model=Outbox)
    consumers.register(rt)
    # declared for the AsyncAPI document; the outbox relay does the publishing
    rt.broker.publisher(SCORES.name, schema=ev.ScoreUpdated, title="ScoreUpdated")
    for schema in (ev.PeriodClosed, ev.PeriodReopened):
        rt.broker.publisher(PERIODS.name, schema=schema, title=schema.__name__)

    async def unit_refresher() -> None:
        """Coalesced refresh of unit averages (collective component) and their members."""
        while True:
            refreshed = 0
            try:
                refreshed = await services.refresh_units(
                    rt.sessionmaker, default_preset=settings.default_policy_preset)
            except Exception:  # noqa: BLE001 - retried on the next pass
                log.exception("unit refresh failed")
            if not refreshed:
                await asyncio.sleep(settings.unit_refresh_interval_s)

    return create_service_app(
        rt, package="scoring", title="e-Kinerja scoring service",
        description="Running monthly scores and TPP per regency policy.",
        routers=[api.router], background=[unit_refresher],
    )
