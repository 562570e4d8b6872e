"""Regency isolation of the scoring database on the real PostgreSQL: every table with a
``tenant_id`` is under row-level security, the service's role sees only the regency its
transaction is bound to, and the unit refresher, the one periodic job that crosses
regencies, reads every regency's marks and refreshes each regency bound to it, behind
that regency's advisory lock."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from ekinerja_shared import events as ev
from ekinerja_shared.tenancy import POLICY_NAME, bind_tenant
from ekinerja_shared.uow import UnitOfWork
from scoring.adapters import repository as repo
from scoring.adapters.orm import DirtyUnit, ScoreRow
from scoring.domain.policy import policy_from_dict
from scoring.service_layer import admin, services
from tests.support.infra import pg_url

pytestmark = pytest.mark.integration

UNIT_POLICY = policy_from_dict({"name": "unit", "components": [
    {"name": "performance", "weight": "50", "parts": [{"source": "performance",
                                                       "weight": "100"}]},
    {"name": "collective", "weight": "50", "parts": [{"source": "unit_performance",
                                                      "weight": "100"}]}]})


@pytest.fixture
def uow(sm: async_sessionmaker[AsyncSession]) -> UnitOfWork:
    """The scoring schema migrated by its owner; a unit of work of the service's role."""
    return UnitOfWork(sm)


