"""The runtime of a service process: its settings, database, unit of work, Kafka broker,
outbox relay and authenticator, typed.

A service that needs more (its own metrics, a hub, a proxy) subclasses ``Runtime`` with
fields of its own built in ``__post_init__``; routes get it typed through the service's
``RuntimeDep`` (``Annotated[MyRuntime, Depends(runtime_of)]``). Kafka subscribers are
registered through the runtime, one way for every service:

- ``subscribe_batch``: a durable consumer group; batches are decoded, deduplicated by the
  inbox and applied in one transaction by ``EventConsumer`` (bad records quarantined);
- ``subscribe_fanout``: no group, from the latest offset, so that every instance sees every
  record (the gateway's live streams).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Generic, Self, TypeVar

from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaMessage
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from .applying import ApplyBatch
from .consumer import EventConsumer
from .db import make_engine, make_sessionmaker
from .events import Event
from .identity import AdminTokenAuthenticator, Authenticator
from .kafka import make_broker, make_producer, subscriber_defaults
from .metrics import CommonMetrics
from .outbox import OutboxRelay
from .settings import ServiceSettings
from .tokens import JwksAuthenticator, StaticKeysAuthenticator
from .topics import Topic
from .uow import UnitOfWork

log = logging.getLogger(__name__)
S = TypeVar("S", bound=ServiceSettings)


async def undecoded(msg: KafkaMessage) -> Any:
    """A batch subscriber's decoder: nothing decoded. The batch handler reads the records
    from the message (``EventConsumer.handle_records`` decodes each into its event);
    FastStream's own batch decoder built a message object and parsed the JSON of every
    record for a body nobody read (11 % of scoring's busy samples in a roster of 10,000)."""
    return msg.raw_message


def authenticator_for(settings: ServiceSettings) -> Authenticator:
    """Tokens of the gateway, verified against its keys: inline (``EK_AUTH_JWKS``) or
    fetched from its JWKS (``EK_AUTH_JWKS_URL``). With neither, only the admin-token
    stand-in (an operator credential) is accepted."""
    if settings.auth_jwks:
        return StaticKeysAuthenticator(json.loads(settings.auth_jwks),
                                       issuer=settings.auth_issuer)
    if settings.auth_jwks_url:
        return JwksAuthenticator(settings.auth_jwks_url, issuer=settings.auth_issuer)
    return AdminTokenAuthenticator(settings.admin_token)


@dataclass(kw_only=True)
class Runtime(Generic[S]):
    settings: S
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    metrics: CommonMetrics
    broker: KafkaBroker
    inbox_model: type[Any]
    quarantine_model: type[Any]
    outbox_model: type[Any] | None = None
    attempts_model: type[Any] | None = None
    relay: OutboxRelay | None = None
    uow: UnitOfWork = field(init=False)
    authenticator: Authenticator = field(init=False)
    # the durable subscribers by consumer name (what the quarantine API replays with)
    consumers: dict[str, EventConsumer] = field(init=False, default_factory=dict)
    # the durable consumer groups and the topic each reads (group id -> topic name)
    durable_groups: dict[str, str] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.uow = UnitOfWork(self.sessionmaker)
        self.authenticator = authenticator_for(self.settings)

    @classmethod
    def build(
        cls,
        settings: S,
        *,
        inbox_model: type[Any],
        quarantine_model: type[Any],
        outbox_model: type[Any] | None = None,
        attempts_model: type[Any] | None = None,
    ) -> Self:
        metrics = CommonMetrics()
        engine = make_engine(settings.database_url)
        sessionmaker = make_sessionmaker(engine)
        broker = make_broker(settings, metrics)
        relay = (
            OutboxRelay(
                UnitOfWork(sessionmaker), outbox_model, lambda: make_producer(settings),
                metrics,
                batch_size=settings.outbox_batch_size,
                poll_interval_s=settings.outbox_poll_interval_s,
                max_attempts=settings.outbox_max_attempts,
                lanes=settings.outbox_lanes,
            )
            if outbox_model is not None
            else None
        )
        return cls(settings=settings, engine=engine, sessionmaker=sessionmaker, metrics=metrics,
                   broker=broker, inbox_model=inbox_model, quarantine_model=quarantine_model,
                   outbox_model=outbox_model, attempts_model=attempts_model, relay=relay)

    def consumer(self, name: str, *, custom_plans: bool = False) -> EventConsumer:
        uow = self.uow.custom_plans() if custom_plans else self.uow
        return EventConsumer(
            name, uow, self.inbox_model, self.quarantine_model, self.metrics,
            max_attempts=self.settings.consumer_max_attempts, attempts_model=self.attempts_model,
            max_facts=self.settings.consumer_batch_facts,
        )

    def subscribe_batch(self, topic: Topic, purpose: str, apply: ApplyBatch,
                        accept: tuple[type[Event], ...], *, description: str,
                        custom_plans: bool = False) -> EventConsumer:
        """A durable, idempotent batch subscriber: consumer group and inbox name
        ``<service>-<purpose>``; not started in a process with ``EK_CONSUMERS_IN_PROCESS``
        false (its replays from quarantine still apply there). ``custom_plans``: its
        transactions plan each statement for its values (``UnitOfWork.custom_plans``), for
        a topic of rare, large batches."""
        service = self.settings.service_name
        consumer = self.consumer(f"{service}-{purpose}", custom_plans=custom_plans)
        consumer.apply_batch, consumer.accept = apply, accept
        self.consumers[consumer.name] = consumer
        options = subscriber_defaults(self.settings, purpose, batch=True,
                                      facts_per_record=topic.facts_per_record)
        self.durable_groups[options["group_id"]] = topic.name
        if not self.settings.consumers_in_process:  # another instance consumes
            return consumer

        async def on_batch(msg: KafkaMessage) -> None:
            await consumer.handle_records(msg, apply, accept)

        on_batch.__name__ = f"on_{purpose.replace('-', '_')}"
        self.broker.subscriber(
            topic.name, **options, decoder=undecoded,
            title=f"{service}/{purpose}", description=description,
        )(on_batch)
        return consumer

    def subscribe_fanout(self, topic: Topic, purpose: str,
                         handle: Callable[[bytes], Awaitable[None]], *,
                         description: str) -> None:
        """Every instance sees every record from now on (no group, nothing committed).

        ``handle`` takes each record's bytes as they came. The records are fetched in
        batches (what the broker has, up to ``consumer_batch_size``; a batch waits for
        nothing more), handed over undecoded: FastStream's per-message path (its logging,
        metrics and acknowledgement middlewares, FastDepends) was about a fifth of the
        gateway's CPU under load when it ran once per record (docs/perf/live.md, session
        11). Not a ``KafkaMessage`` argument either: that is a FastStream context field,
        which FastDepends resolves through ``anyio.to_thread.run_sync`` on every call."""

        async def on_records(records: Any) -> None:
            for record in records:
                try:
                    await handle(record.value)
                except Exception:  # one record's failure must not drop the batch's rest
                    log.exception("%s: fan-out of a record of %s failed", purpose, topic.name)

        on_records.__name__ = f"on_{purpose.replace('-', '_')}"
        self.broker.subscriber(
            topic.name, group_id=None, auto_offset_reset="latest",
            ack_policy=AckPolicy.ACK_FIRST, decoder=undecoded, batch=True,
            max_records=self.settings.consumer_batch_size,
            title=f"{self.settings.service_name}/{purpose}", description=description,
        )(on_records)

    def declare_published(self, topic: Topic, *schemas: type[Event]) -> None:
        """Declare the events this service publishes (through its outbox) for the AsyncAPI
        document."""
        for schema in schemas:
            self.broker.publisher(topic.name, schema=schema, title=schema.__name__)
