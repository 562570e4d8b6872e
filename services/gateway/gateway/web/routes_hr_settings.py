"""HR's attendance settings and compliance entry: the apel (window, weekdays, designated
devices) and the devices' punch window on one page ('Apel & jam absen', attendance
service), and the compliance % of an employee's month (scoring service). A refused change
is shown next to the form it came from, the form keeping what was typed."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from . import views_hr_attendance as va
from .backend import BackendRefused
from .formats import shift_period
from .render import Page, PageRoute, flash, render
from .routes_employee import form_of
from .routes_hr import HrPageDep, change
from .routes_manage import PERIOD, names_of
from .views_hr import FormError

router = APIRouter(route_class=PageRoute, tags=["pages"])


# --- apel and punch window ----------------------------------------------------------------


async def _settings(request: Request, page: Page, *, apel: dict[str, Any] | None = None,
                    window: dict[str, str] | None = None, errors: dict[str, str] | None = None,
                    status_code: int = 200) -> Response:
    base = f"/api/attendance/{page.tenant_id}"
    current, punch, devices = await asyncio.gather(
        page.backend.get_or_none("attendance", f"{base}/apel"),
        page.backend.get("attendance", f"{base}/punch-window"),
        page.backend.get("attendance", f"{base}/devices"))
    typed = apel or va.apel_form(current)
    values = {name: str(punch[name]) for name, *_ in va.WINDOW_FIELDS}
    return render(request, "apel.html", status_code=status_code, **page.context(
        request, summary=va.apel_summary(current), apel=typed, days=va.APEL_DAYS,
        devices=va.device_choices(devices, typed["devices"]), fields=va.WINDOW_FIELDS,
        window={**values, **(window or {})},
        source=va.WINDOW_SOURCES.get(punch.get("source", ""), punch.get("source", "")),
        errors=errors or {}, ok=flash(request.query_params.get("ok"))))


@router.get("/app/sdm/apel", summary="Page: the apel and the devices' punch window (HR)")
async def settings_page(request: Request, page: HrPageDep) -> Response:
    return await _settings(request, page)


@router.post("/app/sdm/apel", summary="Page: set the apel or the punch window (HR, form)")
async def settings_change(request: Request, page: HrPageDep) -> Response:
    form = await form_of(request)
    raw = await request.form()
    weekdays = [str(v) for v in raw.getlist("weekday")]
    serials = [str(v) for v in raw.getlist("device")]
    kind = "window" if form.get("action") == "window" else "apel"
    typed: dict[str, Any] = {"apel": {**form, "weekdays": weekdays, "devices": serials}}
    if kind == "window":
        typed = {"window": form}

    async def refused(exc: BackendRefused | FormError) -> Response:
        if isinstance(exc, FormError):
            return await _settings(request, page, errors={kind: str(exc)}, status_code=422,
                                   **typed)
        return await _settings(request, page, errors={kind: exc.message},
                               status_code=exc.status_code, **typed)

    base = f"/api/attendance/{page.tenant_id}"
    try:
        if kind == "window":
            return await change(page, "attendance", "PUT", f"{base}/punch-window",
                                json=va.window_body(form), done="/app/sdm/apel?ok=jam_absen",
                                refused=refused)
        return await change(page, "attendance", "PUT", f"{base}/apel",
                            json=va.apel_body(form, weekdays, serials),
                            done="/app/sdm/apel?ok=apel", refused=refused)
    except FormError as exc:
        return await refused(exc)


# --- compliance ---------------------------------------------------------------------------


async def _compliance(request: Request, page: Page, period: str, *,
                      form: dict[str, str] | None = None, error: str | None = None,
                      status_code: int = 200) -> Response:
    base = f"/api/scoring/{page.tenant_id}"
    current = await page.backend.get("scoring", f"{base}/policy", period=period)
    used = va.uses_compliance(current["policy"])
    missing: list[dict[str, str]] = []
    names: dict[str, str] = {}
    if used:
        check, names = await asyncio.gather(
            page.backend.get("scoring", f"{base}/periods/{period}/check"), names_of(page))
        missing = va.compliance_missing(check, names)
    shown = request.query_params.get("nip", "")
    result = None
    if shown and request.query_params.get("ok"):
        score = await page.backend.get_or_none("scoring", f"{base}/scores/{shown}",
                                               period=period)
        result = va.compliance_result(score, names) if score else None
    return render(request, "kepatuhan.html", status_code=status_code, **page.context(
        request, period=period, prev=shift_period(period, -1), next=shift_period(period, 1),
        used=used, policy_name=current["policy"].get("name", ""), missing=missing,
        form={"nip": "", "value_pct": "", "note": "", **(form or {})}, form_error=error,
        result=result, ok=flash(request.query_params.get("ok"))))


@router.get("/app/sdm/kepatuhan", summary="Page: compliance % of a month's employees (HR)")
async def compliance_page(request: Request, page: HrPageDep,
                          period: str | None = None) -> Response:
    return await _compliance(request, page, page.period(period))


@router.post("/app/sdm/kepatuhan", summary="Page: enter an employee's compliance % (HR, form)")
async def compliance_set(request: Request, page: HrPageDep) -> Response:
    form = await form_of(request)
    period = form.get("period", "")
    if not PERIOD.match(period):
        return await _compliance(request, page, page.period(None), form=form, status_code=422,
                                 error="Periode tidak valid.")
    nip = form.get("nip", "")
    try:
        body = va.compliance_body(form)
        if not nip.isdigit() or len(nip) > 32:
            raise FormError("NIP pegawai: isi dengan angka NIP.")
    except FormError as exc:
        return await _compliance(request, page, period, form=form, error=str(exc),
                                 status_code=422)

    async def refused(exc: BackendRefused) -> Response:
        return await _compliance(request, page, period, form=form, error=exc.message,
                                 status_code=exc.status_code)

    return await change(page, "scoring", "PUT",
                        f"/api/scoring/{page.tenant_id}/compliance/{nip}",
                        params={"period": period}, json=body,
                        done=f"/app/sdm/kepatuhan?period={period}&nip={nip}&ok=kepatuhan",
                        refused=refused)
