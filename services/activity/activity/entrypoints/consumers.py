"""Kafka subscribers of the activity service (thin: the runtime's batch consumer decodes,
quarantines, dedupes and applies each batch in one transaction). Consumer groups and inbox
names: ``activity-directory`` and ``activity-periods``."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from ekinerja_shared import events as ev
from ekinerja_shared.applying import in_order
from ekinerja_shared.topics import DIRECTORY, PERIODS

from ..runtime import ActivityRuntime
from ..service_layer import directory


def register(rt: ActivityRuntime) -> None:
    default_tz = rt.config.default_tz

    async def apply_directory(session: AsyncSession, events: list[ev.Event]) -> None:
        await directory.apply_directory_batch(session, events, default_tz=default_tz)

    rt.subscribe_batch(
        DIRECTORY, "directory", apply_directory, (ev.TenantUpserted, ev.EmployeeUpserted),
        description="Keeps the local copy of tenants, employees and their supervisor history",
        custom_plans=True)  # a roster's batches of 1,000 (uow.py)
    rt.subscribe_batch(
        PERIODS, "periods", in_order(directory.apply_period_event),
        (ev.PeriodClosed, ev.PeriodReopened),
        description="Closed months refuse new or changed entries")
