"""The TPP pay slip page ("Slip TPP"): the signed-in person's own slip of a month; HR may
open any employee's of the regency by NIP (the scoring service decides again: the own
slip, or HR of the regency)."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from . import formats
from .backend import BackendRefused
from .render import PageRoute, render, require_role
from .routes_employee import PageDep
from .routes_plans import NIP_DIGITS
from .views_payslip import payslip_view

router = APIRouter(route_class=PageRoute, tags=["pages"])


@router.get("/app/slip", summary="Page: the TPP pay slip of a month (own; HR: any employee)")
async def payslip_page(request: Request, page: PageDep, period: str | None = None,
                       nip: str = "") -> Response:
    month, nip = page.period(period), nip.strip()[:32] or page.nip
    if nip != page.nip:
        require_role(page, "hr")
    error, status, slip = None, 200, None
    if not nip.isdigit():  # never put into a service's path
        error, status = NIP_DIGITS, 422
    else:
        try:
            slip = await page.backend.get_or_none(
                "scoring", f"/api/scoring/{page.tenant_id}/payslips/{nip}", period=month)
        except BackendRefused as exc:
            if exc.status_code >= 500:
                raise
            error, status = exc.message, exc.status_code
    return render(request, "slip.html", status_code=status, **page.context(
        request, period=month, nip=nip, own=nip == page.nip, is_hr="hr" in page.roles,
        slip=payslip_view(slip) if slip else None, error=error,
        keep="" if nip == page.nip else urlencode({"nip": nip}),
        prev=formats.shift_period(month, -1), next=formats.shift_period(month, 1)))
