"""The shared plumbing on the real Kafka: the outbox relay publishes what committed (and
nothing that rolled back), in order per key; the consumer applies each event once,
quarantines garbage with its raw payload and goes on with the rest."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import uuid

import pytest
from faststream.kafka import KafkaMessage
from sqlalchemy import event as sa_event
from sqlalchemy import func, select, text

from ekinerja_shared import events as ev
from ekinerja_shared.applying import PoisonEvent, in_order
from ekinerja_shared.kafka import subscriber_defaults
from ekinerja_shared.outbox import stage, stage_many
from ekinerja_shared.runtime import Runtime
from ekinerja_shared.settings import ServiceSettings
from ekinerja_shared.topics import PERIODS, Topic, ensure_topics
from tests.support import infra
from tests.support.apps import EventProbe, eventually, publish_raw
from tests.support.plumbing_models import Base, ClosedPeriod, Inbox, Outbox, Quarantine

pytestmark = pytest.mark.integration


@pytest.fixture(params=["sqlite", "postgresql"])
async def runtime(request, tmp_path, kafka_bootstrap, group_prefix):
    """The plumbing on SQLite (the local run) and on PostgreSQL (in a schema of its own in
    the scoring test database, so that no service's tables are touched)."""
    if request.param == "sqlite":
        url, schema = f"sqlite+aiosqlite:///{tmp_path}/p.db", None
    else:
        url, schema = infra.pg_url("scoring"), f"plumbing_{uuid.uuid4().hex[:8]}"
    settings = ServiceSettings(
        service_name="plumbing", database_url=url,
        kafka_bootstrap=kafka_bootstrap, consumer_group_prefix=group_prefix,
        outbox_poll_interval_s=0.2,
    )
    rt = Runtime.build(settings, inbox_model=Inbox, quarantine_model=Quarantine,
                       outbox_model=Outbox)
    if schema:
        @sa_event.listens_for(rt.engine.sync_engine, "connect")
        def _own_schema(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            cur.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
            cur.execute(f"SET search_path TO {schema}")
            cur.close()
            dbapi_conn.commit()  # a later rollback must not undo the search path
    async with rt.engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    yield rt
    if schema:
        async with rt.engine.begin() as conn:
            await conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    await rt.engine.dispose()


async def test_relay_publishes_committed_events_in_order_and_skips_rollbacks(
    runtime, kafka_bootstrap, tenant_id
):
    periods = [f"2025-{m:02d}" for m in range(1, 13)]
    async with runtime.sessionmaker() as s, s.begin():
        for p in periods:
            stage(s, Outbox, ev.PeriodClosed(tenant_id=tenant_id, period=p))
    with pytest.raises(RuntimeError):
        async with runtime.sessionmaker() as s, s.begin():
            stage(s, Outbox, ev.PeriodClosed(tenant_id=tenant_id, period="1999-01"))
            raise RuntimeError("the state change failed")

    async with EventProbe(kafka_bootstrap, PERIODS.name, tenant_id) as probe:
        await runtime.broker.start()
        runtime.relay.start()
        try:
            await eventually(lambda: _n(probe, 12))
            async with runtime.sessionmaker() as s, s.begin():  # woken by the commit
                stage(s, Outbox, ev.PeriodReopened(tenant_id=tenant_id, period="2025-12"))
            await probe.wait_for(lambda e: isinstance(e, ev.PeriodReopened))
        finally:
            await runtime.relay.stop()
            await runtime.broker.stop()
    closed = [e.period for e in probe.events if isinstance(e, ev.PeriodClosed)]
    assert closed == periods  # one key -> one partition -> commit order
    assert "1999-01" not in closed
    async with runtime.sessionmaker() as s:
        left = await s.scalar(select(func.count()).select_from(Outbox))
    assert left == 0  # the broker took every committed row: the relay deleted them


async def test_stage_many_keeps_the_order_given_and_the_relay_keeps_it_per_key(
    runtime, kafka_bootstrap, tenant_id
):
    """``stage_many`` (one multi-row INSERT) after an event staged alone in the same
    transaction: the ids follow the order given, so each key's events leave in that order
    (the relay packs one record batch per partition)."""
    tenants = [f"{tenant_id}-{k}" for k in range(3)]
    periods = [f"{2000 + y}-{m:02d}" for y in range(25) for m in range(1, 13)]
    async with runtime.sessionmaker() as s, s.begin():
        stage(s, Outbox, ev.PeriodClosed(tenant_id=tenants[0], period="1999-12"))
        await stage_many(s, Outbox, [ev.PeriodClosed(tenant_id=t, period=p)
                                     for p in periods for t in tenants])
    async with runtime.sessionmaker() as s:
        staged = [(r.key, r.payload) for r in
                  (await s.scalars(select(Outbox).order_by(Outbox.id))).all()]
    assert [ev.parse_event(payload.encode()).period for key, payload in staged
            if key == ev.event_key(tenants[1], None)] == periods

    probes = [EventProbe(kafka_bootstrap, PERIODS.name, t) for t in tenants]
    for probe in probes:
        await probe.__aenter__()
    try:
        while await runtime.relay.publish_pending():
            pass
        for probe, n in zip(probes, (len(periods) + 1, len(periods), len(periods))):
            await eventually(lambda probe=probe, n=n: _n(probe, n))
    finally:
        await runtime.relay.stop()
        for probe in probes:
            await probe.__aexit__(None, None, None)
    assert [e.period for e in probes[0].events] == ["1999-12", *periods]
    for probe in probes[1:]:
        assert [e.period for e in probe.events] == periods


async def _n(probe, n):
    return len(probe.events) >= n


async def test_an_event_the_broker_refuses_for_good_becomes_a_dead_letter(
    runtime, kafka_bootstrap, tenant_id
):
    """A row Kafka can never take (over the producer's 1 MB request limit) must not block
    the events behind it: after ``outbox_max_attempts`` refusals it is set aside, kept with
    its error, and counted; everything else is published in order."""
    runtime.relay._max_attempts = 3
    async with runtime.sessionmaker() as s, s.begin():
        stage(s, Outbox, ev.PeriodClosed(tenant_id=tenant_id, period="2025-01"))
        huge = stage(s, Outbox, ev.PeriodClosed(tenant_id=tenant_id, period="2025-02"))
        huge.payload = huge.payload[:-1] + ', "padding": "' + "x" * 1_200_000 + '"}'
        stage(s, Outbox, ev.PeriodClosed(tenant_id=tenant_id, period="2025-03"))

    async with EventProbe(kafka_bootstrap, PERIODS.name, tenant_id) as probe:
        await runtime.broker.start()
        runtime.relay.start()
        try:
            await eventually(lambda: _n(probe, 2))

            async def dead():
                async with runtime.sessionmaker() as s:
                    row = await s.scalar(select(Outbox).where(Outbox.id == huge.id))
                    return row if row.attempts >= 3 else None
            row = await eventually(dead)
        finally:
            await runtime.relay.stop()
            await runtime.broker.stop()
    assert [e.period for e in probe.events] == ["2025-01", "2025-03"]
    assert "MessageSizeTooLarge" in row.last_error  # kept, with why; the others are gone
    async with runtime.sessionmaker() as s:
        assert (await s.scalars(select(Outbox.id))).all() == [huge.id]
    assert runtime.metrics.registry.get_sample_value(
        "ekinerja_outbox_dead_total", {"topic": PERIODS.name}) == 1


async def test_two_relays_share_the_outbox_by_lanes_each_key_in_order(
    runtime, kafka_bootstrap, tenant_id
):
    """Two instances' relays draining one outbox at once (PostgreSQL: lanes held by advisory
    locks, rows claimed FOR UPDATE SKIP LOCKED): every event leaves exactly once and each
    key's events in the order they were staged."""
    if runtime.engine.dialect.name != "postgresql":
        pytest.skip("one writer on SQLite: a single relay")
    tenants = [f"{tenant_id}-{k}" for k in range(6)]
    periods = [f"{2000 + y}-{m:02d}" for y in range(5) for m in range(1, 13)]
    async with runtime.sessionmaker() as s, s.begin():
        for p in periods:
            for t in tenants:
                stage(s, Outbox, ev.PeriodClosed(tenant_id=t, period=p))
    settings = runtime.settings.model_copy(update={"outbox_batch_size": 40,
                                                   "outbox_lanes": 4})
    relays = [Runtime.build(settings, inbox_model=Inbox, quarantine_model=Quarantine,
                            outbox_model=Outbox).relay for _ in range(2)]
    for relay in relays:  # the fixture's engine: its schema
        relay._uow = runtime.relay._uow
    taken = [0, 0]

    async def drain(i):
        while n := await relays[i].publish_pending():
            taken[i] += n
            await asyncio.sleep(0)

    probes = [EventProbe(kafka_bootstrap, PERIODS.name, t) for t in tenants]
    for probe in probes:
        await probe.__aenter__()
    try:
        await asyncio.gather(drain(0), drain(1))
        for relay in relays:
            await relay.stop()
        for probe in probes:
            await eventually(lambda probe=probe: _n(probe, len(periods)))
    finally:
        for probe in probes:
            await probe.__aexit__(None, None, None)
    assert taken[0] > 0 and taken[1] > 0 and sum(taken) == len(periods) * len(tenants)
    for probe in probes:
        assert [e.period for e in probe.events] == periods  # once each, in order


async def test_the_relay_alone_publishes_what_another_process_committed(
    runtime, kafka_bootstrap, tenant_id
):
    """``python -m <service> relay`` (``relay_alone``): no commit of its own wakes it, it
    polls; what is staged before and while it runs is published, and it stops cleanly."""
    from ekinerja_shared.service import relay_alone

    async with runtime.sessionmaker() as s, s.begin():
        stage(s, Outbox, ev.PeriodClosed(tenant_id=tenant_id, period="2025-01"))
    stop = asyncio.Event()
    async with EventProbe(kafka_bootstrap, PERIODS.name, tenant_id) as probe:
        task = asyncio.create_task(relay_alone(runtime, stop))
        try:
            await probe.wait_for(lambda e: e.period == "2025-01")
            async with runtime.sessionmaker() as s, s.begin():
                stage(s, Outbox, ev.PeriodClosed(tenant_id=tenant_id, period="2025-02"))
            await probe.wait_for(lambda e: e.period == "2025-02")
        finally:
            stop.set()
            await asyncio.wait_for(task, 30)
    assert [e.period for e in probe.events] == ["2025-01", "2025-02"]


async def test_consumer_applies_once_quarantines_garbage_and_goes_on(
    runtime, kafka_bootstrap, tenant_id
):
    consumer = runtime.consumer("plumbing-periods")
    applied: list[str] = []

    async def apply(session, event):
        if event.tenant_id != tenant_id:
            return  # other tests share the topic
        if event.period == "1970-01":
            raise PoisonEvent("period 1970-01 predates the platform")
        session.add(ClosedPeriod(tenant_id=event.tenant_id, period=event.period, times_applied=1))
        await session.flush()  # a second apply of the same event would violate the key
        applied.append(event.period)

    # a topic of this test's own, so that what other runs left on the shared topics does
    # not slow it down
    topic = f"test.plumbing.{tenant_id}"
    await ensure_topics(kafka_bootstrap, (Topic(topic, 1, "test"),))

    @runtime.broker.subscriber(topic, **subscriber_defaults(runtime.settings, "t"))
    async def handler(msg: KafkaMessage) -> None:
        await consumer.handle(msg, apply, (ev.PeriodClosed,))

    first = ev.PeriodClosed(tenant_id=tenant_id, period="2025-01")
    key = f"{tenant_id}:*".encode()
    for payload in (
        ev.dump_event(first),
        b"{not json at all " + tenant_id.encode(),
        b'{"event_type":"scoring.period.closed","tenant_id":"' + tenant_id.encode()
        + b'","period":"January"}',
        ev.dump_event(first),  # a redelivery of the same event
        ev.dump_event(ev.PeriodClosed(tenant_id=tenant_id, period="1970-01")),
        # a month no date arithmetic can hold, and a NUL byte PostgreSQL text cannot hold
        ev.dump_event(ev.PeriodClosed.model_construct(
            **ev.PeriodClosed(tenant_id=tenant_id, period="2025-03").model_dump()
            | {"period": "9999-12"})),
        b"\x00\xff" + tenant_id.encode() + b"\x00",
        ev.dump_event(ev.PeriodClosed(tenant_id=tenant_id, period="2025-02")),
    ):
        await publish_raw(kafka_bootstrap, topic, payload, key)

    await runtime.broker.start()
    try:
        await eventually(lambda: _has(applied, "2025-02"))
        async def quarantined():
            async with runtime.sessionmaker() as s:
                rows = (await s.scalars(select(Quarantine).order_by(Quarantine.id))).all()
                mine = [r for r in rows if tenant_id in r.raw]
                return mine if len(mine) >= 5 else None
        rows = await eventually(quarantined)
    finally:
        await runtime.broker.stop()
    # other tests' events share the topic; only this tenant's count
    assert applied == ["2025-01", "2025-02"]
    assert rows[0].raw == "{not json at all " + tenant_id
    assert "January" in rows[1].raw and "period" in rows[1].reason
    assert rows[2].tenant_id == tenant_id and "1970-01" in rows[2].reason
    assert "9999-12" in rows[3].raw and "period" in rows[3].reason
    assert rows[4].raw == "\\x00\ufffd" + tenant_id + "\\x00"
    assert base64.b64decode(rows[4].context["raw_b64"]) == b"\x00\xff" + tenant_id.encode() + b"\x00"
    assert all(r.context["topic"] == topic for r in rows)


async def _has(items, value):
    return value in items


async def test_batch_consumer_quarantines_a_record_that_keeps_failing(
    runtime, kafka_bootstrap, tenant_id
):
    """A bug or a fact no rule can apply (not a PoisonEvent) fails every time: after
    ``consumer_max_attempts`` rounds it is quarantined and the records behind it in the same
    partition are applied, each exactly once."""
    runtime.settings.consumer_max_attempts = 3
    consumer = runtime.consumer("plumbing-batch")
    attempts = {"boom": 0}

    async def apply_one(session, event):
        if event.period == "1999-09":
            attempts["boom"] += 1
            raise RuntimeError("a bug in the apply function")
        session.add(ClosedPeriod(tenant_id=event.tenant_id, period=event.period, times_applied=1))
        await session.flush()  # applying one twice would violate the key

    async def committed() -> list[str]:
        async with runtime.sessionmaker() as s:
            return list((await s.scalars(select(ClosedPeriod.period).where(
                ClosedPeriod.tenant_id == tenant_id).order_by(ClosedPeriod.period))).all())

    topic = f"test.plumbing.batch.{tenant_id}"
    await ensure_topics(kafka_bootstrap, (Topic(topic, 1, "test"),))

    @runtime.broker.subscriber(topic, **subscriber_defaults(runtime.settings, "b", batch=True))
    async def handler(msg: KafkaMessage) -> None:
        await consumer.handle_records(msg, in_order(apply_one), (ev.PeriodClosed,))

    key = f"{tenant_id}:*".encode()
    for period in ("2025-01", "1999-09", "2025-02"):
        await publish_raw(kafka_bootstrap, topic,
                          ev.dump_event(ev.PeriodClosed(tenant_id=tenant_id, period=period)), key)

    async def last_one_applied() -> bool:
        return "2025-02" in await committed()

    await runtime.broker.start()
    try:
        await eventually(last_one_applied)

        async def quarantined():
            async with runtime.sessionmaker() as s:
                rows = (await s.scalars(select(Quarantine).where(
                    Quarantine.source == f"kafka:{topic}"))).all()
                return rows or None
        rows = await eventually(quarantined)
    finally:
        await runtime.broker.stop()
    assert await committed() == ["2025-01", "2025-02"]
    # the first round tries the whole batch, then its halves until the record is alone
    # (3 attempts); the next two try that record alone at once (it is a known suspect)
    assert attempts["boom"] == 5
    assert len(rows) == 1 and "1999-09" in rows[0].raw
    assert "failed 3 times" in rows[0].reason and "a bug in the apply function" in rows[0].reason
