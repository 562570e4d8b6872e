"""The live-stream fan-out: per-client backlogs bounded by conflation (the newest update of
each employee), slow clients dropped, audiences filtered per subscriber."""

from __future__ import annotations

import asyncio
import time

from prometheus_client import CollectorRegistry

from gateway.domain.access import Audience
from gateway.service_layer.stream import ScoreHub, Subscription

NIP = "199001172015031002"


def drain(sub: Subscription) -> list[bytes]:
    """What waits for the client, in order, then ``<closed>`` when the stream is closed."""
    out = list(sub.pending.values())
    sub.pending.clear()
    return out + ([b"<closed>"] if sub.closed else [])


async def test_updates_reach_only_the_clients_of_the_tenant():
    hub = ScoreHub(queue_size=10, registry=CollectorRegistry())
    a1, a2, b = hub.subscribe("a"), hub.subscribe("a"), hub.subscribe("b")
    assert hub.publish("a", NIP, b"x") == 2
    assert drain(a1) == [b"x"] and drain(a2) == [b"x"] and drain(b) == []


async def test_a_burst_of_one_employee_waits_as_its_newest_update():
    """A thousand updates of one employee before the client reads: the client is kept and
    gets the newest, once; another employee's update keeps its place behind the first."""
    hub = ScoreHub(queue_size=2, registry=CollectorRegistry())
    sub = hub.subscribe("a")
    hub.publish("a", NIP, b"first")
    hub.publish("a", "197001011995031001", b"other")
    for i in range(1000):
        assert hub.publish("a", NIP, b"%d" % i) == 1
    assert not sub.dropped
    assert drain(sub) == [b"999", b"other"]


async def test_slow_client_is_dropped_and_others_keep_receiving():
    """``queue_size`` employees waiting: one more employee drops the client, not the
    others; its backlog is freed and its stream closed."""
    hub = ScoreHub(queue_size=3, registry=CollectorRegistry())
    slow, fast = hub.subscribe("a"), hub.subscribe("a")
    nips = [f"19900117201503100{i}" for i in range(4)]
    for nip in nips[:3]:
        hub.publish("a", nip, nip.encode())
        drain(fast)
    assert hub.publish("a", nips[0], b"newer") == 2  # an employee already waiting: kept
    assert hub.publish("a", nips[3], b"3") == 1  # a fourth employee: slow is dropped
    assert slow.dropped and hub.client_count("a") == 1
    assert drain(slow) == [b"<closed>"]  # its backlog is freed
    assert drain(fast) == [b"newer", b"3"]
    assert hub.registry is not None
    assert hub.registry.get_sample_value("ekinerja_gateway_stream_dropped_clients_total") == 1


async def test_messages_iterator_sends_the_backlog_then_ends_when_closed():
    hub = ScoreHub(queue_size=5, registry=CollectorRegistry())
    sub = hub.subscribe("a")
    hub.publish("a", NIP, b"1")
    hub.publish("a", "197001011995031001", b"2")
    hub.close_all()
    assert [m async for m in sub.messages()] == [b"1", b"2"]
    assert hub.client_count() == 0


async def test_messages_wakes_for_an_update_published_while_it_waits():
    hub = ScoreHub(queue_size=5, registry=CollectorRegistry())
    sub = hub.subscribe("a")
    loop = asyncio.get_running_loop()
    loop.call_later(0.05, hub.publish, "a", NIP, b"late")
    loop.call_later(0.1, hub.close_all)
    assert [m async for m in sub.messages(max_s=30)] == [b"late"]


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
    assert drain(hr) == [b"staff", b"boss", b"someone"]
    assert drain(supervisor) == [b"staff", b"boss"]
    assert drain(employee) == [b"staff"]
    assert drain(other) == []
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
