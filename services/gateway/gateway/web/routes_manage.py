"""The supervisor's pages (approval queue, the team's scores), HR's (roster upload, month
close and TPP download, devices) and the leadership dashboard. Each page checks the role
it is for (403 otherwise); the services decide again on every call they get."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from ..service_layer import month_check
from . import formats, views, views_hr
from .backend import GATEWAY, BackendRefused
from .render import Page, PageRoute, flash, render, require_role
from .routes_employee import PageDep, form_of

router = APIRouter(route_class=PageRoute, tags=["pages"])
PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


async def names_of(page: Page, nips: Iterable[str] | None = None) -> dict[str, str]:
    """The names the caller may read from the directory (HR/leader: all; a supervisor:
    self and the team), only those of ``nips`` when given (a page's rows)."""
    return await page.directory.names(None if nips is None else set(nips))


# --- supervisor ---------------------------------------------------------------------------


async def _queue(request: Request, page: Page, *, error: str | None = None,
                 results: list[dict[str, Any]] | None = None, status_code: int = 200) -> Response:
    q = request.query_params
    # a supervisor's names (self and the team) are few: read beside the queue
    entries, names = await asyncio.gather(
        page.backend.get("activity", f"/api/activity/{page.tenant_id}/approvals/queue"),
        names_of(page))
    queue = views.queue_view(entries, names, q.get("nip") or None, q.get("tanggal") or None)
    return render(request, "persetujuan.html", status_code=status_code,
                  **page.context(request, queue=queue, nip=q.get("nip", ""),
                                 tanggal=q.get("tanggal", ""), error=error, results=results,
                                 ok=flash(q.get("ok"))))


@router.get("/app/persetujuan", summary="Page: the approval queue (filter by person, date)")
async def queue_page(request: Request, page: PageDep) -> Response:
    require_role(page, "supervisor", "hr")
    return await _queue(request, page)


@router.post("/app/persetujuan", summary="Page: approve or reject the selected entries (form)")
async def decide(request: Request, page: PageDep) -> Response:
    require_role(page, "supervisor", "hr")
    form = await request.form()
    ids = [v for v in form.getlist("entry") if isinstance(v, str) and v]
    action = form.get("action")
    reason = str(form.get("reason") or "").strip()
    if not ids:
        return await _queue(request, page, error="Pilih minimal satu aktivitas.",
                            status_code=422)
    if action == "reject" and len(reason) < 3:
        return await _queue(request, page, status_code=422,
                            error="Tuliskan alasan penolakan (minimal 3 huruf).")
    decisions = [{"entry_id": i, "approve": action == "approve", "reason": reason or None}
                 for i in ids]
    try:
        out = await page.backend.json("activity", "POST",
                                      f"/api/activity/{page.tenant_id}/approvals/bulk",
                                      json={"decisions": decisions})
    except BackendRefused as exc:
        return await _queue(request, page, error=exc.message, status_code=exc.status_code)
    refused = [r for r in out["results"] if not r["ok"]]
    if refused:
        return await _queue(request, page, results=refused, status_code=200,
                            error=f"{out['refused']} aktivitas tidak dapat diputuskan.")
    return RedirectResponse("/app/persetujuan?ok=diputuskan", status_code=303)


@router.get("/app/tim", summary="Page: the team's running scores of a month (live)")
async def team_page(request: Request, page: PageDep, period: str | None = None) -> Response:
    require_role(page, "supervisor", "hr", "leader")
    month = page.period(period)
    scores, names = await asyncio.gather(
        page.backend.get("scoring", f"/api/scoring/{page.tenant_id}/scores", period=month),
        names_of(page))
    team = views.team_view(scores, names, page.nip)
    return render(request, "tim.html", **page.context(
        request, period=month, team=team, prev=formats.shift_period(month, -1),
        next=formats.shift_period(month, 1)))


# --- HR -----------------------------------------------------------------------------------


@router.get("/app/sdm/roster", summary="Page: roster upload (HR)")
async def roster_page(request: Request, page: PageDep) -> Response:
    require_role(page, "hr")
    return render(request, "roster.html", **page.context(request, errors=[], result=None,
                                                         error=None))


@router.post("/app/sdm/roster", summary="Page: upload a roster CSV (HR, form)")
async def roster_upload(request: Request, page: PageDep) -> Response:
    require_role(page, "hr")
    form = await request.form()
    upload = form.get("file")
    content = await upload.read() if upload is not None and not isinstance(upload, str) else b""
    if not content:
        return render(request, "roster.html", status_code=422, **page.context(
            request, errors=[], result=None, error="Pilih berkas CSV roster."))
    try:
        result = await page.backend.json(GATEWAY, "POST",
                                         f"/api/tenants/{page.tenant_id}/roster",
                                         content=content, headers={"content-type": "text/csv"})
    except BackendRefused as exc:
        return render(request, "roster.html", status_code=exc.status_code, **page.context(
            request, errors=views.roster_errors(exc.body), result=None, error=exc.message))
    return render(request, "roster.html", **page.context(request, errors=[], result=result,
                                                         error=None))


async def _month(request: Request, page: Page, period: str, *, error: str | None = None,
                 status_code: int = 200) -> Response:
    # the month's state and the check's three services at once (the check is dropped when
    # the month turns out closed); a service missing from the check is said per service
    state, asked = await asyncio.gather(
        page.backend.get("scoring", f"/api/scoring/{page.tenant_id}/periods/{period}"),
        month_check.ask(page.backend, page.tenant_id, period))
    closed = bool(state.get("closed"))
    items, unavailable = ([], []) if closed else (asked.items(), asked.unavailable())
    facts = state.get("late_facts", [])
    names = await names_of(page, (f.get("nip") or "" for f in facts)) if facts else {}
    late_facts = views_hr.late_facts_view(facts, names, page.tz)
    history = [{"action": "Ditutup" if h["action"] == "close" else "Dibuka kembali"
                if h["action"] == "reopen" else h["action"], "actor": h.get("actor", ""),
                "reason": h.get("reason") or "", "at": formats.datetime_long(h.get("at"), page.tz)}
               for h in state.get("history", [])]
    return render(request, "bulan.html", status_code=status_code, **page.context(
        request, period=period, closed=state.get("closed", False), history=history,
        late=len(state.get("late_facts", [])), open_items=items, unavailable=unavailable,
        confirmation=state.get("confirmation"), prev=formats.shift_period(period, -1),
        next=formats.shift_period(period, 1), error=error, late_facts=late_facts,
        ok=flash(request.query_params.get("ok"))))


@router.get("/app/sdm/bulan", summary="Page: month close and TPP downloads (HR)")
async def month_page(request: Request, page: PageDep, period: str | None = None) -> Response:
    require_role(page, "hr")
    return await _month(request, page, page.period(period))


@router.post("/app/sdm/bulan", summary="Page: close or reopen a month (HR, form)")
async def month_action(request: Request, page: PageDep) -> Response:
    require_role(page, "hr")
    form = await form_of(request)
    period = form.get("period", "")
    if not PERIOD.match(period):
        return await _month(request, page, page.period(None), status_code=422,
                            error="Periode tidak valid.")
    reopen = form.get("action") == "reopen"
    try:
        if reopen:
            await page.backend.json(
                "scoring", "POST", f"/api/scoring/{page.tenant_id}/periods/{period}/reopen",
                json={"reason": form.get("reason", "")})
        else:  # the month check's close: open items need the confirmation box
            await page.backend.json(
                GATEWAY, "POST", f"/api/tenants/{page.tenant_id}/periods/{period}/close",
                json={"confirm": form.get("confirm") == "yes"})
    except BackendRefused as exc:
        return await _month(request, page, period, error=exc.message,
                            status_code=exc.status_code)
    return RedirectResponse(f"/app/sdm/bulan?period={period}&ok="
                            f"{'dibuka' if reopen else 'ditutup'}", status_code=303)


@router.get("/app/sdm/tpp", summary="Page: download the closed month's TPP table (HR)")
async def tpp_download(request: Request, page: PageDep, period: str,
                       format: str = "xlsx") -> Response:
    require_role(page, "hr")
    if not PERIOD.match(period) or format not in ("xlsx", "csv"):
        return await _month(request, page, page.period(None), status_code=422,
                            error="Periode atau format tidak valid.")
    r = await page.backend.call("scoring", "GET", f"/api/scoring/{page.tenant_id}/exports/tpp",
                                params={"period": period, "format": format})
    if r.status_code != 200:
        refused = BackendRefused(r.status_code, r.json())
        return await _month(request, page, period, error=refused.message,
                            status_code=r.status_code)
    keep = {k: v for k, v in r.headers.items()
            if k.lower() in ("content-type", "content-disposition")}
    return Response(r.content, status_code=200, headers=keep)


@router.get("/app/sdm/perangkat", summary="Page: fingerprint devices and their state (HR)")
async def devices_page(request: Request, page: PageDep) -> Response:
    require_role(page, "hr")
    devices = await page.backend.get("attendance", f"/api/attendance/{page.tenant_id}/devices")
    return render(request, "perangkat.html", **page.context(
        request, devices=views.devices_view(devices, page.tz)))
