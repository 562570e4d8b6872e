"""Benchmark of the scoring service layer: facts/second of applying N events (attendance
day evaluations and activity decisions of one tenant's month, with the directory) in
consumer-sized batches, each batch one transaction with its score recomputations and outbox
rows. Also compares the per-fact cost of the first and the last tenth of the run: the cost
of one fact must not grow with the facts the month already has.

Uses PostgreSQL when EK_BENCH_PG_SCORING_URL is set (``make bench``), else a temporary
SQLite file. Prints one JSON object.

Then the month's reads of the service layer on the same data (EK_BENCH_READ_ROUNDS times
each): the OPD rankings from the standings read model (``reports.unit_ranking``) beside the
recomputation per request they replaced (every roster row read and grouped), one OPD's
scores, and a page of 100; p50/p99 in ms.

Then the rebuild's fast path (``python -m scoring rebuild``): EK_BENCH_REBUILD_EVENTS events
of a fresh regency (default 20,000) decoded and applied as the rebuild applies what it
replays (``scoring.replay.Replayer``: routed, ``STORE_EVENTS`` per chunk in two
transactions at once, the next chunk decoded while the previous one is stored,
cross-regency, nothing published), the employee-months they changed recomputed
(``cli._recompute``), then the units settled, in events per second (issue 13's target:
20,000): once with one event per fact (v1, what the topics kept before days.v2), once with
the attendance days in ``AttendanceDaysEvaluated`` batches of some 300 days a transaction
(``scoring_rebuild_v2_days``: records and facts per second); beside each raw aiokafka on the
broker of EK_BENCH_KAFKA_BOOTSTRAP when set (the replay's own ceiling), and the process's CPU
seconds of the timed part; EK_BENCH_REBUILD_PROFILE=FILE records that part with py-spy (raw
stacks, tests/bench/pyspy.py).
Skip with EK_BENCH_REBUILD_EVENTS=0.

Then a roster of EK_BENCH_ROSTER employees (default 10,000) as ``directory.employee.upserted``
events through the consumers' path (``services.apply_events``, batches of 500, bound to the
regency): the roster first (no scores yet), then one fact each, then the roster again with a
new TPP base (every employee's open month recomputed and published); issue 13's target: a
roster of 10,000 in at most 10 s. Skip with EK_BENCH_ROSTER=0."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import random
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from ekinerja_shared import events as ev  # noqa: E402
from ekinerja_shared.db import make_engine, make_sessionmaker  # noqa: E402
from ekinerja_shared.migrations import upgrade_async  # noqa: E402
from ekinerja_shared.uow import UnitOfWork  # noqa: E402
from scoring import cli  # noqa: E402
from scoring.entrypoints.consumers import FACT_TOPICS  # noqa: E402
from ekinerja_shared.collector import few_collections  # noqa: E402
from scoring.replay import STORE_EVENTS, Replayer  # noqa: E402
from scoring.domain.ranking import competition_rank, summarise_unit  # noqa: E402
from scoring.service_layer import check, reports, services  # noqa: E402
from scoring.service_layer.month_end import unscored_rows  # noqa: E402
from tests.bench import pyspy  # noqa: E402
from tests.bench.latency import sample  # noqa: E402
from tests.bench.rawkafka import raw_kafka  # noqa: E402

N = int(os.environ.get("EK_BENCH_EVENTS", "5000"))
BATCH = int(os.environ.get("EK_BENCH_BATCH", "500"))
EMPLOYEES = int(os.environ.get("EK_BENCH_EMPLOYEES", "200"))
READ_ROUNDS = int(os.environ.get("EK_BENCH_READ_ROUNDS", "200"))
REBUILD_EVENTS = int(os.environ.get("EK_BENCH_REBUILD_EVENTS", "20000"))
ROSTER = int(os.environ.get("EK_BENCH_ROSTER", "10000"))
PROFILE = os.environ.get("EK_BENCH_REBUILD_PROFILE")  # raw py-spy stacks of the timed rebuild


async def recomputed_ranking(session, tenant: str, period: str) -> list:
    """The OPD ranking as it was computed on every request before the read model: every
    roster row of the month read whole and grouped (kept here as the comparison; the
    employee ranking's ``reports.roster_rows`` now reads fewer columns, and no
    performance %)."""
    groups: dict[str, list] = {}
    rows = await reports._scores_with_names(session, tenant, period, None)
    rows += await unscored_rows(session, tenant, period, "cilegon")  # the month is open
    for row in rows:
        groups.setdefault(row["unit_id"], []).append(row)
    return competition_rank(
        [summarise_unit(u, [Decimal(r["final_pct"]) for r in rows],
                        [Decimal(r["performance_pct"]) for r in rows],
                        [Decimal(r["tpp_amount"]) for r in rows], unit_name=rows[0]["unit"])
         for u, rows in groups.items()], lambda s: s.avg_final_pct, lambda s: s.unit_id)


async def timed_reads(uow: UnitOfWork, read) -> dict[str, float]:
    async def call():
        async with uow.read() as session:
            return await read(session)

    figures, _ = await sample(call, READ_ROUNDS)
    return figures


async def month_reads(uow: UnitOfWork, tenant: str, period: str) -> dict[str, object]:
    async with uow.read() as session:
        model = await reports.unit_ranking(session, tenant, period, "cilegon")
        assert model == await recomputed_ranking(session, tenant, period)
    out: dict[str, object] = {
        "rounds": READ_ROUNDS,
        "unit_ranking_read_model": await timed_reads(
            uow, lambda s: reports.unit_ranking(s, tenant, period, "cilegon")),
        "unit_ranking_recomputed_per_request": await timed_reads(
            uow, lambda s: recomputed_ranking(s, tenant, period)),
        "scores_of_one_opd": await timed_reads(
            uow, lambda s: services.list_scores(s, tenant, period, "u3")),
        "scores_page_of_100": await timed_reads(
            uow, lambda s: services.list_scores(s, tenant, period, limit=100)),
    }
    return out


def days_batched(events: list[ev.Event], per_transaction: int = 300) -> list[ev.Event]:
    """The same facts as attendance writes them since days.v2: every ``per_transaction``
    attendance days (in their order) as ``AttendanceDaysEvaluated``, one per lane
    (``ev.day_batches``), where the last of them was; the other facts as they were."""
    out: list[ev.Event] = []
    days: list[ev.AttendanceDayEvaluated] = []

    def flush() -> None:
        if days:
            out.extend(ev.day_batches(days[0].tenant_id, [
                ev.EvaluatedDay.model_validate(d.model_dump()) for d in days],
                occurred_at=days[-1].occurred_at))
            days.clear()

    for e in events:
        if isinstance(e, ev.AttendanceDayEvaluated):
            days.append(e)
            if len(days) == per_transaction:
                flush()
        else:
            out.append(e)
    flush()
    return out


async def rebuild_figure(engine, n: int, *, v2_days: bool = False) -> dict[str, object]:
    """The rebuild's path on ``n`` facts of a regency of its own (see the module doc);
    ``v2_days``: the attendance days in batches, as attendance writes them now."""
    tenant = f"rebuild-{uuid.uuid4().hex[:8]}"
    facts = make_events(tenant, n)
    records = [ev.dump_event(e)  # as read from Kafka
               for e in (days_batched(facts) if v2_days else facts)]
    load = [round(x, 2) for x in os.getloadavg()]
    uow = UnitOfWork(make_sessionmaker(engine)).cross_tenant(cli.REBUILD_JOB)
    recorder = pyspy.record(os.getpid(), Path(PROFILE)) if PROFILE else None
    if recorder:
        await asyncio.sleep(1)  # py-spy attached before the timed part
    with few_collections():  # as ``cli.run_rebuild``
        start, cpu = time.perf_counter(), time.process_time()
        replayer = Replayer(uow)
        for i in range(0, len(records), 1000):  # the replay's batches (its --batch-size)
            await replayer.feed([(raw, FACT_TOPICS[0].name, 0, i + j)
                                 for j, raw in enumerate(records[i:i + 1000])])
        await replayer.finish()
        stored = time.perf_counter() - start
        await cli._recompute(uow, replayer.pending, "cilegon")
        applied = time.perf_counter() - start
        await cli._settle_units(uow, "cilegon")
        elapsed = time.perf_counter() - start
        cpu = time.process_time() - cpu
    if recorder:
        pyspy.stop(recorder, Path(PROFILE))
    async with uow.in_tenant(tenant).read() as session:
        diffs = await check.check(session, tenant)
    out: dict[str, object] = {
        "events": len(records), "facts": len(facts), "days_in_batches": v2_days,
        "events_per_transaction": STORE_EVENTS, "employees": EMPLOYEES,
        "seconds_stored": round(stored, 3), "seconds_applied": round(applied, 3), "seconds_with_units_settled": round(elapsed, 3),
        "events_per_second": round(len(records) / elapsed, 1),
        "facts_per_second": round(len(facts) / elapsed, 1),
        "cpu_seconds": round(cpu, 3), "load_average_before": load,
        "batch_check_differences": len(diffs), "target_events_per_second": 20_000}
    bootstrap = os.environ.get("EK_BENCH_KAFKA_BOOTSTRAP")
    if bootstrap:
        out["raw_kafka"] = await raw_kafka(bootstrap, 20_000)
    return out


async def roster_figure(engine, n: int) -> dict[str, object]:
    """A roster of ``n`` through the consumers' path (see the module doc), in seconds."""
    tenant = f"roster-{uuid.uuid4().hex[:8]}"
    uow = UnitOfWork(make_sessionmaker(engine)).in_tenant(tenant)
    t0 = dt.datetime(2026, 11, 2, 1, tzinfo=dt.UTC)
    nips = [f"19{i:016d}" for i in range(n)]

    def roster(at: dt.datetime, tpp: str) -> list[ev.Event]:
        return [ev.EmployeeUpserted(tenant_id=tenant, nip=nip, name=nip, unit_id=f"u{i % 40}",
                                    tpp_base=Decimal(tpp), occurred_at=at,
                                    effective_from=at.date()) for i, nip in enumerate(nips)]

    async def seconds(events: list[ev.Event]) -> float:
        start = time.perf_counter()
        for i in range(0, len(events), 500):
            await uow.run(services.apply_events, events[i:i + 500])
        return round(time.perf_counter() - start, 2)

    await uow.run(services.apply_events, [ev.TenantUpserted(
        tenant_id=tenant, name="Roster", timezone="WIB", policy_preset="cilegon",
        occurred_at=t0)])
    first = await seconds(roster(t0, "4000000"))
    facts: list[ev.Event] = [ev.EffectiveDaysPublished(
        tenant_id=tenant, period="2026-11", effective_days=Decimal(20), revision=1)]
    facts += [ev.ActivityEntryApproved(tenant_id=tenant, entry_id=uuid.uuid4(), nip=nip,
                                       work_date=dt.date(2026, 11, 3), minutes=60, version=2)
              for nip in nips]
    one_fact_each = await seconds(facts)
    again = await seconds(roster(t0 + dt.timedelta(days=1), "4500000"))
    return {"employees": n, "batch_size": 500, "seconds_roster_first": first,
            "seconds_one_fact_each": one_fact_each,
            "seconds_roster_again_every_month_recomputed": again, "target_seconds": 10}


