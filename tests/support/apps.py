"""Run a service app in-process (real lifespan: migrations, Kafka broker, outbox relay)
and talk to it through httpx; publish and observe events on the real Kafka."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from asgi_lifespan import LifespanManager
from sqlalchemy import select

from ekinerja_shared.events import (
    Event,
    PunchesRecorded,
    PunchLine,
    dump_event,
    each_fact,
    parse_event,
)
from ekinerja_shared.topics import topic_for

T = TypeVar("T")


@contextlib.asynccontextmanager
async def running_app(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with LifespanManager(app, startup_timeout=90, shutdown_timeout=60):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


async def eventually(check: Callable[[], Awaitable[T | None]], timeout: float = 30.0,
                     interval: float = 0.2) -> T:
    """Poll ``check`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s (last value: {last!r})")


async def publish(bootstrap: str, *events: Event) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        for e in events:
            await producer.send_and_wait(topic_for(e).name, dump_event(e), key=e.key().encode())
    finally:
        await producer.stop()


async def publish_raw(bootstrap: str, topic: str, payload: bytes, key: bytes) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(topic, payload, key=key)
    finally:
        await producer.stop()


async def from_now_on(app: Any) -> None:
    """Let every durable consumer group of a service app that has not started yet read only
    what is published from now on (see ``skip_history``): an app of a test that seeds its
    own state then starts and stops in seconds, whatever the shared topics hold."""
    runtime = app.state.runtime
    for group_id, topic in runtime.durable_groups.items():
        await skip_history(runtime.settings.kafka_bootstrap, group_id, topic)


async def skip_history(bootstrap: str, group_id: str, topic: str) -> None:
    """Commit the topic's end offsets for a consumer group that has not started yet: it
    then reads only what is published from now on, not the shared topic's history (every
    run's events; thousands of them, minutes of replay on a loaded machine)."""
    await start_groups_at_end(bootstrap, {group_id: topic})


class Staged:
    """Every outbox row of a service's runtime, published or not, in staging order. The
    relay deletes the rows the broker took, so this records them as they leave (around the
    relay's ``_publish``, before its transaction deletes them) and adds the rows the table
    still holds: together exactly what the service staged. Create it before the rows of
    interest are staged."""

    def __init__(self, rt: Any) -> None:
        self._sessionmaker, self._model = rt.sessionmaker, rt.outbox_model
        self._gone: dict[int, tuple[str, str, str]] = {}  # id -> (event type, key, payload)
        relay = rt.relay
        publish = relay._publish

        async def recorded(session: Any, rows: list[Any]) -> list[int]:
            ids = await publish(session, rows)
            taken = set(ids)
            self._gone.update({r.id: (r.event_type, r.key, r.payload)
                               for r in rows if r.id in taken})
            return ids

        relay._publish = recorded

    async def payloads(self, tenant_id: str, event_type: str) -> list[str]:
        """The payloads of the regency's rows of ``event_type``, in staging order."""
        return [payload for _, payload in await self.rows(tenant_id, event_type)]

    async def keys(self, tenant_id: str, event_type: str) -> list[str]:
        """The Kafka keys of the regency's rows of ``event_type``, in staging order."""
        return [key for key, _ in await self.rows(tenant_id, event_type)]

    async def rows(self, tenant_id: str, event_type: str) -> list[tuple[str, str]]:
        """(key, payload) of the regency's rows of ``event_type``, in staging order."""
        m = self._model
        async with self._sessionmaker() as session:  # the outbox has no regency column
            rows = (await session.execute(select(m.id, m.event_type, m.key, m.payload))).all()
        every = {**self._gone, **{r.id: (r.event_type, r.key, r.payload) for r in rows}}
        return [(key, payload) for _, (kind, key, payload) in sorted(every.items())
                if kind == event_type and key.startswith(f"{tenant_id}:")]


class EventProbe:
    """Reads a topic from the beginning (no group) and keeps the events of one tenant; an
    ``AttendanceDaysEvaluated`` is kept as its days (``each_fact``), as scoring reads it."""

    def __init__(self, bootstrap: str, topic: str, tenant_id: str) -> None:
        self._consumer = AIOKafkaConsumer(
            topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
            enable_auto_commit=False, group_id=None,
        )
        self._tenant = tenant_id
        self.events: list[Event] = []
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> "EventProbe":
        await self._consumer.start()
        self._task = asyncio.create_task(self._run())
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._consumer.stop()

    async def _run(self) -> None:
        async for record in self._consumer:
            try:
                event = parse_event(record.value)
            except Exception:  # noqa: BLE001 - other tests' garbage
                continue
            if event.tenant_id == self._tenant:  # a batch of days as its days
                self.events.extend(each_fact([event]))

    async def wait_for(self, predicate: Callable[[Event], bool], timeout: float = 30.0) -> Event:
        async def check() -> Event | None:
            return next((e for e in self.events if predicate(e)), None)

        return await eventually(check, timeout)

    @property
    def punches(self) -> list[PunchLine]:
        """The punches of the ``PunchesRecorded`` seen (a probe of the punches topic)."""
        return [p for e in self.events if isinstance(e, PunchesRecorded) for p in e.punches]

    async def wait_for_punch(self, predicate: Callable[[PunchLine], bool],
                             timeout: float = 30.0) -> PunchLine:
        async def check() -> PunchLine | None:
            return next((p for p in self.punches if predicate(p)), None)

        return await eventually(check, timeout)


async def start_groups_at_end(bootstrap: str, groups: dict[str, str]) -> None:
    """Commit the current end of each topic for each (not yet running) consumer group
    (``{group: topic}``): an app started afterwards reads only what is published from now
    on, not the backlog of every earlier test on a shared broker."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        described = {d["topic"]: len(d["partitions"])
                     for d in await admin.describe_topics(sorted(set(groups.values())))}
    finally:
        await admin.close()
    for group, topic in groups.items():
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group,
                                    enable_auto_commit=False)
        await consumer.start()
        try:
            parts = [TopicPartition(topic, p) for p in range(described[topic])]
            consumer.assign(parts)
            await consumer.commit(dict(await consumer.end_offsets(parts)))
        finally:
            # aiokafka's coordinator may raise CancelledError from its own routine on stop
            with contextlib.suppress(asyncio.CancelledError):
                await consumer.stop()
