"""The outbox relay chooses each record's partition itself (it packs the record batches):
it must be the partition aiokafka's default partitioner (Kafka's Java one) gives the key,
or one employee's events would change partition with the relay's code."""

import random
import uuid
from types import SimpleNamespace
from typing import Any

from aiokafka.errors import KafkaTimeoutError
from aiokafka.partitioner import DefaultPartitioner

from ekinerja_shared.db import make_engine, make_sessionmaker
from ekinerja_shared.events import event_key
from ekinerja_shared.metrics import CommonMetrics
from ekinerja_shared.outbox import OutboxRelay, is_transient_publish_error
from ekinerja_shared.partitioning import partition_of
from ekinerja_shared.topics import PERIODS
from ekinerja_shared.uow import UnitOfWork
from tests.support.plumbing_models import Outbox


def test_partition_of_is_the_default_partitioners_choice() -> None:
    rng = random.Random(13)
    keys = [event_key(f"kab-{rng.randrange(50)}", f"19{rng.randrange(10**16):016d}").encode()
            for _ in range(2_000)] + [event_key("cilegon", None).encode(), b"", b"\xff" * 9]
    for count in (1, 3, 6, 12, 32):
        partitions = list(range(count))
        for key in keys:
            expected = DefaultPartitioner()(key, partitions, partitions)
            assert partition_of(key, partitions) == expected
            assert partition_of(key, partitions) == expected  # from the cache, the same


def test_one_key_keeps_its_partition_and_the_keys_spread() -> None:
    partitions = list(range(6))
    keys = [f"cilegon:19{i:016d}".encode() for i in range(600)]
    chosen = [partition_of(k, partitions) for k in keys]
    assert [partition_of(k, partitions) for k in keys] == chosen
    assert set(chosen) == set(partitions)
    assert max(chosen.count(p) for p in partitions) < 2 * 600 / 6


class _BrokerAway:
    """A relay producer whose metadata request fails (the broker away): the producer side
    of ``OutboxRelay._send_all`` in a unit test; nothing may be counted as sent."""

    def __init__(self) -> None:
        self.asked = 0

    async def partitions_for(self, topic: str) -> set[int]:
        self.asked += 1
        raise KafkaTimeoutError()

    def create_batch(self) -> Any:
        raise AssertionError("no batch may be built without the topic's partitions")


async def test_a_topic_whose_partitions_cannot_be_had_fails_its_rows_once_a_pass(
        tmp_path: Any) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path}/relay.db")
    producer = _BrokerAway()
    relay = OutboxRelay(UnitOfWork(make_sessionmaker(engine)), Outbox, lambda: producer,
                        CommonMetrics())
    rows = [SimpleNamespace(id=i, topic=PERIODS.name, key=f"kab:{i}", payload="{}",
                            event_type="PeriodClosed", event_id=uuid.uuid4())
            for i in range(5)]
    relay._producer = producer  # type: ignore[assignment]
    errors = await relay._send_all(rows)
    await engine.dispose()
    assert producer.asked == 1
    assert all(isinstance(e, KafkaTimeoutError) for e in errors)
    assert all(is_transient_publish_error(e) for e in errors if e is not None)
