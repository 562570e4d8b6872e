"""The cluster tests start their own three-node Kafka (three JVMs, about 1.5 GB of heap at
most, 20-40 s to start): they run when ``EK_TEST_KAFKA_CLUSTER=1`` (``make test-cluster``)
and are skipped otherwise."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.kafka_cluster.cluster import ROOT, LocalCluster
from tests.support.ports import free_ports


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "cluster: starts its own three-node Kafka cluster (EK_TEST_KAFKA_CLUSTER=1)"
    )


@pytest.fixture(scope="session")
def kafka_cluster() -> Iterator[LocalCluster]:
    if os.environ.get("EK_TEST_KAFKA_CLUSTER") != "1":
        pytest.skip("three-node Kafka tests: set EK_TEST_KAFKA_CLUSTER=1 (make test-cluster)")
    run_dir = Path(os.environ.get("EK_TEST_CLUSTER_RUN_DIR", ROOT / ".run" / "kafka-cluster-test"))
    ports = free_ports(6)
    cluster = LocalCluster(run_dir, ports[:3], ports[3:])
    # reset: stops what an interrupted earlier session may have left (by its pid files)
    # and deletes its data, so every session starts from an empty cluster.
    cluster.sh("reset")
    try:
        cluster.timed("cluster_start_s", "start")
        yield cluster
    finally:
        try:
            cluster.sh("reset", timeout=120)
        finally:
            for pid in cluster.pids():  # only if kafka.sh could not stop them
                os.kill(pid, signal.SIGKILL)
            deadline = time.monotonic() + 10
            while cluster.pids() and time.monotonic() < deadline:
                time.sleep(0.2)
