"""Composition root of the scoring service."""

from __future__ import annotations

from fastapi import FastAPI

from ekinerja_shared import events as ev
from ekinerja_shared.service import build_runtime, create_service_app
from ekinerja_shared.topics import SCORES

from .adapters.orm import Outbox, ProcessedEvent, Quarantine
from .entrypoints import api, consumers
from .settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    rt = build_runtime(settings, inbox_model=ProcessedEvent, quarantine_model=Quarantine,
                       outbox_model=Outbox)
    consumers.register(rt)
    # declared for the AsyncAPI document; the outbox relay does the publishing
    rt.broker.publisher(SCORES.name, schema=ev.ScoreUpdated, title="ScoreUpdated")
    return create_service_app(
        rt, package="scoring", title="e-Kinerja scoring service",
        description="Running monthly scores and TPP per regency policy.",
        routers=[api.router],
    )
