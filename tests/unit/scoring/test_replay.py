"""The rebuild's replay (``scoring.replay.Replayer``) on a migrated SQLite database: every
record routed (quarantined, ignored, held for after the closes, stored), the stores one
transaction per ``STORE_EVENTS`` in the order of the records, and what they changed left
for one recomputation."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal as D

from sqlalchemy import func, select

from ekinerja_shared import events as ev
from ekinerja_shared.uow import UnitOfWork
from scoring import replay
from scoring.adapters.orm import ActivityEntry, AttendanceDay, Quarantine
from scoring.cli import REBUILD_JOB

T, OTHER = "t-replay", "t-other"
NIP = "199001012020121001"
CLOSED_AT = dt.datetime(2026, 11, 1, 2, tzinfo=dt.UTC)  # 2026-10 closed for good then


def day(d: dt.date, revision: int, deduction: str, at: dt.datetime | None = None,
        tenant: str = T) -> ev.AttendanceDayEvaluated:
    return ev.AttendanceDayEvaluated(
        tenant_id=tenant, nip=NIP, work_date=d, revision=revision, deduction_pct=D(deduction),
        **({"occurred_at": at} if at else {}))


def records(events: list[ev.Event | bytes]) -> list[replay.Record]:
    return [(e if isinstance(e, bytes) else ev.dump_event(e), "ekinerja.test.v1", 0, i)
            for i, e in enumerate(events)]


async def test_records_are_routed_stored_in_order_and_left_to_recompute(
        sessionmaker, monkeypatch) -> None:
    monkeypatch.setattr(replay, "STORE_EVENTS", 3)  # several transactions, one after another
    uow = UnitOfWork(sessionmaker).cross_tenant(REBUILD_JOB)
    replayer = replay.Replayer(uow, tenants={T}, closed_at={(T, "2026-10"): CLOSED_AT})
    early = CLOSED_AT - dt.timedelta(days=3)
    entry_id = uuid.uuid4()
    feed: list[ev.Event | bytes] = [
        b'{"event_type": "attendance.day.evaluated", "tenant_id": "t-replay"}',  # no nip
        b"not json",
        day(dt.date(2026, 11, 2), 1, "1"),
        day(dt.date(2026, 11, 2), 2, "2.5"),  # a later revision, in a later transaction
        day(dt.date(2026, 11, 3), 1, "1", tenant=OTHER),  # another regency: ignored
        ev.EmployeeUpserted(tenant_id=T, nip=NIP, name="Budi", unit_id="dinkes",
                            tpp_base=D("5000000")),  # held for the closes
        day(dt.date(2026, 10, 5), 1, "5", at=early),  # before the close: stored now
        day(dt.date(2026, 10, 6), 1, "5", at=CLOSED_AT),  # after it: a late fact
        ev.ActivityEntryApproved(tenant_id=T, entry_id=entry_id, nip=NIP,
                                 work_date=dt.date(2026, 11, 4), minutes=90, version=2),
        ev.ActivityEntryRevoked(tenant_id=T, entry_id=entry_id, nip=NIP,
                                work_date=dt.date(2026, 11, 4), minutes=90, version=3),
        ev.ScoreUpdated(tenant_id=T, nip=NIP, period="2026-11", components=[],
                        final_pct=D(0), tpp_base=D(0), tpp_amount=D(0), version=1),
    ]
    for i in range(0, len(feed), 2):  # fetched batches of two
        await replayer.feed(records(feed[i:i + 2]))
    await replayer.finish()

    assert replayer.stats == {"applied": 5, "quarantined": 2, "ignored": 2}
    assert [type(e) for e in replayer.directory] == [ev.EmployeeUpserted]
    assert [e.work_date for e in replayer.late] == [dt.date(2026, 10, 6)]  # type: ignore[attr-defined]
    assert set(replayer.pending) == {(T, NIP, "2026-11"), (T, NIP, "2026-10")}
    assert isinstance(replayer.pending[(T, NIP, "2026-11")], ev.ActivityEntryRevoked)
    async with uow.read() as session:
        days = dict((await session.execute(
            select(AttendanceDay.work_date, AttendanceDay.revision))).all())
        status = await session.scalar(select(ActivityEntry.status))
        bad = (await session.scalars(select(Quarantine).order_by(Quarantine.id))).all()
    assert days == {dt.date(2026, 11, 2): 2, dt.date(2026, 10, 5): 1}
    assert status == "revoked"
    assert [q.context["offset"] for q in bad] == [0, 1] and bad[1].raw == "not json"
    assert all(q.source == "rebuild:ekinerja.test.v1" for q in bad)


async def test_a_batch_of_days_is_replayed_as_its_days(sessionmaker) -> None:
    """A v2 record (``AttendanceDaysEvaluated``) is routed day by day: each day counted,
    its month's close applied to it, stored under the day's own id."""
    uow = UnitOfWork(sessionmaker).cross_tenant(REBUILD_JOB)
    replayer = replay.Replayer(uow, tenants={T}, closed_at={(T, "2026-10"): CLOSED_AT})
    batch = ev.AttendanceDaysEvaluated(
        tenant_id=T, lane=ev.lane_of(T, NIP), occurred_at=CLOSED_AT, days=[
            ev.EvaluatedDay(nip=NIP, work_date=dt.date(2026, 10, 30), revision=3,
                            deduction_pct=D("5")),  # of the closed month: a late fact
            ev.EvaluatedDay(nip=NIP, work_date=dt.date(2026, 11, 2), revision=1,
                            deduction_pct=D("1"))])
    await replayer.feed(records([day(dt.date(2026, 11, 2), 2, "2.5"), batch]))
    await replayer.finish()
    assert replayer.stats == {"applied": 2, "quarantined": 0, "ignored": 0}  # the v1 day too
    assert [e.event_id for e in replayer.late] == [batch.each_day()[0].event_id]
    async with uow.read() as session:
        stored = (await session.execute(select(
            AttendanceDay.work_date, AttendanceDay.revision, AttendanceDay.event_id))).all()
    # the v1 revision 2 of the 2nd stays: the batch's revision 1 is older
    assert [(d, r) for d, r, _ in stored] == [(dt.date(2026, 11, 2), 2)]


async def test_no_month_closed_reads_no_month() -> None:
    open_day = day(dt.date(2026, 10, 5), 1, "0", at=CLOSED_AT)
    assert replay.after_close(open_day, {}) is False
    assert replay.after_close(open_day, {(T, "2026-10"): CLOSED_AT}) is True
    assert replay.month_of(open_day) == "2026-10"
    assert replay.month_of(ev.EffectiveDaysPublished(
        tenant_id=T, period="2026-12", effective_days=D(20), revision=1)) == "2026-12"
    assert replay.month_of(ev.TenantUpserted(tenant_id=T, name="x", timezone="WIB",
                                             policy_preset="cilegon")) is None


async def test_a_failed_store_stops_the_replay(sessionmaker, monkeypatch) -> None:
    monkeypatch.setattr(replay, "STORE_EVENTS", 1)
    uow = UnitOfWork(sessionmaker).cross_tenant(REBUILD_JOB)
    replayer = replay.Replayer(uow)

    async def broken(*_args: object) -> None:
        raise RuntimeError("database gone")

    monkeypatch.setattr(replay, "_store_replayed", broken)
    await replayer.feed(records([day(dt.date(2026, 11, 2), 1, "1")]))
    try:
        await replayer.finish()
    except RuntimeError as exc:
        assert str(exc) == "database gone"
    else:
        raise AssertionError("the failed store was not raised")
    await replayer.cancel()  # nothing left in flight: harmless


def test_a_chunk_stored_in_two_parts_keeps_the_causes_of_one_store() -> None:
    """``merged``: one store adds the directory, the days, the activity decisions, then
    the calendars; the activity decisions' part wins over the rest's but a calendar."""
    a, b, c = ((T, NIP, p) for p in ("2026-09", "2026-10", "2026-11"))
    d = (T, "199001012020121002", "2026-11")
    when = day(dt.date(2026, 11, 2), 1, "1")
    calendar = ev.EffectiveDaysPublished(tenant_id=T, period="2026-11", nip=NIP,
                                         effective_days=D(20), revision=1)
    entry = ev.ActivityEntryApproved(tenant_id=T, entry_id=uuid.uuid4(), nip=NIP,
                                     work_date=dt.date(2026, 11, 4), minutes=90, version=1)
    got = dict(replay.merged({a: when, b: when, c: calendar}, {b: entry, c: entry, d: entry}))
    assert got == {a: when, b: entry, c: calendar, d: entry}
