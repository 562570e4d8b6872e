"""The scores read model applied a batch at a time (one upsert per batch) on a migrated
SQLite database: of each key the highest version wins, whatever the order of the batch
and of the batches, and an equal version never replaces the row."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from sqlalchemy import event, select

from ekinerja_shared import events as ev
from ekinerja_shared.db import make_engine, make_sessionmaker
from ekinerja_shared.migrations import upgrade_async
from gateway.adapters.orm import Score
from gateway.service_layer.services import apply_score_events, newest_scores

T = "kota-uji"
A, B = "199001172015031002", "199203042019032001"


def score(version: int, pct: str, nip: str = A, period: str = "2026-10",
          tenant: str = T) -> ev.ScoreUpdated:
    final = Decimal(pct)
    return ev.ScoreUpdated(
        tenant_id=tenant, nip=nip, period=period, version=version, final_pct=final,
        components=[ev.ScoreComponent(name="performance", weight=Decimal("100"),
                                      value_pct=final)],
        tpp_base=Decimal("4000000"), tpp_amount=Decimal("4000000") * final / 100,
        cause_event_id=uuid.uuid4(), cause_type="activity.entry.approved")


def test_newest_scores_keeps_the_highest_version_of_each_key_in_key_order():
    a2, a5, a4 = score(2, "20"), score(5, "50"), score(4, "40")
    b1, b1_again = score(1, "10", nip=B), score(1, "11", nip=B)
    a_next = score(1, "70", period="2026-11")
    kept = newest_scores([a2, b1, a5, a_next, b1_again, a4])
    assert kept == [a5, a_next, b1]  # (A, 10), (A, 11), (B, 10); the first of equal ones
    assert newest_scores([]) == []


@pytest.fixture
async def sessions(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'gateway.db'}"
    await upgrade_async("gateway", url)
    engine = make_engine(url)
    sm = make_sessionmaker(engine)
    sm.score_inserts = []  # type: ignore[attr-defined]

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def seen(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        if statement.lstrip().upper().startswith("INSERT INTO SCORES"):
            sm.score_inserts.append(statement)

    yield sm
    await engine.dispose()


async def rows(sm) -> dict[tuple[str, str], tuple[int, Decimal]]:
    async with sm() as s:
        found = (await s.execute(select(Score.nip, Score.period, Score.version,
                                        Score.final_pct))).all()
    return {(r.nip, r.period): (r.version, Decimal(r.final_pct)) for r in found}


async def test_a_batch_with_many_versions_of_a_key_keeps_the_highest(sessions):
    async with sessions() as s, s.begin():
        await apply_score_events(s, [score(2, "20"), score(5, "50"), score(4, "40"),
                                     score(1, "10", nip=B)])
    assert len(sessions.score_inserts) == 1  # one statement for the batch
    assert await rows(sessions) == {(A, "2026-10"): (5, Decimal("50")),
                                    (B, "2026-10"): (1, Decimal("10"))}

    # a later batch: lower and equal versions change nothing, a higher one replaces
    async with sessions() as s, s.begin():
        await apply_score_events(s, [score(3, "30"), score(5, "55"), score(2, "12", nip=B),
                                     score(1, "70", period="2026-11")])
    assert await rows(sessions) == {(A, "2026-10"): (5, Decimal("50")),
                                    (B, "2026-10"): (2, Decimal("12")),
                                    (A, "2026-11"): (1, Decimal("70"))}
