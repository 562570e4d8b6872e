"""Recomputed score rows are written by one Core upsert per batch (``repo.write_scores``),
not by the ORM's flush: the objects returned read as written, the session has nothing left
to flush for them, and what another connection reads after the commit is the same."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from ekinerja_shared import events as ev
from ekinerja_shared.tenancy import bind_tenant
from ekinerja_shared.uow import UnitOfWork
from scoring.adapters.orm import ScoreRow
from scoring.service_layer import services

pytestmark = pytest.mark.integration



COLUMNS = [c.key for c in ScoreRow.__table__.columns]


async def test_recomputed_rows_are_written_once_and_read_back_the_same(sm, tenant_id):
    nips = [f"19880101201503100{i}" for i in range(3)]
    employees = [ev.EmployeeUpserted(tenant_id=tenant_id, nip=n, name=f"Pegawai {i}",
                                     unit_id="umum", tpp_base=D("5000000"))
                 for i, n in enumerate(nips)]
    days = [ev.AttendanceDayEvaluated(tenant_id=tenant_id, nip=n, work_date=dt.date(2026, 10, 5),
                                      revision=1, late_minutes=45, tl_code="TL2",
                                      deduction_pct=D("1.25")) for n in nips]
    approvals = [ev.ActivityEntryApproved(tenant_id=tenant_id, entry_id=uuid.uuid4(), nip=n,
                                          work_date=dt.date(2026, 10, 5), minutes=330 * (i + 1),
                                          version=2) for i, n in enumerate(nips)]
    await UnitOfWork(sm).in_tenant(tenant_id).run(services.apply_events, employees)
    async with sm() as session, session.begin():
        await bind_tenant(session, tenant_id)
        first = await services.apply_events(session, days)
        assert [r.version for r in first] == [1, 1, 1]
        # the same rows again in the same transaction: locked, re-read, updated
        rows = await services.apply_events(session, approvals)
        assert not session.dirty and not session.new
        returned = {r.nip: {c: getattr(r, c) for c in COLUMNS} for r in rows}
    assert [returned[n]["version"] for n in nips] == [2, 2, 2]
    # 330 x (i + 1) of 22 x 300 minutes -> 60 x 5/10/15 % + 40 x 98.75 %
    assert [returned[n]["final_pct"] for n in nips] == [D("42.50"), D("45.50"),
                                                       D("48.50")]

    async with sm() as other, other.begin():
        await bind_tenant(other, tenant_id)
        stored = {r.nip: {c: getattr(r, c) for c in COLUMNS} for r in await other.scalars(
            select(ScoreRow).where(ScoreRow.tenant_id == tenant_id))}
    assert stored == returned
