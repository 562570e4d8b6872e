"""The one registry of Kafka topic names, partition counts and configs.

Topics are created explicitly (the broker runs with ``auto.create.topics.enable=false``):
``python -m ekinerja_shared.topics --bootstrap 127.0.0.1:9092`` creates the missing ones
with the asked replication factor and ``min.insync.replicas`` (``--replication-factor``,
``--min-insync-replicas``; env ``EK_KAFKA_REPLICATION_FACTOR``,
``EK_KAFKA_MIN_INSYNC_REPLICAS``; 1 and 1 by default, 3 and 2 in the production profile)
and checks the existing ones: fewer partitions, a lower replication factor or a lower
``min.insync.replicas`` than asked is reported as an error.
Fact topics keep their records forever (``retention.ms=-1``) because scoring can rebuild
all scores by replaying them from the start, which is why production replicates them.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from .events import DAYS_PER_EVENT, LANES, PUNCHES_PER_EVENT, Event

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Topic:
    name: str
    partitions: int
    description: str
    configs: dict[str, str] = field(default_factory=dict)
    facts_per_record: int = 1  # at most (a v2 event carries many punches or days)


_FOREVER = {"retention.ms": "-1", "retention.bytes": "-1"}

DIRECTORY = Topic(
    "ekinerja.directory.v1", 6, "Tenants and employees of the roster (gateway)", _FOREVER
)
ATTENDANCE_PUNCHES = Topic(
    "ekinerja.attendance.punches.v1", 6,
    "Punches accepted from devices, one event each (attendance; v1, no longer written)",
    _FOREVER,
)
ATTENDANCE_PUNCH_BATCHES = Topic(
    "ekinerja.attendance.punches.v2", LANES,
    "Punches accepted from devices, one event per upload and lane (attendance)", _FOREVER,
    facts_per_record=PUNCHES_PER_EVENT,
)
ATTENDANCE_DAYS = Topic(
    "ekinerja.attendance.days.v1", 6,
    "Daily attendance evaluations, one event each (attendance; v1, no longer written)",
    _FOREVER,
)
ATTENDANCE_DAY_BATCHES = Topic(
    "ekinerja.attendance.days.v2", LANES,
    "Daily attendance evaluations, one event per transaction and lane (attendance)", _FOREVER,
    facts_per_record=DAYS_PER_EVENT,
)
ACTIVITY_ENTRIES = Topic(
    "ekinerja.activity.entries.v1", 6, "Activity entry decisions (activity)", _FOREVER
)
ACTIVITY_ACTING = Topic(
    "ekinerja.activity.acting.v1", 3, "Acting assignments, Plt/Plh (activity)", _FOREVER
)
ATTENDANCE_CALENDAR = Topic(
    "ekinerja.attendance.calendar.v1", 6, "Effective working days per month (attendance)",
    _FOREVER,
)
SCORES = Topic("ekinerja.scoring.scores.v1", 6, "Running monthly scores (scoring)")
PERIODS = Topic("ekinerja.scoring.periods.v1", 3, "Month close and reopen (scoring)", _FOREVER)
AUDIT = Topic(
    "ekinerja.audit.v1", 3,
    "Decisions, HR changes, exports and operator access (every service; kept by the gateway)",
    _FOREVER,
)

ALL_TOPICS: tuple[Topic, ...] = (
    DIRECTORY,
    ATTENDANCE_PUNCHES,
    ATTENDANCE_PUNCH_BATCHES,
    ATTENDANCE_DAYS,
    ATTENDANCE_DAY_BATCHES,
    ATTENDANCE_CALENDAR,
    ACTIVITY_ENTRIES,
    ACTIVITY_ACTING,
    SCORES,
    PERIODS,
    AUDIT,
)

_BY_GROUP = {
    "directory": DIRECTORY,
    "attendance.punches": ATTENDANCE_PUNCHES,
    "attendance.punches.v2": ATTENDANCE_PUNCH_BATCHES,
    "attendance.days": ATTENDANCE_DAYS,
    "attendance.days.v2": ATTENDANCE_DAY_BATCHES,
    "attendance.calendar": ATTENDANCE_CALENDAR,
    "activity.entries": ACTIVITY_ENTRIES,
    "activity.acting": ACTIVITY_ACTING,
    "scoring.scores": SCORES,
    "scoring.periods": PERIODS,
    "audit": AUDIT,
}


def topic_for(event: Event | type[Event]) -> Topic:
    return _BY_GROUP[event.topic_group]


@dataclass(frozen=True)
class Replication:
    """How many copies of each partition (``factor``) and how many of them must have a
    record before an ``acks=all`` write succeeds (``min_insync``). With 3 and 2, one broker
    may be down without stopping producers or losing an acknowledged record."""

    factor: int = 1
    min_insync: int = 1

    def __post_init__(self) -> None:
        if self.factor < 1:
            raise ValueError(f"replication factor must be at least 1, got {self.factor}")
        if not 1 <= self.min_insync <= self.factor:
            raise ValueError(
                f"min.insync.replicas must be between 1 and the replication factor "
                f"({self.factor}), got {self.min_insync}"
            )


class TopicCheckError(RuntimeError):
    """An existing topic does not meet the registry or the asked replication, or the
    broker refused to create one; the message lists every problem."""


class NotEnoughBrokers(TopicCheckError):
    """Fewer brokers than the replication factor: a cluster still starting (retried by
    ``main``) or a replication factor too high for it."""


_TOPIC_ALREADY_EXISTS = 36  # a concurrent run created it first: fine


async def ensure_topics(
    bootstrap: str,
    topics: tuple[Topic, ...] = ALL_TOPICS,
    replication: Replication = Replication(),
) -> list[str]:
    """Create missing topics with ``replication``; return the names created. Raises
    ``TopicCheckError`` if an existing topic has fewer partitions than the registry says
    (keys would map differently), a lower replication factor or a lower
    ``min.insync.replicas`` than asked, or if the broker refuses a creation (e.g. a
    replication factor above the number of brokers)."""
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="ekinerja-topics")
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in topics if t.name not in existing]
        problems: list[str] = []
        if missing:
            brokers = len((await admin.describe_cluster())["brokers"])
            if brokers < replication.factor:
                raise NotEnoughBrokers(
                    f"{brokers} broker(s) available, replication factor {replication.factor} "
                    f"needs {replication.factor}"
                )
            min_isr = {"min.insync.replicas": str(replication.min_insync)}
            response = await admin.create_topics(
                [
                    NewTopic(t.name, num_partitions=t.partitions,
                             replication_factor=replication.factor,
                             topic_configs={**t.configs, **min_isr})
                    for t in missing
                ]
            )
            for err in response.to_object()["topic_errors"]:
                if err["error_code"] not in (0, _TOPIC_ALREADY_EXISTS):
                    problems.append(f"topic {err['topic']} not created: {err['error_message']}"
                                    f" (error {err['error_code']})")
            if problems:
                raise TopicCheckError("\n".join(problems))
            await _wait_for_leaders(admin, [t.name for t in missing])
        present = [t for t in topics if t.name in existing]
        if present:
            problems = await _check_existing(admin, present, replication)
            if problems:
                raise TopicCheckError("\n".join(problems))
        return [t.name for t in missing]
    finally:
        await admin.close()


async def min_insync_replicas(admin: Any, names: list[str]) -> dict[str, int]:
    """The effective ``min.insync.replicas`` of each topic (its own or the broker's)."""
    from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

    responses = await admin.describe_configs(
        [ConfigResource(ConfigResourceType.TOPIC, n, configs={"min.insync.replicas": None})
         for n in names]
    )
    return {
        res["resource_name"]: int(entry["config_value"])
        for response in responses
        for res in response.to_object()["resources"]
        for entry in res["config_entries"]
        if entry["config_names"] == "min.insync.replicas"
    }


async def _check_existing(
    admin: Any, present: list[Topic], replication: Replication
) -> list[str]:
    problems = []
    names = [t.name for t in present]
    described = {d["topic"]: d["partitions"] for d in await admin.describe_topics(names)}
    min_isr = await min_insync_replicas(admin, names)
    for t in present:
        partitions = described.get(t.name) or []
        if len(partitions) < t.partitions:
            problems.append(f"topic {t.name} has {len(partitions)} partitions, registry says "
                            f"{t.partitions}")
        factor = min((len(p["replicas"]) for p in partitions), default=0)
        if factor < replication.factor:
            problems.append(f"topic {t.name} has replication factor {factor}, asked "
                            f"{replication.factor} (raise it with kafka-reassign-partitions)")
        isr = min_isr.get(t.name, 0)
        if isr < replication.min_insync:
            problems.append(f"topic {t.name} has min.insync.replicas {isr}, asked "
                            f"{replication.min_insync} (kafka-configs --alter)")
    return problems


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
    from .settings import ServiceSettings

    settings = ServiceSettings()
    parser = argparse.ArgumentParser(description="Create and check the e-Kinerja Kafka topics")
    parser.add_argument("--bootstrap", default=settings.kafka_bootstrap,
                        help="Kafka bootstrap servers (env EK_KAFKA_BOOTSTRAP)")
    parser.add_argument("--replication-factor", type=int,
                        default=settings.kafka_replication_factor,
                        help="replicas of new topics, the least accepted for existing ones "
                             "(env EK_KAFKA_REPLICATION_FACTOR, default 1)")
    parser.add_argument("--min-insync-replicas", type=int,
                        default=settings.kafka_min_insync_replicas,
                        help="min.insync.replicas of new topics, the least accepted for "
                             "existing ones (env EK_KAFKA_MIN_INSYNC_REPLICAS, default 1)")
    parser.add_argument("--retries", type=int, default=30, help="attempts while Kafka starts")
    args = parser.parse_args(argv)
    try:
        replication = Replication(args.replication_factor, args.min_insync_replicas)
    except ValueError as exc:
        parser.error(str(exc))

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    if replication.factor > 1 and replication.min_insync == replication.factor:
        log.warning("topics: min.insync.replicas = replication factor: producers stop "
                    "while any one replica is down")
    for attempt in range(1, args.retries + 1):
        try:
            created = asyncio.run(ensure_topics(args.bootstrap, replication=replication))
        except NotEnoughBrokers as exc:  # a cluster whose brokers are still starting
            failure: Exception = exc
        except TopicCheckError as exc:
            log.error("topics: %s", exc)
            return 2
        except Exception as exc:  # broker not up yet
            failure = exc
        else:
            log.info("topics: created %s; all %d present (replication factor %d, "
                     "min.insync.replicas %d)", created or "none", len(ALL_TOPICS),
                     replication.factor, replication.min_insync)
            return 0
        log.warning("topics: attempt %d failed: %s", attempt, failure)
        if attempt < args.retries:
            time.sleep(2)
    return 1


if __name__ == "__main__":
    sys.exit(main())
