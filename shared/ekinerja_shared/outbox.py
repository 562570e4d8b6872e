"""Transactional outbox: ``stage`` adds the event to the caller's transaction; the
``OutboxRelay`` publishes committed rows to Kafka in id order (per key order is kept by the
idempotent producer) and deletes them once the broker has them (Kafka's topics are the
record; the table holds what is still to send, and the dead letters). Delivery is
at-least-once; consumers dedupe by ``event_id``.

A pass of the relay claims up to ``batch_size`` rows in one statement, hands them all to
its aiokafka producer (which packs them into record batches per partition), awaits them
together and deletes the published ones in one statement (a delete marks the rows; a stamp
wrote a new version of each row and its index entries: about six times the server's work,
docs/perf/outbox.md). Relays of N instances of a service share the table by *lanes*: a
row's lane is ``hashtext(key) % lanes``; a pass holds the lanes it claims with a
transaction-scoped advisory lock (one relay per lane at a time, so one key's events leave
in id order) and takes lanes, in a rotating order, only until its batch is full, leaving
the rest to the other relays (rows ``FOR UPDATE SKIP LOCKED``)."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from aiokafka.errors import (
    KafkaConnectionError,
    KafkaTimeoutError,
    MessageSizeTooLargeError,
    NodeNotReadyError,
    RequestTimedOutError,
)
from aiokafka import AIOKafkaProducer
from aiokafka.record.default_records import DefaultRecordBatchBuilder
from sqlalchemy import event as sa_event
from sqlalchemy import bindparam, delete, func, literal_column, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from .db import insert_all, one_of
from .events import Event, dump_event
from .kafka import RELAY_MAX_REQUEST_BYTES
from .metrics import CommonMetrics
from .partitioning import partition_of
from .timeutil import utcnow
from .topics import topic_for
from .uow import UnitOfWork

log = logging.getLogger(__name__)

_STAGED = "ekinerja_outbox_staged"


def stage(session: AsyncSession, model: type[Any], event: Event) -> Any:
    """Add ``event`` to the outbox inside the caller's transaction."""
    row = model(**_row(event, utcnow()))
    session.add(row)
    session.sync_session.info[_STAGED] = True
    return row


def _row(event: Event, now: dt.datetime) -> dict[str, Any]:
    return {"event_id": event.event_id, "event_type": event.event_type,
            "topic": topic_for(event).name, "key": event.key(),
            "payload": dump_event(event).decode(), "created_at": now, "attempts": 0}


async def stage_many(session: AsyncSession, model: type[Any], events: Sequence[Event]) -> None:
    """Add ``events`` to the outbox inside the caller's transaction with one multi-row
    INSERT (``insert_all``: no ORM unit of work per event, one statement on the server);
    their ids follow the order given."""
    if not events:
        return
    if session.new:
        await session.flush()  # the events staged one by one before these keep their place
    now = utcnow()
    await insert_all(session, model, [_row(e, now) for e in events])
    session.sync_session.info[_STAGED] = True


def is_transient_publish_error(exc: BaseException) -> bool:
    """The broker away or slow (connection, timeout, leadership moving), not the record."""
    if isinstance(exc, (KafkaConnectionError, KafkaTimeoutError, RequestTimedOutError,
                        NodeNotReadyError, ConnectionError, TimeoutError)):
        return True
    return bool(getattr(exc, "retriable", False))


_LANE_LOCKS = 0x0E0B  # the advisory locks' first key (the second is the lane)


