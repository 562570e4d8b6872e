"""Device ingest split from day evaluation: an upload only records its punches (staged as
``PunchesRecorded``, one per lane of employees) and answers; the consumer of the punches
topic (``attendance-evaluation-v2``) evaluates the days, writes the day record and stages
its ``attendance.days.evaluated``. A batch delivered again adds no revision; a v1
``PunchRecorded`` left by an earlier version is still evaluated (``attendance-evaluation``)."""

from __future__ import annotations

import contextvars
import datetime as dt
import uuid
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, select

from attendance.adapters.orm import DayRecord, Punch
from attendance.settings import Settings
from ekinerja_shared import events as ev
from ekinerja_shared.topics import (
    ATTENDANCE_DAY_BATCHES,
    ATTENDANCE_PUNCH_BATCHES,
    ATTENDANCE_PUNCHES,
    topic_for,
)
from tests.support.apps import EventProbe, Staged, eventually, publish

from .test_device_hardening import one_device, row

pytestmark = pytest.mark.integration

NIP, PIN = "199001012015011021", "21"
WITA = ZoneInfo("Asia/Makassar")
DAY = dt.date(2026, 11, 10)  # a Tuesday: 07:30-16:00 by the default week, WITA
_in_request: contextvars.ContextVar[bool] = contextvars.ContextVar("in_request", default=False)


async def test_the_upload_only_records_and_the_consumer_evaluates_the_day_once(
    settings: Settings, kafka_bootstrap: str, tenant_id: str
) -> None:
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if _in_request.get():  # the request's own statements, not the consumer's
            statements.append(statement)

    async with one_device(settings, tenant_id, (NIP, PIN)) as (client, rt, serial), \
            EventProbe(kafka_bootstrap, ATTENDANCE_DAY_BATCHES.name, tenant_id) as days:
        outbox = Staged(rt)
        engine = rt.engine.sync_engine
        event.listen(engine, "before_cursor_execute", seen)
        token = _in_request.set(True)
        try:
            r = await client.post(
                "/iclock/cdata", params={"SN": serial, "table": "ATTLOG", "Stamp": "1"},
                content=row(PIN, dt.datetime.combine(DAY, dt.time(7, 41))) + "\r\n"
                + row(PIN, dt.datetime.combine(DAY, dt.time(16, 5)), "1") + "\r\n")
        finally:
            _in_request.reset(token)
            event.remove(engine, "before_cursor_execute", seen)
        assert r.status_code == 200 and r.text.strip() == "OK:2", r.text
        # answered without evaluating: the request never read, locked nor wrote a day record
        assert any("INSERT INTO punches" in q for q in statements)
        assert not [q for q in statements if "day_records" in q], statements

        # the consumer evaluates the day: its record and its event follow
        evaluated = await days.wait_for(
            lambda e: isinstance(e, ev.AttendanceDayEvaluated) and e.nip == NIP
            and e.work_date == DAY, timeout=60)
        assert isinstance(evaluated, ev.AttendanceDayEvaluated)
        assert (evaluated.revision, evaluated.status, evaluated.late_minutes,
                evaluated.tl_code, evaluated.early_minutes) == (1, "present", 11, "TL1", 0)
        record = await day_record(rt, tenant_id)
        assert (record.revision, record.status, record.late_minutes) == (1, "present", 11)

        # the same batch delivered again: the inbox knows its records ...
        consumer = rt.consumers["attendance-evaluation-v2"]
        assert consumer.apply_batch is not None
        # one employee's two punches: one event, in the employee's lane, keyed by the lane
        bodies = await staged(outbox, tenant_id, "attendance.punches.recorded")
        [batch] = [ev.parse_event(b) for b in bodies]
        assert isinstance(batch, ev.PunchesRecorded)
        assert batch.lane == ev.lane_of(tenant_id, NIP)
        assert [(p.nip, p.pin, p.local_time.time()) for p in batch.punches] == [
            (NIP, PIN, dt.time(7, 41)), (NIP, PIN, dt.time(16, 5))]
        assert await outbox.keys(tenant_id, "attendance.punches.recorded") == [
            ev.lane_key(tenant_id, batch.lane)]
        contexts = [{"topic": ATTENDANCE_PUNCH_BATCHES.name, "partition": 0, "offset": i}
                    for i in range(len(bodies))]
        again = await consumer.handle_batch(bodies, consumer.apply_batch, consumer.accept,
                                            bodies=bodies, contexts=contexts)
        assert (again["duplicate"], again["applied"]) == (1, 0)
        # ... and the same punches under new event ids change no verdict
        copies = [ev.dump_event(ev.parse_event(b).model_copy(update={"event_id": uuid.uuid4()}))
                  for b in bodies]
        fresh = await consumer.handle_batch(copies, consumer.apply_batch, consumer.accept,
                                            bodies=copies, contexts=contexts)
        assert fresh["applied"] == 1
        assert (await day_record(rt, tenant_id)).revision == 1
        # one verdict, one day in one event: in the employee's lane, keyed by the lane
        [verdicts] = [ev.parse_event(b)
                      for b in await staged(outbox, tenant_id, "attendance.days.evaluated")]
        assert isinstance(verdicts, ev.AttendanceDaysEvaluated)
        assert [(d.nip, d.work_date, d.revision) for d in verdicts.days] == [(NIP, DAY, 1)]
        assert verdicts.lane == batch.lane
        assert await outbox.keys(tenant_id, "attendance.days.evaluated") == [
            ev.lane_key(tenant_id, batch.lane)]

        # a punch of an employee this service does not know (another deployment's regency
        # on a shared broker) is consumed and left alone: no verdict made up for it
        stranger = batch.model_copy(update={"event_id": uuid.uuid4(), "punches": [
            batch.punches[0].model_copy(update={"nip": "199912312020121999"})]})
        alone = await consumer.handle_batch([], consumer.apply_batch, consumer.accept,
                                            bodies=[ev.dump_event(stranger)],
                                            contexts=contexts[:1])
        assert alone["applied"] == 1
        async with rt.uow.in_tenant(tenant_id).read() as s:
            assert (await s.scalars(select(DayRecord.nip).where(
                DayRecord.tenant_id == tenant_id))).all() == [NIP]


