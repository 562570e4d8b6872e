"""Kafka subscribers of the activity service (thin: hand the record to the consumer)."""

from __future__ import annotations

from faststream.kafka import KafkaMessage

from ekinerja_shared import events as ev
from ekinerja_shared.kafka import subscriber_defaults
from ekinerja_shared.service import Runtime
from ekinerja_shared.topics import DIRECTORY

from ..service_layer import services


def register(rt: Runtime) -> None:
    directory = rt.consumer("activity-directory")

    @rt.broker.subscriber(DIRECTORY.name, **subscriber_defaults(rt.settings, "directory"),
                          title="activity/directory",
                          description="Keeps the local copy of tenants and employees")
    async def on_directory(msg: KafkaMessage) -> None:
        await directory.handle(msg, services.apply_directory_event,
                               (ev.TenantUpserted, ev.EmployeeUpserted))
