"""What every service's HTTP routes share: the path and query types, and the typed
dependencies (``Annotated``, after full-stack-fastapi-template):

- ``SessionDep``: a session for reading, closed after the request;
- ``UowDep``: the unit of work, for use cases that change state (``await uow.run(...)``);
- ``CallerDep``: the signed-in caller, from the request's credentials (never from the
  body); every route decides with ``caller.require(tenant_id, *roles)``;
- ``TenantUowDep`` / ``TenantSessionDep``: the same, bound to the path's regency
  (PostgreSQL row-level security), after checking that the caller belongs to it;
- ``audited("action", target="path_param")``: a ``TenantUowDep`` whose use case is recorded
  in the audit trail, in its transaction; ``AuditorDep`` records a read (an export).

Every request of the platform operator into a regency (a ``{tenant_id}`` path) is recorded
as ``operator.access`` when the caller is resolved (``ekinerja_shared.audit``).

Each service adds its own ``RuntimeDep = Annotated[ItsRuntime, Depends(runtime_of)]``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated, Any

import datetime as dt

from fastapi import Depends, Path, Query, Request
from pydantic import AfterValidator
from sqlalchemy.ext.asyncio import AsyncSession

from .audit import Auditor, Describe, Source
from .identity import Caller, Role
from .timeutil import PERIOD_PATTERN, platform_day
from .uow import UnitOfWork


TenantPath = Annotated[str, Path(min_length=1, max_length=64)]
NipPath = Annotated[str, Path(min_length=1, max_length=32)]
PeriodQuery = Annotated[str, Query(pattern=PERIOD_PATTERN, description="YYYY-MM")]
OptionalPeriodQuery = Annotated[str | None, Query(pattern=PERIOD_PATTERN,
                                                  description="YYYY-MM")]
PeriodPath = Annotated[str, Path(pattern=PERIOD_PATTERN, description="YYYY-MM")]
# a page of a list: at most ``limit`` rows (none given: all), from ``offset``
LimitQuery = Annotated[int | None, Query(ge=1, le=5000, description="Rows of the page")]
OffsetQuery = Annotated[int, Query(ge=0, le=1_000_000, description="Rows skipped before it")]
DayPath = Annotated[dt.date, Path(description="YYYY-MM-DD, 1970-2099"),
                    AfterValidator(platform_day)]


def runtime_of(request: Request) -> Any:
    """The service's runtime (typed by each service's ``RuntimeDep``)."""
    return request.app.state.runtime


def _uow(request: Request) -> UnitOfWork:
    uow: UnitOfWork = runtime_of(request).uow
    return uow


async def _session(request: Request) -> AsyncIterator[AsyncSession]:
    async with _uow(request).read() as session:
        yield session


def source_of(request: Request) -> Source:
    return Source(ip=request.client.host if request.client else None,
                  forwarded_for=request.headers.get("x-forwarded-for"),
                  user_agent=request.headers.get("user-agent"))


def auditor_of(request: Request, caller: Caller) -> Auditor:
    """The audit trail of this request in this service (the caller from the token)."""
    rt = runtime_of(request)
    if rt.outbox_model is None:
        raise RuntimeError(f"{rt.settings.service_name} has no outbox to audit into")
    return Auditor(service=rt.settings.service_name, caller=caller, source=source_of(request),
                   outbox_model=rt.outbox_model, uow=rt.uow,
                   base_detail={"method": request.method, "path": request.url.path[:300]})


def _path_tenant(request: Request) -> str | None:
    tenant_id = request.path_params.get("tenant_id")
    return tenant_id if isinstance(tenant_id, str) and 0 < len(tenant_id) <= 64 else None


async def current_caller(request: Request) -> Caller:
    caller: Caller = await runtime_of(request).authenticator.authenticate(
        request.headers.get("authorization"), dict(request.cookies))
    tenant_id = _path_tenant(request)
    if caller.is_operator and tenant_id is not None:  # cross-regency access is recorded
        await auditor_of(request, caller).record(tenant_id, "operator.access")
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


def audited(action: str, *, target: str | None = None,
            describe: Describe | None = None) -> Callable[..., Awaitable[UnitOfWork]]:
    """A ``TenantUowDep`` whose ``run`` also stages an audit record of ``action`` in the use
    case's transaction, with the caller, the source, the path parameter named by ``target``
    as the record's target, and what ``describe(result)`` adds:

        ApproveUow = Annotated[UnitOfWork, Depends(audited("activity.entry.approve",
                                                           target="entry_id"))]
    """

    async def dependency(request: Request, tenant_id: TenantPath, caller: CallerDep,
                         uow: TenantUowDep) -> UnitOfWork:
        value = request.path_params.get(target) if target else None
        hook = auditor_of(request, caller).on_success(
            tenant_id, action, target=str(value) if value is not None else None,
            describe=describe)
        return uow.audited(hook)

    return dependency


async def _auditor(request: Request, caller: CallerDep) -> Auditor:
    return auditor_of(request, caller)


AuditorDep = Annotated[Auditor, Depends(_auditor)]
"""The request's audit trail, to record a read (``await auditor.record(t, action, ...)``)."""


def allow(*roles: Role, scope: str | None = None) -> Callable[..., Awaitable[Caller]]:
    """The authorization decision of a route on ``/{tenant_id}/...``, as a dependency (so
    it is taken before the body is read): a caller of the path's regency (else 404) with
    one of ``roles`` or the machine-client ``scope`` (else 403); no roles = any member.

        caller: Annotated[Caller, Depends(allow(Role.HR))]
    """

    async def decision(tenant_id: TenantPath, caller: CallerDep) -> Caller:
        return caller.require(tenant_id, *roles, scope=scope)

    return decision


def signed_in(*roles: Role) -> Callable[..., Awaitable[Caller]]:
    """The decision of a route without a regency in its path (the caller, sign-in, the
    platform's own routes), as a dependency: signed in (else 401) and, when ``roles`` are
    given, one of them (else 403)."""

    async def decision(caller: CallerDep) -> Caller:
        return caller.require(None, *roles)

    return decision


def allow_self_or(*roles: Role) -> Callable[..., Awaitable[Caller]]:
    """Own data (the path's ``{nip}`` is the caller's) or one of ``roles`` in the regency.
    A supervisor's view of the team is decided in the route (it needs the directory)."""

    async def decision(tenant_id: TenantPath, nip: NipPath, caller: CallerDep) -> Caller:
        return caller.require_self_or(tenant_id, nip, *roles)

    return decision


SignedInDep = Annotated[Caller, Depends(signed_in())]
"""Any signed-in person or client (a route without a regency in its path)."""
MemberDep = Annotated[Caller, Depends(allow())]
"""Any signed-in person (or client) of the path's regency."""
TenantHrDep = Annotated[Caller, Depends(allow(Role.HR))]
"""The regency's HR (BKPSDM) or the platform operator, in the path's regency."""
ReaderDep = Annotated[Caller, Depends(allow(Role.HR, Role.LEADER))]
"""Read-only over the regency: HR, leadership/inspectorate, the operator."""
