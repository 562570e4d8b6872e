"""Composition root of the attendance service."""

from __future__ import annotations

from fastapi import FastAPI

from ekinerja_shared import events as ev
from ekinerja_shared.service import build_runtime, create_service_app
from ekinerja_shared.topics import ATTENDANCE_CALENDAR, ATTENDANCE_DAYS, ATTENDANCE_PUNCHES

from .adapters.orm import Outbox, ProcessedEvent, Quarantine
from .entrypoints import api, calendar_api, consumers, days_api, iclock
from .jobs import close_due_days, periodic, publish_new_months, refresh_device_status
from .metrics import AttendanceMetrics
from .settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    rt = build_runtime(settings, inbox_model=ProcessedEvent, quarantine_model=Quarantine,
                       outbox_model=Outbox)
    rt.extras["metrics"] = AttendanceMetrics(rt.metrics.registry)
    consumers.register(rt)
    # declared for the AsyncAPI document; the outbox relay does the publishing
    for topic, schema in ((ATTENDANCE_PUNCHES, ev.PunchRecorded),
                          (ATTENDANCE_DAYS, ev.AttendanceDayEvaluated),
                          (ATTENDANCE_CALENDAR, ev.EffectiveDaysPublished)):
        rt.broker.publisher(topic.name, schema=schema, title=schema.__name__)
    return create_service_app(
        rt, package="attendance", title="e-Kinerja attendance service",
        description="Fingerprint devices (ZKTeco ADMS push), schedules, leave and the daily "
                    "attendance verdict (TL/PSW/TK).",
        routers=[api.router, days_api.router, calendar_api.router, iclock.router],
        background=[
            periodic(rt, "device-status", refresh_device_status, settings.housekeeping_interval_s),
            periodic(rt, "close-days", close_due_days, settings.housekeeping_interval_s),
            periodic(rt, "new-months", publish_new_months, settings.housekeeping_interval_s),
        ],
    )
