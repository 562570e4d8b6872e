"""The pages' reads of the gateway's own directory, in-process: straight from the service
layer in one tenant-bound read session, with the decisions of the directory API's routes
(a member of the path's regency, ``services.check_visible`` / ``services.audience_of`` of
``DIRECTORY_READ``, device PINs for HR only), not as HTTP requests through the app's
middleware again (the page's own request went through it and resolved the caller). Only
the columns a page shows are read, as plain rows."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ekinerja_shared.db import pairs_of
from ekinerja_shared.identity import Caller

from ..adapters.orm import Employee, Tenant
from ..domain.access import DIRECTORY_READ, sees_device_pins
from ..runtime import GatewayRuntime
from . import services

# what a page shows of its person
PERSON = (Employee.name, Employee.position, Employee.unit_id, Employee.unit_name)
# what the employee list shows of each employee
LISTED = (Employee.nip, Employee.name, Employee.unit_id, Employee.unit_name, Employee.position,
          Employee.supervisor_nip, Employee.employment_type, Employee.device_pin,
          Employee.active)

# an OPD's name as the list shows and orders it (its id when the roster gave no name)
UNIT_NAME = func.coalesce(func.nullif(Employee.unit_name, ""), Employee.unit_id)


@dataclass(frozen=True)
class EmployeePage:
    """A page of the employee list: its rows (``LISTED`` and the supervisor's name), how
    many match, how many the caller may list in all, every OPD (id, name) of those, and
    which page of ``size`` rows this is."""

    rows: list[dict[str, Any]]
    matches: int
    total: int
    units: list[tuple[str, str]]
    page: int
    size: int


@dataclass(frozen=True)
class Basics:
    """The regency and the signed-in person a page starts from (``person``: None when the
    directory does not know the caller's NIP)."""

    tenant_name: str
    timezone: str
    person: dict[str, str] | None


@dataclass(frozen=True)
class Directory:
    """The directory as one signed-in caller may read it (one per page request)."""

    rt: GatewayRuntime
    caller: Caller
    tenant_id: str

    async def basics(self) -> Basics:
        """``GET /api/tenants/{t}`` and ``GET /api/tenants/{t}/employees/{own nip}`` as one
        query: unknown regency 404, not the caller's regency 404 (``require``); oneself is
        always visible (``check_visible``)."""
        t, nip = self.tenant_id, self.caller.nip
        self.caller.require(t)
        async with self.rt.uow.in_tenant(t).read() as session:
            if nip is not None:
                await services.check_visible(session, t, self.caller, nip, DIRECTORY_READ)
            mine = (Employee.tenant_id == Tenant.tenant_id) & (Employee.nip == nip)
            row = (await session.execute(
                select(Tenant.name.label("tenant_name"), Tenant.timezone, *PERSON)
                .outerjoin(Employee, mine).where(Tenant.tenant_id == t))).first()
        if row is None:
            raise services.unknown_tenant(t)
        person = {c.key: row._mapping[c.key] for c in PERSON}
        return Basics(row.tenant_name, row.timezone,
                      person if nip is not None and row.name is not None else None)

    async def person(self, nip: str) -> dict[str, str] | None:
        """``GET /api/tenants/{t}/employees/{nip}`` as a page shows it (None: not in the
        directory); 403 unless the caller may see ``nip``."""
        self.caller.require(self.tenant_id)
        async with self.rt.uow.in_tenant(self.tenant_id).read() as session:
            return await self._person(session, nip)

    async def _person(self, session: AsyncSession, nip: str) -> dict[str, str] | None:
        await services.check_visible(session, self.tenant_id, self.caller, nip, DIRECTORY_READ)
        row = (await session.execute(
            select(*PERSON).where(Employee.tenant_id == self.tenant_id,
                                  Employee.nip == nip))).first()
        return dict(row._mapping) if row is not None else None

    async def names(self, nips: Collection[str] | None = None) -> dict[str, str]:
        """NIP -> name of the employees the caller may list (``audience_of``: HR and
        leadership every one, a supervisor self and the team), only ``nips`` when given."""
        t = self.tenant_id
        self.caller.require(t)
        if nips is not None and not nips:
            return {}
        async with self.rt.uow.in_tenant(t).read() as session:
            await services.get_tenant(session, t)
            audience = await services.audience_of(session, t, self.caller, DIRECTORY_READ)
            wanted: set[str] | None = set(nips) if nips is not None else None
            if audience.nips is not None:
                wanted = set(audience.nips) if wanted is None else wanted & audience.nips
            if wanted is not None:
                return await _names_of(session, t, wanted)
            query = select(Employee.nip, Employee.name).where(Employee.tenant_id == t)
            return {nip: name for nip, name in (await session.execute(query)).all()}

    async def employees(self, query: str = "", unit_id: str = "", page: int = 1,
                        size: int = 100, *, with_units: bool = True) -> EmployeePage:
        """One page of the employees the caller may list (``audience_of``, as
        ``GET /api/tenants/{t}/employees`` decides; the device PIN only for HR), filtered
        and paged by the database: ``query`` is part of the NIP when it is digits, else part
        of the name (any case); ``unit_id`` one OPD; ordered by OPD name, name, NIP; a page
        past the last is the last. With ``with_units``, every OPD of the listing too."""
        t = self.tenant_id
        self.caller.require(t)
        async with self.rt.uow.in_tenant(t).read() as session:
            await services.get_tenant(session, t)
            audience = await services.audience_of(session, t, self.caller, DIRECTORY_READ)
            seen = [Employee.tenant_id == t]
            if audience.nips is not None:
                seen.append(Employee.nip.in_(sorted(audience.nips)))
            units, total = [], 0
            if with_units:
                counted = (await session.execute(
                    select(Employee.unit_id, func.max(UNIT_NAME), func.count())
                    .where(*seen).group_by(Employee.unit_id))).all()
                units = sorted(((u, n) for u, n, _ in counted), key=lambda u: (u[1].lower(), u[0]))
                total = sum(c for *_, c in counted)
            wanted = [*seen, *_matching(query, unit_id)]
            matches = await session.scalar(select(func.count()).select_from(Employee)
                                           .where(*wanted)) or 0
            page = max(1, min(page, -(-matches // size)))
            rows = [dict(r._mapping) for r in (await session.execute(
                select(*LISTED).where(*wanted)
                .order_by(func.lower(UNIT_NAME), func.lower(Employee.name), Employee.nip)
                .limit(size).offset((page - 1) * size))).all()]
            # the supervisors' names by key, for the page's rows only: a self-join planned
            # while a new regency's rows had no statistics read the regency's every row for
            # each row listed (2,000 employees: 0.9-1.0 s; docs/perf/pages.md)
            bosses = {r["supervisor_nip"] for r in rows if r["supervisor_nip"]}
            if audience.nips is not None:
                bosses &= audience.nips
            named = await _names_of(session, t, bosses)
            for r in rows:
                r["supervisor_name"] = named.get(r["supervisor_nip"])
        if not sees_device_pins(self.caller):
            for r in rows:
                r["device_pin"] = None
        return EmployeePage(rows, matches, total if with_units else matches, units, page, size)


async def _names_of(session: AsyncSession, t: str, nips: Collection[str]) -> dict[str, str]:
    """NIP -> name of ``nips`` in regency ``t``, read by key (``tenant_id, nip``)."""
    if not nips:
        return {}
    rows = await session.execute(select(Employee.nip, Employee.name).where(
        pairs_of(session, (Employee.tenant_id, Employee.nip), [(t, nip) for nip in sorted(nips)])))
    return {nip: name for nip, name in rows.all()}


def _matching(query: str, unit_id: str) -> list[ColumnElement[bool]]:
    q = query.strip().lower()
    found: list[ColumnElement[bool]] = [Employee.unit_id == unit_id] if unit_id else []
    if q:
        found.append(Employee.nip.contains(q, autoescape=True) if q.isdigit()
                     else func.lower(Employee.name).contains(q, autoescape=True))
    return found
