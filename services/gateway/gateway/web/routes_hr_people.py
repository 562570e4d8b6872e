"""HR's pages on people and their work: the employee list (the gateway's directory), the
acting assignments (Plt/Plh: list, create, withdraw) and the activity rules (deadlines and
limits), the last two on the activity service's API. HR of the regency only; a refused
change is shown next to the form or the row it came from, the form keeping what was typed."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from . import views_hr_people as vp
from .backend import BackendRefused
from .render import Page, PageRoute, flash, render
from .routes_employee import form_of
from .routes_hr import HrPageDep, change
from .routes_manage import names_of

router = APIRouter(route_class=PageRoute, tags=["pages"])

SUGGESTED = 20  # employees suggested for a NIP field
ACTING_FORM = {"principal_nip": "", "acting_nip": "", "kind": "plh", "start_date": "",
               "end_date": ""}


# --- employees ----------------------------------------------------------------------------


@router.get("/app/sdm/pegawai",
            summary="Page: the regency's employees (HR; search, OPD filter, pages of 100)")
async def employees_page(request: Request, page: HrPageDep, q: str = "", opd: str = "",
                         hal: str = "1") -> Response:
    q, opd = q[:100], opd[:64]
    found = await page.directory.employees(q, opd, vp.page_number(hal), vp.SHOWN)
    return render(request, "pegawai.html", **page.context(
        request, listing=vp.employee_list(found, q, opd), q=q, opd=opd))


@router.get("/app/sdm/pegawai/saran",
            summary="Page helper: up to 20 employees matching a name or NIP (HR; JSON)")
async def employee_suggestions(page: HrPageDep, q: str = "") -> list[dict[str, str]]:
    if len(q.strip()) < 2:
        return []
    found = await page.directory.employees(q[:100], size=SUGGESTED, with_units=False)
    return [{"nip": e["nip"], "name": e["name"], "unit_name": e["unit_name"] or e["unit_id"]}
            for e in found.rows]


# --- acting assignments (Plt/Plh) ---------------------------------------------------------


async def _acting(request: Request, page: Page, *, form: dict[str, str] | None = None,
                  error: str | None = None, failed: str | None = None,
                  row_error: str | None = None, status_code: int = 200) -> Response:
    rows = await page.backend.get("activity", f"/api/activity/{page.tenant_id}/acting")
    names = await names_of(page, (nip for r in rows
                                  for nip in (r["principal_nip"], r["acting_nip"])))
    return render(request, "plt.html", status_code=status_code, **page.context(
        request, assignments=vp.acting_view(rows, names, page.today()),
        kinds=vp.ACTING_KINDS, form={**ACTING_FORM, **(form or {})}, form_error=error,
        failed=failed, row_error=row_error, ok=flash(request.query_params.get("ok"))))


@router.get("/app/sdm/plt", summary="Page: acting assignments, Plt/Plh (HR)")
async def acting_page(request: Request, page: HrPageDep) -> Response:
    return await _acting(request, page)


@router.post("/app/sdm/plt", summary="Page: assign a Plt/Plh (HR, form)")
async def acting_add(request: Request, page: HrPageDep) -> Response:
    form = await form_of(request)
    body = vp.acting_body(form)
    if not all(body.values()):
        return await _acting(request, page, form=form, status_code=422, error=(
            "Isi NIP pejabat definitif, NIP pelaksana, jenis, tanggal mulai dan selesai."))

    async def refused(exc: BackendRefused) -> Response:
        return await _acting(request, page, form=form, error=exc.message,
                             status_code=exc.status_code)

    return await change(page, "activity", "POST", f"/api/activity/{page.tenant_id}/acting",
                        json=body, done="/app/sdm/plt?ok=plt", refused=refused)


@router.post("/app/sdm/plt/{acting_id}/cabut", summary="Page: withdraw a Plt/Plh (HR, form)")
async def acting_withdraw(request: Request, acting_id: uuid.UUID, page: HrPageDep) -> Response:

    async def refused(exc: BackendRefused) -> Response:
        return await _acting(request, page, failed=str(acting_id), row_error=exc.message,
                             status_code=exc.status_code)

    return await change(page, "activity", "DELETE",
                        f"/api/activity/{page.tenant_id}/acting/{acting_id}",
                        done="/app/sdm/plt?ok=plt_dicabut", refused=refused)


# --- activity rules -----------------------------------------------------------------------


async def _rules(request: Request, page: Page, *, form: dict[str, str] | None = None,
                 error: str | None = None, status_code: int = 200) -> Response:
    rules = await page.backend.get("activity", f"/api/activity/{page.tenant_id}/rules")
    values = {name: str(rules[name]) for name, *_ in vp.ACTIVITY_RULES}
    return render(request, "aturan_aktivitas.html", status_code=status_code, **page.context(
        request, fields=vp.ACTIVITY_RULES, values={**values, **(form or {})},
        form_error=error, ok=flash(request.query_params.get("ok"))))


@router.get("/app/sdm/aturan-aktivitas", summary="Page: activity deadlines and limits (HR)")
async def activity_rules_page(request: Request, page: HrPageDep) -> Response:
    return await _rules(request, page)


@router.post("/app/sdm/aturan-aktivitas",
             summary="Page: change activity deadlines and limits (HR, form)")
async def activity_rules_set(request: Request, page: HrPageDep) -> Response:
    form = await form_of(request)
    current = await page.backend.get("activity", f"/api/activity/{page.tenant_id}/rules")
    changes, wrong = vp.activity_rules_changes(form, current)
    if wrong:
        return await _rules(request, page, form=form, status_code=422,
                            error="Isi dengan bilangan bulat: " + "; ".join(wrong) + ".")
    if not changes:
        return RedirectResponse("/app/sdm/aturan-aktivitas?ok=tetap", status_code=303)

    async def refused(exc: BackendRefused) -> Response:
        return await _rules(request, page, form=form, error=exc.message,
                            status_code=exc.status_code)

    return await change(page, "activity", "PUT", f"/api/activity/{page.tenant_id}/rules",
                        json=changes, done="/app/sdm/aturan-aktivitas?ok=aturan_aktivitas",
                        refused=refused)
