"""Kafka subscribers of the gateway (thin).

- ``gateway-scores``: durable group, from the earliest offset, idempotent; keeps the scores
  read model, one upsert per batch.
- ``gateway-audit``: durable group, idempotent; keeps every service's audit records in the
  append-only audit table.
- ``gateway-activity-acting``: durable group; the copy of the acting assignments (Plt/Plh)
  that decide, with the roster, whose rows a supervisor sees.
- live stream (``scores-live``): no consumer group, from the latest offset, so that every
  gateway instance sees every score update and fans it out to its own SSE clients.
"""

from __future__ import annotations

from pydantic import ValidationError

from ekinerja_shared import acting_copy
from ekinerja_shared import events as ev
from ekinerja_shared.applying import in_order
from ekinerja_shared.topics import ACTIVITY_ACTING, AUDIT, SCORES

from ..adapters.orm import ActingAssignment
from ..runtime import GatewayRuntime
from ..service_layer import audit, services


def register(rt: GatewayRuntime) -> None:
    rt.subscribe_batch(SCORES, "scores", services.apply_score_events,
                       (ev.ScoreUpdated,), description="Keeps the read model of monthly scores")
    rt.subscribe_batch(AUDIT, "audit", audit.keep_audit_records, (ev.AuditRecorded,),
                       description="Keeps every service's audit records (append-only)")
    rt.subscribe_batch(ACTIVITY_ACTING, "activity-acting",
                       in_order(acting_copy.applier(ActingAssignment)),
                       (ev.ActingAssignmentUpserted,),
                       description="Keeps the copy of the acting assignments (Plt/Plh)")

    async def fan_out(body: bytes) -> None:
        try:
            event = ev.parse_event(body)
        except (ValidationError, ValueError):
            return  # the durable consumer quarantines it
        if isinstance(event, ev.ScoreUpdated):
            rt.hub.publish(event.tenant_id, event.nip, ev.dump_event(event))

    rt.subscribe_fanout(SCORES, "scores-live", fan_out,
                        description="Fans score updates out to this instance's live streams")
