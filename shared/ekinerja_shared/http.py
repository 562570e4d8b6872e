"""What every service's HTTP routes share: the path and query types, and the typed
dependencies (``Annotated``, after full-stack-fastapi-template):

- ``SessionDep``: a session for reading, closed after the request;
- ``UowDep``: the unit of work, for use cases that change state (``await uow.run(...)``);
- ``CallerDep``: the signed-in caller, from the request's credentials (never from the
  body); every route decides with ``caller.require(tenant_id, *roles)``;
- ``TenantUowDep`` / ``TenantSessionDep``: the same, bound to the path's regency
  (PostgreSQL row-level security), after checking that the caller belongs to it.

Each service adds its own ``RuntimeDep = Annotated[ItsRuntime, Depends(runtime_of)]``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, Path, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession

from .identity import Caller, Role
from .timeutil import PERIOD_PATTERN
from .uow import UnitOfWork


TenantPath = Annotated[str, Path(min_length=1, max_length=64)]
NipPath = Annotated[str, Path(min_length=1, max_length=32)]
PeriodQuery = Annotated[str, Query(pattern=PERIOD_PATTERN, description="YYYY-MM")]
OptionalPeriodQuery = Annotated[str | None, Query(pattern=PERIOD_PATTERN,
                                                  description="YYYY-MM")]
PeriodPath = Annotated[str, Path(pattern=PERIOD_PATTERN, description="YYYY-MM")]


def runtime_of(request: Request) -> Any:
    """The service's runtime (typed by each service's ``RuntimeDep``)."""
    return request.app.state.runtime


def _uow(request: Request) -> UnitOfWork:
    uow: UnitOfWork = runtime_of(request).uow
    return uow


async def _session(request: Request) -> AsyncIterator[AsyncSession]:
    async with _uow(request).read() as session:
        yield session


async def current_caller(request: Request) -> Caller:
    caller: Caller = await runtime_of(request).authenticator.authenticate(
        request.headers.get("authorization"), dict(request.cookies))
    return caller


SessionDep = Annotated[AsyncSession, Depends(_session)]
UowDep = Annotated[UnitOfWork, Depends(_uow)]
CallerDep = Annotated[Caller, Depends(current_caller)]


async def _tenant_uow(request: Request, tenant_id: TenantPath, caller: CallerDep) -> UnitOfWork:
    caller.require(tenant_id)  # signed in, and of this regency (another one is a 404)
    return _uow(request).in_tenant(tenant_id)


async def _tenant_session(
        uow: Annotated[UnitOfWork, Depends(_tenant_uow)]) -> AsyncIterator[AsyncSession]:
    async with uow.read() as session:
        yield session


TenantUowDep = Annotated[UnitOfWork, Depends(_tenant_uow)]
"""The unit of work bound to the path's regency (row-level security), for a caller of that
regency (or the operator); the route still decides which roles may act."""
TenantSessionDep = Annotated[AsyncSession, Depends(_tenant_session)]
"""A reading session bound to the path's regency, for a caller of that regency."""


async def _tenant_hr(tenant_id: TenantPath, caller: CallerDep) -> Caller:
    return caller.require(tenant_id, Role.HR)


TenantHrDep = Annotated[Caller, Depends(_tenant_hr)]
"""The regency's HR (BKPSDM) or the platform operator, in the path's regency."""
