"""The replay of ``python -m scoring rebuild`` (``cli``): the fact topics read from the start
(``replay``), every record decoded and routed (``Replayer``), the facts stored
``STORE_EVENTS`` at a time and the employee-months they changed gathered for one
recomputation after the replay.

The records of the next chunk are decoded while the previous chunk's transactions are in
the database (``Replayer.feed`` lets the store in flight go on between slices of records):
decoding is CPU in this process, the upserts are mostly the server's, so with a core free
the two can overlap (no gain was measurable on the loaded test box: docs/perf/rebuild.md).
A chunk's activity decisions are stored in a transaction of their own beside the rest of
the chunk's (independent tables: the server upserts both at once; the target has no other
writer); the chunks stay one after the other, in the order of the records."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from tqdm import tqdm

from ekinerja_shared import events as ev
from ekinerja_shared.timeutil import utcnow
from ekinerja_shared.topics import Topic
from ekinerja_shared.uow import UnitOfWork

from .adapters.orm import Quarantine
from .service_layer import services
from .service_layer.directory import DIRECTORY_TYPES
from .service_layer.recompute import Affected, Key

STORE_EVENTS = 10_000  # replayed events stored per chunk (one upsert per table)
DECODE_SLICE = 250  # records decoded between two turns of the store in flight


async def _partitions(bootstrap: str, topics: Sequence[Topic]) -> list[TopicPartition]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="ekinerja-rebuild")
    await admin.start()
    try:
        described = await admin.describe_topics([t.name for t in topics])
    finally:
        await admin.close()
    return [TopicPartition(d["topic"], p["partition"])
            for d in described for p in sorted(d["partitions"], key=lambda p: p["partition"])]


Record = tuple[bytes | None, str, int, int]  # raw value, topic, partition, offset


async def replay(
    bootstrap: str, topics: Sequence[Topic], *, batch_size: int = 1000, progress: bool = True,
) -> AsyncIterator[list[Record]]:
    """Yield batches of (raw value, topic, partition, offset) of the topics from the start
    up to their end offsets at the time of the call."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None,
                                enable_auto_commit=False, auto_offset_reset="earliest")
    await consumer.start()
    try:
        parts = await _partitions(bootstrap, topics)
        consumer.assign(parts)
        begin = await consumer.beginning_offsets(parts)
        end = await consumer.end_offsets(parts)
        remaining = {tp for tp in parts if end[tp] > begin[tp]}
        total = sum(end[tp] - begin[tp] for tp in parts)
        await consumer.seek_to_beginning(*parts)
        names = ",".join(t.name.removeprefix("ekinerja.").removesuffix(".v1") for t in topics)
        bar = tqdm(total=total, unit="ev", desc=f"replay {names}", disable=not progress)
        try:
            while remaining:
                fetched = await consumer.getmany(*remaining, timeout_ms=1000,
                                                 max_records=batch_size)
                batch: list[Record] = []
                for tp, records in fetched.items():
                    batch.extend((r.value, r.topic, r.partition, r.offset)
                                 for r in records if r.offset < end[tp])
                for tp in list(remaining):
                    if await consumer.position(tp) >= end[tp]:
                        remaining.discard(tp)
                if batch:
                    bar.update(len(batch))
                    yield batch
        finally:
            bar.close()
    finally:
        await consumer.stop()


def decode(raw: bytes | None) -> ev.Event | str:
    """The event of a record, or why it is not one (the record is then quarantined)."""
    try:
        return ev.parse_event(raw or b"")
    except (ValidationError, ValueError, UnicodeDecodeError) as exc:
        return f"invalid event: {exc}"[:4000]


def month_of(event: ev.Event) -> str | None:
    fields = vars(event)  # the model's field values: no AttributeError for a missing one
    period = fields.get("period")
    if period:
        return str(period)
    work_date = fields.get("work_date")
    return f"{work_date:%Y-%m}" if work_date else None


def after_close(event: ev.Event, closed_at: dict[tuple[str, str], Any]) -> bool:
    """Did this fact reach a month that was closed for good (it came after the last close)?"""
    if not closed_at:
        return False
    month = month_of(event)
    close = closed_at.get((event.tenant_id, month)) if month else None
    return close is not None and event.occurred_at >= close


