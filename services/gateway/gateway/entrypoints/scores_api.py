"""HTTP API of the scores read model and its live stream, filtered by role: HR, leadership
and the operator see the regency; anyone else themselves and their direct reports."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Depends
from sse_starlette import EventSourceResponse, ServerSentEvent

from ekinerja_shared.http import (
    LimitQuery,
    MemberDep,
    NipPath,
    OffsetQuery,
    PeriodQuery,
    TenantPath,
    TenantSessionDep,
    TenantUowDep,
)

from ..domain.access import SCORES_READ
from ..service_layer import services
from .deps import RuntimeDep
from .schemas import ScoreOut

router = APIRouter(prefix="/api/tenants", tags=["scores"])


# declared before /scores/{nip} so that "stream" is not taken for a NIP
@router.get("/{tenant_id}/scores/stream",
            summary="Server-Sent Events: the score updates the caller may see (event 'score')")
async def score_stream(tenant_id: TenantPath, caller: MemberDep, uow: TenantUowDep,
                       rt: RuntimeDep) -> EventSourceResponse:
    # a session of its own, closed before streaming (a TenantSessionDep would be held, with
    # its connection, for as long as the client stays connected)
    async with uow.read() as session:
        await services.get_tenant(session, tenant_id)
        audience = await services.audience_of(session, tenant_id, caller, SCORES_READ)
    hub = rt.hub
    sub = hub.subscribe(tenant_id, audience)  # before the response starts: nothing is missed
    max_s = rt.settings.stream_max_s

    async def events() -> AsyncIterator[ServerSentEvent]:
        try:
            async for payload in sub.messages(max_s):
                yield ServerSentEvent(data=payload.decode(), event="score")
            if sub.dropped:
                yield ServerSentEvent(
                    data="Koneksi terlalu lambat; sambungkan ulang.", event="dropped",
                    retry=1000,
                )
            else:  # its time is up (or the gateway stops): the browser reconnects
                yield ServerSentEvent(data="Sambungkan ulang.", event="reconnect", retry=1000)
        finally:
            hub.unsubscribe(sub)

    return EventSourceResponse(events(), ping=rt.settings.stream_heartbeat_s,
                               send_timeout=30, headers={"Cache-Control": "no-store"})


@router.get("/{tenant_id}/scores", response_model=list[ScoreOut],
            summary="The month's running scores the caller may see, highest first (one OPD "
                    "with `unit_id`; a page with `limit` and `offset`)")
async def list_scores(tenant_id: TenantPath, period: PeriodQuery, caller: MemberDep,
                      session: TenantSessionDep, unit_id: str | None = None,
                      limit: LimitQuery = None,
                      offset: OffsetQuery = 0) -> list[dict[str, Any]]:
    audience = await services.audience_of(session, tenant_id, caller, SCORES_READ)
    # plain rows, checked and serialised once by the response model (no model per score)
    return [dict(r._mapping) for r in await services.list_scores(
        session, tenant_id, period, unit_id, audience, limit=limit, offset=offset)]


@router.get("/{tenant_id}/scores/{nip}", response_model=ScoreOut,
            summary="One employee's score: oneself, one's direct report, or HR/leadership")
async def get_score(tenant_id: TenantPath, nip: NipPath, period: PeriodQuery,
                    caller: MemberDep, session: TenantSessionDep) -> ScoreOut:
    await services.check_visible(session, tenant_id, caller, nip, SCORES_READ)
    score, emp = await services.get_score(session, tenant_id, nip, period)
    return ScoreOut.of(score, emp)
