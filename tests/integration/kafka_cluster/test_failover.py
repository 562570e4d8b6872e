"""The production profile on the real thing: three KRaft nodes, a fact topic with
replication factor 3 and min.insync.replicas 2. One node is SIGKILLed while the project's
producer (``make_broker``: acks=all, idempotent, published the way the outbox relay does)
and a consumer run. Every acknowledged record must be in the log exactly once, in order
per key, no send may fail, and the killed node must rejoin the ISR after its restart."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from ekinerja_shared.kafka import make_broker
from ekinerja_shared.metrics import CommonMetrics
from ekinerja_shared.settings import ServiceSettings
from ekinerja_shared.topics import ATTENDANCE_PUNCHES, Replication, ensure_topics
from tests.integration.kafka_cluster.cluster import LocalCluster

pytestmark = [pytest.mark.integration, pytest.mark.cluster, pytest.mark.timeout(400)]

TOPIC = ATTENDANCE_PUNCHES  # a fact topic: kept forever, the system of record
KEYS = 40  # keys spread over all 6 partitions; order is checked per key
BATCH = 50  # records published together, then awaited (as the outbox relay does)
PAUSE_S = 0.1  # between batches: at most ~500 records/s
PHASE = 300  # acknowledged records wanted before the kill, during the outage, after
PHASE_TIMEOUT_S = 90
REJOIN_TIMEOUT_S = 90
MAX_RECORDS = 100_000  # bound of the producer loop (~200 s at full pace)


@dataclass
class Flow:
    run: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    acked: dict[int, float] = field(default_factory=dict)  # seq -> when acknowledged
    failed: dict[int, str] = field(default_factory=dict)
    batches: list[tuple[float, float]] = field(default_factory=list)  # (sent, all acked)
    consumed: list[tuple[str, int]] = field(default_factory=list)  # (key, seq) in log order
    stop: asyncio.Event = field(default_factory=asyncio.Event)


async def _produce(broker, flow: Flow) -> None:
    seq = 0
    while not flow.stop.is_set() and seq < MAX_RECORDS:
        batch = range(seq, seq + BATCH)
        sent = time.monotonic()
        futures = [
            await broker.publish(
                json.dumps({"seq": i}).encode(), topic=TOPIC.name,
                key=f"{flow.run}:{i % KEYS}".encode(), no_confirm=True,
            )
            for i in batch
        ]
        results = await asyncio.gather(*futures, return_exceptions=True)
        done = time.monotonic()
        flow.batches.append((sent, done))
        for i, result in zip(batch, results, strict=True):
            if isinstance(result, BaseException):
                flow.failed[i] = repr(result)
            else:
                flow.acked[i] = done
        seq += BATCH
        await asyncio.sleep(PAUSE_S)


async def _consume(consumer: AIOKafkaConsumer, flow: Flow, until: asyncio.Event) -> None:
    while not until.is_set():
        records = await consumer.getmany(timeout_ms=300, max_records=2000)
        for batch in records.values():
            for r in batch:
                key = r.key.decode()
                if key.startswith(f"{flow.run}:"):
                    flow.consumed.append((key, json.loads(r.value)["seq"]))


async def _wait_for(what: str, predicate, timeout_s: float, interval_s: float = 0.2) -> float:
    """Polls ``predicate`` (sync or async) until true; returns the seconds it took."""
    t0 = time.monotonic()
    while True:
        result = predicate()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return time.monotonic() - t0
        if time.monotonic() - t0 > timeout_s:
            raise AssertionError(f"{what}: not within {timeout_s} s")
        await asyncio.sleep(interval_s)


async def _partitions(admin: AIOKafkaAdminClient) -> list[dict]:
    """The topic's partitions (leader, replicas, isr); the admin client may ask the dead
    node first, so a few attempts."""
    for attempt in range(20):
        try:
            (described,) = await admin.describe_topics([TOPIC.name])
            return described["partitions"]
        except KafkaError:
            if attempt == 19:
                raise
            await asyncio.sleep(0.5)
    raise AssertionError("unreachable")


async def test_a_killed_broker_loses_and_duplicates_nothing_and_rejoins(
    kafka_cluster: LocalCluster,
):
    cluster = kafka_cluster
    t_test = time.monotonic()
    await ensure_topics(cluster.bootstrap, (TOPIC,), Replication(3, 2))

    settings = ServiceSettings(service_name="cluster-test", kafka_bootstrap=cluster.bootstrap)
    broker = make_broker(settings, CommonMetrics())
    # the project's producer settings under test (shared/ekinerja_shared/kafka.py)
    assert broker._connection_kwargs["acks"] == "all"
    assert broker._connection_kwargs["enable_idempotence"] is True
    admin = AIOKafkaAdminClient(bootstrap_servers=cluster.bootstrap)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=cluster.bootstrap, group_id=None, enable_auto_commit=False,
    )
    flow = Flow()
    consumed_all = asyncio.Event()
    victim = 0
    await broker.connect()
    await admin.start()
    await consumer.start()
    tps = [TopicPartition(TOPIC.name, p) for p in range(TOPIC.partitions)]
    consumer.assign(tps)
    await consumer.seek_to_beginning(*tps)
    producing = asyncio.create_task(_produce(broker, flow))
    consuming = asyncio.create_task(_consume(consumer, flow, consumed_all))
    try:
        def acked_at_least(n: int):
            def check() -> bool:
                if producing.done():
                    producing.result()  # re-raises what stopped the producer
                    raise AssertionError(f"the producer stopped after {len(flow.acked)} records")
                return len(flow.acked) >= n
            return check

        await _wait_for("records before the kill", acked_at_least(PHASE), PHASE_TIMEOUT_S)

        # the victim leads partition 0: its producer and consumer must fail over
        leader = (await _partitions(admin))[0]["leader"]
        brokers = (await admin.describe_cluster())["brokers"]
        victim = cluster.node_of_port(next(b["port"] for b in brokers if b["node_id"] == leader))
        acked_before_kill = len(flow.acked)
        t_kill = time.monotonic()
        await asyncio.to_thread(cluster.sh, "kill", str(victim))

        await _wait_for("records while a node is down",
                        acked_at_least(acked_before_kill + PHASE), PHASE_TIMEOUT_S)
        failover_pause_s = max(
            (done - max(sent, t_kill) for sent, done in flow.batches if done > t_kill),
            default=0.0,
        )
        # the controller has fenced the dead node: out of every ISR, leading nothing
        down = await _partitions(admin)
        assert all(victim not in p["isr"] and p["leader"] != victim for p in down), down
        assert all(len(p["isr"]) == 2 for p in down), down

        await asyncio.to_thread(cluster.timed, "restart_node_s", "start-node", str(victim))

        async def victim_in_every_isr() -> bool:
            return all(victim in p["isr"] for p in await _partitions(admin))

        # from "ready" (kafka.sh start-node) until it has caught up on every partition
        rejoin_s = await _wait_for("the restarted node back in every ISR",
                                   victim_in_every_isr, REJOIN_TIMEOUT_S, interval_s=0.5)
        acked_after_rejoin = len(flow.acked)
        await _wait_for("records after the rejoin",
                        acked_at_least(acked_after_rejoin + PHASE), PHASE_TIMEOUT_S)
        flow.stop.set()
        await asyncio.wait_for(producing, timeout=60)

        # read the whole log: up to the end offsets taken after the last acknowledgement
        ends = await consumer.end_offsets(tps)

        async def at_end() -> bool:
            positions = [await consumer.position(tp) for tp in tps]
            return all(pos >= ends[tp] for pos, tp in zip(positions, tps, strict=True))

        await _wait_for("the consumer at the end of the log", at_end, 60)
        consumed_all.set()
        await asyncio.wait_for(consuming, timeout=30)
    finally:
        flow.stop.set()
        consumed_all.set()
        for task in (producing, consuming):
            if not task.done():
                task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        await consumer.stop()
        await admin.close()
        await broker.stop()
        if victim:  # leave three running nodes to the other tests of the session
            await asyncio.to_thread(cluster.sh, "start-node", str(victim))

    seen = Counter(seq for _, seq in flow.consumed)
    assert not flow.failed, f"{len(flow.failed)} sends failed, e.g. {next(iter(flow.failed.values()))}"
    duplicates = sorted(s for s, n in seen.items() if n > 1)
    missing = sorted(set(flow.acked) - set(seen))
    unexpected = sorted(set(seen) - set(flow.acked))
    assert not duplicates, f"{len(duplicates)} records twice in the log, e.g. {duplicates[:10]}"
    assert not missing, f"{len(missing)} acknowledged records lost, e.g. {missing[:10]}"
    assert not unexpected, f"records in the log that were never sent: {unexpected[:10]}"
    per_key: dict[str, list[int]] = defaultdict(list)
    for key, seq in flow.consumed:
        per_key[key].append(seq)
    out_of_order = [k for k, seqs in per_key.items() if seqs != sorted(seqs)]
    assert not out_of_order, f"keys out of order: {out_of_order[:5]}"
    assert len(per_key) == KEYS

    cluster.timings.update(
        failover_pause_s=round(failover_pause_s, 1), isr_rejoin_s=round(rejoin_s, 1), records=len(flow.acked),
        test_s=round(time.monotonic() - t_test, 1),
    )
    print(f"\ncluster failover (node {victim} killed): {json.dumps(cluster.timings)}")
