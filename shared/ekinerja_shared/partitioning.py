"""The partition Kafka's default partitioner gives a keyed record (the key's murmur2 hash,
as in aiokafka and the Java client), computed ahead of the producer where the project
needs it: the outbox relay packs its record batches per partition, and the lanes of the
punches and days (``events.lane_of``) are the partitions of the employees' own keys."""

from __future__ import annotations

import functools
from collections.abc import Sequence

from aiokafka.partitioner import murmur2


@functools.lru_cache(maxsize=65_536)  # murmur2 in Python is some 12 us a key
def _murmur2(key: bytes) -> int:
    return int(murmur2(key)) & 0x7FFFFFFF  # most keys (a regency's employees) come back


def partition_of(key: bytes, partitions: Sequence[int]) -> int:
    """The partition aiokafka's (and Kafka's Java) default partitioner gives a keyed
    record: the key's murmur2 hash over the topic's partitions in order."""
    return partitions[_murmur2(key) % len(partitions)]
