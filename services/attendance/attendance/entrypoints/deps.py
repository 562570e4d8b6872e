"""Typed dependencies of the attendance routes: the runtime, the service's defaults, and the
authorization decisions that are the attendance service's own (the plain role ones,
``TenantHrDep`` and ``ReaderDep``, come from ``ekinerja_shared.http``):

- ``StaffDep``: any person of the path's regency (a role holder; not a machine client):
  the calendar (holidays, schedules, rules, apel);
- ``EmployeeViewerDep``: the days, punches and corrections of the path's ``{nip}``: the
  employee, whoever supervises them today (the direct supervisor of the directory copy, or
  their Plt/Plh in force: ``ekinerja_shared.supervision``), HR, leadership;
- ``ListingDep``: whose rows a listing of many employees shows (``?nip=`` optional): HR and
  leadership the regency; anyone else their own rows and those of the team they supervise
  today (direct reports, and those of the officials they act for); a ``?nip=`` outside
  that is refused;
- ``acting``: the acting person recorded by a change (``entered_by``, ``corrected_by`` ...):
  the caller's NIP, or the subject of a caller without one (the operator).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query
from pydantic import BaseModel, ConfigDict
from sqlalchemy.ext.asyncio import AsyncSession

from ekinerja_shared.errors import Forbidden
from ekinerja_shared.http import (
    CallerDep,
    NipPath,
    TenantPath,
    TenantSessionDep,
    allow,
    runtime_of,
)
from ekinerja_shared.identity import Caller, Role

from ..runtime import AttendanceRuntime
from ..service_layer import directory

RuntimeDep = Annotated[AttendanceRuntime, Depends(runtime_of)]

OWN_OR_TEAM = "Anda hanya dapat mengakses data Anda sendiri atau tim yang Anda pimpin."
READERS = (Role.HR, Role.LEADER)


def _default_tz(rt: RuntimeDep) -> str:
    return rt.settings.default_timezone


DefaultTzDep = Annotated[str, Depends(_default_tz)]
"""The zone of a tenant the directory has not named yet (``EK_DEFAULT_TIMEZONE``)."""

StaffDep = Annotated[Caller, Depends(allow(*Role))]


class ActingIn(BaseModel):
    """A change made in the caller's name: the acting person comes from the token. Unknown
    fields are refused, so that a client still sending ``entered_by``, ``corrected_by``,
    ``created_by``, ``updated_by`` or ``cancelled_by`` learns it (422)."""

    model_config = ConfigDict(extra="forbid")


def acting(caller: Caller) -> str:
    """Who is recorded as having made a change: the person's NIP, else the subject."""
    return caller.nip or caller.subject


async def require_team_view(session: AsyncSession, caller: Caller, tenant_id: str,
                            nip: str, *, default_tz: str) -> Caller:
    """``nip``'s days: the employee, HR, leadership, or whoever supervises ``nip`` today
    (direct or Plt/Plh in force, in the regency's zone)."""
    caller.require(tenant_id)
    if caller.nip == nip or caller.has(*READERS):
        return caller
    if caller.nip is not None and await directory.supervises(
            session, tenant_id, caller.nip, nip,
            await directory.tenant_today(session, tenant_id, default_tz)):
        return caller
    raise Forbidden(OWN_OR_TEAM, code="own_data_only")


async def _employee_viewer(tenant_id: TenantPath, nip: NipPath, caller: CallerDep,
                           session: TenantSessionDep, default_tz: DefaultTzDep) -> Caller:
    return await require_team_view(session, caller, tenant_id, nip, default_tz=default_tz)


EmployeeViewerDep = Annotated[Caller, Depends(_employee_viewer)]


@dataclass(frozen=True)
class Listing:
    """The rows a listing shows: one employee's (``nip``), and only among ``among``
    (None = the whole regency)."""

    caller: Caller
    nip: str | None
    among: frozenset[str] | None


async def _listing(tenant_id: TenantPath, caller: CallerDep, session: TenantSessionDep,
                   default_tz: DefaultTzDep, nip: Annotated[str | None, Query(min_length=1, max_length=32,
                                                    description="one employee (NIP)")] = None
                   ) -> Listing:
    if nip is not None:
        return Listing(await require_team_view(session, caller, tenant_id, nip,
                                               default_tz=default_tz), nip, None)
    caller.require(tenant_id, *Role)  # a person of the regency (not a machine client)
    if caller.has(*READERS):
        return Listing(caller, None, None)
    if caller.nip is None:
        raise Forbidden(OWN_OR_TEAM, code="own_data_only")
    team = await directory.team_of(session, tenant_id, caller.nip, await directory.tenant_today(
        session, tenant_id, default_tz))
    return Listing(caller, None, frozenset(team | {caller.nip}))


ListingDep = Annotated[Listing, Depends(_listing)]
