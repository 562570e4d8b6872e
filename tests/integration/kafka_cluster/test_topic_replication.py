"""``ekinerja_shared.topics`` on the three-node cluster: the registry's topics are created
with replication factor 3 and min.insync.replicas 2 from the same variables the local
runner and docker-compose.yml set, and weaker existing topics are reported."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from ekinerja_shared.topics import (
    ALL_TOPICS,
    NotEnoughBrokers,
    Replication,
    Topic,
    TopicCheckError,
    ensure_topics,
    min_insync_replicas,
)
from tests.integration.kafka_cluster.cluster import ROOT, LocalCluster

pytestmark = [pytest.mark.integration, pytest.mark.cluster, pytest.mark.timeout(300)]


def _topics_cli(cluster: LocalCluster, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ekinerja_shared.topics", "--retries", "3"],
        env={**os.environ, "EK_KAFKA_BOOTSTRAP": cluster.bootstrap, **env},
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )


async def test_the_cli_creates_the_registry_replicated_from_the_ek_variables(
    kafka_cluster: LocalCluster,
):
    env = {"EK_KAFKA_REPLICATION_FACTOR": "3", "EK_KAFKA_MIN_INSYNC_REPLICAS": "2"}
    first = _topics_cli(kafka_cluster, **env)
    assert first.returncode == 0, first.stderr
    again = _topics_cli(kafka_cluster, **env)  # existing and good enough: nothing to do
    assert again.returncode == 0, again.stderr
    assert "created none" in again.stderr

    names = [t.name for t in ALL_TOPICS]
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_cluster.bootstrap)
    await admin.start()
    try:
        described = {d["topic"]: d["partitions"] for d in await admin.describe_topics(names)}
        min_isr = await min_insync_replicas(admin, names)
    finally:
        await admin.close()
    for t in ALL_TOPICS:
        partitions = described[t.name]
        assert len(partitions) == t.partitions
        assert all(sorted(p["replicas"]) == [1, 2, 3] for p in partitions), (t.name, partitions)
        assert all(sorted(p["isr"]) == [1, 2, 3] for p in partitions), (t.name, partitions)
        assert min_isr[t.name] == 2

    # asking for more than the topics have is an error, reported and not "fixed"
    stricter = _topics_cli(kafka_cluster, EK_KAFKA_REPLICATION_FACTOR="3",
                           EK_KAFKA_MIN_INSYNC_REPLICAS="3")
    assert stricter.returncode == 2, stricter.stderr
    assert "min.insync.replicas 2, asked 3" in stricter.stderr


async def test_an_existing_topic_with_a_lower_replication_is_reported(
    kafka_cluster: LocalCluster,
):
    topic = Topic(f"ekinerja.test.rf2-{uuid.uuid4().hex[:8]}", 3, "test")
    assert await ensure_topics(kafka_cluster.bootstrap, (topic,), Replication(2, 1)) == [topic.name]
    with pytest.raises(TopicCheckError) as err:
        await ensure_topics(kafka_cluster.bootstrap, (topic,), Replication(3, 2))
    assert f"topic {topic.name} has replication factor 2, asked 3" in str(err.value)
    assert f"topic {topic.name} has min.insync.replicas 1, asked 2" in str(err.value)


async def test_a_replication_factor_above_the_brokers_is_refused_clearly(
    kafka_cluster: LocalCluster,
):
    topic = Topic(f"ekinerja.test.rf4-{uuid.uuid4().hex[:8]}", 1, "test")
    with pytest.raises(NotEnoughBrokers, match="3 broker.s. available, replication factor 4"):
        await ensure_topics(kafka_cluster.bootstrap, (topic,), Replication(4, 2))
