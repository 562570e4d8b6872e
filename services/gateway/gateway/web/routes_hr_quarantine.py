"""HR's page of quarantined inputs: device lines and events every service set aside, with
their reason, through the quarantine API all services share (the gateway's own under
``/api/tenants``). HR replays a Kafka record once its cause is fixed, or discards an entry
with a reason; a refusal is shown on the entry's row."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from . import views_hr
from ekinerja_shared.errors import DomainError

from .backend import GATEWAY, BackendRefused
from .render import Page, PageRoute, flash, render
from .routes_employee import form_of
from .routes_hr import HrPageDep, change

router = APIRouter(route_class=PageRoute, tags=["pages"])
STATUSES = {"open": "Terbuka", "all": "Semua", "replayed": "Diproses ulang",
            "discarded": "Dibuang"}


def _base(page: Page, service: str) -> str:
    if service == GATEWAY:
        return f"/api/tenants/{page.tenant_id}/quarantine"
    return f"/api/{service}/{page.tenant_id}/quarantine"


async def _list(page: Page, service: str, status: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = await page.backend.get(service, _base(page, service),
                                                        status=status, limit=200)
    return rows


async def _quarantine(request: Request, page: Page, status: str, *, failed: str | None = None,
                      row_error: str | None = None, status_code: int = 200) -> Response:
    services = list(views_hr.SERVICES)
    found = await asyncio.gather(*(_list(page, s, status) for s in services),
                                 return_exceptions=True)
    by_service: dict[str, list[dict[str, Any]]] = {}
    unreachable = []
    for service, rows in zip(services, found):
        if isinstance(rows, DomainError) and rows.code == "backend_unavailable":
            unreachable.append(views_hr.SERVICES[service])
            continue
        if isinstance(rows, BaseException):
            raise rows
        by_service[service] = rows
    return render(request, "karantina.html", status_code=status_code, **page.context(
        request, entries=views_hr.quarantine_view(by_service, page.tz), status=status,
        statuses=STATUSES, unreachable=unreachable, failed=failed, row_error=row_error,
        ok=flash(request.query_params.get("ok"))))


def _status(asked: str | None) -> str:
    return asked if asked in STATUSES else "open"


@router.get("/app/sdm/karantina", summary="Page: quarantined inputs of every service (HR)")
async def quarantine_page(request: Request, page: HrPageDep, status: str | None = None) -> Response:
    return await _quarantine(request, page, _status(status))


@router.post("/app/sdm/karantina/{service}/{entry_id}",
             summary="Page: replay or discard a quarantined input (HR, form)")
async def quarantine_action(request: Request, service: str, entry_id: int,
                            page: HrPageDep) -> Response:
    form = await form_of(request)
    status = _status(form.get("status"))
    key = f"{service}-{entry_id}"
    if service not in views_hr.SERVICES:
        return await _quarantine(request, page, status, failed=key, status_code=404,
                                 row_error="Layanan tidak dikenal.")
    discard = form.get("action") == "discard"
    reason = form.get("reason", "")
    if discard and len(reason) < 3:
        return await _quarantine(request, page, status, failed=key, status_code=422,
                                 row_error="Tuliskan alasan membuang (minimal 3 huruf).")

    async def refused(exc: BackendRefused) -> Response:
        return await _quarantine(request, page, status, failed=key, row_error=exc.message,
                                 status_code=exc.status_code)

    path = f"{_base(page, service)}/{entry_id}/{'discard' if discard else 'replay'}"
    return await change(page, service, "POST", path,
                        json={"reason": reason} if discard else None,
                        done=f"/app/sdm/karantina?status={status}&ok="
                             f"{'dibuang' if discard else 'diproses'}", refused=refused)
