"""Issue 13: the rebuild recomputes the employee-months it replayed with
``recompute_keys(exclusive=True)`` (``cli._recompute``): the target database has no other
writer, so the missing score rows are computed and written in one multi-row INSERT instead of
being created empty, locked and updated one by one; and it stores a chunk's activity
decisions in a transaction of their own beside the rest's (``Replayer._store_chunk``), the
changed employee-months' causes merged as one store would have kept them (``merged``). On
the real PostgreSQL, three regencies get the same month of facts (an employee's own calendar
last, so that its cause follows the activity decisions'): one replayed and recomputed as the
rebuild does, one replayed and recomputed the consumers' way (``exclusive=False``), one
applied by the consumers' path in one batch (``services.apply_events``); their score rows
(every column but the regency and the time written, versions and causes included) and their
OPD standings must be equal."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from ekinerja_shared import events as ev
from ekinerja_shared.db import make_engine, make_sessionmaker
from ekinerja_shared.migrations import upgrade_async
from ekinerja_shared.uow import UnitOfWork
from scoring import cli, replay
from scoring.adapters import repository as repo
from scoring.adapters.orm import ScoreRow, UnitStanding
from scoring.service_layer import services
from tests.integration.scoring.test_rebuild_copy import EMPLOYEES, month, nip
from tests.support.infra import pg_url, reset_database, unique

pytestmark = pytest.mark.integration

SKIPPED = {"tenant_id", "updated_at", "cause_event_id"}  # cause_event_id: compared apart


async def scores(uow: UnitOfWork) -> dict[str, Any]:
    async with uow.read() as s:
        rows = (await s.scalars(select(ScoreRow).order_by(ScoreRow.nip))).all()
        standings = (await s.execute(select(
            UnitStanding.period, UnitStanding.unit_id, UnitStanding.members,
            UnitStanding.final_sum, UnitStanding.performance_sum, UnitStanding.tpp_total,
            UnitStanding.member_days, UnitStanding.final_days,
            UnitStanding.performance_days).order_by(UnitStanding.unit_id))).all()
    return {"rows": [{c.key: getattr(r, c.key) for c in ScoreRow.__table__.columns
                      if c.key not in SKIPPED} for r in rows],
            "causes": {r.nip: r.cause_event_id for r in rows},
            "standings": [tuple(r) for r in standings]}


async def test_the_rebuilds_recompute_writes_the_rows_the_consumers_write(
        monkeypatch: pytest.MonkeyPatch) -> None:
    await reset_database(pg_url("scoring"))
    await upgrade_async("scoring", pg_url("scoring"))
    engine = make_engine(pg_url("scoring"))
    sessions = make_sessionmaker(engine)
    creates: list[bool] = []
    lock_scores = repo.lock_scores

    async def locked(*args: Any, create: bool = True) -> Any:
        creates.append(create)
        return await lock_scores(*args, create=create)

    monkeypatch.setattr(repo, "lock_scores", locked)
    monkeypatch.setattr(replay, "STORE_EVENTS", 25)
    parts: list[tuple[int, bool]] = []
    store_replayed = replay._store_replayed

    async def store(session: Any, bad: Any, events: list[ev.Event], pending: Any, *,
                    lock: bool = True) -> None:
        parts.append((len(events), lock))
        await store_replayed(session, bad, events, pending, lock=lock)

    monkeypatch.setattr(replay, "_store_replayed", store)
    rebuild = UnitOfWork(sessions).cross_tenant(cli.REBUILD_JOB)
    causes: dict[str, dict[str, uuid.UUID]] = {}
    try:
        tenants = {"exclusive": unique("rx"), "locked": unique("rl"), "consumed": unique("rk")}
        for way, tenant in tenants.items():
            events = month(tenant, [uuid.uuid4() for _ in range(20)])
            events.append(ev.EffectiveDaysPublished(tenant_id=tenant, period="2026-10",
                                                    nip=nip(0), effective_days=Decimal(20),
                                                    revision=1))
            if way == "consumed":
                await UnitOfWork(sessions).in_tenant(tenant).run(
                    services.apply_events, events, publish=False)
                continue
            replayer = replay.Replayer(rebuild)
            await replayer.feed([(ev.dump_event(e), "ekinerja.test.v1", 0, j)
                                 for j, e in enumerate(events)])
            await replayer.finish()
            causes[way] = {n: e.event_id for (_t, n, _p), e in replayer.pending.items()}
            if way == "exclusive":
                await cli._recompute(rebuild, replayer.pending, "cilegon")
            else:
                await rebuild.run(services.recompute_keys, replayer.pending,
                                  default_preset="cilegon", publish=False)
        got = {way: await scores(UnitOfWork(sessions).in_tenant(tenant))
               for way, tenant in tenants.items()}
        # the rebuild's path again over the rows it wrote: they exist, so they are locked
        # and updated as ever (nothing changed: the same rows, the same versions)
        await rebuild.run(services.recompute_keys,
                          {(tenants["exclusive"], nip(i), "2026-10"): None
                           for i in range(EMPLOYEES)},
                          default_preset="cilegon", publish=False, exclusive=True)
        again = await scores(UnitOfWork(sessions).in_tenant(tenants["exclusive"]))
    finally:
        await engine.dispose()

    assert creates == [False, True, True, False]  # rebuild, locked, consumed, rebuild again
    entries = 20 * 3 - 5  # approved, revoked (but one in four), approved again
    rest = len(events) - entries
    # a chunk each, in two parts at once (either may reach the database first)
    assert sorted(parts) == sorted([(rest, True), (entries, False)] * 2)
    causes_types = [r["cause_type"] for r in got["exclusive"]["rows"]]
    assert causes_types[0] == "attendance.effective_days.published"  # after the entries
    assert all(t.startswith("activity.entry.") for t in causes_types[1:])  # after the days
    assert len(got["exclusive"]["rows"]) == EMPLOYEES
    assert {r["version"] for r in got["exclusive"]["rows"]} == {1}
    assert got["exclusive"]["rows"] == got["locked"]["rows"] == got["consumed"]["rows"]
    assert got["exclusive"]["standings"] == got["locked"]["standings"]
    assert got["exclusive"]["standings"] == got["consumed"]["standings"]
    assert got["exclusive"]["causes"] == causes["exclusive"]
    assert got["locked"]["causes"] == causes["locked"]
    assert again == got["exclusive"]
