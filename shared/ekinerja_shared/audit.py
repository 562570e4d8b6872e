"""The audit trail: decisions, HR changes, exports and the platform operator's access,
recorded with the acting caller (from the token), the time and the request's source.

One way for every service: an ``Auditor`` (the caller and source of one request, built by
``ekinerja_shared.http``) makes ``AuditRecorded`` events and stages them in the service's
outbox, so that an audit record commits or rolls back with the change it records:

- a change: the route takes a unit of work from ``http.audited("activity.entry.approve",
  target="entry_id")``; ``uow.run`` then stages the record in the use case's transaction
  after the use case returned (a refused or failed use case records nothing);
- a read worth recording (an export, the operator's look into a regency):
  ``await auditor.record(tenant_id, action, ...)`` in its own small transaction.

The gateway consumes the topic into its append-only audit table (with its own sign-in
events) and serves it to the regency's HR. No framework import here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from .events import AUDIT_DETAIL_MAX_BYTES, AuditRecorded
from .identity import Caller
from .outbox import stage
from .uow import UnitOfWork

Describe = Callable[[Any], Mapping[str, Any]]
"""What the use case's result adds to a record (e.g. the entries a bulk decision decided);
a ``"target"`` key, when present, becomes the record's target."""


def fields(*names: str, target: str | None = None) -> Describe:
    """A ``describe`` that keeps attributes of the use case's result (the saved row):
    ``fields("name", "days", target="id")``."""

    def describe(result: Any) -> dict[str, Any]:
        out = {name: getattr(result, name, None) for name in names}
        if target is not None:
            out["target"] = getattr(result, target, None)
        return out

    return describe


@dataclass(frozen=True)
class Source:
    """Where a request came from: the peer address the service saw, the
    ``X-Forwarded-For`` chain as sent (the gateway appends the browser's address) and the
    user agent."""

    ip: str | None = None
    forwarded_for: str | None = None
    user_agent: str | None = None


def _clip(text: str | None, limit: int) -> str | None:
    return text[:limit] if text else None


def _size(value: Any) -> int:
    return len(json.dumps(value))


def small_detail(detail: Mapping[str, Any]) -> dict[str, Any]:
    """``detail`` as JSON values, kept under the contract's size: long values are cut, and
    past that only the keys are kept (an audit record is never refused for its size)."""
    safe: dict[str, Any] = json.loads(json.dumps(dict(detail), default=str))
    if _size(safe) <= AUDIT_DETAIL_MAX_BYTES:
        return safe
    cut = {k: v if _size(v) <= 200 else json.dumps(v)[:200] + "..." for k, v in safe.items()}
    if _size(cut) <= AUDIT_DETAIL_MAX_BYTES:
        return cut
    return {"truncated": True, "keys": [k[:40] for k in sorted(safe)[:20]]}


@dataclass(frozen=True)
class Auditor:
    """The caller and source of one request, in one service, with that service's outbox."""

    service: str
    caller: Caller
    source: Source
    outbox_model: type[Any]
    uow: UnitOfWork
    base_detail: Mapping[str, Any] = field(default_factory=dict)

    def event(self, tenant_id: str, action: str, *, target: str | None = None,
              detail: Mapping[str, Any] | None = None) -> AuditRecorded:
        c = self.caller
        return AuditRecorded(
            tenant_id=tenant_id, service=self.service, action=action,
            actor=c.subject[:200], actor_nip=c.nip, actor_kind=c.kind,
            actor_roles=sorted(r.value for r in c.roles),
            target=_clip(target, 200),
            detail=small_detail({**self.base_detail, **(detail or {})}),
            source_ip=_clip(self.source.ip, 64),
            forwarded_for=_clip(self.source.forwarded_for, 200),
            user_agent=_clip(self.source.user_agent, 300),
        )

    def stage(self, session: AsyncSession, tenant_id: str, action: str, *,
              target: str | None = None,
              detail: Mapping[str, Any] | None = None) -> AuditRecorded:
        """Stage a record in ``session``'s transaction (the change's own)."""
        event = self.event(tenant_id, action, target=target, detail=detail)
        stage(session, self.outbox_model, event)
        return event

    async def record(self, tenant_id: str, action: str, *,
                     target: str | None = None,
                     detail: Mapping[str, Any] | None = None) -> AuditRecorded:
        """Record a read (an export, an access) in its own small transaction."""

        async def _stage(session: AsyncSession) -> AuditRecorded:
            return self.stage(session, tenant_id, action, target=target, detail=detail)

        return await self.uow.in_tenant(tenant_id).run(_stage)

    def on_success(self, tenant_id: str, action: str, *, target: str | None = None,
                   describe: Describe | None = None) -> Callable[[AsyncSession, Any], None]:
        """The hook ``UnitOfWork.audited`` runs after the use case returned, in its
        transaction: stage the record, with what ``describe`` draws from the result."""

        def hook(session: AsyncSession, result: Any) -> None:
            detail = dict(describe(result)) if describe is not None else {}
            self.stage(session, tenant_id, action,
                       target=str(detail.pop("target", None) or target or "") or None,
                       detail=detail)

        return hook