class Replayer:
    """Routes the replayed records (``feed``) and stores the facts to apply now in chunks of
    ``STORE_EVENTS`` (``_store_replayed``: two transactions at once per chunk, see
    ``_store_chunk``), the next chunk decoded while the previous one is stored; ``finish``
    stores the rest. What it holds back for after
    the replay: ``directory`` (when months were closed: applied around the closes), ``late``
    (facts of a closed month that came after its last close) and ``pending`` (the
    employee-months the stored facts changed, each with its last cause)."""

    def __init__(self, uow: UnitOfWork, *, tenants: set[str] | None = None,
                 closed_at: dict[tuple[str, str], Any] | None = None) -> None:
        self.uow = uow
        self.tenants = tenants
        self.closed_at = closed_at or {}
        self.stats: dict[str, Any] = {"applied": 0, "quarantined": 0, "ignored": 0}
        self.directory: list[ev.Event] = []
        self.late: list[ev.Event] = []
        self.pending: dict[Key, ev.Event] = {}
        self._events: list[ev.Event] = []
        self._bad: list[dict[str, Any]] = []
        self._storing: asyncio.Task[None] | None = None
        bind = uow.sessionmaker.kw.get("bind")  # SQLite serialises writers: no second part
        self._parts = bind is not None and bind.dialect.name == "postgresql"

    async def feed(self, batch: Sequence[Record]) -> None:
        for i in range(0, len(batch), DECODE_SLICE):
            for record in batch[i:i + DECODE_SLICE]:
                self._route(*record)
            if self._storing is not None and not self._storing.done():
                await asyncio.sleep(0)  # the store in flight sends its next statement
        if len(self._events) + len(self._bad) >= STORE_EVENTS:
            await self._store()

    async def finish(self) -> None:
        """Store what is left; every transaction committed when it returns."""
        await self._store()
        await self._wait()

    async def cancel(self) -> None:
        """Stop the store in flight (the rebuild failed elsewhere)."""
        if self._storing is not None:
            self._storing.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._storing
            self._storing = None

    def _route(self, raw: bytes | None, topic: str, partition: int, offset: int) -> None:
        decoded = decode(raw)
        if isinstance(decoded, str):
            self._bad.append({"source": f"rebuild:{topic}",
                              "raw": (raw or b"").decode(errors="replace"), "reason": decoded,
                              "context": {"topic": topic, "partition": partition,
                                          "offset": offset}})
            self.stats["quarantined"] += 1
        else:
            for fact in ev.each_fact((decoded,)):  # a batch of days: each day, as v1's
                self._take(fact)

    def _take(self, decoded: ev.Event) -> None:
        if self.tenants is not None and decoded.tenant_id not in self.tenants:
            self.stats["ignored"] += 1
        elif type(decoded) not in services.FACT_TYPES:  # leaf classes: no ABC check
            self.stats["ignored"] += 1
        elif self.closed_at and type(decoded) in DIRECTORY_TYPES:
            self.directory.append(decoded)
        elif after_close(decoded, self.closed_at):
            self.late.append(decoded)
        else:
            self._events.append(decoded)
            self.stats["applied"] += 1

    async def _store(self) -> None:
        """Wait for the previous chunk, then start this one's (in order)."""
        await self._wait()
        events, bad = self._events, self._bad
        self._events, self._bad = [], []
        self._storing = asyncio.create_task(self._store_chunk(bad, events))

    async def _store_chunk(self, bad: list[dict[str, Any]], events: list[ev.Event]) -> None:
        """The chunk's activity decisions in a transaction of their own, beside the rest's
        (their tables are independent and the target has no other writer: the server
        upserts both at once; PostgreSQL only); the employee-months they changed go to
        ``pending`` with the cause one transaction would have kept (``merged``)."""
        split = services.ENTRY_TYPES if self._parts else frozenset()
        entries = [e for e in events if type(e) in split]
        rest = [e for e in events if type(e) not in split]
        first: dict[Key, ev.Event] = {}
        second: dict[Key, ev.Event] = {}
        both = [asyncio.ensure_future(part) for part in (
            *([self.uow.run(_store_replayed, bad, rest, first)] if rest or bad else []),
            *([self.uow.run(_store_replayed, [], entries, second, lock=False)]
              if entries else []))]
        try:
            await asyncio.gather(*both)
        except BaseException:  # the first failure is raised, the other part stopped
            for task in both:
                task.cancel()
            await asyncio.gather(*both, return_exceptions=True)
            raise
        for key, cause in merged(first, second):
            self.pending.pop(key, None)
            self.pending[key] = cause

    async def _wait(self) -> None:
        if self._storing is not None:
            task, self._storing = self._storing, None
            await task


def merged(rest: dict[Key, ev.Event],
           entries: dict[Key, ev.Event]) -> Iterator[tuple[Key, ev.Event]]:
    """The employee-months of a chunk stored in two parts (the activity decisions, the
    rest), each with its last cause in the order of one store (``store_events``: the
    directory, the attendance days, the activity decisions, then the calendars)."""
    for key, cause in rest.items():
        if key not in entries or type(cause) is ev.EffectiveDaysPublished:
            yield key, cause
    for key, cause in entries.items():
        if key not in rest or type(rest[key]) is not ev.EffectiveDaysPublished:
            yield key, cause


async def _store_replayed(session: AsyncSession, bad: list[dict[str, Any]],
                          events: list[ev.Event], pending: dict[Key, ev.Event], *,
                          lock: bool = True) -> None:
    """Replayed records (``STORE_EVENTS`` at a time, several fetched batches: one upsert
    per table and one commit for them): the undecodable quarantined, the facts stored; the
    employee-months they changed are added to ``pending``, recomputed once after the
    replay (``cli._recompute``) instead of after every batch that touches them. Every month
    is open while the topics are replayed (the closes are written after), and a score is
    the same function of the stored facts whenever it is computed: the numbers are the
    ones a recomputation per batch gives (only the rebuilt rows' versions are fewer)."""
    for row in bad:
        session.add(Quarantine(**row, received_at=utcnow()))
    affected = Affected()
    await services.store_events(session, events, affected, bulk=True, lock=lock)
    for key, cause in affected.keys.items():
        pending.pop(key, None)
        pending[key] = cause
