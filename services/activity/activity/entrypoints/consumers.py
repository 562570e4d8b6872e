"""Kafka subscribers of the activity service (thin: hand each batch to the consumer, which
decodes, quarantines, dedupes and applies it in one transaction)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from faststream.kafka import KafkaMessage
from sqlalchemy.ext.asyncio import AsyncSession

from ekinerja_shared import events as ev
from ekinerja_shared.consumer import EventConsumer, in_order
from ekinerja_shared.kafka import subscriber_defaults
from ekinerja_shared.service import Runtime
from ekinerja_shared.topics import DIRECTORY, PERIODS, Topic

from ..service_layer import services


def _batch_handler(consumer: EventConsumer,
                   apply_one: Callable[[AsyncSession, ev.Event], Awaitable[None]],
                   accept: tuple[type[ev.Event], ...]) -> Callable[[KafkaMessage], Any]:
    async def on_batch(msg: KafkaMessage) -> None:
        await consumer.handle_records(msg, in_order(apply_one), accept)

    return on_batch


def register(rt: Runtime) -> None:
    default_tz = rt.extras["config"].default_tz

    async def apply_directory(session: AsyncSession, event: ev.Event) -> None:
        await services.apply_directory_event(session, event, default_tz=default_tz)

    def subscribe(topic: Topic, purpose: str, description: str, handler: Any) -> None:
        rt.broker.subscriber(topic.name, **subscriber_defaults(rt.settings, purpose, batch=True),
                             title=f"activity/{purpose}", description=description)(handler)

    subscribe(DIRECTORY, "directory",
              "Keeps the local copy of tenants, employees and their supervisor history",
              _batch_handler(rt.consumer("activity-directory"), apply_directory,
                             (ev.TenantUpserted, ev.EmployeeUpserted)))
    subscribe(PERIODS, "periods", "Closed months refuse new or changed entries",
              _batch_handler(rt.consumer("activity-periods"), services.apply_period_event,
                             (ev.PeriodClosed, ev.PeriodReopened)))
