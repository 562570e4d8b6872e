"""Composition root of the attendance service."""

from __future__ import annotations

from fastapi import FastAPI

from ekinerja_shared import events as ev
from ekinerja_shared.service import create_service_app
from ekinerja_shared.topics import (
    ATTENDANCE_CALENDAR,
    ATTENDANCE_DAY_BATCHES,
    ATTENDANCE_PUNCH_BATCHES,
    AUDIT,
)

from .adapters.orm import ConsumerAttempt, Outbox, ProcessedEvent, Quarantine
from .entrypoints import calendar_api, consumers, days_api, devices_api, iclock
from .jobs import periodic_jobs
from .runtime import AttendanceRuntime
from .settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    rt = AttendanceRuntime.build(settings, inbox_model=ProcessedEvent,
                                 quarantine_model=Quarantine, outbox_model=Outbox, attempts_model=ConsumerAttempt)
    consumers.register(rt)
    # declared for the AsyncAPI document; the outbox relay does the publishing
    rt.declare_published(ATTENDANCE_PUNCH_BATCHES, ev.PunchesRecorded)
    rt.declare_published(ATTENDANCE_DAY_BATCHES, ev.AttendanceDaysEvaluated)
    rt.declare_published(ATTENDANCE_CALENDAR, ev.EffectiveDaysPublished)
    rt.declare_published(AUDIT, ev.AuditRecorded)
    return create_service_app(
        rt, package="attendance", title="e-Kinerja attendance service",
        description="Fingerprint devices (ZKTeco ADMS push), schedules, leave and the daily "
                    "attendance verdict (TL/PSW/TK).",
        routers=[devices_api.router, days_api.router, calendar_api.router, iclock.router],
        jobs=periodic_jobs(rt),
    )