def make_events(tenant: str, n: int) -> list[ev.Event]:
    rng = random.Random(7)
    nips = [f"19{i:016d}" for i in range(EMPLOYEES)]
    out: list[ev.Event] = [ev.TenantUpserted(tenant_id=tenant, name="Bench", timezone="WIB",
                                             policy_preset="cilegon")]
    out += [ev.EmployeeUpserted(tenant_id=tenant, nip=nip, name=nip, unit_id=f"u{i % 20}",
                                tpp_base=Decimal("5000000")) for i, nip in enumerate(nips)]
    out.append(ev.EffectiveDaysPublished(tenant_id=tenant, period="2026-10",
                                         effective_days=Decimal(22), revision=1))
    revisions: dict[tuple[str, int], int] = {}
    while len(out) < n:
        nip, day = rng.choice(nips), rng.randint(1, 31)
        if rng.random() < 0.4:
            rev = revisions.get((nip, day), 0) + 1
            revisions[(nip, day)] = rev
            out.append(ev.AttendanceDayEvaluated(
                tenant_id=tenant, nip=nip, work_date=dt.date(2026, 10, day), revision=rev,
                deduction_pct=Decimal(rng.choice(["0", "0.5", "1", "2.5"])),
                apel_attended=rng.random() < 0.9))
        else:
            out.append(ev.ActivityEntryApproved(
                tenant_id=tenant, entry_id=uuid.uuid4(), nip=nip,
                work_date=dt.date(2026, 10, day), minutes=rng.randint(30, 240), version=2))
    return out[:n]