class OutboxRelay:
    def __init__(
        self,
        uow: UnitOfWork,
        model: type[Any],
        producer: Callable[[], AIOKafkaProducer],
        metrics: CommonMetrics,
        *,
        batch_size: int = 500,
        poll_interval_s: float = 0.5,
        max_attempts: int = 5,
        lanes: int = 16,
        max_request_bytes: int = RELAY_MAX_REQUEST_BYTES,
    ) -> None:
        self._uow = uow  # the outbox table has no regency: unbound
        self._model = model
        self._make_producer = producer
        self._producer: AIOKafkaProducer | None = None
        self._metrics = metrics
        self._batch = batch_size
        self._poll = poll_interval_s
        self._max_attempts = max_attempts
        self._lanes = max(1, lanes)
        self._max_request = max_request_bytes  # the producer's max_request_size
        self._turn = random.randrange(self._lanes)  # where this relay starts trying lanes
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        session_cls = uow.sessionmaker.kw.get("sync_session_class")
        if session_cls is not None:
            sa_event.listen(session_cls, "after_commit", self._after_commit)

    def _after_commit(self, session: Any) -> None:
        if session.info.pop(_STAGED, False):
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                return
            loop.call_soon_threadsafe(self._wake.set)

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name="outbox-relay")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
            # last pass so that nothing committed before shutdown waits for the next start
            try:
                await self.publish_pending()
            except Exception:  # noqa: BLE001 - best effort at shutdown
                log.warning("outbox: final pass failed", exc_info=True)
        await self._close_producer()

    async def _close_producer(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            try:
                await producer.stop()
            except Exception:  # noqa: BLE001 - best effort: it is being dropped
                log.warning("outbox: the producer did not stop cleanly", exc_info=True)

    async def _started_producer(self) -> AIOKafkaProducer:
        if self._producer is None:
            producer = self._make_producer()
            await producer.start()
            self._producer = producer
        return self._producer

    async def run(self) -> None:
        backoff = self._poll
        while True:
            try:
                n = await self.publish_pending()
                backoff = self._poll
                if n >= self._batch:
                    continue
            except asyncio.CancelledError:
                raise
            except Exception:
                self._metrics.outbox_failures.inc()
                log.exception("outbox: publish pass failed; retrying in %.1fs", backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10.0)
                continue
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self._poll)
            except TimeoutError:
                pass
            self._wake.clear()

    async def _send_all(self, rows: list[Any]) -> list[BaseException | None]:
        """Hand every row to the producer in order, then await them together: each row's
        error, or None once the broker took it.

        The rows are packed here into one record batch per partition at a time
        (aiokafka's ``create_batch`` / ``send_batch``; a full batch is submitted and the
        next one started, so each partition's records keep their order): one future per
        batch, where ``send`` per record cost a coroutine, a future and the partitioner's
        metadata lookups per record (py-spy: about 40 % of the relay's CPU). A row's
        partition is the producer's default one (``partition_of``). A record too large for
        one request fails alone, as ``send`` would have failed it."""
        producer = await self._started_producer()
        errors: list[BaseException | None] = [None] * len(rows)
        partitions: dict[str, list[int] | BaseException] = {}  # a topic's, or why not
        filling: dict[tuple[str, int], tuple[Any, list[int]]] = {}
        submitted: list[tuple[Any, list[int]]] = []

        async def submit(where: tuple[str, int]) -> None:
            batch, members = filling.pop(where)
            try:
                submitted.append((await producer.send_batch(batch, where[0],
                                                            partition=where[1]), members))
            except Exception as exc:  # noqa: BLE001 - refused before it was sent
                for i in members:
                    errors[i] = exc

        for i, row in enumerate(rows):
            if row.topic not in partitions:  # once a pass: the broker away fails it once
                try:
                    partitions[row.topic] = sorted(await producer.partitions_for(row.topic))
                except Exception as exc:  # noqa: BLE001 - every row of the topic waits
                    partitions[row.topic] = exc
            known = partitions[row.topic]
            if isinstance(known, BaseException):
                errors[i] = known
                continue
            try:
                key, value = row.key.encode(), row.payload.encode()
                headers = [("event_type", row.event_type.encode()),
                           ("event_id", str(row.event_id).encode()),
                           ("content-type", b"application/json")]
                size = DefaultRecordBatchBuilder.estimate_size_in_bytes(key, value, headers)
                if size > self._max_request:
                    raise MessageSizeTooLargeError(
                        f"the record is {size} bytes, over the producer's maximum request "
                        f"size ({self._max_request} bytes)")
            except Exception as exc:  # noqa: BLE001 - this row cannot be sent
                errors[i] = exc
                continue
            where = (row.topic, partition_of(key, known))
            for _ in range(2):  # a full batch is submitted and the row goes into a new one
                if where not in filling:
                    filling[where] = (producer.create_batch(), [])
                batch, members = filling[where]
                if batch.append(key=key, value=value, timestamp=None, headers=headers):
                    members.append(i)
                    break
                await submit(where)
            else:  # an empty batch takes any record; never left counted as sent
                errors[i] = MessageSizeTooLargeError("the record fits in no record batch")
        for where in list(filling):
            await submit(where)
        outcomes = await asyncio.gather(*(f for f, _ in submitted), return_exceptions=True)
        for (_, members), outcome in zip(submitted, outcomes, strict=True):
            for i in members:
                errors[i] = _error(outcome)
        return errors

    async def _publish(self, session: AsyncSession, rows: list[Any]) -> list[int]:
        """Publish ``rows`` (in order, pipelined); returns the ids the broker took.

        A row the broker refuses for good (too large, invalid) counts an attempt; at
        ``max_attempts`` it is set aside as a dead letter (it stays in the table, unpublished,
        with its error, counted in ``ekinerja_outbox_dead_total``) so that it cannot block
        every event behind it. A transient fault (the broker away) counts nothing: what was
        taken is deleted and the fault is raised, so the relay backs off (with a fresh
        producer: one that timed out may hold records it could still send out of order)."""
        model = self._model
        errors = await self._send_all(rows)
        published = [r.id for r, err in zip(rows, errors, strict=True) if err is None]
        transient: BaseException | None = None
        for row, err in zip(rows, errors, strict=True):
            if err is None:
                continue
            if is_transient_publish_error(err):
                transient = transient or err
                await session.execute(update(model).where(model.id == row.id)
                                      .values(last_error=repr(err)[:2000]))
                continue
            attempts = await session.scalar(
                update(model).where(model.id == row.id)
                .values(attempts=model.attempts + 1, last_error=repr(err)[:2000])
                .returning(model.attempts))
            if (attempts or 0) >= self._max_attempts:
                self._metrics.outbox_dead.labels(row.topic).inc()
                log.error("outbox: event %s (%s) set aside as a dead letter after %d "
                          "attempts: %r", row.event_id, row.event_type, attempts, err)
        if transient is not None:
            await self._remove(session, published)
            await session.commit()
            await self._close_producer()
            raise transient
        return published

    async def _remove(self, session: AsyncSession, ids: list[int]) -> None:
        """The rows the broker took leave the table (in the claim's transaction)."""
        if ids:
            model = self._model
            await session.execute(delete(model).where(one_of(session, model.id, ids)))

    def _pending(self) -> Any:
        model = self._model
        return (select(model.id, model.topic, model.key, model.payload, model.event_type,
                       model.event_id)
                .where(model.attempts < self._max_attempts)
                .order_by(model.id).limit(self._batch))

    async def _claim(self, session: AsyncSession) -> list[Any]:
        """Up to ``batch_size`` unpublished rows in id order, of lanes this pass holds."""
        if session.get_bind().dialect.name != "postgresql":
            return list((await session.execute(self._pending())).all())  # one writer
        model = self._model
        oldest = (select(model.key).where(model.attempts < self._max_attempts)
                  .order_by(model.id).limit(self._batch * 4).subquery())
        lane = (func.abs(func.hashtext(oldest.c.key)) % self._lanes).label("lane")
        waiting: dict[int, int] = dict((await session.execute(  # the lanes of the oldest rows, how many
            select(lane, func.count()).group_by(literal_column("lane")))).all())
        if not waiting:
            return []
        self._turn = (self._turn + 1) % self._lanes
        held: list[int] = []
        room = self._batch
        for n in range(self._lanes):  # a rotating start: every lane gets its turn
            candidate = (self._turn + n) % self._lanes
            if candidate not in waiting:
                continue
            if await session.scalar(text("SELECT pg_try_advisory_xact_lock(:k, :lane)"),
                                    {"k": _LANE_LOCKS, "lane": candidate}):
                held.append(candidate)
                room -= waiting[candidate]
                if room <= 0:
                    break
        if not held:
            return []  # every lane with rows is another relay's now
        query = (self._pending()
                 .where((func.abs(func.hashtext(model.key)) % self._lanes)
                        .in_(bindparam("lanes", expanding=True)))
                 .with_for_update(skip_locked=True))
        return list((await session.execute(query, {"lanes": held})).all())

    async def publish_pending(self) -> int:
        """One pass: publish up to ``batch_size`` unpublished rows; returns how many."""
        model = self._model
        async with self._uow.transaction() as session:
            rows = await self._claim(session)
            if not rows:
                self._metrics.outbox_pending.set(0)
                return 0
            published = await self._publish(session, rows)
            await self._remove(session, published)
        taken = set(published)
        for topic, n in Counter(r.topic for r in rows if r.id in taken).items():
            self._metrics.outbox_published.labels(topic).inc(n)
        if len(rows) < self._batch and len(published) == len(rows):
            self._metrics.outbox_pending.set(0)  # this pass took every committed row
        else:
            async with self._uow.read() as session:
                pending = await session.scalar(
                    select(func.count()).select_from(model)
                    .where(model.attempts < self._max_attempts))
                self._metrics.outbox_pending.set(pending or 0)
        return len(rows)


def _error(outcome: Any) -> BaseException | None:
    return outcome if isinstance(outcome, BaseException) else None
