"""Kafka subscribers of the attendance service (thin: hand the records to the consumer)."""

from __future__ import annotations

from faststream.kafka import KafkaMessage
from sqlalchemy.ext.asyncio import AsyncSession

from ekinerja_shared import events as ev
from ekinerja_shared.consumer import in_order
from ekinerja_shared.kafka import subscriber_defaults
from ekinerja_shared.service import Runtime
from ekinerja_shared.topics import DIRECTORY

from ..service_layer import services


def register(rt: Runtime) -> None:
    directory = rt.consumer("attendance-directory")
    default_tz: str = rt.settings.default_timezone  # type: ignore[attr-defined]

    async def apply_directory(session: AsyncSession, event: ev.Event) -> None:
        await services.apply_directory_event(session, event, default_tz=default_tz)

    # batches: a new deployment catches up with the whole roster in few transactions
    @rt.broker.subscriber(DIRECTORY.name,
                          **subscriber_defaults(rt.settings, "directory", batch=True),
                          title="attendance/directory",
                          description="Keeps the local copy of tenants, employees and "
                                      "device PINs")
    async def on_directory(msg: KafkaMessage) -> None:
        await directory.handle_records(msg, in_order(apply_directory),
                                       (ev.TenantUpserted, ev.EmployeeUpserted))
