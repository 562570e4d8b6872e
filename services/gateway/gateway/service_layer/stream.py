"""Fan-out of live score updates to the clients of this gateway instance.

Each client sees only the updates it may see: its subscription carries its audience (the
whole regency for HR, leadership and the operator; else the caller and their direct
reports), checked per subscriber when an update is published.

A score update carries the employee's whole current score, so a newer update of the same
employee replaces one still waiting for the client (conflation): what waits for a client
is at most one update per employee, whatever the burst (a month's recomputation publishes
one update per employee of the regency at once). Each subscription keeps at most
``queue_size`` employees waiting; a client that falls further behind is dropped (its
backlog freed, the stream closed) so that memory stays bounded and the other clients are
not held back; the browser's EventSource reconnects by itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge

from ..domain.access import EVERYONE, Audience


@dataclass(eq=False)
class Subscription:
    tenant_id: str
    limit: int
    audience: Audience = EVERYONE
    dropped: bool = False
    closed: bool = False
    # the newest update of each employee not yet sent, in the order they first waited
    pending: dict[str, bytes] = field(default_factory=dict)
    _ready: asyncio.Event = field(default_factory=asyncio.Event)

    def offer(self, nip: str, payload: bytes) -> bool:
        """Wait ``payload`` for the client (replacing an older update of ``nip``); False
        when the client already has ``limit`` employees waiting and must be dropped."""
        if nip not in self.pending and len(self.pending) >= self.limit:
            return False
        self.pending[nip] = payload
        self._ready.set()
        return True

    def close(self, *, backlog: bool = True) -> None:
        """No more updates; what waits is still sent unless ``backlog`` is False."""
        if not backlog:
            self.pending.clear()
        self.closed = True
        self._ready.set()

    async def messages(self, max_s: float | None = None) -> AsyncIterator[bytes]:
        """Payloads until the hub closes this subscription, or ``max_s`` seconds passed."""
        loop = asyncio.get_running_loop()
        end = None if max_s is None else loop.time() + max_s
        while True:
            if self.pending:
                nip = next(iter(self.pending))
                yield self.pending.pop(nip)
                continue
            if self.closed:
                return
            self._ready.clear()
            if end is None:
                await self._ready.wait()
            else:
                try:
                    await asyncio.wait_for(self._ready.wait(), end - loop.time())
                except TimeoutError:
                    return


@dataclass
class ScoreHub:
    queue_size: int = 10_000  # employees waiting for one client before it is dropped
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
        sub = Subscription(tenant_id, self.queue_size, audience)
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
        """Hand ``payload`` (an update of ``nip``'s score) to every client of the tenant
        whose audience includes ``nip``; returns how many got it."""
        delivered = 0
        for sub in list(self._subs.get(tenant_id, ())):
            if not sub.audience.allows(nip):
                continue
            if not sub.offer(nip, payload):
                self._drop(sub)
                continue
            delivered += 1
        self.delivered.inc(delivered)
        return delivered

    def _drop(self, sub: Subscription) -> None:
        sub.dropped = True
        self.unsubscribe(sub)
        sub.close(backlog=False)
        self.dropped.inc()

    def close_all(self) -> None:
        for subs in list(self._subs.values()):
            for sub in list(subs):
                self.unsubscribe(sub)
                sub.close()
