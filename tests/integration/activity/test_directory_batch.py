"""Issue 13: activity applies a batch of directory events as a set (a few statements per
regency, not a few per employee), with the result of applying the events one after the
other: on the real PostgreSQL, one regency gets a scripted batch at once, another the same
events one transaction each, and their copies are compared."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import event, select

from activity.adapters.orm import Employee, SupervisorLinkRow, Unit
from activity.service_layer.directory import apply_directory_batch
from ekinerja_shared import events as ev
from ekinerja_shared.db import make_engine, make_sessionmaker
from ekinerja_shared.migrations import upgrade_async
from ekinerja_shared.tenancy import bind_tenant
from tests.support.infra import unique

from .test_activity_service import database  # noqa: F401  (the database fixture)

pytestmark = pytest.mark.integration

TZ = "Asia/Makassar"
T0 = dt.datetime(2026, 11, 20, 1, 0, tzinfo=dt.timezone.utc)


def nip(i: int) -> str:
    return f"19850101{i:010d}"


def script(tenant_id: str) -> list[ev.Event]:
    """A regency, 40 employees (two OPDs, one head each), then changes in the same batch:
    a supervisor change from a date, an older statement arriving late, a unit renamed,
    and one employee stated twice at the same instant (the later one wins)."""

    def emp(i: int, boss: int | None, *, unit: str = "dinas", at: dt.datetime = T0,
            since: dt.date | None = None, unit_name: str = "Dinas") -> ev.EmployeeUpserted:
        return ev.EmployeeUpserted(
            tenant_id=tenant_id, nip=nip(i), name=f"Pegawai {i}", unit_id=unit,
            unit_name=unit_name, supervisor_nip=nip(boss) if boss is not None else None,
            tpp_base=Decimal("3000000"), effective_from=since, occurred_at=at)

    out: list[ev.Event] = [ev.TenantUpserted(tenant_id=tenant_id, name="Kota Uji",
                                             timezone=TZ, policy_preset="cilegon")]
    out += [emp(i, None if i in (0, 20) else (0 if i < 20 else 20),
                unit="dinas" if i < 20 else "rsud", unit_name="Dinas" if i < 20 else "RSUD",
                since=dt.date(2026, 11, 1)) for i in range(40)]
    later = T0 + dt.timedelta(hours=1)
    out += [
        emp(5, 20, at=later, since=dt.date(2026, 11, 16)),  # to another boss from the 16th
        emp(5, 0, at=T0 - dt.timedelta(hours=1), since=dt.date(2026, 11, 18)),  # stale
        emp(6, 20, at=later, since=dt.date(2026, 11, 1), unit_name="Dinas Baru"),
        # the same instant: the later applies (to the unit's name too)
        emp(7, 20, at=later, unit_name="Dinas Baru"), emp(7, 0, at=later, unit_name="Dinas Baru"),
    ]
    return out


async def copy_of(sessions: Any, tenant_id: str) -> dict[str, Any]:
    async with sessions() as s, s.begin():
        await bind_tenant(s, tenant_id)
        emps = (await s.execute(select(
            Employee.nip, Employee.name, Employee.unit_id, Employee.supervisor_nip,
            Employee.active, Employee.updated_at).where(Employee.tenant_id == tenant_id)
            .order_by(Employee.nip))).all()
        units = (await s.execute(select(Unit.unit_id, Unit.name, Unit.updated_at).where(
            Unit.tenant_id == tenant_id).order_by(Unit.unit_id))).all()
        links = (await s.execute(select(
            SupervisorLinkRow.nip, SupervisorLinkRow.effective_from,
            SupervisorLinkRow.supervisor_nip, SupervisorLinkRow.updated_at).where(
            SupervisorLinkRow.tenant_id == tenant_id).order_by(
            SupervisorLinkRow.nip, SupervisorLinkRow.effective_from))).all()
    return {"employees": [tuple(r) for r in emps], "units": [tuple(r) for r in units],
            "links": [tuple(r) for r in links]}


async def test_a_batch_gives_what_the_events_one_by_one_give(database: str) -> None:  # noqa: F811
    await upgrade_async("activity", database)
    engine = make_engine(database)
    sessions = make_sessionmaker(engine)
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    try:
        batch, single = unique("tb"), unique("ts")
        event.listen(engine.sync_engine, "before_cursor_execute", count)
        async with sessions() as s, s.begin():
            await bind_tenant(s, batch)
            await apply_directory_batch(s, script(batch), default_tz=TZ)
        event.remove(engine.sync_engine, "before_cursor_execute", count)
        for e in script(single):
            async with sessions() as s, s.begin():
                await bind_tenant(s, single)
                await apply_directory_batch(s, [e], default_tz=TZ)
        a, b = await copy_of(sessions, batch), await copy_of(sessions, single)
    finally:
        await engine.dispose()

    assert a == b
    # 45 employee events: the tenant, then per regency employees, units, the zone, the
    # supervisor histories read, the dropped statements, the changed ones, open entries
    assert len(statements) <= 10, statements
    links = {(n, d): s for n, d, s, _ in a["links"]}
    assert links[(nip(5), dt.date(2026, 11, 1))] == nip(0)
    assert links[(nip(5), dt.date(2026, 11, 16))] == nip(20)
    assert (nip(5), dt.date(2026, 11, 18)) not in links  # the stale statement lost
    assert links[(nip(6), dt.date(2026, 11, 1))] == nip(20)  # replaced from the same date
    emps = {n: (unit, sup) for n, _, unit, sup, _, _ in a["employees"]}
    assert emps[nip(5)] == ("dinas", nip(20)) and emps[nip(7)] == ("dinas", nip(0))
    assert [(u, name) for u, name, _ in a["units"]] == [("dinas", "Dinas Baru"),
                                                        ("rsud", "RSUD")]
