"""The runtime of a gateway process: the shared plumbing plus the live-stream hub and the
reverse proxy (its connection pool and metrics)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ekinerja_shared.runtime import Runtime

from .entrypoints.proxy import Proxy, make_proxy
from .service_layer.stream import ScoreHub
from .settings import Settings


@dataclass(kw_only=True)
class GatewayRuntime(Runtime[Settings]):
    hub: ScoreHub = field(init=False)
    proxy: Proxy = field(init=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        self.hub = ScoreHub(queue_size=self.settings.stream_queue_size,
                            registry=self.metrics.registry)
        self.proxy = make_proxy(self.settings, self.metrics.registry)

    async def close_streams(self) -> None:
        """Ends this instance's live streams (at shutdown)."""
        self.hub.close_all()
