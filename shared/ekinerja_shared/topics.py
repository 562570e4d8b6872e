"""The one registry of Kafka topic names, partition counts and configs.

Topics are created explicitly (the broker runs with ``auto.create.topics.enable=false``):
``python -m ekinerja_shared.topics --bootstrap 127.0.0.1:9092`` creates the missing ones
and checks the partition counts of the existing ones.
Fact topics keep their records forever (``retention.ms=-1``) because scoring can rebuild
all scores by replaying them from the start.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from dataclasses import dataclass, field

from .events import Event

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Topic:
    name: str
    partitions: int
    description: str
    configs: dict[str, str] = field(default_factory=dict)


_FOREVER = {"retention.ms": "-1", "retention.bytes": "-1"}

DIRECTORY = Topic(
    "ekinerja.directory.v1", 6, "Tenants and employees of the roster (gateway)", _FOREVER
)
ATTENDANCE_PUNCHES = Topic(
    "ekinerja.attendance.punches.v1", 6, "Punches accepted from devices (attendance)", _FOREVER
)
ATTENDANCE_DAYS = Topic(
    "ekinerja.attendance.days.v1", 6, "Daily attendance evaluations (attendance)", _FOREVER
)
ACTIVITY_ENTRIES = Topic(
    "ekinerja.activity.entries.v1", 6, "Activity entry decisions (activity)", _FOREVER
)
ATTENDANCE_CALENDAR = Topic(
    "ekinerja.attendance.calendar.v1", 6, "Effective working days per month (attendance)",
    _FOREVER,
)
SCORES = Topic("ekinerja.scoring.scores.v1", 6, "Running monthly scores (scoring)")
PERIODS = Topic("ekinerja.scoring.periods.v1", 3, "Month close and reopen (scoring)", _FOREVER)

ALL_TOPICS: tuple[Topic, ...] = (
    DIRECTORY,
    ATTENDANCE_PUNCHES,
    ATTENDANCE_DAYS,
    ATTENDANCE_CALENDAR,
    ACTIVITY_ENTRIES,
    SCORES,
    PERIODS,
)

_BY_GROUP = {
    "directory": DIRECTORY,
    "attendance.punches": ATTENDANCE_PUNCHES,
    "attendance.days": ATTENDANCE_DAYS,
    "attendance.calendar": ATTENDANCE_CALENDAR,
    "activity.entries": ACTIVITY_ENTRIES,
    "scoring.scores": SCORES,
    "scoring.periods": PERIODS,
}


def topic_for(event: Event | type[Event]) -> Topic:
    return _BY_GROUP[event.topic_group]


async def ensure_topics(bootstrap: str, topics: tuple[Topic, ...] = ALL_TOPICS) -> list[str]:
    """Create missing topics; return the names created. Raises if an existing topic has
    fewer partitions than the registry says (keys would map differently)."""
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="ekinerja-topics")
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in topics if t.name not in existing]
        if missing:
            await admin.create_topics(
                [
                    NewTopic(t.name, num_partitions=t.partitions, replication_factor=1,
                             topic_configs=t.configs)
                    for t in missing
                ]
            )
            await _wait_for_leaders(admin, [t.name for t in missing])
        present = [t for t in topics if t.name in existing]
        if present:
            described = await admin.describe_topics([t.name for t in present])
            counts = {d["topic"]: len(d["partitions"]) for d in described}
            for t in present:
                if counts.get(t.name, 0) < t.partitions:
                    raise RuntimeError(
                        f"topic {t.name} has {counts.get(t.name)} partitions, registry says "
                        f"{t.partitions}"
                    )
        return [t.name for t in missing]
    finally:
        await admin.close()


async def _wait_for_leaders(admin: object, names: list[str], timeout_s: float = 30) -> None:
    """Producing right after creation can fail until every partition has a leader."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        described = await admin.describe_topics(names)  # type: ignore[attr-defined]
        if all(d["partitions"] and all(p["leader"] >= 0 for p in d["partitions"])
               for d in described):
            return
        if loop.time() > deadline:
            raise RuntimeError(f"topics {names} have no partition leaders after {timeout_s}s")
        await asyncio.sleep(0.2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Create the e-Kinerja Kafka topics")
    parser.add_argument("--bootstrap", default=None, help="Kafka bootstrap servers")
    parser.add_argument("--retries", type=int, default=30, help="attempts while Kafka starts")
    args = parser.parse_args(argv)
    import os

    bootstrap = args.bootstrap or os.environ.get("EK_KAFKA_BOOTSTRAP", "127.0.0.1:9092")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    for attempt in range(1, args.retries + 1):
        try:
            created = asyncio.run(ensure_topics(bootstrap))
        except RuntimeError:
            raise
        except Exception as exc:  # broker not up yet
            log.warning("topics: attempt %d failed: %s", attempt, exc)
            if attempt == args.retries:
                return 1
            import time

            time.sleep(2)
            continue
        log.info("topics: created %s; all %d present", created or "none", len(ALL_TOPICS))
        return 0
    return 1


if __name__ == "__main__":
    sys.exit(main())