async def main() -> dict:
    url = os.environ.get("EK_BENCH_PG_SCORING_URL")
    tmp = None
    if not url:
        tmp = tempfile.TemporaryDirectory()
        url = f"sqlite+aiosqlite:///{tmp.name}/bench.db"
    await upgrade_async("scoring", url)
    engine = make_engine(url)
    tenant = f"bench-{uuid.uuid4().hex[:8]}"
    # bound to the regency like the consumers (row-level security applies on PostgreSQL,
    # to the owner too: the policies are forced)
    uow = UnitOfWork(make_sessionmaker(engine)).in_tenant(tenant)
    events = make_events(tenant, N)
    batches = [events[i:i + BATCH] for i in range(0, len(events), BATCH)]
    per_batch: list[float] = []
    start = time.perf_counter()
    for batch in batches:
        t0 = time.perf_counter()
        await uow.run(services.apply_events, batch)
        per_batch.append((time.perf_counter() - t0) / len(batch))
    elapsed = time.perf_counter() - start
    tenth = max(1, len(per_batch) // 10)
    early = sum(per_batch[:tenth]) / tenth
    late = sum(per_batch[-tenth:]) / tenth
    async with uow.read() as session:
        diffs = await check.check(session, tenant)
    reads = await month_reads(uow, tenant, "2026-10")
    rebuild = await rebuild_figure(engine, REBUILD_EVENTS) if REBUILD_EVENTS else None
    rebuild_v2 = (await rebuild_figure(engine, REBUILD_EVENTS, v2_days=True)
                  if REBUILD_EVENTS else None)
    roster = await roster_figure(engine, ROSTER) if ROSTER else None
    await engine.dispose()
    if tmp:
        tmp.cleanup()
    return {"scoring_apply_facts": {
        "database": "postgresql" if "postgresql" in url else "sqlite",
        "events": len(events), "batch_size": BATCH, "employees": EMPLOYEES,
        "seconds": round(elapsed, 3),
        "facts_per_second": round(len(events) / elapsed, 1),
        "ms_per_fact_first_tenth": round(early * 1000, 3),
        "ms_per_fact_last_tenth": round(late * 1000, 3),
        "batch_check_differences": len(diffs),
        "month_reads": reads,
    }, "scoring_rebuild": rebuild, "scoring_rebuild_v2_days": rebuild_v2,
        "scoring_directory_roster": roster, "load_average": [round(x, 2) for x in os.getloadavg()]}


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main())))
