"""Kafka subscribers of the scoring service (thin: hand the batch to the consumer)."""

from __future__ import annotations

from functools import partial
from typing import Any

from faststream.kafka import KafkaMessage

from ekinerja_shared.consumer import EventConsumer
from ekinerja_shared.kafka import subscriber_defaults
from ekinerja_shared.service import Runtime
from ekinerja_shared.topics import (
    ACTIVITY_ENTRIES,
    ATTENDANCE_CALENDAR,
    ATTENDANCE_DAYS,
    DIRECTORY,
    Topic,
)

from ..service_layer import services

FACT_TOPICS: tuple[Topic, ...] = (DIRECTORY, ATTENDANCE_DAYS, ATTENDANCE_CALENDAR,
                                  ACTIVITY_ENTRIES)


def register(rt: Runtime) -> None:
    default_preset = rt.settings.default_policy_preset  # type: ignore[attr-defined]
    apply = partial(services.apply_events, default_preset=default_preset)

    async def apply_batch(session: Any, events: list[Any]) -> None:
        await apply(session, events)

    def batch_handler(consumer: EventConsumer) -> Any:
        async def on_batch(msg: KafkaMessage) -> None:
            await consumer.handle_records(msg, apply_batch, services.FACT_TYPES)

        return on_batch

    for topic in FACT_TOPICS:
        purpose = topic.name.removeprefix("ekinerja.").removesuffix(".v1").replace(".", "-")
        rt.broker.subscriber(
            topic.name, **subscriber_defaults(rt.settings, purpose, batch=True),
            title=f"scoring/{purpose}",
            description=f"Stores the facts of {topic.name} and updates the affected scores",
        )(batch_handler(rt.consumer(f"scoring-{purpose}")))
