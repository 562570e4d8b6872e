"""A consumer weighs its transactions by the facts the events carry: a batch of v2 events
(each up to 1,000 punches or days) is applied in parts of at most ``consumer_batch_facts``
facts, each part its own transaction with its inbox rows, and a topic of such events is
fetched at most ``consumer_fetch_facts`` facts' worth of records at a time. A backlog of
offline devices must not become one transaction of a million punches, its day records
locked for minutes and the consumer past Kafka's poll interval."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ekinerja_shared import events as ev
from ekinerja_shared.consumer import EventConsumer, parts
from ekinerja_shared.kafka import subscriber_defaults
from ekinerja_shared.runtime import Runtime
from ekinerja_shared.settings import ServiceSettings
from ekinerja_shared.topics import (
    ALL_TOPICS,
    ATTENDANCE_DAY_BATCHES,
    ATTENDANCE_PUNCH_BATCHES,
    DIRECTORY,
)
from tests.support.plumbing_models import Base as PlumbingBase
from tests.support.plumbing_models import Inbox, Quarantine

NOW = dt.datetime(2026, 11, 25, 1, tzinfo=dt.UTC)


def punches(count: int, tenant: str = "kukar") -> ev.PunchesRecorded:
    """An event of ``count`` punches of one employee (so of one lane)."""
    nip = "198001012005011001"
    lines = [ev.PunchLine(nip=nip, device_sn="ZK1", pin="7", punched_at=NOW,
                          local_time=dt.datetime(2026, 11, 24, 7) + dt.timedelta(seconds=i))
             for i in range(count)]
    return ev.PunchesRecorded(tenant_id=tenant, lane=ev.lane_of(tenant, nip), punches=lines)


def test_a_batch_is_cut_into_runs_of_at_most_so_many_facts_in_order() -> None:
    closed = ev.PeriodClosed(tenant_id="kukar", period="2026-10")
    events: list[ev.Event] = [punches(600), punches(300), punches(200), punches(1000),
                              closed, closed.model_copy(update={"period": "2026-09"})]
    runs = list(parts(events, 1000))
    assert [[ev.facts_in(e) for e in run] for run in runs] == [
        [600, 300], [200], [1000], [1, 1]]
    assert [e for run in runs for e in run] == events  # each once, in order
    assert list(parts(events, 10_000)) == [events]  # the steady state: one transaction
    assert list(parts([], 1000)) == []
    # an event larger than the limit is a run of its own, never split nor dropped
    assert [len(run) for run in parts([punches(900), punches(900)], 500)] == [1, 1]


def test_a_topic_of_large_events_is_fetched_in_fewer_records() -> None:
    settings = ServiceSettings(service_name="svc")
    assert {t.name: t.facts_per_record for t in ALL_TOPICS if t.facts_per_record > 1} == {
        ATTENDANCE_PUNCH_BATCHES.name: ev.PUNCHES_PER_EVENT,
        ATTENDANCE_DAY_BATCHES.name: ev.DAYS_PER_EVENT}

    def records(topic: object) -> int:
        return int(subscriber_defaults(settings, "p", batch=True, facts_per_record=getattr(
            topic, "facts_per_record"))["max_records"])

    assert records(DIRECTORY) == settings.consumer_batch_size == 1000
    assert records(ATTENDANCE_PUNCH_BATCHES) == records(ATTENDANCE_DAY_BATCHES) == 100
    assert 100 * ev.PUNCHES_PER_EVENT <= settings.consumer_fetch_facts


BATCH = [punches(400) for _ in range(10)]  # ten events of 400 punches
BODIES = [ev.dump_event(e) for e in BATCH]
CONTEXTS = [{"topic": ATTENDANCE_PUNCH_BATCHES.name, "partition": 0, "offset": i}
            for i in range(10)]


async def _consumer(tmp_path: Path, **settings: Any) -> tuple[Runtime[Any], EventConsumer]:
    """A runtime on a fresh SQLite file, at most 1,000 facts a transaction, and its
    consumer ``svc-evaluation``."""
    rt = Runtime.build(
        ServiceSettings(service_name="svc", consumer_batch_facts=1000,
                        database_url=f"sqlite+aiosqlite:///{tmp_path / 'svc.db'}", **settings),
        inbox_model=Inbox, quarantine_model=Quarantine)
    async with rt.engine.begin() as conn:
        await conn.run_sync(PlumbingBase.metadata.create_all)
    return rt, rt.consumer("svc-evaluation")


@pytest.mark.parametrize("fail_at", [None, 2])
async def test_a_batch_of_large_events_commits_part_by_part(tmp_path: Path,
                                                           fail_at: int | None) -> None:
    """Ten events of 400 punches with at most 1,000 facts a transaction: five
    transactions of two events. A part failing with a transient fault stops the batch;
    consumed again, the parts committed before it are duplicates, not applied twice."""
    rt, consumer = await _consumer(tmp_path)
    calls: list[int] = []  # punches per transaction
    faults = [fail_at]  # once

    async def apply_batch(session: AsyncSession, events: list[ev.Event]) -> None:
        if faults and faults[0] == len(calls):
            faults.clear()
            raise ConnectionResetError("the database went away")  # transient
        calls.append(sum(ev.facts_in(e) for e in events))

    async def consume() -> dict[str, int]:
        return await consumer.handle_batch([], apply_batch, (ev.PunchesRecorded,),
                                           bodies=BODIES, contexts=CONTEXTS)

    if fail_at is None:
        assert (await consume())["applied"] == 10
        assert calls == [800] * 5
    else:
        with pytest.raises(ConnectionResetError):
            await consume()
        assert calls == [800, 800]  # two parts committed before the fault
        outcome = await consume()
        assert (outcome["applied"], outcome["duplicate"]) == (6, 4)
        assert calls == [800] * 5
    async with rt.uow.read() as session:
        assert await session.scalar(select(func.count()).select_from(Inbox)) == 10
    await rt.engine.dispose()


async def test_the_runs_beside_a_failing_event_are_applied_in_parts_too(
        tmp_path: Path) -> None:
    """The first of ten events of 400 punches fails every time (a bug): it is found and,
    consumed again, tried alone and quarantined; the nine behind it go in parts of at
    most 1,000 facts, not as one transaction of 3,600."""
    rt, consumer = await _consumer(tmp_path, consumer_max_attempts=2)
    calls: list[int] = []

    async def apply_batch(session: AsyncSession, events: list[ev.Event]) -> None:
        calls.append(sum(ev.facts_in(e) for e in events))
        if any(e.event_id == BATCH[0].event_id for e in events):
            raise RuntimeError("a bug in the apply function")

    async def consume() -> dict[str, int]:
        calls.clear()
        return await consumer.handle_batch([], apply_batch, (ev.PunchesRecorded,),
                                           bodies=BODIES, contexts=CONTEXTS)

    with pytest.raises(RuntimeError):
        await consume()
    assert calls == [800, 400]  # the first part, then its half with the failing event
    outcome = await consume()
    assert calls == [400, 800, 800, 800, 800, 400]  # alone, then the nine in parts
    assert outcome == {"applied": 9, "duplicate": 0, "ignored": 0, "quarantined": 1}
    await rt.engine.dispose()
