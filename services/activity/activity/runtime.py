"""The activity service's runtime: the shared one with the service's defaults (``config``),
its counters and its unit of work.

The unit of work answers a concurrent change of an entry (a stale version) with a 409
``concurrent_decision`` and counts every refusal by code in
``ekinerja_activity_refusals_total``."""

from __future__ import annotations

from dataclasses import dataclass, field

from ekinerja_shared.errors import DomainError
from ekinerja_shared.runtime import Runtime
from ekinerja_shared.uow import UnitOfWork

from .metrics import ActivityMetrics
from .service_layer.decisions import CONCURRENT, CONCURRENT_CODE
from .service_layer.tenants import Config
from .settings import Settings


@dataclass(kw_only=True)
class ActivityRuntime(Runtime[Settings]):
    config: Config = field(init=False)
    activity_metrics: ActivityMetrics = field(init=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        self.config = Config(default_tz=self.settings.default_timezone,
                             default_rules=self.settings.default_rules(),
                             bulk_limit=self.settings.bulk_decision_limit)
        self.activity_metrics = ActivityMetrics(self.metrics.registry)
        self.uow = UnitOfWork(self.sessionmaker, conflict_message=CONCURRENT,
                              conflict_code=CONCURRENT_CODE, on_refusal=self._count_refusal)

    def _count_refusal(self, exc: DomainError) -> None:
        self.activity_metrics.refusals.labels(exc.code).inc()
