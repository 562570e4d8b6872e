"""The outbox relay chooses each record's partition itself (it packs the record batches):
it must be the partition aiokafka's default partitioner (Kafka's Java one) gives the key,
or one employee's events would change partition with the relay's code."""

import random

from aiokafka.partitioner import DefaultPartitioner

from ekinerja_shared.events import event_key
from ekinerja_shared.outbox import partition_of


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
