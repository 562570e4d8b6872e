"""Who may see whose activity: the half of the routes' authorization decisions that needs
the directory. An employee's entries, plans and agenda are seen by the employee and by
their supervisor in force today, direct or acting (Plt/Plh); an entry also by the
supervisor it is assigned to (or their Plt/Plh) and by the regency's verifiers. Roles
(HR, leadership) are decided by the routes, before these are asked."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from ekinerja_shared.supervision import may_view

from ..adapters.orm import Entry
from .admin import acting_assignments, is_verifier
from .directory import resolve_supervisor
from .tenants import Config, tenant_now


async def sees_employee(session: AsyncSession, tenant_id: str, viewer_nip: str, nip: str, *,
                        cfg: Config, now: dt.datetime | None = None) -> bool:
    """``viewer_nip`` is ``nip``, or stands for ``nip``'s supervisor in force today."""
    if viewer_nip == nip:
        return True
    today = (await tenant_now(session, tenant_id, cfg, now)).date()
    supervisor = await resolve_supervisor(session, tenant_id, nip, today)
    acting = await acting_assignments(session, tenant_id, viewer_nip)
    return may_view(viewer_nip, nip, [supervisor], acting, day=today)


async def sees_entry(session: AsyncSession, tenant_id: str, viewer_nip: str, entry: Entry, *,
                     cfg: Config, now: dt.datetime | None = None) -> bool:
    """The owner; whoever stands today for the entry's supervisor or for the owner's
    supervisor in force; a verifier of the regency."""
    if viewer_nip == entry.nip:
        return True
    today = (await tenant_now(session, tenant_id, cfg, now)).date()
    supervisors = {entry.supervisor_nip,
                   await resolve_supervisor(session, tenant_id, entry.nip, today)}
    acting = await acting_assignments(session, tenant_id, viewer_nip)
    if may_view(viewer_nip, entry.nip, supervisors, acting, day=today):
        return True
    return await is_verifier(session, tenant_id, viewer_nip)
