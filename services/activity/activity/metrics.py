"""Prometheus metrics of the activity service, on the service's own registry."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter


class ActivityMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.transitions = Counter(
            "ekinerja_activity_transitions_total",
            "Entry status changes committed, by the status reached", ["to_status"],
            registry=registry)
        self.refusals = Counter(
            "ekinerja_activity_refusals_total",
            "Requests or single decisions a rule refused, by code (overlap, self_approval ...)",
            ["code"], registry=registry)
