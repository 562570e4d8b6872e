"""Whose scores a caller may read: the authorization decisions that need scoring's copy of
the directory (the route's dependency has already checked the regency and the roles).

- own score: every employee;
- the team's scores: whoever supervises the employee today, by the shared rule
  (``ekinerja_shared.supervision``): their direct supervisor in the directory copy (active
  employees, latest state), or a Plt/Plh acting for that supervisor over the assignment's
  dates (the copy of the activity service's assignments). Decided from these copies, not
  from the token's ``supervisor`` role: a Plh needs no role of their own, and the day after
  the assignment ends they are refused;
- the whole regency: HR, leadership/inspectorate, the platform operator.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from ekinerja_shared import acting_copy
from ekinerja_shared.errors import Forbidden
from ekinerja_shared.identity import Caller, Role

from ..adapters.orm import ActingAssignment, Employee
from .admin import tenant_today

REGENCY_READERS = (Role.HR, Role.LEADER)


async def team_of(session: AsyncSession, tenant_id: str, caller_nip: str, day: dt.date, *,
                  nip: str | None = None) -> set[str]:
    """The active employees ``caller_nip`` supervises on ``day`` (only ``nip`` among them,
    when given)."""
    only = [Employee.nip == nip] if nip is not None else []
    return await acting_copy.team_of(session, ActingAssignment, Employee, tenant_id,
                                     caller_nip, day, Employee.active.is_(True), *only)


async def require_sees_employee(session: AsyncSession, caller: Caller, tenant_id: str,
                                nip: str) -> None:
    """Own score, that of someone the caller supervises today (direct or Plt/Plh), or any
    (HR, leader, operator); else 403 ``own_data_only``."""
    if caller.nip == nip or caller.has(*REGENCY_READERS):
        return
    if caller.nip is not None and await team_of(
            session, tenant_id, caller.nip, await tenant_today(session, tenant_id), nip=nip):
        return
    raise Forbidden("Anda hanya dapat melihat nilai Anda sendiri dan tim Anda.",
                    code="own_data_only")


async def visible_nips(session: AsyncSession, caller: Caller,
                       tenant_id: str) -> set[str] | None:
    """The employees whose scores a listing shows the caller: None = the whole regency
    (HR, leader, operator); else the caller's own and the team they supervise today (a
    machine client without a regency-wide role sees none)."""
    if caller.has(*REGENCY_READERS):
        return None
    if caller.nip is None:
        return set()
    team = await team_of(session, tenant_id, caller.nip, await tenant_today(session, tenant_id))
    return {caller.nip, *team}
