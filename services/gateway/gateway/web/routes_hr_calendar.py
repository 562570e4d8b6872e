"""HR's calendar pages: schedules (named weeks and where they apply), shift rosters (an
employee's shifts over dates) and holidays, on the attendance service's calendar API. A
refused change is shown next to the form or the row it came from, the form keeping what
was typed."""

from __future__ import annotations

import asyncio
import datetime as dt

from fastapi import APIRouter, Request
from fastapi.responses import Response

from . import views_hr
from . import views_hr_attendance as va
from .backend import BackendRefused
from .render import Page, PageRoute, flash, render
from .routes_employee import form_of
from .routes_hr import HrPageDep, change
from .formats import shift_period
from .routes_manage import PERIOD, names_of

router = APIRouter(route_class=PageRoute, tags=["pages"])

SCHEDULE_FORM = {"name": "", **{key: "" for key, _ in views_hr.WEEKDAYS}}
ASSIGN_FORM = {"schedule": "", "scope": "tenant", "scope_id": "", "valid_from": "",
               "valid_to": "", "priority": "0"}
HOLIDAY_FORM = {"date": "", "name": "", "kind": "national"}


def _day(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


# --- schedules ----------------------------------------------------------------------------


async def _schedules(request: Request, page: Page, *,
                     forms: dict[str, dict[str, str]] | None = None, errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    base = f"/api/attendance/{page.tenant_id}"
    schedules, assignments, names = await asyncio.gather(
        page.backend.get("attendance", f"{base}/schedules"),
        page.backend.get("attendance", f"{base}/schedule-assignments"),
        names_of(page))
    forms = forms or {}
    return render(request, "jadwal.html", status_code=status_code, **page.context(
        request, schedules=views_hr.schedules_view(schedules),
        assignments=views_hr.assignments_view(assignments, names),
        weekdays=views_hr.WEEKDAYS, scopes=views_hr.SCOPES,
        form={**SCHEDULE_FORM, **forms.get("schedule", {})},
        assign={**ASSIGN_FORM, **forms.get("assign", {})}, errors=errors or {},
        ok=flash(request.query_params.get("ok"))))


@router.get("/app/sdm/jadwal", summary="Page: schedules and their assignments (HR)")
async def schedules_page(request: Request, page: HrPageDep) -> Response:
    return await _schedules(request, page)


@router.post("/app/sdm/jadwal", summary="Page: save a schedule or assign one (HR, form)")
async def schedules_change(request: Request, page: HrPageDep) -> Response:
    form = await form_of(request)
    kind = "assign" if form.get("action") == "assign" else "schedule"

    async def refused(exc: BackendRefused) -> Response:
        return await _schedules(request, page, forms={kind: form}, errors={kind: exc.message},
                                status_code=exc.status_code)

    base = f"/api/attendance/{page.tenant_id}"
    if kind == "schedule":
        return await change(page, "attendance", "PUT", f"{base}/schedules",
                            json=views_hr.schedule_body(form),
                            done="/app/sdm/jadwal?ok=jadwal", refused=refused)
    priority = form.get("priority") or "0"
    if not priority.isdigit():
        return await _schedules(request, page, forms={kind: form}, status_code=422, errors={
            kind: "Prioritas: isi dengan bilangan bulat 0-100."})
    body = {"schedule": form.get("schedule", ""), "scope": form.get("scope", "tenant"),
            "scope_id": form.get("scope_id", "") if form.get("scope") != "tenant" else "",
            "valid_from": form.get("valid_from") or None,
            "valid_to": form.get("valid_to") or None, "priority": int(priority)}
    return await change(page, "attendance", "POST", f"{base}/schedule-assignments", json=body,
                        done="/app/sdm/jadwal?ok=jadwal_diterapkan", refused=refused)


# --- shift rosters ------------------------------------------------------------------------

SHIFT_FORM = {"nip": "", "start_date": "", "end_date": "", "hours": ""}


async def _shifts(request: Request, page: Page, period: str, *,
                  form: dict[str, str] | None = None, error: str | None = None,
                  status_code: int = 200) -> Response:
    rows, names = await asyncio.gather(
        page.backend.get("attendance", f"/api/attendance/{page.tenant_id}/shifts",
                         period=period), names_of(page))
    return render(request, "shift.html", status_code=status_code, **page.context(
        request, period=period, prev=shift_period(period, -1), next=shift_period(period, 1),
        roster=va.shifts_view(rows, names), form={**SHIFT_FORM, **(form or {})},
        form_error=error, ok=flash(request.query_params.get("ok"))))


@router.get("/app/sdm/shift", summary="Page: a month's shift rosters (HR)")
async def shifts_page(request: Request, page: HrPageDep, period: str | None = None) -> Response:
    return await _shifts(request, page, page.period(period))


@router.post("/app/sdm/shift", summary="Page: roster an employee's shifts (HR, form)")
async def shifts_set(request: Request, page: HrPageDep) -> Response:
    form = await form_of(request)
    shown = form.get("start_date", "")[:7]
    period = shown if PERIOD.match(shown) else page.period(None)
    try:
        body = va.shifts_body(form)
    except views_hr.FormError as exc:
        return await _shifts(request, page, period, form=form, error=str(exc), status_code=422)

    async def refused(exc: BackendRefused) -> Response:
        return await _shifts(request, page, period, form=form, error=exc.message,
                             status_code=exc.status_code)

    return await change(page, "attendance", "PUT", f"/api/attendance/{page.tenant_id}/shifts",
                        json=body, done=f"/app/sdm/shift?period={period}&ok=shift",
                        refused=refused)


# --- holidays -----------------------------------------------------------------------------


async def _holidays(request: Request, page: Page, year: int, *, form: dict[str, str] | None = None,
                    error: str | None = None, failed: str | None = None,
                    row_error: str | None = None, status_code: int = 200) -> Response:
    rows = await page.backend.get("attendance", f"/api/attendance/{page.tenant_id}/holidays",
                                  year=year)
    return render(request, "libur.html", status_code=status_code, **page.context(
        request, year=year, holidays=views_hr.holidays_view(rows), kinds=views_hr.HOLIDAY_KINDS,
        form={**HOLIDAY_FORM, **(form or {})}, form_error=error, failed=failed,
        row_error=row_error, ok=flash(request.query_params.get("ok"))))


def _year(page: Page, asked: str | None) -> int:
    return int(asked) if asked and asked.isdigit() and 2000 <= int(asked) <= 2100 \
        else page.today().year


@router.get("/app/sdm/libur", summary="Page: the year's holidays (HR)")
async def holidays_page(request: Request, page: HrPageDep, year: str | None = None) -> Response:
    return await _holidays(request, page, _year(page, year))


@router.post("/app/sdm/libur", summary="Page: declare a holiday (HR, form)")
async def holiday_add(request: Request, page: HrPageDep) -> Response:
    form = await form_of(request)
    day = _day(form.get("date", ""))
    if day is None:
        return await _holidays(request, page, page.today().year, form=form, status_code=422,
                               error="Tanggal libur tidak valid: pilih tanggalnya.")
    if not form.get("name"):
        return await _holidays(request, page, day.year, form=form, status_code=422,
                               error="Nama hari libur wajib diisi.")

    async def refused(exc: BackendRefused) -> Response:
        return await _holidays(request, page, day.year, form=form, error=exc.message,
                               status_code=exc.status_code)

    return await change(page, "attendance", "PUT",
                        f"/api/attendance/{page.tenant_id}/holidays/{day.isoformat()}",
                        json={"name": form.get("name", ""), "kind": form.get("kind", "")},
                        done=f"/app/sdm/libur?year={day.year}&ok=libur", refused=refused)


@router.post("/app/sdm/libur/{day}/hapus", summary="Page: remove a holiday (HR, form)")
async def holiday_remove(request: Request, day: dt.date, page: HrPageDep) -> Response:

    async def refused(exc: BackendRefused) -> Response:
        return await _holidays(request, page, day.year, failed=day.isoformat(),
                               row_error=exc.message, status_code=exc.status_code)

    return await change(page, "attendance", "DELETE",
                        f"/api/attendance/{page.tenant_id}/holidays/{day.isoformat()}",
                        done=f"/app/sdm/libur?year={day.year}&ok=libur_dihapus", refused=refused)
