"""The regency's audit trail at the gateway: the other services' ``AuditRecorded`` events
kept in the append-only audit table (with the gateway's own sign-in events, written there
by the sign-in package), and the list HR reads."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from ekinerja_shared import events as ev
from ekinerja_shared.db import insert_ignore

from ..auth.orm import AuditEntry


async def keep_audit_records(session: AsyncSession, events: Sequence[ev.Event]) -> None:
    """Consumer of ``ekinerja.audit.v1``: one row per event (a redelivered event is
    ignored: ``event_id`` is unique, besides the consumer's inbox)."""
    rows = [
        dict(event_id=e.event_id, at=e.occurred_at, tenant_id=e.tenant_id, actor=e.actor,
             action=e.action, target=e.target, source_ip=e.source_ip,
             user_agent=e.user_agent, detail=e.detail, service=e.service,
             actor_nip=e.actor_nip, actor_roles=e.actor_roles,
             forwarded_for=e.forwarded_for)
        for e in events if isinstance(e, ev.AuditRecorded)
    ]
    await insert_ignore(session, AuditEntry, rows)


@dataclass(frozen=True)
class AuditFilter:
    """What HR asks of the list: an exact ``action``, or an action prefix ending in ``.``
    (``activity.``); ``actors``: any of these token subjects or NIPs; ``since`` inclusive,
    ``until`` exclusive; ``before`` an id (the next page is ``before=<last id>``)."""

    action: str | None = None
    actors: tuple[str, ...] = ()
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    before: int | None = None
    limit: int = 100


async def audit_entries(session: AsyncSession, tenant_id: str,
                        f: AuditFilter) -> list[AuditEntry]:
    """The regency's records, newest first."""
    query = select(AuditEntry).where(AuditEntry.tenant_id == tenant_id)
    if f.before is not None:
        query = query.where(AuditEntry.id < f.before)
    if f.action:
        query = query.where(AuditEntry.action.startswith(f.action, autoescape=True)
                            if f.action.endswith(".") else AuditEntry.action == f.action)
    if f.actors:
        query = query.where(or_(AuditEntry.actor.in_(f.actors),
                                AuditEntry.actor_nip.in_(f.actors)))
    if f.since is not None:
        query = query.where(AuditEntry.at >= f.since)
    if f.until is not None:
        query = query.where(AuditEntry.at < f.until)
    return list((await session.scalars(query.order_by(AuditEntry.id.desc())
                                       .limit(f.limit))).all())
