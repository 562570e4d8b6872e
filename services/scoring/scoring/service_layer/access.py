"""Whose scores a caller may read: the authorization decisions that need scoring's copy of
the directory (the route's dependency has already checked the regency and the roles).

- own score: every employee;
- the team's scores: a supervisor (token role ``supervisor``) for the employees whose
  direct supervisor they are in the directory copy (active employees, latest state);
- the whole regency: HR, leadership/inspectorate, the platform operator.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from ekinerja_shared.errors import Forbidden
from ekinerja_shared.identity import Caller, Role

from ..adapters import repository as repo

REGENCY_READERS = (Role.HR, Role.LEADER)


async def require_sees_employee(session: AsyncSession, caller: Caller, tenant_id: str,
                                nip: str) -> None:
    """Own score, a direct report's (supervisor), or any (HR, leader, operator); else 403
    ``own_data_only``."""
    if caller.nip == nip or caller.has(*REGENCY_READERS):
        return
    if caller.nip is not None and caller.has(Role.SUPERVISOR) and await repo.direct_reports(
            session, tenant_id, caller.nip, nip):
        return
    raise Forbidden("Anda hanya dapat melihat nilai Anda sendiri dan tim Anda.",
                    code="own_data_only")


async def visible_nips(session: AsyncSession, caller: Caller,
                       tenant_id: str) -> set[str] | None:
    """The employees whose scores a listing shows the caller: None = the whole regency
    (HR, leader, operator); else the caller's own and, for a supervisor, the team's (a
    machine client without a regency-wide role sees none)."""
    if caller.has(*REGENCY_READERS):
        return None
    if caller.nip is None:
        return set()
    team = (await repo.direct_reports(session, tenant_id, caller.nip)
            if caller.has(Role.SUPERVISOR) else set())
    return {caller.nip, *team}
