"""Facts of different topics are applied by different consumers at the same time. A
directory change and an approval committed concurrently must not miss each other: the
score ends with both (on PostgreSQL, where the consumers really run in parallel). An
attendance day and an approval of the same employee (keyed facts) are applied side by side
under the regency's shared lock, and the score still ends with both."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
import uuid
from decimal import Decimal as D

import pytest
from sqlalchemy import select, text

from ekinerja_shared import events as ev
from ekinerja_shared.applying import is_transient
from ekinerja_shared.tenancy import bind_tenant
from ekinerja_shared.uow import UnitOfWork
from scoring.adapters import repository as repo
from scoring.adapters.orm import ScoreRow
from scoring.service_layer import services

pytestmark = pytest.mark.integration



async def _october_score(uow: UnitOfWork, tenant_id: str, nip: str) -> ScoreRow | None:
    async with uow.read() as session:
        return await session.scalar(select(ScoreRow).where(
            ScoreRow.tenant_id == tenant_id, ScoreRow.nip == nip, ScoreRow.period == "2026-10"))


async def test_directory_change_and_fact_committed_together_both_count(sm, tenant_id):
    uow = UnitOfWork(sm).in_tenant(tenant_id)
    nip = "198801012015031001"
    approval = ev.ActivityEntryApproved(tenant_id=tenant_id, entry_id=uuid.uuid4(), nip=nip,
                                        work_date=dt.date(2026, 10, 5), minutes=660, version=2)
    employee = ev.EmployeeUpserted(tenant_id=tenant_id, nip=nip, name="Pegawai Uji",
                                   unit_id="umum", tpp_base=D("5000000"))
    async with sm() as fact_tx:
        await fact_tx.begin()
        await bind_tenant(fact_tx, tenant_id)
        # the approval's consumer has stored the fact and computed the score (with no
        # TPP base yet) but not committed ...
        await services.apply_events(fact_tx, [approval])

        async def directory_consumer() -> None:
            await uow.run(services.apply_events, [employee])

        # ... when the directory's consumer applies the employee
        other = asyncio.create_task(directory_consumer())
        await asyncio.sleep(1.0)
        await fact_tx.commit()
    await asyncio.wait_for(other, 30)

    row = await _october_score(uow, tenant_id, nip)
    # 660 of 22 x 300 minutes = 10% -> 60 x 10% + 40 x 100% = 46% of Rp5,000,000
    assert row is not None and row.final_pct == D("46.00")
    assert row.tpp_amount == D("2300000")


async def test_regency_locks_are_awaited_in_ascending_order_only(sm, tenant_id):
    """The shared consumer applies a batch regency by regency in one transaction, in the
    batch's order. A regency lock below one already held is only tried: if another
    transaction holds it, this one gives up at once (a transient fault for the consumer,
    which applies the batch again) instead of waiting into a deadlock."""
    a, b = f"{tenant_id}-a", f"{tenant_id}-b"
    async with sm() as other, other.begin():
        await repo.lock_tenants(other, [a])  # another consumer holds a
        async with sm() as mine, mine.begin():
            await repo.lock_tenants(mine, [b])
            started = time.monotonic()
            with pytest.raises(repo.TenantLockBusy):
                await repo.lock_tenants(mine, [a])
            assert time.monotonic() - started < 0.5  # not PostgreSQL's deadlock timeout
    assert is_transient(repo.TenantLockBusy("x"))

    async with sm() as other, other.begin():
        await repo.lock_tenants(other, [b])  # another consumer holds b

        async def ascending() -> None:
            async with sm() as session, session.begin():
                await repo.lock_tenants(session, [a])
                await repo.lock_tenants(session, [b])  # above a: awaited

        waiting = asyncio.create_task(ascending())
        await asyncio.sleep(0.5)
        assert not waiting.done()
    await asyncio.wait_for(waiting, 10)  # b released: the waiting one went through


async def test_keyed_facts_of_two_topics_apply_side_by_side_and_both_count(sm, tenant_id):
    nip = "198801012015031001"
    employee = ev.EmployeeUpserted(tenant_id=tenant_id, nip=nip, name="Pegawai Uji",
                                   unit_id="umum", tpp_base=D("5000000"))
    day = ev.AttendanceDayEvaluated(tenant_id=tenant_id, nip=nip, work_date=dt.date(2026, 10, 5),
                                    revision=1, late_minutes=45, tl_code="TL2",
                                    deduction_pct=D("1.25"))
    approval = ev.ActivityEntryApproved(tenant_id=tenant_id, entry_id=uuid.uuid4(), nip=nip,
                                        work_date=dt.date(2026, 10, 5), minutes=660, version=2)
    uow = UnitOfWork(sm).in_tenant(tenant_id)
    await uow.run(services.apply_events, [employee])
    async with sm() as day_tx:
        await day_tx.begin()
        await bind_tenant(day_tx, tenant_id)
        # the days' consumer has stored the day and recomputed the score, not committed
        await services.apply_events(day_tx, [day])
        approving = asyncio.create_task(uow.run(services.apply_events, [approval]))
        await asyncio.sleep(1.0)
        async with sm() as probe:
            shared = await probe.scalar(text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
                " AND mode = 'ShareLock'"))
        assert shared == 2  # both hold the regency's lock ...
        assert not approving.done()  # ... and the approval waits on the score row
        await day_tx.commit()
    await asyncio.wait_for(approving, 30)

    row = await _october_score(uow, tenant_id, nip)
    # 660 of 22 x 300 minutes = 10% -> 60 x 10% + 40 x (100 - 1.25)% = 45.5%
    assert row is not None and row.final_pct == D("45.50")
    assert row.version == 2  # the day, then the approval (no row for the employee alone)


async def test_a_directory_change_waits_for_keyed_facts_and_they_for_it(sm, tenant_id):
    """Keyed facts share the regency's lock with each other only: the directory's consumer
    (and every other writer) takes it exclusive."""
    async with sm() as facts, facts.begin():
        await repo.lock_tenants(facts, [tenant_id], shared=True)

        async def exclusive() -> None:
            async with sm() as session, session.begin():
                await repo.lock_tenants(session, [tenant_id])

        waiting = asyncio.create_task(exclusive())
        await asyncio.sleep(0.5)
        assert not waiting.done()
    await asyncio.wait_for(waiting, 10)

    async with sm() as facts, facts.begin():
        await repo.lock_tenants(facts, [tenant_id], shared=True)
        with pytest.raises(repo.TenantLockBusy):  # made exclusive: only tried
            async with sm() as other, other.begin():
                await repo.lock_tenants(other, [tenant_id], shared=True)
                await repo.lock_tenants(other, [tenant_id])
