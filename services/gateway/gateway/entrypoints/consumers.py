"""Kafka subscribers of the gateway (thin).

- ``gateway-scores``: durable group, from the earliest offset, idempotent; keeps the scores
  read model.
- live stream: no consumer group, from the latest offset, so that every gateway instance
  sees every score update and fans it out to its own SSE clients.
"""

from __future__ import annotations

import logging

from faststream import AckPolicy
from faststream.kafka import KafkaMessage
from pydantic import ValidationError

from ekinerja_shared import events as ev
from ekinerja_shared.consumer import in_order
from ekinerja_shared.kafka import subscriber_defaults
from ekinerja_shared.service import Runtime
from ekinerja_shared.topics import SCORES

from ..service_layer import services
from ..service_layer.stream import ScoreHub

log = logging.getLogger(__name__)


def register(rt: Runtime, hub: ScoreHub) -> None:
    scores = rt.consumer("gateway-scores")

    @rt.broker.subscriber(SCORES.name, **subscriber_defaults(rt.settings, "scores", batch=True),
                          title="gateway/scores",
                          description="Keeps the read model of monthly scores")
    async def on_score(msg: KafkaMessage) -> None:
        await scores.handle_records(msg, in_order(services.apply_score_event),
                                    (ev.ScoreUpdated,))

    @rt.broker.subscriber(SCORES.name, group_id=None, auto_offset_reset="latest",
                          ack_policy=AckPolicy.ACK_FIRST, title="gateway/scores-live",
                          description="Fans score updates out to this instance's live streams")
    async def on_score_live(msg: KafkaMessage) -> None:
        try:
            event = ev.parse_event(msg.body)
        except (ValidationError, ValueError):
            return  # the durable consumer quarantines it
        if isinstance(event, ev.ScoreUpdated):
            hub.publish(event.tenant_id, ev.dump_event(event))