async def test_a_v1_punch_an_earlier_version_left_on_kafka_is_still_evaluated(
    settings: Settings, kafka_bootstrap: str, tenant_id: str
) -> None:
    """An upgrade finds v1 events (one punch each) unread on the v1 topic, their punches
    recorded by the earlier version: the v1 topic's consumer (attendance-evaluation)
    evaluates their days, through the broker like any record."""
    async with one_device(settings, tenant_id, (NIP, PIN)) as (_client, rt, serial), \
            EventProbe(kafka_bootstrap, ATTENDANCE_DAY_BATCHES.name, tenant_id) as days:
        assert "attendance-evaluation" in rt.consumers  # beside attendance-evaluation-v2
        local = dt.datetime.combine(DAY, dt.time(7, 50))
        left = ev.PunchRecorded(tenant_id=tenant_id, nip=NIP, device_sn=serial, pin=PIN,
                                punched_at=local.replace(tzinfo=WITA), local_time=local)
        async with rt.uow.in_tenant(tenant_id).transaction() as s:
            s.add(Punch(tenant_id=tenant_id, device_sn=serial, pin=PIN, nip=NIP,
                        local_time=local, punched_at=left.punched_at, status_code=0,
                        verify_type=0, workcode="", raw=row(PIN, local),
                        received_at=left.occurred_at))
        await publish(kafka_bootstrap, left)  # to ekinerja.attendance.punches.v1
        assert topic_for(left) is ATTENDANCE_PUNCHES
        day = await days.wait_for(lambda e: isinstance(e, ev.AttendanceDayEvaluated)
                                  and e.nip == NIP and e.work_date == DAY, timeout=60)
        assert isinstance(day, ev.AttendanceDayEvaluated)
        assert (day.arrival, day.late_minutes, day.tl_code) == (left.punched_at, 20, "TL1")


async def day_record(rt: Any, tenant_id: str) -> DayRecord:
    async def read() -> DayRecord | None:
        async with rt.uow.in_tenant(tenant_id).read() as s:
            return (await s.scalars(select(DayRecord).where(
                DayRecord.tenant_id == tenant_id, DayRecord.nip == NIP,
                DayRecord.work_date == DAY))).one_or_none()
    return await eventually(read, timeout=30)


async def staged(outbox: Staged, tenant_id: str, event_type: str) -> list[bytes]:
    """The payloads of the tenant's outbox rows of one type, in order."""
    return [p.encode() for p in await outbox.payloads(tenant_id, event_type)]
