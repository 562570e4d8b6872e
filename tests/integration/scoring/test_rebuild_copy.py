"""Issue 13: the rebuild stores its chunks through a binary COPY into a temporary table
(``upserted_keys(copy=True)``, PostgreSQL only), the consumers through the arrays of
``_insert_rows``. On the real PostgreSQL, one regency gets a month of facts replayed as the
rebuild replays them (``Replayer``, small chunks so that revisions and versions of one key
fall in different transactions, stale ones after newer ones), another the same facts
through the consumers' path (``services.apply_events`` in batches); their stored facts,
what the stores reported as changed, and their scores are compared."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from ekinerja_shared import db
from ekinerja_shared import events as ev
from ekinerja_shared.db import make_engine, make_sessionmaker
from ekinerja_shared.migrations import upgrade_async
from ekinerja_shared.uow import UnitOfWork
from scoring import cli, replay
from scoring.adapters.orm import ActivityEntry, AttendanceDay, ScoreRow
from scoring.service_layer import services
from tests.support.infra import pg_url, reset_database, unique

pytestmark = pytest.mark.integration

EMPLOYEES = 6


def nip(i: int) -> str:
    return f"19900101{i:010d}"


def month(tenant_id: str, entry_ids: list[uuid.UUID]) -> list[ev.Event]:
    """The regency, its employees, a calendar, and facts with revisions: every day three
    times (revision 1, 3, then a stale 2), every entry approved, revoked, then a stale
    approval of a lower version."""
    out: list[ev.Event] = [ev.TenantUpserted(tenant_id=tenant_id, name="Kota Uji",
                                             timezone="Asia/Jakarta", policy_preset="cilegon")]
    out += [ev.EmployeeUpserted(tenant_id=tenant_id, nip=nip(i), name=f"P{i}", unit_id="dinas",
                                tpp_base=Decimal("4000000")) for i in range(EMPLOYEES)]
    out.append(ev.EffectiveDaysPublished(tenant_id=tenant_id, period="2026-10",
                                         effective_days=Decimal(21), revision=1))
    for revision, deduction in ((1, "5"), (3, "1"), (2, "2.5")):
        out += [ev.AttendanceDayEvaluated(
            tenant_id=tenant_id, nip=nip(i), work_date=dt.date(2026, 10, 1 + d),
            revision=revision, deduction_pct=Decimal(deduction), apel_attended=d % 2 == 0)
            for i in range(EMPLOYEES) for d in range(3)]
    for kind, version in ((ev.ActivityEntryApproved, 2), (ev.ActivityEntryRevoked, 3),
                          (ev.ActivityEntryApproved, 1)):
        out += [kind(tenant_id=tenant_id, entry_id=entry_id, nip=nip(k % EMPLOYEES),
                     work_date=dt.date(2026, 10, 1 + k % 5), minutes=30 + k, version=version)
                for k, entry_id in enumerate(entry_ids) if k % 4 or version != 3]
    return out


async def stored(uow: UnitOfWork) -> dict[str, Any]:
    async with uow.read() as s:
        days = (await s.execute(select(
            AttendanceDay.nip, AttendanceDay.work_date, AttendanceDay.period,
            AttendanceDay.revision, AttendanceDay.deduction_pct, AttendanceDay.apel_attended,
            AttendanceDay.status).order_by(AttendanceDay.nip, AttendanceDay.work_date))).all()
        entries = (await s.execute(select(
            ActivityEntry.entry_id, ActivityEntry.nip, ActivityEntry.period,
            ActivityEntry.version, ActivityEntry.status, ActivityEntry.minutes)
            .order_by(ActivityEntry.entry_id))).all()
        scores = (await s.execute(select(
            ScoreRow.nip, ScoreRow.period, ScoreRow.components, ScoreRow.final_pct,
            ScoreRow.tpp_amount, ScoreRow.approved_minutes).order_by(ScoreRow.nip))).all()
    return {"days": [tuple(r) for r in days], "entries": [tuple(r) for r in entries],
            "scores": [tuple(r) for r in scores]}


async def test_the_rebuilds_copy_stores_what_the_consumers_store(
        monkeypatch: pytest.MonkeyPatch) -> None:
    await reset_database(pg_url("scoring"))
    await upgrade_async("scoring", pg_url("scoring"))
    engine = make_engine(pg_url("scoring"))
    sessions = make_sessionmaker(engine)
    monkeypatch.setattr(replay, "STORE_EVENTS", 25)  # a key's revisions in several chunks
    copied: list[str] = []
    copy_rows = db._copied_rows

    async def counted(session: Any, table: Any, rows: list[dict[str, Any]]) -> Any:
        copied.append(table.name)
        return await copy_rows(session, table, rows)

    monkeypatch.setattr(db, "_copied_rows", counted)
    entry_ids = [uuid.uuid4() for _ in range(20)]
    try:
        rebuilt, consumed = unique("rc"), unique("cc")
        events = month(rebuilt, entry_ids)
        replayer = replay.Replayer(UnitOfWork(sessions).cross_tenant(cli.REBUILD_JOB))
        for i in range(0, len(events), 10):
            await replayer.feed([(ev.dump_event(e), "ekinerja.test.v1", 0, i + j)
                                 for j, e in enumerate(events[i:i + 10])])
        await replayer.finish()
        changed = set(replayer.pending)
        chunks = len(copied)
        await cli._recompute(UnitOfWork(sessions).cross_tenant(cli.REBUILD_JOB),
                             replayer.pending, "cilegon")

        events = month(consumed, entry_ids=[uuid.UUID(int=e.int + 1) for e in entry_ids])
        for i in range(0, len(events), 10):
            await UnitOfWork(sessions).in_tenant(consumed).run(
                services.apply_events, events[i:i + 10], publish=False)
        a = await stored(UnitOfWork(sessions).in_tenant(rebuilt))
        b = await stored(UnitOfWork(sessions).in_tenant(consumed))
    finally:
        await engine.dispose()

    assert chunks >= 4 and len(copied) == chunks  # the rebuild's stores only, by COPY
    assert replayer.stats == {"applied": len(events), "quarantined": 0, "ignored": 0}
    assert changed == {(rebuilt, nip(i), "2026-10") for i in range(EMPLOYEES)}
    assert a["days"] == b["days"]
    assert a["scores"] == b["scores"]
    assert [r[1:] for r in a["entries"]] == [r[1:] for r in b["entries"]]  # ids differ by one
    assert {r[3] for r in a["days"]} == {3}  # the highest revision, stored across chunks
    assert sorted({(r[3], r[4]) for r in a["entries"]}) == [(2, "approved"), (3, "revoked")]
    assert len(a["scores"]) == EMPLOYEES


async def test_the_copy_refuses_rows_of_other_columns() -> None:
    await upgrade_async("scoring", pg_url("scoring"))
    engine = make_engine(pg_url("scoring"))
    row = {"entry_id": uuid.uuid4(), "tenant_id": unique("rx"), "nip": nip(1),
           "work_date": dt.date(2026, 10, 1), "period": "2026-10", "version": 1,
           "status": "approved", "minutes": 30, "event_id": uuid.uuid4()}
    other = {**{k: v for k, v in row.items() if k != "minutes"}, "note": "x"}
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            extra, renamed = [row, {**row, "note": "x"}], [row, other]
            for rows, error in ((extra, ValueError), (renamed, KeyError)):
                with pytest.raises(error):
                    await db.upserted_keys(session, ActivityEntry, rows,
                                           index_elements=["entry_id"], copy=True)
    finally:
        await engine.dispose()
