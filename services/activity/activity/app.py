"""Composition root of the activity service."""

from __future__ import annotations

from fastapi import FastAPI

from ekinerja_shared import events as ev
from ekinerja_shared.service import build_runtime, create_service_app
from ekinerja_shared.topics import ACTIVITY_ENTRIES

from .adapters.orm import Outbox, ProcessedEvent, Quarantine
from .entrypoints import api, consumers
from .settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    rt = build_runtime(settings, inbox_model=ProcessedEvent, quarantine_model=Quarantine,
                       outbox_model=Outbox)
    consumers.register(rt)
    # declared for the AsyncAPI document; the outbox relay does the publishing
    for schema in (ev.ActivityEntryApproved, ev.ActivityEntryRejected, ev.ActivityEntryRevoked):
        rt.broker.publisher(ACTIVITY_ENTRIES.name, schema=schema, title=schema.__name__)
    return create_service_app(
        rt, package="activity", title="e-Kinerja activity service",
        description="Daily work logs (aktivitas harian) and supervisor approval.",
        routers=[api.router],
    )
