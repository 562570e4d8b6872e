"""aiokafka alone on the broker a benchmark uses, measured in the same run: what the
services' figures are compared with (``ratio_*_to_raw_*``)."""

from __future__ import annotations

import asyncio
import time

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from ekinerja_shared import events as ev
from ekinerja_shared.timeutil import utcnow

RAW_TOPIC = "ekinerja.bench.raw"


async def raw_kafka(bootstrap: str, n: int) -> dict[str, float]:
    """aiokafka alone on the same broker: ``n`` event-sized messages produced (acks=all,
    idempotent) and consumed back and parsed."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(RAW_TOPIC, 6, 1)])
    except TopicAlreadyExistsError:
        pass
    finally:
        await admin.close()
    now = utcnow()
    body = [ev.dump_event(ev.PunchRecorded(
        tenant_id="bench-raw", nip=f"19{i:016d}", device_sn="RAW", pin=str(i),
        punched_at=now, local_time=now.replace(tzinfo=None), status_code=0, verify_type=1))
        for i in range(n)]
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True,
                                linger_ms=5)
    await producer.start()
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None,
                                enable_auto_commit=False)
    await consumer.start()
    try:
        parts = [TopicPartition(RAW_TOPIC, p) for p in range(6)]
        consumer.assign(parts)
        start = await consumer.end_offsets(parts)
        t0 = time.perf_counter()
        futures = [await producer.send(RAW_TOPIC, b, key=str(i % 2000).encode())
                   for i, b in enumerate(body)]
        await asyncio.gather(*futures)
        produce_s = time.perf_counter() - t0
        for p in parts:
            consumer.seek(p, start[p])
        got = 0
        t0 = time.perf_counter()
        while got < n:
            batches = await consumer.getmany(timeout_ms=1000, max_records=5000)
            for records in batches.values():
                for r in records:
                    ev.parse_event(r.value)
                    got += 1
        consume_s = time.perf_counter() - t0
    finally:
        await producer.stop()
        await consumer.stop()
    return {"messages": n, "produce_msgs_per_s": round(n / produce_s),
            "consume_parse_msgs_per_s": round(n / consume_s)}
