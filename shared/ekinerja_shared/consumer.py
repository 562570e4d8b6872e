"""Idempotent event consumption with quarantine.

A FastStream subscriber stays thin: it hands the raw ``KafkaMessage`` to
``EventConsumer.handle`` (or a batch to ``handle_batch``) with the function that applies the
event to the service's state. Here:

- the payload is decoded into a contract; undecodable input is stored in the quarantine
  table with its raw bytes and the reason, and acknowledged (the rest of the stream goes on);
- an event already applied by this consumer (same ``event_id``) is skipped; the inbox row
  and the state change are written in one transaction, bound to the event's regency
  (row-level security, see ``tenancy``): a batch is applied regency by regency, in
  transactions of at most ``max_facts`` facts (``parts``: a v2 event carries up to 1,000
  punches or days, so 100 of them are ten transactions, not one);
- ``PoisonEvent`` raised by the apply function quarantines the event (a business rule says
  it can never apply); any other exception propagates so FastStream nacks and the record is
  consumed again. Transient faults (the database or the network away: connection errors,
  timeouts) are told apart: they never count as attempts, and the consumer backs off
  (exponentially, up to ``max_backoff_s``) before the records are consumed again, so a
  database restart delays events but never quarantines a valid one. Any other failure of
  one record counts; after ``max_attempts`` it is quarantined so that one bad record cannot
  block a partition. The attempts are kept in the ``consumer_attempts`` table (per consumer
  and ``event_id``), so a restart does not reset them;
- ``replay`` applies a quarantined event again after a fix, in the caller's transaction
  (the quarantine API, ``ekinerja_shared.quarantine``): through the same inbox, so an event
  applied in the meantime is not applied twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator, Sequence
from typing import Any

from faststream.kafka import KafkaMessage
from pydantic import ValidationError
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from .applying import (
    Apply,
    ApplyBatch,
    PoisonEvent,
    by_tenant,
    is_transient,
    storable_raw,
    storable_text,
)
from .db import insert_ignore, insert_ignore_returning, one_of
from .events import Event, facts_in, parse_event
from .metrics import CommonMetrics
from .tenancy import bind_tenant
from .timeutil import utcnow
from .uow import UnitOfWork, is_conflict

log = logging.getLogger(__name__)

CONFLICT_ATTEMPTS = 3  # a batch's transaction, run again while it loses to a concurrent writer


def _record_key(ctx: dict[str, Any]) -> tuple[Any, Any, Any]:
    return (ctx.get("topic"), ctx.get("partition"), ctx.get("offset"))


def _record_context(msg: KafkaMessage) -> dict[str, Any]:
    raw = msg.raw_message
    records = raw if isinstance(raw, tuple) else (raw,)
    rec = records[0]
    return {"topic": rec.topic, "partition": rec.partition, "offset": rec.offset}


def parts(events: list[Event], max_facts: int) -> Iterator[list[Event]]:
    """``events`` in order, in runs of at most ``max_facts`` facts (``facts_in``: a v2
    event's punches or days, else one); an event larger than that is a run of its own.
    Each run is one transaction: a backlog of large events is not one transaction of a
    million punches."""
    run: list[Event] = []
    size = 0
    for event in events:
        facts = facts_in(event)
        if run and size + facts > max_facts:
            yield run
            run, size = [], 0
        run.append(event)
        size += facts
    if run:
        yield run


class EventConsumer:
    def __init__(
        self,
        name: str,
        uow: UnitOfWork,
        inbox_model: type[Any],
        quarantine_model: type[Any],
        metrics: CommonMetrics,
        *,
        max_attempts: int = 5,
        max_backoff_s: float = 30.0,
        attempts_model: type[Any] | None = None,
        max_facts: int = 10_000,
    ) -> None:
        self.name = name
        self._max_facts = max_facts  # per transaction (``parts``)
        self._uow = uow  # unbound: each event's transaction is bound to its regency
        self._inbox = inbox_model
        self._quarantine = quarantine_model
        self._metrics = metrics
        self._max_attempts = max_attempts
        self._max_backoff_s = max_backoff_s
        self._backoff_s = 0.0
        # failed attempts per event: persisted when the service has the table, else (unit
        # tests of this class) in memory
        self._attempts = attempts_model
        self._failures: dict[Any, int] = {}
        # records whose own transaction failed (not transiently) and that will be consumed
        # again: tried alone at once next time, not inside a whole batch (in memory; after a
        # restart or a rebalance a batch finds them again by halves)
        self._suspects: set[Any] = set()
        # what ``replay`` applies (set by ``Runtime.subscribe_batch``)
        self.apply_batch: ApplyBatch | None = None
        self.accept: tuple[type[Event], ...] = ()

    async def _back_off(self, exc: BaseException) -> None:
        """Wait before the records are consumed again after a transient fault."""
        self._backoff_s = min(self._max_backoff_s, max(0.25, self._backoff_s * 2))
        self._metrics.consumer_backoffs.labels(self.name).inc()
        log.warning("%s: transient fault, retrying in %.2fs: %r", self.name, self._backoff_s,
                    exc)
        await asyncio.sleep(self._backoff_s)

    async def quarantine(
        self, raw: bytes | str, reason: str, context: dict[str, Any], tenant_id: str | None = None,
        event_id: Any = None,
    ) -> None:
        source = f"kafka:{context.get('topic', '?')}"
        text, exact = storable_raw(raw)
        # the tenant may be unknown
        async with self._uow.cross_tenant("quarantine").transaction() as session:
            if event_id is not None:
                await self._forget_attempts(session, [event_id])
            session.add(
                self._quarantine(
                    source=source,
                    tenant_id=tenant_id,
                    raw=text,
                    reason=storable_text(reason)[:4000],
                    context={**context, "consumer": self.name, **exact},
                    received_at=utcnow(),
                )
            )
        self._metrics.quarantined.labels(source).inc()
        log.warning("%s: quarantined record %s: %s", self.name, context, reason[:300])

    def _decode(self, body: bytes) -> Event | str:
        try:
            return parse_event(body)
        except ValidationError as exc:
            return f"invalid event: {exc.errors(include_url=False)!r}"[:4000]
        except (UnicodeDecodeError, ValueError) as exc:
            return f"undecodable payload: {exc}"

    @property
    def custom_plans(self) -> bool:
        """Its transactions plan each statement for its values (``UnitOfWork.custom_plans``)."""
        return self._uow.forces_custom_plans

    async def handle(
        self, msg: KafkaMessage, apply: Apply, accept: tuple[type[Event], ...]
    ) -> str:
        """Apply one record; returns the outcome (applied, duplicate, ignored, quarantined)."""
        context = _record_context(msg)
        decoded = self._decode(msg.body)
        if isinstance(decoded, str):
            await self.quarantine(msg.body, decoded, context)
            return self._count("?", "quarantined")
        event = decoded
        if not isinstance(event, accept):
            return self._count(event.event_type, "ignored")
        try:
            async with self._uow.transaction() as session:
                fresh = await insert_ignore(
                    session, self._inbox, {"consumer": self.name, "event_id": event.event_id,
                                           "processed_at": utcnow()}
                )
                if not fresh:
                    return self._count(event.event_type, "duplicate")
                await bind_tenant(session, event.tenant_id)
                await apply(session, event)
                await self._forget_attempts(session, [event.event_id])
        except PoisonEvent as exc:
            await self.quarantine(msg.body, str(exc), context, event.tenant_id, event.event_id)
            return self._count(event.event_type, "quarantined")
        except Exception as exc:
            if await self._gave_up(exc, msg.body, context, event):
                return self._count(event.event_type, "quarantined")
            raise
        self._backoff_s = 0.0
        self._metrics.event_lag.labels(self.name).observe(
            max(0.0, (utcnow() - event.occurred_at).total_seconds())
        )
        return self._count(event.event_type, "applied")

    async def handle_records(
        self, msg: KafkaMessage, apply_batch: ApplyBatch, accept: tuple[type[Event], ...]
    ) -> dict[str, int]:
        """Entry point of a batch subscriber (``batch=True``): FastStream hands over one
        message whose raw form is the tuple of Kafka records."""
        raw = msg.raw_message
        records = raw if isinstance(raw, tuple) else (raw,)
        return await self.handle_batch(
            records, apply_batch, accept,
            bodies=[r.value for r in records],
            contexts=[{"topic": r.topic, "partition": r.partition, "offset": r.offset}
                      for r in records],
        )

    async def handle_batch(
        self, messages: Sequence[KafkaMessage] | Sequence[Any], apply_batch: ApplyBatch,
        accept: tuple[type[Event], ...], *, bodies: Sequence[bytes] | None = None,
        contexts: Sequence[dict[str, Any]] | None = None,
    ) -> dict[str, int]:
        """Apply a batch in one transaction: bad records are quarantined, duplicates (by
        inbox or within the batch) skipped, the rest passed to ``apply_batch`` in order.
        If the batch transaction fails, it is applied in parts (``_apply_apart``) so that a
        single poison event cannot hold back the others."""
        outcome = {"applied": 0, "duplicate": 0, "ignored": 0, "quarantined": 0}
        if bodies is None:
            bodies = [m.body for m in messages]
        if contexts is None:
            contexts = [_record_context(m) for m in messages]
        events: list[Event] = []
        raw_of: dict[Any, tuple[bytes, dict[str, Any]]] = {}
        seen: set[Any] = set()
        for body, ctx in zip(bodies, contexts, strict=True):
            decoded = self._decode(body)
            if isinstance(decoded, str):
                await self.quarantine(body, decoded, ctx)
                outcome["quarantined"] += 1
                continue
            if not isinstance(decoded, accept):
                outcome["ignored"] += 1
                continue
            if decoded.event_id in seen:
                outcome["duplicate"] += 1
                continue
            seen.add(decoded.event_id)
            events.append(decoded)
            raw_of[decoded.event_id] = (body, ctx)
        if not events:
            return outcome
        if not self._suspects.isdisjoint(raw_of):  # a record known to fail: in parts at once
            await self._apply_apart(events, raw_of, apply_batch, outcome)
        else:
            for part in parts(events, self._max_facts):
                await self._apply_part(part, raw_of, apply_batch, outcome)
        self._backoff_s = 0.0
        for e in events:
            self._metrics.event_lag.labels(self.name).observe(
                max(0.0, (utcnow() - e.occurred_at).total_seconds())
            )
        for k, v in outcome.items():
            if v:
                self._metrics.events_consumed.labels(self.name, "batch", k).inc(v)
        return outcome

    async def _apply_part(self, events: list[Event], raw_of: dict[Any, tuple[bytes, Any]],
                          apply_batch: ApplyBatch, outcome: dict[str, int]) -> None:
        """One transaction of a batch (``parts``); a part that fails is applied apart."""
        try:
            applied, duplicate = await self._commit(events, apply_batch)
            outcome["applied"] += applied
            outcome["duplicate"] += duplicate
        except Exception as exc:
            if is_transient(exc):
                await self._back_off(exc)
                raise  # the batch is consumed again; its parts committed are in the inbox
            log.warning("%s: batch of %d failed; applying it in parts", self.name,
                        len(events), exc_info=True)
            await self._apply_apart(events, raw_of, apply_batch, outcome, failed=True)

    async def _commit(self, events: list[Event], apply_batch: ApplyBatch) -> tuple[int, int]:
        """Apply ``events`` in one transaction through the inbox; (applied, duplicates). A
        transaction that lost to a concurrent writer (``uow.is_conflict``: a request
        evaluating the same employee-day at once) is run again before the batch counts as
        failed."""
        for attempt in range(1, CONFLICT_ATTEMPTS + 1):
            try:
                return await self._commit_once(events, apply_batch)
            except Exception as exc:
                if attempt == CONFLICT_ATTEMPTS or not is_conflict(exc):
                    raise
                log.info("%s: batch lost to a concurrent writer, running it again (%d/%d): %s",
                         self.name, attempt, CONFLICT_ATTEMPTS, type(exc).__name__)
        raise AssertionError("unreachable")

    async def _commit_once(self, events: list[Event],
                           apply_batch: ApplyBatch) -> tuple[int, int]:
        async with self._uow.transaction() as session:
            # the inbox rows written are the events not applied before (one statement)
            now = utcnow()
            written = {row[0] for row in await insert_ignore_returning(
                session, self._inbox,
                [{"consumer": self.name, "event_id": e.event_id, "processed_at": now}
                 for e in events],
                returning=[self._inbox.event_id])}
            fresh = [e for e in events if e.event_id in written]
            if fresh:
                for tenant_id, group in by_tenant(fresh):
                    await bind_tenant(session, tenant_id)
                    await apply_batch(session, group)
                await self._forget_attempts(session, [e.event_id for e in fresh])
        return len(fresh), len(events) - len(fresh)

    async def _apply_apart(self, events: list[Event], raw_of: dict[Any, tuple[bytes, Any]],
                           apply_batch: ApplyBatch, outcome: dict[str, int], *,
                           failed: bool = False) -> None:
        """A batch that failed, in order: each record known to fail (a suspect) alone, the
        runs between them as batches (in ``parts``), and a run that fails split in halves
        until the record that fails is alone. One bad record in a batch of n costs about
        2 log2 n transactions the first time and three when the batch is consumed again
        (not n each time); a record that fails alone is counted and, after ``max_attempts``,
        quarantined (``_apply_one``). ``failed``: ``events`` just failed as one batch."""

        async def run_of(run: list[Event], failed: bool = False) -> None:
            if len(run) == 1:
                body, ctx = raw_of[run[0].event_id]
                outcome[await self._apply_one(run[0], body, ctx, apply_batch)] += 1
            elif run:
                if not failed:
                    try:
                        applied, duplicate = await self._commit(run, apply_batch)
                    except Exception as exc:
                        if is_transient(exc):
                            await self._back_off(exc)
                            raise
                    else:
                        outcome["applied"] += applied
                        outcome["duplicate"] += duplicate
                        return
                await run_of(run[:len(run) // 2])
                await run_of(run[len(run) // 2:])

        if failed:  # the whole batch, just now
            await run_of(events, failed=True)
            return

        async def between(run: list[Event]) -> None:  # in parts, as a whole batch is
            for part in parts(run, self._max_facts):
                await run_of(part)

        run: list[Event] = []
        for e in events:
            if e.event_id in self._suspects:
                await between(run)
                run = []
                await run_of([e])
            else:
                run.append(e)
        await between(run)

    async def _apply_one(
        self, event: Event, body: bytes, ctx: dict[str, Any], apply_batch: ApplyBatch
    ) -> str:
        try:
            async with self._uow.transaction() as session:
                fresh = await insert_ignore(
                    session, self._inbox,
                    {"consumer": self.name, "event_id": event.event_id, "processed_at": utcnow()},
                )
                if not fresh:
                    self._suspects.discard(event.event_id)
                    return "duplicate"
                await bind_tenant(session, event.tenant_id)
                await apply_batch(session, [event])
                await self._forget_attempts(session, [event.event_id])
        except PoisonEvent as exc:
            self._suspects.discard(event.event_id)
            await self.quarantine(body, str(exc), ctx, event.tenant_id, event.event_id)
            return "quarantined"
        except Exception as exc:
            if await self._gave_up(exc, body, ctx, event):
                self._suspects.discard(event.event_id)
                return "quarantined"
            if not is_transient(exc):
                self._suspects.add(event.event_id)
            raise  # the whole batch is consumed again; what was applied is a duplicate then
        self._suspects.discard(event.event_id)
        return "applied"

    async def _gave_up(
        self, exc: Exception, body: bytes, ctx: dict[str, Any], event: Event
    ) -> bool:
        """Count a failed attempt at one record; after ``max_attempts`` it is quarantined
        (True) so that it cannot hold back its partition. A transient fault does not count:
        the consumer backs off and the record is consumed again (False)."""
        if is_transient(exc):
            await self._back_off(exc)
            return False
        try:
            attempts = await self._count_attempt(event, exc)
        except Exception as counting:  # noqa: BLE001 - the record is consumed again anyway
            log.warning("%s: could not count the attempt on %s: %r", self.name,
                        event.event_id, counting)
            return False
        if attempts >= self._max_attempts:
            await self.quarantine(body, f"failed {attempts} times: {exc!r}", ctx,
                                  event.tenant_id, event.event_id)
            self._failures.pop(event.event_id, None)
            return True
        log.warning("%s: attempt %d on %s (%s) failed: %r", self.name, attempts,
                    event.event_id, _record_key(ctx), exc)
        return False

    async def _count_attempt(self, event: Event, exc: Exception) -> int:
        """One more failed attempt at ``event``, in a transaction of its own (the failed
        one was rolled back); returns the count so far."""
        if self._attempts is None:
            self._failures[event.event_id] = self._failures.get(event.event_id, 0) + 1
            return self._failures[event.event_id]
        model = self._attempts
        async with self._uow.transaction() as session:
            row = await session.get(model, (self.name, event.event_id), with_for_update=True)
            if row is None:
                row = model(consumer=self.name, event_id=event.event_id, attempts=0)
                session.add(row)
            row.attempts += 1
            row.last_error = storable_text(repr(exc))[:2000]
            row.updated_at = utcnow()
            return int(row.attempts)

    async def _forget_attempts(self, session: AsyncSession, event_ids: list[Any]) -> None:
        """The attempts of events that were applied (or quarantined): in their transaction."""
        if self._attempts is None:
            for event_id in event_ids:
                self._failures.pop(event_id, None)
            return
        model = self._attempts
        await session.execute(delete(model).where(model.consumer == self.name,
                                                  one_of(session, model.event_id, event_ids)))

    def decode(self, body: bytes) -> Event | str:
        """The event a payload holds, or why it holds none."""
        return self._decode(body)

    async def replay(self, session: AsyncSession, event: Event) -> bool:
        """Apply a quarantined ``event`` again (after a fix), in the caller's transaction and
        through the inbox: False when this consumer has applied it meanwhile (nothing is
        applied twice). ``PoisonEvent`` or any other failure propagates."""
        if self.apply_batch is None:
            raise RuntimeError(f"{self.name}: nothing to replay with")
        fresh = await insert_ignore(session, self._inbox, {
            "consumer": self.name, "event_id": event.event_id, "processed_at": utcnow()})
        if not fresh:
            return False
        await bind_tenant(session, event.tenant_id)
        await self.apply_batch(session, [event])
        await self._forget_attempts(session, [event.event_id])
        return True

    def _count(self, event_type: str, outcome: str) -> str:
        self._metrics.events_consumed.labels(self.name, event_type, outcome).inc()
        return outcome
