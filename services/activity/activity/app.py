"""Composition root of the activity service."""

from __future__ import annotations

import asyncio
import logging

from fastapi import FastAPI

from ekinerja_shared import events as ev
from ekinerja_shared.service import Runtime, build_runtime, create_service_app
from ekinerja_shared.topics import ACTIVITY_ENTRIES

from .adapters.orm import Outbox, ProcessedEvent, Quarantine
from .entrypoints import api, consumers
from .metrics import ActivityMetrics
from .service_layer import services
from .settings import Settings

log = logging.getLogger(__name__)

PUBLISHED = (ev.ActivityEntrySubmitted, ev.ActivityEntryApproved, ev.ActivityEntryRejected,
             ev.ActivityEntryRevoked, ev.ActivityEntryExpired)


def expiry_job(rt: Runtime, settings: Settings):  # noqa: ANN201 - a coroutine factory
    async def expire_pending_entries() -> None:
        """Periodically expire entries still pending after their tenant's deadline."""
        if settings.expiry_interval_s <= 0:
            return
        while True:
            try:
                done = await services.expire_all_tenants(rt.sessionmaker,
                                                         cfg=rt.extras["config"])
                if done:
                    rt.extras["metrics"].transitions.labels("expired").inc(sum(done.values()))
                    log.info("expired pending entries: %s", done)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - retried next round
                log.exception("expiry pass failed")
            await asyncio.sleep(settings.expiry_interval_s)

    return expire_pending_entries


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    rt = build_runtime(settings, inbox_model=ProcessedEvent, quarantine_model=Quarantine,
                       outbox_model=Outbox)
    rt.extras["config"] = services.Config(
        default_tz=settings.default_timezone, default_rules=settings.default_rules(),
        bulk_limit=settings.bulk_decision_limit)
    rt.extras["metrics"] = ActivityMetrics(rt.metrics.registry)
    consumers.register(rt)
    # declared for the AsyncAPI document; the outbox relay does the publishing
    for schema in PUBLISHED:
        rt.broker.publisher(ACTIVITY_ENTRIES.name, schema=schema, title=schema.__name__)
    return create_service_app(
        rt, package="activity", title="e-Kinerja activity service",
        description="Daily work logs (aktivitas harian), plans and agenda, supervisor approval "
                    "up the hierarchy (with Plt/Plh), verifier revocation and deadlines.",
        routers=[api.router, api.admin_router(rt)],
        background=[expiry_job(rt, settings)],
    )
