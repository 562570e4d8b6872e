"""HR's pages on employees' days: leave and permits (enter, list a month's, cancel) and
attendance corrections (enter, an employee's trail), on the attendance service's API. A
refused change is shown next to the form or the row it came from, the form keeping what
was typed."""

from __future__ import annotations

import asyncio
import datetime as dt

from fastapi import APIRouter, Request
from fastapi.responses import Response

from . import formats, views_hr
from .backend import BackendRefused
from .render import Page, PageRoute, flash, render
from .routes_employee import form_of
from .routes_hr import HrPageDep, change
from .routes_manage import names_of

router = APIRouter(route_class=PageRoute, tags=["pages"])

LEAVE_FORM = {"nip": "", "kind": "CT", "start_date": "", "end_date": "", "note": ""}
CORRECTION_FORM = {"nip": "", "work_date": "", "arrival": "", "departure": "", "reason": ""}


# --- leave --------------------------------------------------------------------------------


async def _leaves(request: Request, page: Page, period: str, *, form: dict[str, str] | None = None,
                  error: str | None = None, failed: int | None = None,
                  row_error: str | None = None, status_code: int = 200) -> Response:
    rows = await page.backend.get("attendance", f"/api/attendance/{page.tenant_id}/leaves",
                                  period=period)
    names = await names_of(page, (r["nip"] for r in rows))
    return render(request, "cuti.html", status_code=status_code, **page.context(
        request, period=period, prev=formats.shift_period(period, -1),
        next=formats.shift_period(period, 1), leaves=views_hr.leaves_view(rows, names),
        kinds=views_hr.LEAVE_KINDS, form={**LEAVE_FORM, **(form or {})},
        form_error=error, failed=failed, row_error=row_error,
        ok=flash(request.query_params.get("ok"))))


@router.get("/app/sdm/cuti", summary="Page: a month's leave and permits (HR)")
async def leaves_page(request: Request, page: HrPageDep, period: str | None = None) -> Response:
    return await _leaves(request, page, page.period(period))


@router.post("/app/sdm/cuti", summary="Page: enter leave or a permit (HR, form)")
async def leave_add(request: Request, page: HrPageDep) -> Response:
    form = await form_of(request)
    period = page.period(form.get("start_date", "")[:7])
    if not (form.get("nip") and form.get("start_date") and form.get("end_date")):
        return await _leaves(request, page, period, form=form, status_code=422,
                             error="Isi NIP pegawai, tanggal mulai dan tanggal selesai.")

    async def refused(exc: BackendRefused) -> Response:
        return await _leaves(request, page, period, form=form, error=exc.message,
                             status_code=exc.status_code)

    body = {k: form.get(k, "") for k in ("nip", "kind", "start_date", "end_date", "note")}
    return await change(page, "attendance", "POST", f"/api/attendance/{page.tenant_id}/leaves",
                        json=body, done=f"/app/sdm/cuti?period={period}&ok=cuti",
                        refused=refused)


@router.post("/app/sdm/cuti/{leave_id}/batal", summary="Page: cancel leave (HR, form)")
async def leave_cancel(request: Request, leave_id: int, page: HrPageDep) -> Response:
    form = await form_of(request)
    period = page.period(form.get("period"))

    async def refused(exc: BackendRefused) -> Response:
        return await _leaves(request, page, period, failed=leave_id, row_error=exc.message,
                             status_code=exc.status_code)

    return await change(page, "attendance", "POST",
                        f"/api/attendance/{page.tenant_id}/leaves/{leave_id}/cancel",
                        done=f"/app/sdm/cuti?period={period}&ok=cuti_batal", refused=refused)


def _is_date(text: str) -> bool:
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 10


# --- corrections --------------------------------------------------------------------------


async def _corrections(request: Request, page: Page, nip: str, *,
                       form: dict[str, str] | None = None, error: str | None = None,
                       status_code: int = 200) -> Response:
    trail, person = [], None
    if nip:
        rows, person = await asyncio.gather(
            page.backend.get_or_none(
                "attendance", f"/api/attendance/{page.tenant_id}/employees/{nip}/corrections"),
            page.directory.person(nip))
        trail = views_hr.corrections_view(rows or [], page.tz)
    return render(request, "koreksi.html", status_code=status_code, **page.context(
        request, nip=nip, person=(person or {}).get("name", ""), trail=trail,
        form={**CORRECTION_FORM, "nip": nip, **(form or {})}, form_error=error,
        today=page.today().isoformat(), ok=flash(request.query_params.get("ok"))))


@router.get("/app/sdm/koreksi", summary="Page: attendance corrections of an employee (HR)")
async def corrections_page(request: Request, page: HrPageDep, nip: str | None = None) -> Response:
    nip = (nip or "").strip()
    return await _corrections(request, page, nip if nip.isdigit() else "")


@router.post("/app/sdm/koreksi", summary="Page: correct a day's arrival/departure (HR, form)")
async def correction_add(request: Request, page: HrPageDep) -> Response:
    form = await form_of(request)
    nip, day = form.get("nip", ""), form.get("work_date", "")
    if not nip.isdigit() or not _is_date(day):
        return await _corrections(request, page, nip if nip.isdigit() else "", form=form,
                                  status_code=422,
                                  error="Isi NIP pegawai (angka) dan tanggal yang dikoreksi.")

    async def refused(exc: BackendRefused) -> Response:
        return await _corrections(request, page, nip, form=form, error=exc.message,
                                  status_code=exc.status_code)

    return await change(page, "attendance", "POST",
                        f"/api/attendance/{page.tenant_id}/employees/{nip}/days/{day}/corrections",
                        json=views_hr.correction_body(form),
                        done=f"/app/sdm/koreksi?nip={nip}&ok=koreksi", refused=refused)
