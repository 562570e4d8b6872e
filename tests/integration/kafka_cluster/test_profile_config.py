"""The production Kafka profile's wiring, checked without any infrastructure (these tests
always run): docker-compose.yml in both profiles (no Docker engine here, so the file is
loaded and its ${VAR:-default} interpolated the way Compose does), the local runner's env
files against kafka.sh, and the settings that carry the replication."""

from __future__ import annotations

import re
import subprocess

import pytest
import yaml

from ekinerja_shared.kafka import make_broker
from ekinerja_shared.metrics import CommonMetrics
from ekinerja_shared.settings import ServiceSettings
from ekinerja_shared.topics import Replication, main
from tests.integration.kafka_cluster.cluster import KAFKA_SH, ROOT

COMPOSE = ROOT / "docker-compose.yml"
_VAR = re.compile(r"\$\{(\w+)(?::-([^}]*))?\}")


def _env_file(path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text().splitlines()
             if line.strip() and not line.startswith("#"))
    return {k.strip(): v.strip() for k, v in pairs}


def _interpolate(node, env: dict[str, str]):
    if isinstance(node, dict):
        return {k: _interpolate(v, env) for k, v in node.items()}
    if isinstance(node, list):
        return [_interpolate(v, env) for v in node]
    if isinstance(node, str):
        def value(m: re.Match[str]) -> str:
            if m.group(1) in env:
                return env[m.group(1)]
            assert m.group(2) is not None, f"${{{m.group(1)}}} has no default"
            return m.group(2)
        return _VAR.sub(value, node)
    return node


def _project(env: dict[str, str]) -> tuple[dict, dict]:
    """The enabled services (after profiles) and the declared volumes."""
    model = _interpolate(yaml.safe_load(COMPOSE.read_text()), env)
    profiles = set(filter(None, env.get("COMPOSE_PROFILES", "").split(",")))
    services = {name: svc for name, svc in model["services"].items()
                if not svc.get("profiles") or profiles & set(svc["profiles"])}
    return services, model["volumes"]


def _kafka_nodes(services: dict) -> dict[str, dict]:
    return {name: svc["environment"] for name, svc in services.items()
            if svc.get("image", "").startswith("apache/kafka:")}


PROFILES = {
    "default": {},
    "production": _env_file(ROOT / "deploy" / "compose.production.env"),
}


@pytest.mark.parametrize("profile", PROFILES)
def test_compose_profile_is_one_consistent_kafka_cluster(profile: str):
    services, volumes = _project(PROFILES[profile])
    nodes = _kafka_nodes(services)
    rf, min_isr = (3, 2) if profile == "production" else (1, 1)
    assert len(nodes) == rf

    voters = {f"{env['KAFKA_NODE_ID']}@{name}:9093" for name, env in nodes.items()}
    assert len(voters) == len(nodes)  # distinct node ids
    for name, env in nodes.items():
        assert set(env["KAFKA_CONTROLLER_QUORUM_VOTERS"].split(",")) == voters
        assert env["KAFKA_ADVERTISED_LISTENERS"] == f"PLAINTEXT://{name}:9092"
        assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
        assert int(env["KAFKA_DEFAULT_REPLICATION_FACTOR"]) == rf
        assert int(env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"]) == rf
        assert int(env["KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR"]) == rf
        assert int(env["KAFKA_MIN_INSYNC_REPLICAS"]) == min_isr
        assert int(env["KAFKA_TRANSACTION_STATE_LOG_MIN_ISR"]) == min_isr
        mounts = dict(reversed(v.split(":", 1)) for v in services[name]["volumes"])
        assert env["KAFKA_LOG_DIRS"] in mounts, "the log dir must be the volume"
        assert mounts[env["KAFKA_LOG_DIRS"]] in volumes
    assert len({env["CLUSTER_ID"] for env in nodes.values()}) == 1
    data = [v.split(":", 1)[0] for name in nodes for v in services[name]["volumes"]]
    assert len(set(data)) == len(nodes)
    if profile == "production":  # the single broker's data is never node 1's
        assert "kafka-data" not in data

    # the services and the topic creation use every broker and the asked replication
    bootstrap = {f"{name}:9092" for name in nodes}
    for name in ("topics", "attendance", "activity", "scoring", "gateway"):
        env = services[name]["environment"]
        assert set(env["EK_KAFKA_BOOTSTRAP"].split(",")) == bootstrap, name
        assert int(env["EK_KAFKA_REPLICATION_FACTOR"]) == rf
        assert int(env["EK_KAFKA_MIN_INSYNC_REPLICAS"]) == min_isr
    # no enabled service may depend on one its profile leaves out (Compose refuses that)
    for name, svc in services.items():
        assert set(svc.get("depends_on", {})) <= set(services), name


def test_local_production_env_matches_the_brokers_kafka_sh_starts():
    production = _env_file(ROOT / "deploy" / "local.production.env")
    single = _env_file(ROOT / "deploy" / "local.env")
    bootstrap = {}
    for nodes in ("1", "3"):
        out = subprocess.run(
            ["bash", str(KAFKA_SH), "bootstrap"], capture_output=True, text=True, check=True,
            env={"PATH": "/usr/bin:/bin", "KAFKA_NODES": nodes},
        )
        bootstrap[nodes] = out.stdout.strip()
    assert single["EK_KAFKA_BOOTSTRAP"] == bootstrap["1"] == "127.0.0.1:9092"
    assert production["EK_KAFKA_BOOTSTRAP"] == bootstrap["3"]
    assert (single["EK_KAFKA_REPLICATION_FACTOR"], single["EK_KAFKA_MIN_INSYNC_REPLICAS"]) == (
        "1", "1")
    assert (production["EK_KAFKA_REPLICATION_FACTOR"],
            production["EK_KAFKA_MIN_INSYNC_REPLICAS"]) == ("3", "2")


def test_replication_must_be_possible():
    assert Replication(3, 2) == Replication(factor=3, min_insync=2)
    for factor, min_insync in ((0, 1), (1, 2), (3, 0), (3, 4)):
        with pytest.raises(ValueError):
            Replication(factor, min_insync)
    with pytest.raises(SystemExit) as exit_:
        main(["--replication-factor", "1", "--min-insync-replicas", "2"])
    assert exit_.value.code == 2


def test_settings_carry_replication_and_every_bootstrap_server(monkeypatch):
    monkeypatch.setenv("EK_KAFKA_BOOTSTRAP", "k1:9092, k2:9092,k3:9092")
    monkeypatch.setenv("EK_KAFKA_REPLICATION_FACTOR", "3")
    monkeypatch.setenv("EK_KAFKA_MIN_INSYNC_REPLICAS", "2")
    settings = ServiceSettings()
    assert (settings.kafka_replication_factor, settings.kafka_min_insync_replicas) == (3, 2)
    broker = make_broker(settings, CommonMetrics())
    # FastStream alone would see one host named "k1:9092, k2:9092,k3:9092"
    assert broker._connection_kwargs["bootstrap_servers"] == ["k1:9092", "k2:9092", "k3:9092"]
    assert broker._connection_kwargs["acks"] == "all"
    assert broker._connection_kwargs["enable_idempotence"] is True
