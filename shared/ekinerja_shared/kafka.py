"""Kafka broker factory (FastStream over aiokafka) with the project's defaults: an
idempotent producer with ``acks=all``, no topic auto-creation, Prometheus middleware."""

from __future__ import annotations

import logging
from typing import Any

from aiokafka import AIOKafkaProducer
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.prometheus import KafkaPrometheusMiddleware

from .metrics import CommonMetrics
from .settings import ServiceSettings


def _servers(settings: ServiceSettings) -> list[str]:
    # FastStream would take "a:9092,b:9092" as one host: pass the servers as a list
    return [server.strip() for server in settings.kafka_bootstrap.split(",") if server.strip()]


# the producer of every publisher: every replica in sync acknowledges, and the idempotent
# producer keeps the order of each partition across retries (no duplicates, no reordering)
_PRODUCER: dict[str, Any] = {"acks": "all", "enable_idempotence": True, "linger_ms": 5,
             "request_timeout_ms": 30_000}


# the largest request the relay's producer sends (aiokafka's default; the broker's
# message.max.bytes is about as large): a record over it is refused before it is sent
RELAY_MAX_REQUEST_BYTES = 1_048_576


def make_producer(settings: ServiceSettings) -> AIOKafkaProducer:
    """The outbox relay's own aiokafka producer (the broker's defaults; larger batches, as
    the relay sends hundreds of records at once and then awaits them all)."""
    return AIOKafkaProducer(bootstrap_servers=_servers(settings),
                            client_id=f"ekinerja-{settings.service_name}-relay",
                            max_batch_size=settings.outbox_kafka_batch_bytes,
                            max_request_size=RELAY_MAX_REQUEST_BYTES, **_PRODUCER)


def make_broker(settings: ServiceSettings, metrics: CommonMetrics, **kwargs: Any) -> KafkaBroker:
    return KafkaBroker(
        _servers(settings),
        client_id=f"ekinerja-{settings.service_name}",
        allow_auto_create_topics=False,
        **_PRODUCER,
        middlewares=[
            KafkaPrometheusMiddleware(registry=metrics.registry, app_name=settings.service_name)
        ],
        description=f"e-Kinerja {settings.service_name} service",
        # per-message "Received/Processed" lines only at DEBUG; outcomes are metrics
        log_level=logging.DEBUG,
        **kwargs,
    )


def subscriber_defaults(
    settings: ServiceSettings, purpose: str, *, batch: bool = False, facts_per_record: int = 1
) -> dict[str, Any]:
    """Consumer settings every durable subscriber uses: its own group, from the earliest
    offset, offsets committed only after the handler succeeded; with ``batch`` up to
    ``consumer_batch_size`` records per call (handled by ``EventConsumer.handle_records``),
    fewer for a topic whose records carry up to ``facts_per_record`` facts: at most
    ``consumer_fetch_facts`` facts' worth (100 records of v2 punches or days)."""
    options: dict[str, Any] = {
        "group_id": f"{settings.consumer_group_prefix}-{settings.service_name}-{purpose}",
        "auto_offset_reset": "earliest",
        "ack_policy": AckPolicy.NACK_ON_ERROR,
    }
    if batch:
        records = max(1, settings.consumer_fetch_facts // max(1, facts_per_record))
        options |= {"batch": True,
                    "max_records": min(settings.consumer_batch_size, records)}
    return options
