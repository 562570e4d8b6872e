"""Helpers of the audit tests: wait for a service's audit record on Kafka, and check that
it was written by the same PostgreSQL transaction as the change it records."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from ekinerja_shared import events as ev
from tests.support.apps import EventProbe


async def audit_record(probe: EventProbe, action: str, target: str | None = None,
                       timeout: float = 60.0) -> ev.AuditRecorded:
    event = await probe.wait_for(
        lambda e: isinstance(e, ev.AuditRecorded) and e.action == action
        and (target is None or e.target == target), timeout=timeout)
    assert isinstance(event, ev.AuditRecorded)
    return event


async def written_together(session: AsyncSession, event_id: uuid.UUID, table: str,
                           where: str, params: dict[str, Any]) -> bool:
    """True when the outbox row of ``event_id`` and the row of ``table`` matching ``where``
    carry the same creating transaction id (PostgreSQL's ``xmin``): one transaction. Check
    before the relay publishes the outbox row (it deletes the rows the broker took)."""
    audit_tx = await session.scalar(text("SELECT xmin::text FROM outbox WHERE event_id = :e"),
                                    {"e": event_id})
    change_tx = await session.scalar(text(f"SELECT xmin::text FROM {table} WHERE {where}"),
                                     params)
    assert audit_tx is not None and change_tx is not None, (audit_tx, change_tx)
    return bool(audit_tx == change_tx)
