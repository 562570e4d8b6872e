"""Kafka subscribers of the scoring service (thin: hand the batch to the service layer).

One durable batch subscriber per fact topic, consumer group and inbox name
``scoring-<purpose>`` with the purpose named after the topic (``scoring-directory``,
``scoring-attendance-days-v2`` (and ``scoring-attendance-days``, which reads what v1 left),
``scoring-attendance-calendar``, ``scoring-activity-entries``,
``scoring-activity-acting``: the copy of the acting assignments, Plt/Plh, who may read a
team's scores). ``rebuild`` replays the same topics.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from ekinerja_shared import events as ev
from ekinerja_shared.topics import (
    ACTIVITY_ACTING,
    ACTIVITY_ENTRIES,
    ATTENDANCE_CALENDAR,
    ATTENDANCE_DAY_BATCHES,
    ATTENDANCE_DAYS,
    DIRECTORY,
    Topic,
)

from ..runtime import ScoringRuntime
from ..service_layer import services

FACT_TOPICS: tuple[Topic, ...] = (DIRECTORY, ATTENDANCE_DAYS, ATTENDANCE_DAY_BATCHES,
                                  ATTENDANCE_CALENDAR, ACTIVITY_ENTRIES, ACTIVITY_ACTING)


def purpose_of(topic: Topic) -> str:
    """``ekinerja.attendance.days.v1`` -> ``attendance-days``,
    ``ekinerja.attendance.days.v2`` -> ``attendance-days-v2``."""
    return topic.name.removeprefix("ekinerja.").removesuffix(".v1").replace(".", "-")


def register(rt: ScoringRuntime) -> None:
    default_preset = rt.default_preset

    async def apply_batch(session: AsyncSession, events: list[ev.Event]) -> None:
        await services.apply_events(session, events, default_preset=default_preset)

    for topic in FACT_TOPICS:
        rt.subscribe_batch(
            topic, purpose_of(topic), apply_batch, services.FACT_TYPES,
            description=f"Stores the facts of {topic.name} and updates the affected scores",
            custom_plans=topic is DIRECTORY,  # a roster's batches of 1,000 (uow.py)
        )
