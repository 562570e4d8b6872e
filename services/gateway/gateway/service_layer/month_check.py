"""The month check and the close, composed from the services' answers: each is asked, with
the caller's own token, for what it still has open (each decides who may ask), and
scoring's close gets the others' items to refuse or record (``domain.month_check``)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from ekinerja_shared.errors import DomainError

from ..domain import month_check
from ..web.backend import Backend


async def check(backend: Backend, tenant_id: str, period: str) -> dict[str, Any]:
    """The open items of the month from the three services, in one list."""
    activity, attendance, scoring = await asyncio.gather(
        backend.get("activity", f"/api/activity/{tenant_id}/periods/{period}/open-items"),
        backend.get("attendance", f"/api/attendance/{tenant_id}/periods/{period}/open-items"),
        backend.get("scoring", f"/api/scoring/{tenant_id}/periods/{period}/check"))
    return {"tenant_id": tenant_id, "period": period, "closed": bool(scoring.get("closed")),
            "open_items": month_check.compose(activity, attendance, scoring)}


async def close(backend: Backend, tenant_id: str, period: str,
                confirm: bool) -> tuple[int, dict[str, Any]]:
    """Scoring's answer to the close (status, body): with items open and no confirmation a
    409 ``open_items`` whose list is the composed one."""
    found = await check(backend, tenant_id, period)
    items = found["open_items"]
    answer: httpx.Response = await backend.call(
        "scoring", "POST", f"/api/scoring/{tenant_id}/periods/{period}/close",
        json={"confirm": confirm, "reported": month_check.reported(items)})
    try:
        body: dict[str, Any] = answer.json()
    except ValueError:
        raise DomainError("Layanan scoring memberi jawaban yang tidak dapat dibaca.",
                          code="backend_invalid", status_code=502) from None
    if answer.status_code == 409 and body.get("code") == "open_items":
        body = {**body, "open_items": items}
    return answer.status_code, body
