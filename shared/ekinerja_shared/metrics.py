"""Prometheus metrics common to every service, on a registry of the service's own (so
several apps can live in one test process). FastStream's ``KafkaPrometheusMiddleware``
adds the per-message broker metrics to the same registry."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


@dataclass
class CommonMetrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        r = self.registry
        self.outbox_published = Counter(
            "ekinerja_outbox_published_total", "Events published from the outbox", ["topic"], registry=r
        )
        self.outbox_pending = Gauge(
            "ekinerja_outbox_pending",
            "Outbox rows waiting to be published, dead letters aside (last relay pass)", registry=r
        )
        self.outbox_failures = Counter(
            "ekinerja_outbox_publish_failures_total", "Failed outbox publish passes", registry=r
        )
        self.outbox_dead = Counter(
            "ekinerja_outbox_dead_total",
            "Outbox events set aside as dead letters (refused by the broker for good)",
            ["topic"], registry=r,
        )
        self.events_consumed = Counter(
            "ekinerja_events_consumed_total",
            "Events handled by a consumer, by outcome (applied, duplicate, ignored, quarantined)",
            ["consumer", "event_type", "outcome"],
            registry=r,
        )
        self.consumer_backoffs = Counter(
            "ekinerja_consumer_backoffs_total",
            "Transient faults (database or network away) a consumer backed off from",
            ["consumer"], registry=r,
        )
        self.quarantined = Counter(
            "ekinerja_quarantined_total", "Inputs kept in quarantine", ["source"], registry=r
        )
        self.quarantine_replayed = Counter(
            "ekinerja_quarantine_replayed_total",
            "Quarantined inputs applied again through the quarantine API (after a fix)",
            ["source"], registry=r,
        )
        self.quarantine_discarded = Counter(
            "ekinerja_quarantine_discarded_total",
            "Quarantined inputs discarded (kept, with a reason) through the quarantine API",
            ["source"], registry=r,
        )
        self.event_lag = Histogram(
            "ekinerja_event_lag_seconds",
            "Time from an event's occurred_at to its handling",
            ["consumer"],
            buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
            registry=r,
        )
