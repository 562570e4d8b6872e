"""HR's pages on the rules: the attendance discipline rules (a preset, or the regency's own
percentages) and the scoring policy of a month (a preset, or the components' weights and
the minutes per day). Each shows the values in force; a save sends only what the form
changed (the services' PUTs keep what they are not given)."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from . import formats, views_hr
from .backend import BackendRefused
from .render import Page, PageRoute, flash, render
from .routes_employee import form_of
from .routes_hr import HrPageDep, change
from .routes_manage import PERIOD

router = APIRouter(route_class=PageRoute, tags=["pages"])


# --- attendance rules ---------------------------------------------------------------------


async def _rules(request: Request, page: Page, *, errors: dict[str, str] | None = None,
                 form: dict[str, str] | None = None, status_code: int = 200) -> Response:
    base = f"/api/attendance/{page.tenant_id}"
    current, presets = await asyncio.gather(page.backend.get("attendance", f"{base}/rules"),
                                            page.backend.get("attendance", f"{base}/rule-presets"))
    view = views_hr.rules_view(current["rules"])
    typed = form or {}
    for row in view["scalars"] + view["tl"] + view["psw"]:
        key = row.get("name") or row["code"]
        row["typed"] = typed.get(key, row["value"])
    return render(request, "aturan.html", status_code=status_code, **page.context(
        request, rules=view, source=current.get("source", ""), errors=errors or {},
        presets=[{"name": p["name"], "description": p.get("description", "")} for p in presets],
        ok=flash(request.query_params.get("ok"))))


@router.get("/app/sdm/aturan", summary="Page: the attendance discipline rules (HR)")
async def rules_page(request: Request, page: HrPageDep) -> Response:
    return await _rules(request, page)


@router.post("/app/sdm/aturan", summary="Page: apply a preset or change rules (HR, form)")
async def rules_change(request: Request, page: HrPageDep) -> Response:
    form = await form_of(request)
    kind = "preset" if form.get("action") == "preset" else "custom"
    path = f"/api/attendance/{page.tenant_id}/rules"

    async def refused(exc: BackendRefused) -> Response:
        return await _rules(request, page, errors={kind: exc.message}, form=form,
                            status_code=exc.status_code)

    if kind == "preset":
        return await change(page, "attendance", "PUT", path, json={"preset": form.get("preset")},
                            done="/app/sdm/aturan?ok=aturan", refused=refused)
    current = await page.backend.get("attendance", path)
    body = _bracket_fields(current["rules"], form)
    try:
        changes = views_hr.rules_changes(current["rules"], body)
    except views_hr.FormError as exc:
        return await _rules(request, page, errors={kind: str(exc)}, form=form, status_code=422)
    if not changes:
        return RedirectResponse("/app/sdm/aturan?ok=tetap", status_code=303)
    return await change(page, "attendance", "PUT", path, json={"rules": changes},
                        done="/app/sdm/aturan?ok=aturan", refused=refused)


def _bracket_fields(rules: dict[str, Any], form: dict[str, str]) -> dict[str, str]:
    """The form's fields as ``rules_changes`` reads them: a bracket's field is named by its
    code on the page (labels say TL1, PSW2), by its list position in the change."""
    out = dict(form)
    for key in ("tl", "psw"):
        for i, b in enumerate(rules.get(key, [])):
            if b["code"] in form:
                out[f"{key}-{i}"] = form[b["code"]]
    return out


# --- scoring policy -----------------------------------------------------------------------


async def _policy(request: Request, page: Page, period: str, *,
                  errors: dict[str, str] | None = None, form: dict[str, str] | None = None,
                  status_code: int = 200) -> Response:
    base = f"/api/scoring/{page.tenant_id}"
    current, presets, versions = await asyncio.gather(
        page.backend.get("scoring", f"{base}/policy", period=period),
        page.backend.get("scoring", f"{base}/presets"),
        page.backend.get("scoring", f"{base}/policies"))
    view = views_hr.policy_view(current["policy"])
    typed = form or {}
    for c in view["components"]:
        c["typed"] = typed.get(f"w-{c['name']}", c["value"])
    view["minutes_typed"] = typed.get("minutes_per_day", view["minutes_per_day"])
    history = [{"from": formats.period_label(v["effective_period"])
                if v.get("effective_period") else "Awal", "name": v["policy"].get("name", ""),
                "by": v.get("set_by") or "-"} for v in versions]
    return render(request, "kebijakan.html", status_code=status_code, **page.context(
        request, period=period, prev=formats.shift_period(period, -1),
        next=formats.shift_period(period, 1), policy=view, presets=sorted(presets),
        since=current.get("effective_period"), history=history, errors=errors or {},
        ok=flash(request.query_params.get("ok"))))


@router.get("/app/sdm/kebijakan", summary="Page: the scoring policy of a month (HR)")
async def policy_page(request: Request, page: HrPageDep, period: str | None = None) -> Response:
    return await _policy(request, page, page.period(period))


@router.post("/app/sdm/kebijakan", summary="Page: set the policy from a month on (HR, form)")
async def policy_change(request: Request, page: HrPageDep) -> Response:
    form = await form_of(request)
    period = form.get("period", "")
    if not PERIOD.match(period):
        return await _policy(request, page, page.period(None), status_code=422,
                             errors={"custom": "Periode tidak valid."})
    kind = "preset" if form.get("action") == "preset" else "custom"
    path = f"/api/scoring/{page.tenant_id}/policies/{period}"
    done = f"/app/sdm/kebijakan?period={period}&ok=kebijakan"

    async def refused(exc: BackendRefused) -> Response:
        return await _policy(request, page, period, errors={kind: exc.message}, form=form,
                             status_code=exc.status_code)

    if kind == "preset":
        return await change(page, "scoring", "PUT", path, json={"preset": form.get("preset")},
                            done=done, refused=refused)
    current = await page.backend.get("scoring", f"/api/scoring/{page.tenant_id}/policy",
                                     period=period)
    try:
        changes = views_hr.policy_changes(current["policy"], form)
    except views_hr.FormError as exc:
        return await _policy(request, page, period, errors={kind: str(exc)}, form=form,
                             status_code=422)
    if not changes:
        return RedirectResponse(f"/app/sdm/kebijakan?period={period}&ok=tetap", status_code=303)
    return await change(page, "scoring", "PUT", path, json={"policy": changes}, done=done,
                        refused=refused)
