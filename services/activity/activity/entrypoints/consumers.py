"""Kafka subscribers of the activity service (thin: hand the record to the consumer)."""

from __future__ import annotations

import functools

from faststream.kafka import KafkaMessage

from ekinerja_shared import events as ev
from ekinerja_shared.kafka import subscriber_defaults
from ekinerja_shared.service import Runtime
from ekinerja_shared.topics import DIRECTORY, PERIODS

from ..service_layer import services


def register(rt: Runtime) -> None:
    directory = rt.consumer("activity-directory")
    periods = rt.consumer("activity-periods")
    apply_directory = functools.partial(services.apply_directory_event,
                                        default_tz=rt.extras["config"].default_tz)

    @rt.broker.subscriber(DIRECTORY.name, **subscriber_defaults(rt.settings, "directory"),
                          title="activity/directory",
                          description="Keeps the local copy of tenants, employees and their "
                                      "supervisor history")
    async def on_directory(msg: KafkaMessage) -> None:
        await directory.handle(msg, apply_directory, (ev.TenantUpserted, ev.EmployeeUpserted))

    @rt.broker.subscriber(PERIODS.name, **subscriber_defaults(rt.settings, "periods"),
                          title="activity/periods",
                          description="Closed months refuse new or changed entries")
    async def on_period(msg: KafkaMessage) -> None:
        await periods.handle(msg, services.apply_period_event,
                             (ev.PeriodClosed, ev.PeriodReopened))
