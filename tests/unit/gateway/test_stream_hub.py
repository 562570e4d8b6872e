"""The live-stream fan-out keeps per-client queues bounded and drops slow clients."""

from __future__ import annotations

from prometheus_client import CollectorRegistry

from gateway.service_layer.stream import ScoreHub


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
    assert hub.publish("a", b"x") == 2
    assert await drain(a1) == [b"x"] and await drain(a2) == [b"x"] and await drain(b) == []


async def test_slow_client_is_dropped_and_others_keep_receiving():
    hub = ScoreHub(queue_size=3, registry=CollectorRegistry())
    slow, fast = hub.subscribe("a"), hub.subscribe("a")
    for i in range(3):
        hub.publish("a", b"%d" % i)
        await drain(fast)
    assert hub.publish("a", b"3") == 1  # slow is full: dropped
    assert slow.dropped and hub.client_count("a") == 1
    assert await drain(slow) == [b"<closed>"]  # its backlog is freed
    assert await drain(fast) == [b"3"]
    assert hub.registry is not None
    assert hub.registry.get_sample_value("ekinerja_gateway_stream_dropped_clients_total") == 1


async def test_messages_iterator_ends_when_closed():
    hub = ScoreHub(queue_size=5, registry=CollectorRegistry())
    sub = hub.subscribe("a")
    hub.publish("a", b"1")
    hub.close_all()
    assert [m async for m in sub.messages()] == [b"1"]
    assert hub.client_count() == 0