def facts(tenant_id: str, minutes: dict[str, int]) -> list[ev.Event]:
    out: list[ev.Event] = [ev.EffectiveDaysPublished(tenant_id=tenant_id, period="2026-10",
                                                     effective_days=D(20), revision=1)]
    for nip, total in minutes.items():
        out.append(ev.EmployeeUpserted(tenant_id=tenant_id, nip=nip, name=nip, unit_id="u1",
                                       tpp_base=D("1000000")))
        out += [ev.ActivityEntryApproved(tenant_id=tenant_id, entry_id=uuid.uuid4(), nip=nip,
                                         work_date=dt.date(2026, 10, 1 + i), minutes=300,
                                         version=2) for i in range(total // 300)]
    return out


async def finals(uow: UnitOfWork, tenant_id: str) -> dict[str, D]:
    async with uow.in_tenant(tenant_id).read() as session:
        rows = (await session.scalars(select(ScoreRow).where(ScoreRow.version > 0))).all()
    return {r.nip: D(r.final_pct) for r in rows}


async def test_every_table_with_a_tenant_id_is_under_row_level_security(uow) -> None:
    owner = create_async_engine(pg_url("scoring"))
    try:
        async with owner.connect() as conn:
            rows = (await conn.execute(text(
                "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, "
                "EXISTS (SELECT 1 FROM pg_policies p WHERE p.tablename = c.relname "
                "        AND p.schemaname = 'public' AND p.policyname = :policy) "
                "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = 'public' AND c.relkind = 'r' AND EXISTS ("
                "  SELECT 1 FROM information_schema.columns col WHERE col.table_schema = "
                "  'public' AND col.table_name = c.relname AND col.column_name = 'tenant_id')"
                "ORDER BY c.relname"), {"policy": POLICY_NAME})).all()
    finally:
        await owner.dispose()
    assert {name for name, *_ in rows} >= {"scores", "employees", "policies", "periods",
                                           "late_facts", "unit_averages", "dirty_units"}
    assert [name for name, enabled, forced, policy in rows
            if not (enabled and forced and policy)] == []


async def test_the_service_role_sees_and_writes_only_the_bound_regency(uow,
                                                                      tenant_id) -> None:
    a, b = f"{tenant_id}-a", f"{tenant_id}-b"
    await uow.in_tenant(a).run(services.apply_events, facts(a, {"N1": 3000}))
    await uow.in_tenant(b).run(services.apply_events, facts(b, {"N1": 6000}))
    async with uow.read() as session:  # a query that forgets its regency
        assert await session.scalar(select(func.count()).select_from(ScoreRow)) == 0
    async with uow.in_tenant(a).read() as session:
        # even asked for b by name, a's transaction sees only a
        assert await session.scalar(select(func.count()).select_from(ScoreRow)
                                    .where(ScoreRow.tenant_id == b)) == 0
    assert list(await finals(uow, a)) == ["N1"] and list(await finals(uow, b)) == ["N1"]
    assert (await finals(uow, a))["N1"] != (await finals(uow, b))["N1"]
    with pytest.raises(DBAPIError, match="row-level security"):
        await uow.in_tenant(a).run(services.apply_events, facts(b, {"N2": 300}))


async def test_the_unit_refresher_crosses_regencies_one_regency_at_a_time(uow,
                                                                         tenant_id) -> None:
    a, b = f"{tenant_id}-a", f"{tenant_id}-b"  # refreshed in this order
    for t in (a, b):
        await uow.in_tenant(t).run(admin.set_policy, t, "2026-01", UNIT_POLICY)
        await uow.in_tenant(t).run(services.apply_events,
                                   facts(t, {"N1": 6000, "N2": 3000}))
    async with uow.cross_tenant("test-audit").read() as session:
        marks = (await session.execute(select(DirtyUnit.tenant_id, DirtyUnit.unit_id))).all()
    assert sorted(set(marks)) == [(a, "u1"), (b, "u1")]

    # a consumer of regency b holds b's advisory lock: a is refreshed, b waits for it
    async with uow.sessionmaker() as held, held.begin():
        await bind_tenant(held, b)
        await repo.lock_tenants(held, [b])
        refresh = asyncio.create_task(services.refresh_units(uow))

        async def a_refreshed() -> bool:
            return (await finals(uow, a)) == {"N1": D("87.50"), "N2": D("62.50")}

        for _ in range(100):
            if await a_refreshed():
                break
            await asyncio.sleep(0.1)
        assert await a_refreshed()
        await asyncio.sleep(0.5)
        assert not refresh.done()
        # no average yet in b: each employee's own performance stands in for it
        assert await finals(uow, b) == {"N1": D("100.00"), "N2": D("50.00")}
    assert await asyncio.wait_for(refresh, 30) == 2
    assert await finals(uow, b) == {"N1": D("87.50"), "N2": D("62.50")}
    assert await services.refresh_units(uow) == 0


async def test_a_failed_refresh_leaves_the_marks_it_had_not_refreshed(
        uow, tenant_id, monkeypatch) -> None:
    a, b = f"{tenant_id}-a", f"{tenant_id}-b"
    for t in (a, b):
        await uow.in_tenant(t).run(admin.set_policy, t, "2026-01", UNIT_POLICY)
        await uow.in_tenant(t).run(services.apply_events, facts(t, {"N1": 3000}))
    real = services._refresh_unit

    async def failing_in_b(session, tenant: str, *args, **kwargs) -> None:
        if tenant == b:
            raise RuntimeError("the refresh of b failed")
        await real(session, tenant, *args, **kwargs)

    monkeypatch.setattr(services, "_refresh_unit", failing_in_b)
    with pytest.raises(RuntimeError):
        await services.refresh_units(uow)
    async with uow.cross_tenant("test-audit").read() as session:
        left = set((await session.scalars(select(DirtyUnit.tenant_id))).all())
    assert left == {b}  # a's refresh committed, its mark with it; b's stays
    monkeypatch.undo()
    assert await services.refresh_units(uow) == 1


async def marks(uow: UnitOfWork) -> set[str]:
    async with uow.cross_tenant("test-audit").read() as session:
        return set((await session.scalars(select(DirtyUnit.tenant_id))).all())


async def test_marks_outlive_a_refresher_killed_before_its_refresh_commits(
        uow, tenant_id, monkeypatch) -> None:
    """The process dies after the marks were read and before the refresh committed (here:
    the task is cancelled inside the refresh, which no ``except Exception`` sees): the marks
    are still there, and the next pass refreshes the collective component."""
    a = f"{tenant_id}-a"
    await uow.in_tenant(a).run(admin.set_policy, a, "2026-01", UNIT_POLICY)
    await uow.in_tenant(a).run(services.apply_events, facts(a, {"N1": 3000, "N2": 600}))
    stale = await finals(uow, a)
    real = services._refresh_unit

    async def killed(*args: object, **kwargs: object) -> None:
        raise asyncio.CancelledError  # a SIGKILL/shutdown in the middle of the refresh

    monkeypatch.setattr(services, "_refresh_unit", killed)
    with pytest.raises(asyncio.CancelledError):
        await services.refresh_units(uow)
    assert await marks(uow) == {a}
    assert await finals(uow, a) == stale  # nothing of the refresh committed
    monkeypatch.setattr(services, "_refresh_unit", real)
    assert await services.refresh_units(uow) == 1
    assert await marks(uow) == set()  # deleted by the refresh that consumed them
    refreshed = await finals(uow, a)
    assert refreshed != stale
    assert await services.refresh_units(uow) == 0
    assert await finals(uow, a) == refreshed


async def test_a_batch_of_two_regencies_keeps_each_regencys_standings(uow, tenant_id) -> None:
    """A consumer's batch binds its transaction to each regency in turn; the OPD standings
    of both (written at the commit, each bound to its own regency) match their scores."""
    from scoring.adapters.orm import UnitStanding

    a, b = f"{tenant_id}-a", f"{tenant_id}-b"
    async with uow.transaction() as session:
        for t, minutes in ((a, {"N1": 3000, "N2": 600}), (b, {"N1": 6000})):
            await bind_tenant(session, t)
            await services.apply_events(session, facts(t, minutes))
    for t, members in ((a, 2), (b, 1)):
        async with uow.in_tenant(t).read() as session:
            standing = (await session.scalars(select(UnitStanding))).all()
            total = await session.scalar(select(func.sum(ScoreRow.final_pct))
                                         .where(ScoreRow.version > 0))
        assert [(s.tenant_id, s.unit_id, s.members) for s in standing] == [(t, "u1", members)]
        assert D(standing[0].final_sum) == D(total)
