"""Composition root of the activity service."""

from __future__ import annotations

import logging

from fastapi import FastAPI

from ekinerja_shared import events as ev
from ekinerja_shared.jobs import PeriodicJob
from ekinerja_shared.service import create_service_app
from ekinerja_shared.topics import ACTIVITY_ACTING, ACTIVITY_ENTRIES, AUDIT

from .adapters.orm import ConsumerAttempt, Outbox, ProcessedEvent, Quarantine
from .entrypoints import (
    admin_api,
    approvals_api,
    consumers,
    directory_api,
    entries_api,
    plans_api,
)
from .runtime import ActivityRuntime
from .service_layer import deadlines
from .settings import Settings

log = logging.getLogger(__name__)

PUBLISHED = (ev.ActivityEntrySubmitted, ev.ActivityEntryApproved, ev.ActivityEntryRejected,
             ev.ActivityEntryRevoked, ev.ActivityEntryExpired)


def expiry_job(rt: ActivityRuntime) -> PeriodicJob:
    """Every ``EK_EXPIRY_INTERVAL_S`` (0 = never): expire the entries still pending after
    their tenant's deadline."""

    async def expire_pending_entries() -> dict[str, int]:
        done = await deadlines.expire_all_tenants(rt.uow, cfg=rt.config)
        if done:
            rt.activity_metrics.transitions.labels("expired").inc(sum(done.values()))
            log.info("expired pending entries: %s", done)
        return done

    return PeriodicJob(deadlines.EXPIRY_JOB, expire_pending_entries,
                       rt.settings.expiry_interval_s)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    rt = ActivityRuntime.build(settings, inbox_model=ProcessedEvent,
                               quarantine_model=Quarantine, outbox_model=Outbox, attempts_model=ConsumerAttempt)
    consumers.register(rt)
    # declared for the AsyncAPI document; the outbox relay does the publishing
    rt.declare_published(ACTIVITY_ENTRIES, *PUBLISHED)
    rt.declare_published(ACTIVITY_ACTING, ev.ActingAssignmentUpserted)
    rt.declare_published(AUDIT, ev.AuditRecorded)
    return create_service_app(
        rt, package="activity", title="e-Kinerja activity service",
        description="Daily work logs (aktivitas harian), plans and agenda, supervisor approval "
                    "up the hierarchy (with Plt/Plh), verifier revocation and deadlines.",
        routers=[directory_api.router, entries_api.router, approvals_api.router,
                 plans_api.router, admin_api.router],
        jobs=[expiry_job(rt)],
    )
