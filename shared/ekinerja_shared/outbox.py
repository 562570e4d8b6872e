"""Transactional outbox: ``stage`` adds the event to the caller's transaction; the
``OutboxRelay`` publishes committed rows to Kafka in id order (per key order is kept by the
idempotent producer) and stamps them. Delivery is at-least-once; consumers dedupe by
``event_id``."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from faststream.kafka import KafkaBroker
from sqlalchemy import event as sa_event
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from .events import Event, dump_event
from .metrics import CommonMetrics
from .timeutil import utcnow
from .topics import topic_for

log = logging.getLogger(__name__)

_STAGED = "ekinerja_outbox_staged"


def stage(session: AsyncSession, model: type[Any], event: Event) -> Any:
    """Add ``event`` to the outbox inside the caller's transaction."""
    row = model(
        event_id=event.event_id,
        event_type=event.event_type,
        topic=topic_for(event).name,
        key=event.key(),
        payload=dump_event(event).decode(),
        created_at=utcnow(),
        attempts=0,
    )
    session.add(row)
    session.sync_session.info[_STAGED] = True
    return row


class OutboxRelay:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        model: type[Any],
        broker: KafkaBroker,
        metrics: CommonMetrics,
        *,
        batch_size: int = 500,
        poll_interval_s: float = 0.5,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._model = model
        self._broker = broker
        self._metrics = metrics
        self._batch = batch_size
        self._poll = poll_interval_s
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        session_cls = sessionmaker.kw.get("sync_session_class")
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

    async def publish_pending(self) -> int:
        """One pass: publish up to ``batch_size`` unpublished rows; returns how many."""
        model = self._model
        async with self._sessionmaker() as session, session.begin():
            query = (
                select(model.id, model.topic, model.key, model.payload, model.event_type,
                       model.event_id)
                .where(model.published_at.is_(None))
                .order_by(model.id)
                .limit(self._batch)
            )
            if session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            rows = list((await session.execute(query)).all())
            if not rows:
                self._metrics.outbox_pending.set(0)
                return 0
            try:
                futures = [
                    await self._broker.publish(
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
                    for row in rows
                ]
                await asyncio.gather(*futures)
            except Exception as exc:
                ids = [r.id for r in rows]
                await session.execute(
                    update(model)
                    .where(model.id.in_(ids))
                    .values(attempts=model.attempts + 1, last_error=str(exc)[:2000])
                )
                await session.commit()
                raise
            await session.execute(
                update(model).where(model.id.in_([r.id for r in rows])).values(published_at=utcnow())
            )
            for row in rows:
                self._metrics.outbox_published.labels(row.topic).inc()
        if len(rows) < self._batch:
            self._metrics.outbox_pending.set(0)  # this pass took every committed row
        else:
            async with self._sessionmaker() as session:
                pending = await session.scalar(
                    select(func.count()).select_from(model).where(model.published_at.is_(None))
                )
                self._metrics.outbox_pending.set(pending or 0)
        return len(rows)
