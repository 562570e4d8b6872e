"""Facts about a tenant the use cases decide with: its clock, its rules (the defaults with
its overrides) and its closed months; and the service-wide defaults (``Config``)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ekinerja_shared.db import upsert
from ekinerja_shared.errors import NotFound
from ekinerja_shared.timeutil import utcnow, zone

from ..adapters.orm import PeriodState, Tenant, TenantRuleRow
from ..domain.rules import TenantRules


class _TenantOwned(Protocol):
    @property
    def tenant_id(self) -> str: ...


RowT = TypeVar("RowT", bound=_TenantOwned)


@dataclass(frozen=True)
class Config:
    """Service-wide defaults the use cases need (from Settings)."""

    default_tz: str = "Asia/Jakarta"
    default_rules: TenantRules = field(default_factory=TenantRules)
    bulk_limit: int = 2000


async def tenant_tz(session: AsyncSession, tenant_id: str, cfg: Config) -> str:
    tenant = await session.get(Tenant, tenant_id)
    return tenant.timezone if tenant else cfg.default_tz


async def tenant_now(session: AsyncSession, tenant_id: str, cfg: Config,
                     now: dt.datetime | None = None) -> dt.datetime:
    """The tenant's current wall-clock time (aware, in its zone)."""
    return (now or utcnow()).astimezone(zone(await tenant_tz(session, tenant_id, cfg)))


async def load_rules(session: AsyncSession, tenant_id: str, cfg: Config) -> TenantRules:
    row = await session.get(TenantRuleRow, tenant_id)
    return cfg.default_rules.with_overrides(row.overrides if row else {})


async def set_rules(session: AsyncSession, tenant_id: str, overrides: dict[str, Any],
                    cfg: Config) -> TenantRules:
    """Change the tenant's rules: the fields given replace the current ones, the fields left
    out (or null) keep their current value (PATCH semantics; PUT a value to change it)."""
    row = await session.get(TenantRuleRow, tenant_id)
    clean = {**(row.overrides if row else {}),
             **{k: v for k, v in overrides.items() if v is not None}}
    merged = cfg.default_rules.with_overrides(clean).validate()
    await upsert(session, TenantRuleRow,
                 {"tenant_id": tenant_id, "overrides": clean, "updated_at": utcnow()},
                 index_elements=["tenant_id"])
    return merged


async def closed_periods(session: AsyncSession, tenant_id: str) -> frozenset[str]:
    rows = await session.scalars(select(PeriodState.period).where(
        PeriodState.tenant_id == tenant_id, PeriodState.closed.is_(True)))
    return frozenset(rows.all())


async def in_tenant(session: AsyncSession, model: type[RowT], key: uuid.UUID, tenant_id: str,
                    message: str, code: str) -> RowT:
    """The row of ``model`` with primary key ``key``, if it is the tenant's (404 otherwise:
    another tenant's rows are not revealed)."""
    row = await session.get(model, key)
    if row is None or row.tenant_id != tenant_id:
        raise NotFound(message, code=code)
    return row
