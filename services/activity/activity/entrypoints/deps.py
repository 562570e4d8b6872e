"""Typed dependencies of the activity routes: the runtime, the service's defaults, and the
authorization decisions that are the activity service's own (the plain role ones,
``MemberDep``, ``TenantHrDep``, ``ReaderDep``, come from ``ekinerja_shared.http``):

- ``StaffDep``: any person of the path's regency (a role holder; not a machine client);
- ``PersonDep``: a signed-in person (with a NIP) of the path's regency, acting as
  themselves: their own entries, plans and agenda; their decisions as approver or verifier
  (the domain then checks the directory, the Plt/Plh assignments and the verifier team);
- ``TeamReaderDep``: the entries, plans or agenda of the ``?nip=`` employee: the employee,
  their supervisor in force (direct or Plt/Plh), HR, leadership;
- ``EmployeeViewerDep``: the directory copy of the path's ``{nip}``: the employee, their
  supervisor in force, HR;
- ``require_entry_view``: one entry and its history (refined in the route, it needs the
  entry): its owner, its supervisor, the verifiers, HR, leadership.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query
from sqlalchemy.ext.asyncio import AsyncSession

from ekinerja_shared.errors import DomainError, Forbidden
from ekinerja_shared.http import (
    CallerDep,
    MemberDep,
    NipPath,
    TenantPath,
    TenantSessionDep,
    allow,
    runtime_of,
)
from ekinerja_shared.identity import Caller, Role

from ..adapters.orm import Entry
from ..runtime import ActivityRuntime
from ..service_layer import access
from ..service_layer.tenants import Config

RuntimeDep = Annotated[ActivityRuntime, Depends(runtime_of)]
NipQuery = Annotated[str, Query(min_length=1, max_length=32, description="NIP")]

OWN_OR_TEAM = "Anda hanya dapat mengakses data Anda sendiri atau tim yang Anda pimpin."


def _config(rt: RuntimeDep) -> Config:
    return rt.config


ConfigDep = Annotated[Config, Depends(_config)]


StaffDep = Annotated[Caller, Depends(allow(*Role))]


@dataclass(frozen=True)
class Person:
    """The signed-in person acting as themselves (``nip`` is the token's)."""

    caller: Caller
    nip: str


async def _person(caller: MemberDep) -> Person:
    if caller.nip is None:  # the platform operator or a machine client has no NIP
        raise Forbidden("Tindakan ini hanya dapat dilakukan oleh pegawai atas namanya sendiri.",
                        code="forbidden")
    return Person(caller, caller.nip)


PersonDep = Annotated[Person, Depends(_person)]


async def require_team_view(session: AsyncSession, caller: Caller, tenant_id: str, nip: str,
                            cfg: Config, *roles: Role) -> Caller:
    """``nip``'s own data: the employee, one of ``roles``, or their supervisor in force."""
    caller.require(tenant_id)
    if caller.nip == nip or caller.has(*roles):
        return caller
    if caller.nip is not None and await access.sees_employee(session, tenant_id, caller.nip,
                                                             nip, cfg=cfg):
        return caller
    raise Forbidden(OWN_OR_TEAM, code="own_data_only")


async def _team_reader(tenant_id: TenantPath, nip: NipQuery, caller: CallerDep,
                       session: TenantSessionDep, cfg: ConfigDep) -> Caller:
    return await require_team_view(session, caller, tenant_id, nip, cfg, Role.HR, Role.LEADER)


TeamReaderDep = Annotated[Caller, Depends(_team_reader)]


async def _employee_viewer(tenant_id: TenantPath, nip: NipPath, caller: CallerDep,
                           session: TenantSessionDep, cfg: ConfigDep) -> Caller:
    return await require_team_view(session, caller, tenant_id, nip, cfg, Role.HR)


EmployeeViewerDep = Annotated[Caller, Depends(_employee_viewer)]


async def require_entry_view(session: AsyncSession, caller: Caller, tenant_id: str,
                             entry: Entry, cfg: Config) -> None:
    if caller.nip == entry.nip or caller.has(Role.HR, Role.LEADER):
        return
    if caller.nip is not None and await access.sees_entry(session, tenant_id, caller.nip,
                                                          entry, cfg=cfg):
        return
    raise Forbidden(OWN_OR_TEAM, code="own_data_only")


def queue_owner(caller: Caller, tenant_id: str, approver_nip: str | None) -> str:
    """Whose approval queue: the caller's own; another approver's for HR (``?approver_nip=``)."""
    if approver_nip is not None and approver_nip != caller.nip:
        caller.require(tenant_id, Role.HR)
        return approver_nip
    if caller.nip is None:
        caller.require(tenant_id, Role.HR)  # a client without a NIP has no queue
        raise DomainError("Sebutkan approver_nip: akun ini tidak memiliki antrean "
                          "persetujuan.", code="approver_required")
    return caller.nip
