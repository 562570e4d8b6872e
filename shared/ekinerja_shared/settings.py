"""Typed settings shared by every service (pydantic-settings).

Each process reads its own environment: ``EK_DATABASE_URL``, ``EK_KAFKA_BOOTSTRAP``,
``EK_HTTP_PORT`` ... A service subclasses ``ServiceSettings`` with its defaults and its own
fields; the same variables are used by the local runner (Procfile) and docker-compose.yml.
"""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="EK_", extra="ignore")

    service_name: str = "service"
    database_url: str = "sqlite+aiosqlite:///.run/service.db"
    # migrations run as the tables' owner; the service connects as an application role that
    # owns nothing (PostgreSQL row-level security applies to it). Unset: database_url.
    migration_database_url: str | None = None
    kafka_bootstrap: str = "127.0.0.1:9092"
    # topics created by ``python -m ekinerja_shared.topics`` (production profile: 3 and 2)
    kafka_replication_factor: int = 1
    kafka_min_insync_replicas: int = 1
    consumer_group_prefix: str = "ekinerja"
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    # the proxies whose X-Forwarded-For gives a request's client address (comma-separated
    # addresses or networks, "*" for any): the gateway's own reverse proxy; the services
    # trust the gateway on the same host
    http_forwarded_allow_ips: str = "127.0.0.1"
    migrate_on_start: bool = True
    outbox_poll_interval_s: float = 0.5
    outbox_batch_size: int = 2000
    # an event the broker refuses this many times (too large, invalid) becomes a dead letter
    outbox_max_attempts: int = 5
    # relays of N instances share the outbox by lanes (a key's lane: hashtext(key) % lanes),
    # each lane held by one relay at a time (per-key order); a Kafka record batch's bytes
    outbox_lanes: int = 16
    # false: the HTTP process runs no relay; `python -m <service> relay` runs it alone
    outbox_relay_in_process: bool = True
    # false: this process starts none of the service's durable consumers (an HTTP instance
    # beside a consumer instance that runs them, so that uploads and consumers each have a
    # core; the live fan-outs start in every process)
    consumers_in_process: bool = True
    outbox_kafka_batch_bytes: int = 262_144
    consumer_max_attempts: int = 5
    # records per batch, one transaction each: a directory batch costs about the same
    # statements whatever its size (a roster of 10,000 in 10 batches; docs/perf/roster.md)
    consumer_batch_size: int = 1000
    # facts (punches, days: a v2 event carries up to 1,000) per transaction of a consumer:
    # a batch is applied in parts of at most this many, so a backlog of large events never
    # holds its rows locked for minutes (an event larger than this is a part of its own)
    consumer_batch_facts: int = 10_000
    # facts per fetch: a topic of large events is fetched at most this many facts' worth
    # of records at a time (``Topic.facts_per_record``), well within Kafka's poll interval
    consumer_fetch_facts: int = 100_000
    # allocations between two collections of the youngest generation of Python's cyclic
    # garbage collector (Python's own: 700; 0 keeps it); see ``service.tune_gc``
    gc_young_threshold: int = 50_000
    log_level: str = "INFO"
    admin_token: str | None = None
    # who is calling: access tokens signed by the gateway, verified against its JWKS (fetched
    # from auth_jwks_url, or given inline as JSON in auth_jwks for offline use and tests)
    auth_issuer: str = "ekinerja"
    auth_jwks_url: str | None = "http://127.0.0.1:8000/.well-known/jwks.json"
    auth_jwks: str | None = None
    # request body limits (413 above them): any route, and upload routes (rosters, devices)
    http_max_body_bytes: int = 1_048_576
    http_max_upload_bytes: int = 8_388_608
    # operational pages (ekinerja_shared.service): /docs, /redoc, /openapi.json,
    # /asyncapi(.json) and /metrics answer 404 unless exposed. The documentation is internal
    # everywhere; /metrics is exposed by the services behind the gateway (their port is not
    # published; Prometheus scrapes it) and hidden at the gateway (Settings there)
    http_expose_docs: bool = False
    http_expose_metrics: bool = True

    @property
    def migration_url(self) -> str:
        return self.migration_database_url or self.database_url
