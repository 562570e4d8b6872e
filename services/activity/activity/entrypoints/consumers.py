"""Kafka subscribers of the activity service (thin: hand each batch to the consumer, which
decodes, quarantines, dedupes and applies it in one transaction)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from faststream.kafka import KafkaMessage
from sqlalchemy.ext.asyncio import AsyncSession

from ekinerja_shared import events as ev
from ekinerja_shared.consumer import EventConsumer
from ekinerja_shared.kafka import subscriber_defaults
from ekinerja_shared.service import Runtime
from ekinerja_shared.topics import DIRECTORY, PERIODS, Topic

from ..service_layer import services


def _batch_handler(consumer: EventConsumer,
                   apply_one: Callable[[AsyncSession, ev.Event], Awaitable[None]],
                   accept: tuple[type[ev.Event], ...]) -> Callable[[KafkaMessage], Any]:
    async def apply_batch(session: AsyncSession, events: list[ev.Event]) -> None:
        for event in events:  # in partition order: later states replace earlier ones
            await apply_one(session, event)

    async def on_batch(msg: KafkaMessage) -> None:
        raw = msg.raw_message
        records = raw if isinstance(raw, tuple) else (raw,)
        await consumer.handle_batch(
            records, apply_batch, accept, bodies=[r.value for r in records],
            contexts=[{"topic": r.topic, "partition": r.partition, "offset": r.offset}
                      for r in records])

    return on_batch


def register(rt: Runtime) -> None:
    default_tz = rt.extras["config"].default_tz
    batch_size = rt.settings.consumer_batch_size  # type: ignore[attr-defined]

    async def apply_directory(session: AsyncSession, event: ev.Event) -> None:
        await services.apply_directory_event(session, event, default_tz=default_tz)

    def subscribe(topic: Topic, purpose: str, description: str, handler: Any) -> None:
        rt.broker.subscriber(topic.name, **subscriber_defaults(rt.settings, purpose),
                             batch=True, max_records=batch_size, title=f"activity/{purpose}",
                             description=description)(handler)

    subscribe(DIRECTORY, "directory",
              "Keeps the local copy of tenants, employees and their supervisor history",
              _batch_handler(rt.consumer("activity-directory"), apply_directory,
                             (ev.TenantUpserted, ev.EmployeeUpserted)))
    subscribe(PERIODS, "periods", "Closed months refuse new or changed entries",
              _batch_handler(rt.consumer("activity-periods"), services.apply_period_event,
                             (ev.PeriodClosed, ev.PeriodReopened)))
