"""Facts of different topics are applied by different consumers at the same time. A
directory change and an approval committed concurrently must not miss each other: the
score ends with both (on PostgreSQL, where the consumers really run in parallel)."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from ekinerja_shared import events as ev
from ekinerja_shared.db import make_engine, make_sessionmaker
from ekinerja_shared.migrations import upgrade_async
from scoring.adapters.orm import ScoreRow
from scoring.service_layer import services
from tests.support.infra import pg_url, reset_database

pytestmark = pytest.mark.integration


async def test_directory_change_and_fact_committed_together_both_count(tenant_id):
    url = pg_url("scoring")
    await reset_database(url)
    await upgrade_async("scoring", url)
    engine = make_engine(url)
    sm = make_sessionmaker(engine)
    nip = "198801012015031001"
    approval = ev.ActivityEntryApproved(tenant_id=tenant_id, entry_id=uuid.uuid4(), nip=nip,
                                        work_date=dt.date(2026, 10, 5), minutes=660, version=2)
    employee = ev.EmployeeUpserted(tenant_id=tenant_id, nip=nip, name="Pegawai Uji",
                                   unit_id="umum", tpp_base=D("5000000"))
    try:
        async with sm() as fact_tx:
            await fact_tx.begin()
            # the approval's consumer has stored the fact and computed the score (with no
            # TPP base yet) but not committed ...
            await services.apply_events(fact_tx, [approval])

            async def directory_consumer() -> None:
                async with sm() as session, session.begin():
                    await services.apply_events(session, [employee])

            # ... when the directory's consumer applies the employee
            other = asyncio.create_task(directory_consumer())
            await asyncio.sleep(1.0)
            await fact_tx.commit()
        await asyncio.wait_for(other, 30)

        async with sm() as session:
            row = await session.scalar(select(ScoreRow).where(
                ScoreRow.tenant_id == tenant_id, ScoreRow.nip == nip,
                ScoreRow.period == "2026-10"))
        # 660 of 22 x 300 minutes = 10% -> 60 x 10% + 40 x 100% = 46% of Rp5,000,000
        assert row is not None and row.final_pct == D("46.00")
        assert row.tpp_amount == D("2300000")
    finally:
        await engine.dispose()
