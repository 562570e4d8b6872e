"""The web application of e-Kinerja: server-rendered pages (Jinja2, Bahasa Indonesia) for
employees, supervisors, the regency's HR and its leadership, served by the gateway at
``/app/...``. The pages read and change data only through the services' APIs with the
signed-in person's token (``backend``); view models are plain functions (``views``,
``formats``); a small first-party script adds live updates and select-many."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from ..settings import Settings
from . import (
    routes_employee,
    routes_hr,
    routes_hr_calendar,
    routes_hr_days,
    routes_hr_people,
    routes_hr_quarantine,
    routes_hr_rules,
    routes_hr_settings,
    routes_leader,
    routes_manage,
    routes_payslip,
    routes_plans,
    routes_session,
)
from .csrf import FormCsrfBridge

STATIC = "/app/static"


def install(app: FastAPI, settings: Settings) -> None:
    """Routes and static files; the form CSRF bridge is added last, so that it runs before
    the sign-in package's CSRF check (call after ``gateway.auth.wiring.install``)."""
    for module in (routes_session, routes_employee, routes_leader, routes_manage, routes_hr,
                   routes_hr_calendar, routes_hr_days, routes_hr_rules, routes_hr_quarantine,
                   routes_hr_people, routes_hr_settings, routes_plans, routes_payslip):
        app.include_router(module.router)
    app.mount(STATIC, StaticFiles(packages=[("gateway.web", "static")]), name="static")
    app.add_middleware(FormCsrfBridge, max_bytes=settings.http_max_upload_bytes)
