"""The regency's audit trail (HR of the regency, the operator): sign-ins and failed
sign-ins, account changes, decisions, HR changes, exports and the operator's access, newest
first. The operator's look is itself recorded (``operator.access``, as for every route of a
regency)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import AwareDatetime, BaseModel

from ekinerja_shared.http import TenantHrDep, TenantPath, TenantSessionDep
from ekinerja_shared.tokens import expected_subject

from ..auth.orm import AuditEntry
from ..service_layer.audit import AuditFilter, audit_entries

router = APIRouter(prefix="/api/tenants", tags=["audit"])


class AuditOut(BaseModel):
    id: int
    at: dt.datetime
    tenant_id: str | None
    service: str | None = None
    actor: str
    actor_nip: str | None = None
    actor_roles: list[str] | None = None
    action: str
    target: str | None
    source_ip: str | None
    forwarded_for: str | None = None
    user_agent: str | None
    detail: dict[str, Any]

    @classmethod
    def of(cls, e: AuditEntry) -> "AuditOut":
        return cls(id=e.id, at=e.at, tenant_id=e.tenant_id, service=e.service or "gateway",
                   actor=e.actor, actor_nip=e.actor_nip, actor_roles=e.actor_roles,
                   action=e.action, target=e.target, source_ip=e.source_ip,
                   forwarded_for=e.forwarded_for, user_agent=e.user_agent,
                   detail=e.detail or {})


@router.get("/{tenant_id}/audit", response_model=list[AuditOut],
            summary="The regency's audit trail, newest first (HR)")
async def audit(
    tenant_id: TenantPath, caller: TenantHrDep, session: TenantSessionDep,
    action: Annotated[str | None, Query(
        max_length=40, description="an action (login, activity.entry.approve), or a prefix "
                                   "ending in '.' (activity.)")] = None,
    actor: Annotated[str | None, Query(
        max_length=200, description="who acted: a NIP or a token subject")] = None,
    since: Annotated[AwareDatetime | None, Query(description="from (inclusive)")] = None,
    until: Annotated[AwareDatetime | None, Query(description="to (exclusive)")] = None,
    before: Annotated[int | None, Query(
        ge=1, description="the next page: records older than this id")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[AuditOut]:
    # a NIP also finds the person's sign-ins (recorded under the subject <tenant>:<nip>)
    subjects = (actor, expected_subject("user", tenant_id, actor, "")) if actor else ()
    rows = await audit_entries(session, tenant_id, AuditFilter(
        action=action, actors=subjects, since=since, until=until, before=before, limit=limit))
    return [AuditOut.of(e) for e in rows]
