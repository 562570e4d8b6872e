"""Operator commands of the scoring service.

``python -m scoring check [--tenant T]``
    Recompute every open employee-month in batch from the stored facts and compare with the
    running scores; prints the differences as JSON, exits 1 if there are any. With
    ``--tenant`` it reads bound to that regency; without, as the named cross-regency job
    ``scoring-check``.

``python -m scoring rebuild --target-url URL [--source-url URL]``
    Rebuild all scores into a fresh database by replaying the Kafka topics from the start
    (progress bar); HR inputs that are not events (policy versions, compliance entries) are
    copied from the source database. Ends by comparing the rebuilt scores with the
    source's running scores. Both databases are read and written as the named
    cross-regency job ``scoring-rebuild`` (the topics mix every regency); the target URL
    must be its owner's (the rebuild creates the schema).

    A closed month is frozen as it stood when it was last closed: the periods topic is read
    first; facts of a closed month that occurred after its last close are applied after
    the close, so they are recorded as late facts exactly as the running service did; the
    directory (which changes every open month of an employee) is applied in time order
    around the closes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ekinerja_shared import events as ev
from ekinerja_shared.collector import few_collections
from ekinerja_shared.db import insert_ignore, make_engine, make_sessionmaker, upsert
from ekinerja_shared.migrations import upgrade_async
from ekinerja_shared.topics import PERIODS
from ekinerja_shared.uow import UnitOfWork

from .adapters.orm import (
    Compliance,
    DisciplinaryPenalty,
    PayslipInput,
    Period,
    PeriodAudit,
    PolicyVersion,
    ScoreRow,
)
from .entrypoints.consumers import FACT_TOPICS
from .service_layer import check, month_end, services
from .replay import Replayer, decode, replay
from .service_layer.recompute import Key
from .settings import Settings

log = logging.getLogger(__name__)


# --- check ----------------------------------------------------------------------------


CHECK_JOB = "scoring-check"
REBUILD_JOB = "scoring-rebuild"


async def run_check(settings: Settings, tenant_id: str | None) -> list[dict[str, Any]]:
    engine = make_engine(settings.database_url)
    uow = UnitOfWork(make_sessionmaker(engine))
    bound = uow.in_tenant(tenant_id) if tenant_id else uow.cross_tenant(CHECK_JOB)
    try:
        async with bound.read() as session:
            diffs = await check.check(session, tenant_id, settings.default_policy_preset)
    finally:
        await engine.dispose()
    return [d.as_dict() for d in diffs]


# --- rebuild --------------------------------------------------------------------------


# what HR and the payroll unit enter (not events): copied from the source database as is
# (a penalty gets a new id: the target's sequence is not advanced by copied ids)
HR_INPUTS = (PolicyVersion, Compliance, PayslipInput, DisciplinaryPenalty)


async def _copy_hr_inputs(target: AsyncSession, source: UnitOfWork,
                          tenants: set[str] | None) -> int:
    copied = 0
    async with source.read() as src:
        for model in HR_INPUTS:
            query = select(model)
            if tenants is not None:
                query = query.where(model.tenant_id.in_(tenants))
            rows = (await src.scalars(query)).all()
            for r in rows:
                target.add(model(**{c.key: getattr(r, c.key)
                                    for c in model.__table__.columns if c.key != "id"}))
            copied += len(rows)
    await target.flush()
    return copied


async def run_rebuild(settings: Settings, target_url: str, source_url: str | None, *,
                      progress: bool = True, batch_size: int = 1000,
                      tenants: set[str] | None = None) -> dict[str, Any]:
    """Rebuild into ``target_url`` (all tenants, or only ``tenants``); see the module doc."""
    with few_collections():
        return await _rebuild(settings, target_url, source_url, progress=progress,
                              batch_size=batch_size, tenants=tenants)


async def _rebuild(settings: Settings, target_url: str, source_url: str | None, *,
                   progress: bool, batch_size: int, tenants: set[str] | None) -> dict[str, Any]:
    await upgrade_async("scoring", target_url)
    engine = make_engine(target_url)
    uow = UnitOfWork(make_sessionmaker(engine)).cross_tenant(REBUILD_JOB)
    source_engine = make_engine(source_url) if source_url else None
    source = (UnitOfWork(make_sessionmaker(source_engine)).cross_tenant(REBUILD_JOB)
              if source_engine else None)
    stats: dict[str, Any] = {}
    try:
        async with uow.read() as session:
            if await session.scalar(select(func.count()).select_from(ScoreRow)):
                raise SystemExit(f"target database {target_url} already has scores: "
                                 "rebuild needs an empty database")
        if source is not None:
            stats["hr_inputs_copied"] = await uow.run(_copy_hr_inputs, source, tenants)
        preset = settings.default_policy_preset
        final_states = await _read_periods(settings, progress, tenants)
        closed_at = {key: e.occurred_at for key, e in final_states.items()
                     if isinstance(e, ev.PeriodClosed)}
        replayer = Replayer(uow, tenants=tenants, closed_at=closed_at)
        try:
            async for batch in replay(settings.kafka_bootstrap, FACT_TOPICS,
                                      batch_size=batch_size, progress=progress):
                await replayer.feed(batch)
            await replayer.finish()
        finally:
            await replayer.cancel()
        stats.update(replayer.stats)
        await _recompute(uow, replayer.pending, preset)
        directory, late = replayer.directory, replayer.late
        # the directory and the closes in time order, then what came after the closes
        stats["applied"] += len(directory) + len(late)
        stats["late_facts"] = len(late)
        directory.sort(key=lambda e: e.occurred_at)
        for cut in sorted(set(closed_at.values())):
            earlier = [e for e in directory if e.occurred_at < cut]
            directory = directory[len(earlier):]
            await _apply(uow, earlier, preset)
            await _settle_units(uow, preset)
            await uow.run(_write_periods, {k: e for k, e in final_states.items()
                                           if closed_at.get(k) == cut}, preset)
        await _apply(uow, directory, preset)
        await _apply(uow, late, preset)  # months now closed: recorded as late facts
        await _settle_units(uow, preset)
        await uow.run(_write_periods, {k: e for k, e in final_states.items()
                                       if k not in closed_at}, preset)
        stats["closed_periods"] = len(closed_at)
        if source is not None:
            stats["differences"] = await _compare(source, uow, tenants)
    finally:
        await engine.dispose()
        if source_engine is not None:
            await source_engine.dispose()
    return stats


RECOMPUTE_CHUNK = 2000  # employee-months per transaction


async def _recompute(uow: UnitOfWork, pending: dict[Key, ev.Event], preset: str) -> None:
    keys = sorted(pending)
    for i in range(0, len(keys), RECOMPUTE_CHUNK):
        await uow.run(services.recompute_keys,
                      {k: pending[k] for k in keys[i:i + RECOMPUTE_CHUNK]},
                      default_preset=preset, publish=False, exclusive=True)
    pending.clear()


async def _apply(uow: UnitOfWork, events: list[ev.Event], preset: str) -> None:
    for i in range(0, len(events), 1000):
        await uow.run(services.apply_events, events[i:i + 1000], default_preset=preset,
                      publish=False)


async def _settle_units(uow: UnitOfWork, preset: str) -> None:
    while await services.refresh_units(uow, default_preset=preset, publish=False):
        pass


PeriodEvent = ev.PeriodClosed | ev.PeriodReopened


async def _read_periods(settings: Settings, progress: bool,
                        tenants: set[str] | None) -> dict[tuple[str, str], PeriodEvent]:
    """The last close or reopen of every month, from the periods topic."""
    state: dict[tuple[str, str], PeriodEvent] = {}
    async for batch in replay(settings.kafka_bootstrap, (PERIODS,), progress=progress):
        for raw, *_ in batch:
            e = decode(raw)
            if isinstance(e, ev.PeriodClosed | ev.PeriodReopened) and (
                    tenants is None or e.tenant_id in tenants):
                key = (e.tenant_id, e.period)
                if key not in state or state[key].occurred_at <= e.occurred_at:
                    state[key] = e
    return state


async def _write_periods(session: AsyncSession, states: dict[tuple[str, str], PeriodEvent],
                         preset: str) -> int:
    """Record months in their last state (closed or reopened); returns how many closed. A
    closed month is frozen as the close froze it (``month_end.freeze``: the roster)."""
    closed = 0
    for (tenant_id, period), e in sorted(states.items()):
        is_closed = isinstance(e, ev.PeriodClosed)
        actor = e.closed_by if isinstance(e, ev.PeriodClosed) else e.reopened_by
        policy = (await month_end.freeze(session, tenant_id, period, default_preset=preset,
                                         publish=False) if is_closed else None)
        confirmed = ([i.model_dump() for i in e.open_items_confirmed]
                     if isinstance(e, ev.PeriodClosed) else [])
        await upsert(session, Period,
                     {"tenant_id": tenant_id, "period": period, "closed": is_closed,
                      "changed_by": actor, "reason": getattr(e, "reason", ""),
                      "changed_at": e.occurred_at, "policy": policy,
                      "confirmation": {"confirmed_by": actor,
                                       "confirmed_at": e.occurred_at.isoformat(),
                                       "open_items": confirmed} if confirmed else None},
                     index_elements=["tenant_id", "period"])
        await insert_ignore(session, PeriodAudit, {
            "tenant_id": tenant_id, "period": period,
            "action": "close" if is_closed else "reopen", "actor": actor,
            "reason": "replayed by rebuild", "at": e.occurred_at,
            "open_items": confirmed if is_closed else None})
        closed += is_closed
    return closed


Numbers = tuple[str, str, tuple[tuple[str, str], ...]]  # final %, TPP, components


async def _compare(source: UnitOfWork, target: UnitOfWork,
                   tenants: set[str] | None) -> list[dict[str, str]]:
    async def numbers(uow: UnitOfWork) -> dict[tuple[str, str, str], Numbers]:
        query = select(ScoreRow).where(ScoreRow.version > 0)
        if tenants is not None:
            query = query.where(ScoreRow.tenant_id.in_(tenants))
        async with uow.read() as session:
            rows = (await session.scalars(query)).all()
        return {(r.tenant_id, r.nip, r.period): (
            str(Decimal(r.final_pct).normalize()), str(Decimal(r.tpp_amount).normalize()),
            tuple((c["name"], c["value_pct"]) for c in r.components)) for r in rows}

    before, after = await numbers(source), await numbers(target)
    return [
        {"key": ":".join(key), "running": str(before.get(key)), "rebuilt": str(after.get(key))}
        for key in sorted(set(before) | set(after)) if before.get(key) != after.get(key)
    ]


def main(argv: list[str], settings: Settings) -> int:
    parser = argparse.ArgumentParser(prog="python -m scoring")
    sub = parser.add_subparsers(dest="command", required=True)
    chk = sub.add_parser("check", help="compare running scores with a batch recomputation")
    chk.add_argument("--tenant", default=None)
    reb = sub.add_parser("rebuild", help="rebuild all scores by replaying the Kafka topics")
    reb.add_argument("--target-url", required=True, help="an empty database to rebuild into")
    reb.add_argument("--source-url", default=settings.database_url,
                     help="database with the HR inputs and the running scores to compare")
    reb.add_argument("--no-source", action="store_true", help="copy and compare nothing")
    reb.add_argument("--batch-size", type=int, default=1000)
    reb.add_argument("--tenant", action="append", default=None,
                     help="rebuild only this tenant (repeatable); default all")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    if args.command == "check":
        diffs = asyncio.run(run_check(settings, args.tenant))
        print(json.dumps({"differences": diffs, "count": len(diffs)}, indent=2))
        return 1 if diffs else 0
    stats = asyncio.run(run_rebuild(
        settings, args.target_url, None if args.no_source else args.source_url,
        batch_size=args.batch_size, tenants=set(args.tenant) if args.tenant else None))
    print(json.dumps(stats, indent=2, default=str))
    return 1 if stats.get("differences") else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], Settings()))
