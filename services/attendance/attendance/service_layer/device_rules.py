"""Per-tenant rules of the device protocol (the plausibility window of punch times), and
the lock that orders an upload's unknown-PIN lines against the directory event that
assigns the PIN."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ColumnElement, String, literal_column, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from ekinerja_shared.db import one_of, upsert
from ekinerja_shared.timeutil import utcnow

from ..adapters.orm import UNKNOWN_PIN_SOURCE, PunchWindowRow, Quarantine
from ..domain.attlog import PunchWindow


async def punch_window(session: AsyncSession, tenant_id: str,
                       default: PunchWindow) -> tuple[PunchWindow, str]:
    """The tenant's window and where it comes from (``tenant`` or ``default``)."""
    row = await session.get(PunchWindowRow, tenant_id)
    if row is None:
        return default, "default"
    return PunchWindow.of(row.max_future_hours, row.max_age_days), "tenant"


async def set_punch_window(session: AsyncSession, tenant_id: str, *, max_future_hours: int,
                           max_age_days: int, updated_by: str,
                           now: dt.datetime | None = None) -> PunchWindow:
    await upsert(session, PunchWindowRow, {
        "tenant_id": tenant_id, "max_future_hours": max_future_hours,
        "max_age_days": max_age_days, "updated_by": updated_by, "updated_at": now or utcnow(),
    }, index_elements=["tenant_id"])
    return PunchWindow.of(max_future_hours, max_age_days)


def _dialect(session: AsyncSession) -> str:
    return session.bind.dialect.name if session.bind is not None else "postgresql"


async def lock_pin_assignments(session: AsyncSession, tenant_id: str, *, shared: bool) -> None:
    """Until commit: an upload quarantining unknown-PIN lines holds the tenant's lock
    shared (uploads do not wait for each other); a directory event assigning a PIN holds
    it exclusively before it looks for such lines. Whichever commits second therefore sees
    the other's work: the upload re-reads the PINs after taking the lock, the directory
    event reads the quarantine after taking it. SQLite serialises writers anyway."""
    if _dialect(session) != "postgresql":
        return
    fn = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
    await session.execute(text(f"SELECT {fn}(hashtextextended(:key, 0))"),
                          {"key": f"ekinerja-attendance-pins:{tenant_id}"})


def unknown_pin_lines(tenant_id: str, pin: str) -> list[ColumnElement[bool]]:
    """Conditions on ``quarantine`` for the lines of ``pin`` set aside as unknown, written as
    the partial expression index of migration 0005 is: the source and the JSON key inline,
    since a bound source would keep a prepared statement's generic plan off that index."""
    return [Quarantine.source == literal_column(f"'{UNKNOWN_PIN_SOURCE}'"),
            Quarantine.tenant_id == tenant_id,
            Quarantine.context.op("->>", return_type=String)(literal_column("'pin'")) == pin]


async def pins_waiting(session: AsyncSession, tenant_id: str, pins: set[str]) -> list[str]:
    """Those of ``pins`` with lines set aside as unknown still open (one query for a batch
    of roster changes; ``retry_unknown_pin_lines`` then takes each). Called after the PINs'
    employees are written: it takes the tenant's PIN lock exclusively first
    (``lock_pin_assignments``), so an upload quarantining one of them either committed
    before (its lines are read here) or re-reads the PINs after this transaction."""
    if not pins:
        return []
    await lock_pin_assignments(session, tenant_id, shared=False)
    by_pin = Quarantine.context.op("->>", return_type=String)(literal_column("'pin'"))
    rows = await session.scalars(select(by_pin).where(
        Quarantine.source == literal_column(f"'{UNKNOWN_PIN_SOURCE}'"),
        Quarantine.tenant_id == tenant_id, one_of(session, by_pin, sorted(pins)),
        Quarantine.status == "open").distinct())
    return sorted(p for p in rows.all() if p is not None)
