"""The month check and close for the regency's HR: what the activity, attendance and
scoring services still have open in a month, in one list, and the close that refuses with
409 ``open_items`` (the list in the body) unless the request confirms; scoring records the
confirmation with the token's person (``service_layer.month_check``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from ekinerja_shared.http import PeriodPath, TenantHrDep, TenantPath

from ..service_layer import month_check
from ..web.backend import backend_for
from .deps import RuntimeDep

router = APIRouter(prefix="/api/tenants", tags=["month close"])


class MonthCloseIn(BaseModel):
    confirm: bool = Field(default=False, description="Close although items are still open "
                          "(recorded with the token's person, the time and the items)")


@router.get("/{tenant_id}/periods/{period}/check",
            summary="What is still open in a month before it is closed: undecided entries, "
                    "unclosed days, silent devices (activity, attendance) and scoring's items")
async def period_check(tenant_id: TenantPath, period: PeriodPath, caller: TenantHrDep,
                       request: Request, rt: RuntimeDep) -> dict[str, Any]:
    return await month_check.check(backend_for(request, rt), tenant_id, period)


@router.post("/{tenant_id}/periods/{period}/close",
             summary="Close a month after the check: 409 `open_items` (the list in the body) "
                     "unless `confirm`; scoring records the confirmation",
             responses={409: {"description": "Items still open (`open_items`), or the month "
                                             "is already closed (`period_closed`)"}})
async def period_close(tenant_id: TenantPath, period: PeriodPath, caller: TenantHrDep,
                       request: Request, rt: RuntimeDep,
                       body: MonthCloseIn | None = None) -> JSONResponse:
    status, answer = await month_check.close(backend_for(request, rt), tenant_id, period,
                                             (body or MonthCloseIn()).confirm)
    return JSONResponse(answer, status_code=status)
