"""Fan-out of live score updates to the clients of this gateway instance.

Each client sees only the updates it may see: its subscription carries its audience (the
whole regency for HR, leadership and the operator; else the caller and their direct
reports), checked per subscriber when an update is published. Each client gets a bounded
queue. A client that does not keep up (its queue is full) is
dropped: its queue is emptied and closed, so memory stays bounded and the other clients are
not held back; the browser's EventSource reconnects by itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge

from ..domain.access import EVERYONE, Audience

_CLOSED = None


@dataclass(eq=False)
class Subscription:
    tenant_id: str
    queue: asyncio.Queue[bytes | None]
    audience: Audience = EVERYONE
    dropped: bool = False

    async def messages(self, max_s: float | None = None) -> AsyncIterator[bytes]:
        """Payloads until the hub closes this subscription, or ``max_s`` seconds passed."""
        loop = asyncio.get_running_loop()
        end = None if max_s is None else loop.time() + max_s
        while True:
            if end is None:
                item = await self.queue.get()
            else:
                try:
                    item = await asyncio.wait_for(self.queue.get(), end - loop.time())
                except TimeoutError:
                    return
            if item is _CLOSED:
                return
            yield item


@dataclass
class ScoreHub:
    queue_size: int = 256
    registry: CollectorRegistry | None = None
    _subs: dict[str, set[Subscription]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.clients = Gauge("ekinerja_gateway_stream_clients", "Connected live-stream clients",
                             registry=self.registry)
        self.delivered = Counter("ekinerja_gateway_stream_delivered_total",
                                 "Score updates queued to live-stream clients",
                                 registry=self.registry)
        self.dropped = Counter("ekinerja_gateway_stream_dropped_clients_total",
                               "Live-stream clients dropped because they did not keep up",
                               registry=self.registry)

    def subscribe(self, tenant_id: str, audience: Audience = EVERYONE) -> Subscription:
        sub = Subscription(tenant_id, asyncio.Queue(maxsize=self.queue_size + 1), audience)
        self._subs.setdefault(tenant_id, set()).add(sub)
        self.clients.inc()
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        subs = self._subs.get(sub.tenant_id)
        if subs and sub in subs:
            subs.discard(sub)
            if not subs:
                del self._subs[sub.tenant_id]
            self.clients.dec()

    def client_count(self, tenant_id: str | None = None) -> int:
        if tenant_id is not None:
            return len(self._subs.get(tenant_id, ()))
        return sum(len(s) for s in self._subs.values())

    def publish(self, tenant_id: str, nip: str, payload: bytes) -> int:
        """Queue ``payload`` (an update of ``nip``'s score) to every client of the tenant
        whose audience includes ``nip``; returns how many got it."""
        delivered = 0
        for sub in list(self._subs.get(tenant_id, ())):
            if not sub.audience.allows(nip):
                continue
            # one slot is kept for the close marker
            if sub.queue.qsize() >= self.queue_size:
                self._drop(sub)
                continue
            sub.queue.put_nowait(payload)
            delivered += 1
        self.delivered.inc(delivered)
        return delivered

    def _drop(self, sub: Subscription) -> None:
        sub.dropped = True
        self.unsubscribe(sub)
        while not sub.queue.empty():
            sub.queue.get_nowait()
        sub.queue.put_nowait(_CLOSED)
        self.dropped.inc()

    def close_all(self) -> None:
        for subs in list(self._subs.values()):
            for sub in list(subs):
                self.unsubscribe(sub)
                sub.queue.put_nowait(_CLOSED)
