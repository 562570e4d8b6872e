"""The leadership dashboard (leader, HR): the regency's scores of a month (distribution,
OPD ranking, top ten: scoring's board of the month, computed there), its TL/PSW/TK days (the attendance service's month summary) and the
month-over-month trend (the scoring service's), kept current by the score stream (the page
re-reads its live region when a score of the month changes: attendance facts change
scores too).

Registered before ``routes_manage`` (whose older dashboard route it replaces; the lead
drops that one when merging the HR pages' split of that module)."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ekinerja_shared.errors import DomainError

from . import board, formats
from .render import Page, PageRoute, render, require_role
from .routes_employee import PageDep

router = APIRouter(route_class=PageRoute, tags=["pages"])
TREND_MONTHS = 6


async def _optional(page: Page, service: str, path: str, **params: Any) -> Any:
    """A part of the page that may be missing: its service's refusal or absence leaves
    that part out (with a note), not the whole dashboard."""
    try:
        return await page.backend.get(service, path, **params)
    except DomainError:
        return None


@router.get("/app/pimpinan", summary="Page: the regency's live dashboard (leader, HR)")
async def leadership_dashboard(request: Request, page: PageDep,
                               period: str | None = None) -> Response:
    require_role(page, "leader", "hr")
    month, t = page.period(period), page.tenant_id
    figures, summary, trend = await asyncio.gather(
        page.backend.get("scoring", f"/api/scoring/{t}/board", period=month),
        _optional(page, "attendance", f"/api/attendance/{t}/month-summary", period=month),
        _optional(page, "scoring", f"/api/scoring/{t}/trend", period=month,
                  months=TREND_MONTHS))
    units = {u["unit_id"]: u["unit_name"] for u in figures["units"]}
    return render(request, "pimpinan.html", **page.context(
        request, period=month, board=board.dashboard(figures),
        discipline=board.discipline_board(summary, units),
        trend=board.trend_points(trend), trend_missing=trend is None,
        prev=formats.shift_period(month, -1), next=formats.shift_period(month, 1)))
