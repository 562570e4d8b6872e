"""The month check and the close, composed from the services' answers: each is asked, with
the caller's own token, for what it still has open (each decides who may ask), and
scoring's close gets the others' items to refuse or record (``domain.month_check``). The
three are asked at once: the check costs its slowest service, not their sum."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from ekinerja_shared.errors import DomainError

from ..domain import month_check
from ..web.backend import Backend

PATHS = {"activity": "/api/activity/{t}/periods/{p}/open-items",
         "attendance": "/api/attendance/{t}/periods/{p}/open-items",
         "scoring": "/api/scoring/{t}/periods/{p}/check"}


@dataclass(frozen=True)
class Answers:
    """Each service's answer to the check, or why it gave none (refused, unreachable)."""

    found: Mapping[str, Mapping[str, Any]]
    failed: Mapping[str, DomainError]

    def items(self) -> list[dict[str, Any]]:
        """The open items of the services that answered, in one list."""
        return month_check.compose(*(self.found.get(s, {}) for s in month_check.SOURCES))

    def unavailable(self) -> list[str]:
        """Per service that did not answer, why (Bahasa Indonesia), in the list's order."""
        return [month_check.unavailable(s, self.failed[s].message)
                for s in month_check.SOURCES if s in self.failed]


async def ask(backend: Backend, tenant_id: str, period: str) -> Answers:
    """The three services asked concurrently; a refusal or an unreachable service is kept
    as that service's failure, the others' answers stand."""
    sources = list(month_check.SOURCES)
    answers = await asyncio.gather(
        *(backend.get(s, PATHS[s].format(t=tenant_id, p=period)) for s in sources),
        return_exceptions=True)
    found: dict[str, Mapping[str, Any]] = {}
    failed: dict[str, DomainError] = {}
    for source, answer in zip(sources, answers, strict=True):
        if isinstance(answer, DomainError):
            failed[source] = answer
        elif isinstance(answer, BaseException):
            raise answer
        else:
            found[source] = answer
    return Answers(found, failed)


async def check(backend: Backend, tenant_id: str, period: str) -> dict[str, Any]:
    """The open items of the month from the three services, in one list; a service that
    refused or could not be reached fails the whole check (nothing is closed blind)."""
    answers = await ask(backend, tenant_id, period)
    for source in month_check.SOURCES:
        if source in answers.failed:
            raise answers.failed[source]
    return {"tenant_id": tenant_id, "period": period,
            "closed": bool(answers.found["scoring"].get("closed")),
            "open_items": answers.items()}


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
