"""The work plan pages (SKP/RPOK): the employee's own plans of a month (list with
realisation, create, edit: always as the signed-in person, the activity service refusing
anything else), and a read-only view of another employee's plans for their supervisor in
force (Plt/Plh included), HR and leadership: the activity service decides whose plans the
caller may read."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from . import formats
from . import views_plans as vpl
from .backend import GATEWAY, BackendRefused
from .render import Page, PageRoute, flash, render, require_role
from .routes_employee import PageDep, form_of
from .routes_manage import names_of

NIP_DIGITS = "NIP hanya berisi angka."

router = APIRouter(route_class=PageRoute, tags=["pages"])


def _plans_path(page: Page) -> str:
    return f"/api/activity/{page.tenant_id}/plans"


async def _own(request: Request, page: Page, period: str, *, form: dict[str, str] | None = None,
               error: str | None = None, failed: str | None = None,
               row_error: str | None = None, edits: dict[str, str] | None = None,
               status_code: int = 200) -> Response:
    plans = await page.backend.get("activity", _plans_path(page), nip=page.nip, period=period)
    return render(request, "rencana.html", status_code=status_code, **page.context(
        request, period=period, groups=vpl.plans_view(plans), kinds=vpl.KINDS,
        form={**vpl.PLAN_FORM, **(form or {})}, form_error=error, failed=failed,
        row_error=row_error, edits=edits or {}, prev=formats.shift_period(period, -1),
        next=formats.shift_period(period, 1), ok=flash(request.query_params.get("ok"))))


async def _send(page: Page, form: dict[str, str], method: str, path: str,
                body: dict[str, Any]) -> tuple[str | None, int]:
    """The plan form checked, then sent as the signed-in person: (why not, status) or
    (None, 200) when the activity service took it."""
    error = vpl.plan_form_error(form)
    if error is not None:
        return error, 422
    try:
        await page.backend.json("activity", method, path, json=body)
    except BackendRefused as exc:
        return exc.message, exc.status_code
    return None, 200


@router.get("/app/rencana", summary="Page: the person's own SKP/RPOK plans of a month")
async def own_plans(request: Request, page: PageDep, period: str | None = None) -> Response:
    return await _own(request, page, page.period(period))


@router.post("/app/rencana", summary="Page: add a plan item of one's own (form)")
async def add_plan(request: Request, page: PageDep) -> Response:
    form = await form_of(request)
    period = page.period(form.get("period"))
    error, status = await _send(page, form, "POST", _plans_path(page),
                                vpl.plan_body(form, period))
    if error is None:
        return RedirectResponse(f"/app/rencana?period={period}&ok=rencana", status_code=303)
    return await _own(request, page, period, form=form, error=error, status_code=status)


@router.post("/app/rencana/{plan_id}", summary="Page: change a plan item of one's own (form)")
async def change_plan(request: Request, plan_id: uuid.UUID, page: PageDep) -> Response:
    form = await form_of(request)
    period = page.period(form.get("period"))
    error, status = await _send(page, form, "PUT", f"{_plans_path(page)}/{plan_id}",
                                vpl.plan_body(form))
    if error is None:
        return RedirectResponse(f"/app/rencana?period={period}&ok=rencana_diubah",
                                status_code=303)
    return await _own(request, page, period, failed=str(plan_id), row_error=error,
                      edits={str(plan_id): form.get("target_quantity", "")},
                      status_code=status)


@router.get("/app/tim/rencana",
            summary="Page: an employee's plans, read-only (supervisor in force, HR, leader)")
async def member_plans(request: Request, page: PageDep, nip: str = "",
                       period: str | None = None) -> Response:
    require_role(page, "supervisor", "hr", "leader")
    month, nip = page.period(period), nip.strip()[:32]
    # HR and leadership type a NIP (HR with suggestions); a supervisor picks from the team
    # (the directory gives them themselves and the people they lead, Plt/Plh included)
    by_nip = bool({"hr", "leader"} & set(page.roles))
    team = [] if by_nip else sorted(
        ((n, name) for n, name in (await names_of(page)).items() if n != page.nip),
        key=lambda p: (p[1], p[0]))
    groups, name, error, status = None, "", None, 200
    if nip and not nip.isdigit():
        error, status = NIP_DIGITS, 422
    elif nip:
        try:
            plans = await page.backend.get("activity", _plans_path(page), nip=nip, period=month)
            person = await page.backend.get_or_none(
                GATEWAY, f"/api/tenants/{page.tenant_id}/employees/{nip}")
        except BackendRefused as exc:
            if exc.status_code >= 500:
                raise
            error, status = exc.message, exc.status_code
        else:
            groups, name = vpl.plans_view(plans), (person or {}).get("name", "")
    return render(request, "rencana_pegawai.html", status_code=status, **page.context(
        request, period=month, nip=nip, name=name, groups=groups, team=team, by_nip=by_nip,
        suggest="hr" in page.roles, error=error,
        prev=formats.shift_period(month, -1), next=formats.shift_period(month, 1)))
