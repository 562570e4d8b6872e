"""The shared quarantine API and the consumers' persisted attempts, on the scoring service
with the real Kafka and PostgreSQL: a poisoned record is quarantined, a replay before the
fix is refused and changes nothing, a replay after it applies the event exactly once, a
discarded record is kept with its reason; attempts survive a restart of the consumer."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ekinerja_shared import events as ev
from ekinerja_shared.consumer import EventConsumer
from ekinerja_shared.events import dump_event
from ekinerja_shared.topics import DIRECTORY
from scoring.adapters.orm import ConsumerAttempt, ProcessedEvent, Quarantine, Tenant
from scoring.app import create_app
from scoring.domain.policy import PRESETS
from scoring.entrypoints.consumers import FACT_TOPICS, purpose_of
from scoring.settings import Settings
from tests.support.apps import eventually, publish, running_app, skip_history
from tests.support.infra import pg_app_url, pg_url
from tests.support.tokens import TEST_JWKS_JSON, as_hr, as_operator

pytestmark = pytest.mark.integration

NEW_PRESET = "perbup_baru_2027"  # unknown to this version of scoring: PoisonEvent
SOURCE = f"kafka:{DIRECTORY.name}"


def settings(kafka_bootstrap: str, group_prefix: str) -> Settings:
    return Settings(database_url=pg_app_url("scoring"), migration_database_url=pg_url("scoring"),
                    auth_jwks=TEST_JWKS_JSON, kafka_bootstrap=kafka_bootstrap,
                    consumer_group_prefix=group_prefix, outbox_poll_interval_s=0.2)


def tenant_event(tenant_id: str, preset: str) -> ev.TenantUpserted:
    return ev.TenantUpserted(tenant_id=tenant_id, name="Kab. Uji", timezone="WITA",
                             policy_preset=preset)


async def test_poisoned_record_replayed_once_after_the_fix_and_discarded_with_reason(
        kafka_bootstrap: str, group_prefix: str, tenant_id: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    for topic in FACT_TOPICS:  # the new groups read only what is published from now on
        await skip_history(kafka_bootstrap, f"{group_prefix}-scoring-{purpose_of(topic)}",
                           topic.name)
    app = create_app(settings(kafka_bootstrap, group_prefix))
    rt = app.state.runtime
    base = f"/api/scoring/{tenant_id}/quarantine"
    poisoned = tenant_event(tenant_id, NEW_PRESET)
    typo = tenant_event(tenant_id, "perbup_salah_ketik")
    async with running_app(app) as client:
        client.headers.update(as_hr(tenant_id))
        await publish(kafka_bootstrap, poisoned, typo)

        async def both_quarantined() -> list[dict[str, Any]] | None:
            listed = (await client.get(base)).json()
            return listed if len(listed) == 2 else None

        listed = await eventually(both_quarantined, timeout=120)
        # newest first; both open, both replayable Kafka records of the directory consumer
        assert [(e["source"], e["status"], e["replayable"]) for e in listed] == [
            (SOURCE, "open", True)] * 2
        typo_id, poisoned_id = (e["id"] for e in listed)
        detail = (await client.get(f"{base}/{poisoned_id}")).json()
        assert NEW_PRESET in detail["raw"] and NEW_PRESET in detail["reason"]
        assert detail["context"]["consumer"] == "scoring-directory"
        assert str(poisoned.event_id) in detail["raw"]

        # before the fix: refused, nothing committed, still open
        r = await client.post(f"{base}/{poisoned_id}/replay")
        assert (r.status_code, r.json()["code"]) == (409, "replay_failed"), r.text
        assert (await client.get(f"{base}/{poisoned_id}")).json()["status"] == "open"

        # the fix: this version of scoring learns the regency's new preset
        monkeypatch.setitem(PRESETS, NEW_PRESET, PRESETS["performance60_discipline40"])
        r = await client.post(f"{base}/{poisoned_id}/replay")
        assert r.status_code == 200, r.text
        assert (r.json()["status"], r.json()["resolved_by"], r.json()["resolution"]) == (
            "replayed", "199001172015031002", "Diterapkan ulang.")
        r = await client.post(f"{base}/{poisoned_id}/replay")
        assert (r.status_code, r.json()["code"]) == (409, "quarantine_resolved")

        # discarded with a reason: kept, raw payload and all
        r = await client.post(f"{base}/{typo_id}/discard", json={"reason": "Salah ketik; "
                                                                  "dikirim ulang dengan benar."})
        assert (r.status_code, r.json()["status"]) == (200, "discarded"), r.text
        assert (await client.get(base)).json() == []  # nothing open
        everything = (await client.get(base, params={"status": "all"})).json()
        assert [(e["id"], e["status"]) for e in everything] == [
            (typo_id, "discarded"), (poisoned_id, "replayed")]
        kept = (await client.get(f"{base}/{typo_id}")).json()
        assert kept["resolution"] == "Salah ketik; dikirim ulang dengan benar."
        assert "perbup_salah_ketik" in kept["raw"]
        r = await client.post(f"{base}/{typo_id}/replay")
        assert (r.status_code, r.json()["code"]) == (409, "quarantine_resolved")

        # another regency's HR does not see them; the operator does, in this regency's path
        other = await client.get(f"/api/scoring/{tenant_id}-x/quarantine",
                                 headers=as_hr(f"{tenant_id}-x"))
        assert (other.status_code, other.json()) == (200, [])
        ops = await client.get(base, params={"status": "all"}, headers=as_operator())
        assert len(ops.json()) == 2

        metrics = (await client.get("/metrics")).text
        assert f'ekinerja_quarantine_replayed_total{{source="{SOURCE}"}} 1.0' in metrics
        assert f'ekinerja_quarantine_discarded_total{{source="{SOURCE}"}} 1.0' in metrics

        # applied exactly once: one inbox row, the regency stored with the new preset
        async with rt.uow.in_tenant(tenant_id).read() as s:
            tenant = await s.get(Tenant, tenant_id)
            inbox = await s.scalar(select(func.count()).select_from(ProcessedEvent).where(
                ProcessedEvent.event_id == poisoned.event_id))
        assert tenant is not None and tenant.policy_preset == NEW_PRESET
        assert inbox == 1


async def test_attempts_survive_a_restart_of_the_consumer(
        kafka_bootstrap: str, group_prefix: str, tenant_id: str) -> None:
    """Two consumers on the same tables stand for the process before and after a restart:
    the second one continues the first one's count and quarantines at the limit."""
    app = create_app(settings(kafka_bootstrap, group_prefix))
    rt = app.state.runtime
    async with running_app(app):
        event = tenant_event(tenant_id, "performance60_discipline40")
        body = dump_event(event)
        ctx = {"topic": DIRECTORY.name, "partition": 0, "offset": 1}

        async def broken(session: AsyncSession, events: list[ev.Event]) -> None:
            raise RuntimeError("a bug in this version")

        def consumer() -> EventConsumer:
            return EventConsumer("scoring-restart-test", rt.uow, ProcessedEvent,
                                 Quarantine, rt.metrics, max_attempts=3,
                                 attempts_model=ConsumerAttempt)

        async def attempts() -> int | None:
            async with rt.uow.cross_tenant("test").read() as s:
                return await s.scalar(select(ConsumerAttempt.attempts).where(
                    ConsumerAttempt.consumer == "scoring-restart-test",
                    ConsumerAttempt.event_id == event.event_id))

        before = consumer()
        for _ in range(2):
            with pytest.raises(RuntimeError):
                await before.handle_batch([], broken, (ev.TenantUpserted,), bodies=[body],
                                          contexts=[ctx])
        assert await attempts() == 2
        after = consumer()  # a new process: nothing in memory
        outcome = await after.handle_batch([], broken, (ev.TenantUpserted,), bodies=[body],
                                           contexts=[ctx])
        assert outcome["quarantined"] == 1
        assert await attempts() is None  # forgotten with the quarantine
        async with rt.uow.in_tenant(tenant_id).read() as s:
            rows = (await s.scalars(select(Quarantine).where(
                Quarantine.tenant_id == tenant_id))).all()
        assert [(q.status, q.reason.startswith("failed 3 times")) for q in rows] == [
            ("open", True)]
        assert rows[0].context["consumer"] == "scoring-restart-test"
