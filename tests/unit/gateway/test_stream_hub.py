"""The live-stream fan-out keeps per-client queues bounded and drops slow clients."""

from __future__ import annotations

import asyncio
import time

from prometheus_client import CollectorRegistry

from gateway.domain.access import Audience
from gateway.service_layer.stream import ScoreHub

NIP = "199001172015031002"


async def drain(sub) -> list[bytes]:
    out = []
    while not sub.queue.empty():
        item = sub.queue.get_nowait()
        if item is None:
            out.append(b"<closed>")
        else:
            out.append(item)
    return out


async def test_updates_reach_only_the_clients_of_the_tenant():
    hub = ScoreHub(queue_size=10, registry=CollectorRegistry())
    a1, a2, b = hub.subscribe("a"), hub.subscribe("a"), hub.subscribe("b")
    assert hub.publish("a", NIP, b"x") == 2
    assert await drain(a1) == [b"x"] and await drain(a2) == [b"x"] and await drain(b) == []


async def test_slow_client_is_dropped_and_others_keep_receiving():
    hub = ScoreHub(queue_size=3, registry=CollectorRegistry())
    slow, fast = hub.subscribe("a"), hub.subscribe("a")
    for i in range(3):
        hub.publish("a", NIP, b"%d" % i)
        await drain(fast)
    assert hub.publish("a", NIP, b"3") == 1  # slow is full: dropped
    assert slow.dropped and hub.client_count("a") == 1
    assert await drain(slow) == [b"<closed>"]  # its backlog is freed
    assert await drain(fast) == [b"3"]
    assert hub.registry is not None
    assert hub.registry.get_sample_value("ekinerja_gateway_stream_dropped_clients_total") == 1


async def test_messages_iterator_ends_when_closed():
    hub = ScoreHub(queue_size=5, registry=CollectorRegistry())
    sub = hub.subscribe("a")
    hub.publish("a", NIP, b"1")
    hub.close_all()
    assert [m async for m in sub.messages()] == [b"1"]
    assert hub.client_count() == 0


async def test_each_subscriber_receives_only_the_updates_of_its_audience():
    """HR (everyone), a supervisor (self and team), an employee (self): filtered per
    subscriber when an update is published."""
    hub = ScoreHub(queue_size=10, registry=CollectorRegistry())
    boss, staff, colleague = "198507082010012011", NIP, "199205302019032009"
    hr = hub.subscribe("a")
    supervisor = hub.subscribe("a", Audience(frozenset({boss, staff})))
    employee = hub.subscribe("a", Audience(frozenset({staff})))
    other = hub.subscribe("a", Audience(frozenset({colleague})))
    assert hub.publish("a", staff, b"staff") == 3
    assert hub.publish("a", boss, b"boss") == 2
    assert hub.publish("a", "197001011995031001", b"someone") == 1
    assert await drain(hr) == [b"staff", b"boss", b"someone"]
    assert await drain(supervisor) == [b"staff", b"boss"]
    assert await drain(employee) == [b"staff"]
    assert await drain(other) == []
    assert hub.registry is not None
    assert hub.registry.get_sample_value("ekinerja_gateway_stream_delivered_total") == 6


async def test_a_subscription_ends_after_its_maximum_time():
    hub = ScoreHub(queue_size=5, registry=CollectorRegistry())
    sub = hub.subscribe("a")
    hub.publish("a", NIP, b"1")
    started = time.monotonic()
    assert [m async for m in sub.messages(max_s=0.3)] == [b"1"]
    assert 0.25 <= time.monotonic() - started < 2
    assert not sub.dropped


async def test_messages_with_a_maximum_time_still_end_when_closed():
    hub = ScoreHub(queue_size=5, registry=CollectorRegistry())
    sub = hub.subscribe("a")
    asyncio.get_running_loop().call_later(0.05, hub.close_all)
    started = time.monotonic()
    assert [m async for m in sub.messages(max_s=30)] == []
    assert time.monotonic() - started < 5
