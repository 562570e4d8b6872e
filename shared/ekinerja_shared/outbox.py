"""Transactional outbox: ``stage`` adds the event to the caller's transaction; the
``OutboxRelay`` publishes committed rows to Kafka in id order (per key order is kept by the
idempotent producer) and stamps them. Delivery is at-least-once; consumers dedupe by
``event_id``."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Sequence
from typing import Any

from aiokafka.errors import (
    KafkaConnectionError,
    KafkaTimeoutError,
    NodeNotReadyError,
    RequestTimedOutError,
)
from faststream.kafka import KafkaBroker
from sqlalchemy import event as sa_event
from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from .events import Event, dump_event
from .metrics import CommonMetrics
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
    INSERT (no ORM unit of work per event); their ids follow the order given."""
    if not events:
        return
    if session.new:
        await session.flush()  # the events staged one by one before these keep their place
    now = utcnow()
    await session.execute(insert(model.__table__), [_row(e, now) for e in events])
    session.sync_session.info[_STAGED] = True


def is_transient_publish_error(exc: BaseException) -> bool:
    """The broker away or slow (connection, timeout, leadership moving), not the record."""
    if isinstance(exc, (KafkaConnectionError, KafkaTimeoutError, RequestTimedOutError,
                        NodeNotReadyError, ConnectionError, TimeoutError)):
        return True
    return bool(getattr(exc, "retriable", False))


class OutboxRelay:
    def __init__(
        self,
        uow: UnitOfWork,
        model: type[Any],
        broker: KafkaBroker,
        metrics: CommonMetrics,
        *,
        batch_size: int = 500,
        poll_interval_s: float = 0.5,
        max_attempts: int = 5,
    ) -> None:
        self._uow = uow  # the outbox table has no regency: unbound
        self._model = model
        self._broker = broker
        self._metrics = metrics
        self._batch = batch_size
        self._poll = poll_interval_s
        self._max_attempts = max_attempts
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

    async def _send(self, row: Any) -> Any:
        return await self._broker.publish(
            row.payload.encode(),
            topic=row.topic,
            key=row.key.encode(),
            headers={
                "event_type": row.event_type,
                "event_id": str(row.event_id),
                "content-type": "application/json",
            },
            no_confirm=True,
        )

    async def _publish(self, session: AsyncSession, rows: list[Any]) -> list[int]:
        """Publish ``rows`` (in order, pipelined); returns the ids the broker took.

        A row the broker refuses for good (too large, invalid) counts an attempt; at
        ``max_attempts`` it is set aside as a dead letter (it stays in the table, unpublished,
        with its error, counted in ``ekinerja_outbox_dead_total``) so that it cannot block
        every event behind it. A transient fault (the broker away) counts nothing: what was
        taken is stamped and the fault is raised, so the relay backs off."""
        model = self._model
        outcomes: list[Any] = []
        for row in rows:
            try:
                outcomes.append(await self._send(row))
            except Exception as exc:  # noqa: BLE001 - refused before it was sent
                outcomes.append(exc)
        pending = [o for o in outcomes if not isinstance(o, BaseException)]
        results = iter(await asyncio.gather(*pending, return_exceptions=True))
        errors = [o if isinstance(o, BaseException) else next(results) for o in outcomes]
        published = [r.id for r, err in zip(rows, errors, strict=True)
                     if not isinstance(err, BaseException)]
        transient: BaseException | None = None
        for row, err in zip(rows, errors, strict=True):
            if not isinstance(err, BaseException):
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
            await session.execute(update(model).where(model.id.in_(published))
                                  .values(published_at=utcnow()))
            await session.commit()
            raise transient
        return published

    async def publish_pending(self) -> int:
        """One pass: publish up to ``batch_size`` unpublished rows; returns how many."""
        model = self._model
        async with self._uow.transaction() as session:
            query = (
                select(model.id, model.topic, model.key, model.payload, model.event_type,
                       model.event_id)
                .where(model.published_at.is_(None), model.attempts < self._max_attempts)
                .order_by(model.id)
                .limit(self._batch)
            )
            if session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            rows = list((await session.execute(query)).all())
            if not rows:
                self._metrics.outbox_pending.set(0)
                return 0
            published = await self._publish(session, rows)
            await session.execute(
                update(model).where(model.id.in_(published)).values(published_at=utcnow())
            )
            for row in rows:
                if row.id in published:
                    self._metrics.outbox_published.labels(row.topic).inc()
        if len(rows) < self._batch and len(published) == len(rows):
            self._metrics.outbox_pending.set(0)  # this pass took every committed row
        else:
            async with self._uow.read() as session:
                pending = await session.scalar(
                    select(func.count()).select_from(model).where(model.published_at.is_(None))
                )
                self._metrics.outbox_pending.set(pending or 0)
        return len(rows)
