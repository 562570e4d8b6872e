"""The employee's pages: today (agenda and the quick log form), the month's entries (status,
rejection reasons, edit and resubmit) and "Nilai saya" (live). Every signed-in member of a
regency has them; the activity and scoring services decide on their own data."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from ekinerja_shared.http import CallerDep

from ..entrypoints.deps import RuntimeDep
from . import formats, views, views_plans
from .backend import BackendRefused, backend_for
from .render import Page, PageRoute, flash, page_of, render

router = APIRouter(route_class=PageRoute, tags=["pages"])


async def _page(request: Request, caller: CallerDep, rt: RuntimeDep) -> Page:
    return await page_of(caller, backend_for(request, rt), rt)


PageDep = Annotated[Page, Depends(_page)]


async def form_of(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v.strip() for k, v in form.items() if isinstance(v, str)}


def entry_body(form: dict[str, str]) -> dict[str, Any]:
    """The activity service's entry from the log form (empty optional fields left out)."""
    body: dict[str, Any] = {"work_date": form.get("work_date", ""), "start": form.get("start", ""),
                            "end": form.get("end", ""),
                            "description": form.get("description", ""), "submit": True}
    if form.get("output_quantity"):
        body["output_quantity"] = form["output_quantity"].replace(",", ".")
    if form.get("output_unit"):
        body["output_unit"] = form["output_unit"]
    for link in ("plan_item_id", "agenda_item_id"):
        if form.get(link):
            body[link] = form[link]
    return body


async def _today(request: Request, page: Page, *, form: dict[str, str] | None = None,
                 error: str | None = None, status_code: int = 200) -> Response:
    b, t, today = page.backend, page.tenant_id, page.today()
    earliest = today - dt.timedelta(days=7)
    # the plans of the months the form takes dates of (early in a month: last month's too)
    months = sorted({f"{earliest:%Y-%m}", f"{today:%Y-%m}"})
    entries, agenda, *plans = await asyncio.gather(
        b.get("activity", f"/api/activity/{t}/entries", nip=page.nip, period=f"{today:%Y-%m}"),
        b.get("activity", f"/api/activity/{t}/agenda", nip=page.nip,
              date_from=today.isoformat(), date_to=today.isoformat()),
        *(b.get("activity", f"/api/activity/{t}/plans", nip=page.nip, period=m)
          for m in months))
    items = [i for day in agenda for i in day["items"]]
    defaults = {"work_date": today.isoformat(), "start": "", "end": "", "description": "",
                "output_quantity": "", "output_unit": "", "agenda_item_id": "",
                "plan_item_id": ""}
    return render(request, "hari_ini.html", status_code=status_code,
                  **page.context(request, today=today, entries=views.day_entries(entries, today),
                                 agenda=items, plans=views_plans.plan_choices(list(zip(months, plans))),
                                 form={**defaults, **(form or {})}, error=error,
                                 ok=flash(request.query_params.get("ok")),
                                 earliest=earliest.isoformat()))


@router.get("/app/hari-ini", summary="Page: today's agenda and the activity log form")
async def today_page(request: Request, page: PageDep) -> Response:
    return await _today(request, page)


@router.post("/app/aktivitas", summary="Page: log an activity (form)")
async def log_activity(request: Request, page: PageDep) -> Response:
    form = await form_of(request)
    try:
        await page.backend.json("activity", "POST", f"/api/activity/{page.tenant_id}/entries",
                                json=entry_body(form))
    except BackendRefused as exc:
        return await _today(request, page, form=form, error=exc.message,
                            status_code=exc.status_code)
    back = form.get("back") if form.get("back") == "/app/aktivitas" else "/app/hari-ini"
    return RedirectResponse(f"{back}?ok=dicatat", status_code=303)


async def _month(request: Request, page: Page, period: str, *, error: str | None = None,
                 failed_id: str | None = None, status_code: int = 200) -> Response:
    entries, days = await asyncio.gather(
        page.backend.get("activity", f"/api/activity/{page.tenant_id}/entries",
                         nip=page.nip, period=period),
        page.backend.get_or_none(
            "attendance", f"/api/attendance/{page.tenant_id}/employees/{page.nip}/days",
            period=period))
    return render(request, "aktivitas.html", status_code=status_code,
                  **page.context(request, period=period, month=views.month_entries(entries),
                                 days=views.attendance_days(days, page.tz),
                                 prev=formats.shift_period(period, -1),
                                 next=formats.shift_period(period, 1), error=error,
                                 failed_id=failed_id, ok=flash(request.query_params.get("ok"))))


@router.get("/app/aktivitas", summary="Page: the month's entries and attendance days")
async def month_page(request: Request, page: PageDep, period: str | None = None) -> Response:
    return await _month(request, page, page.period(period))


@router.post("/app/aktivitas/{entry_id}", summary="Page: edit and resubmit an entry (form)")
async def resubmit(request: Request, entry_id: uuid.UUID, page: PageDep) -> Response:
    form = await form_of(request)
    body = entry_body(form)
    if form.get("version", "").isdigit():
        body["version"] = int(form["version"])
    period = form.get("work_date", "")[:7]
    try:
        await page.backend.json("activity", "PUT",
                                f"/api/activity/{page.tenant_id}/entries/{entry_id}", json=body)
    except BackendRefused as exc:
        return await _month(request, page, page.period(period), error=exc.message,
                            failed_id=str(entry_id), status_code=exc.status_code)
    return RedirectResponse(f"/app/aktivitas?period={page.period(period)}&ok=dikirim",
                            status_code=303)


@router.get("/app/nilai", summary="Page: the person's running score of a month (live)")
async def my_score(request: Request, page: PageDep, period: str | None = None) -> Response:
    month = page.period(period)
    score = await page.backend.get_or_none(
        "scoring", f"/api/scoring/{page.tenant_id}/scores/{page.nip}", period=month)
    view = views.score_view(score, page.name) if score else None
    return render(request, "nilai.html",
                  **page.context(request, period=month, score=view,
                                 prev=formats.shift_period(month, -1),
                                 next=formats.shift_period(month, 1)))
