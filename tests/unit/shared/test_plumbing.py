"""The shared plumbing every service uses: the unit of work (retry and conflict mapping),
periodic jobs, the caller's authorization decisions and subscriber registration."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import Any

import fast_depends.utils
import pytest
from faststream.kafka import TestKafkaBroker
from sqlalchemy import Integer, String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from ekinerja_shared import events as ev
from ekinerja_shared.applying import in_order
from ekinerja_shared.db import make_engine, make_sessionmaker
from ekinerja_shared.errors import Conflict, DomainError, Forbidden, NotFound
from ekinerja_shared.identity import (
    ANONYMOUS,
    AdminTokenAuthenticator,
    Caller,
    Role,
    Unauthenticated,
)
from ekinerja_shared.jobs import JobRunner, PeriodicJob
from ekinerja_shared.runtime import Runtime
from ekinerja_shared.settings import ServiceSettings
from ekinerja_shared.timeutil import period_of, utcnow
from ekinerja_shared.topics import PERIODS
from ekinerja_shared.uow import Refused, UnitOfWork
from tests.support.plumbing_models import Base as PlumbingBase
from tests.support.plumbing_models import ClosedPeriod, Inbox, Outbox, Quarantine


class Base(DeclarativeBase):
    pass


class Counter(Base):
    __tablename__ = "counters"
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version}


@pytest.fixture
async def sessionmaker(tmp_path: Path):
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'uow.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    yield make_sessionmaker(engine)
    await engine.dispose()


# --- unit of work --------------------------------------------------------------------------


async def test_run_commits_and_returns(sessionmaker) -> None:
    uow = UnitOfWork(sessionmaker)

    async def create(session: AsyncSession, name: str, *, value: int) -> str:
        session.add(Counter(name=name, value=value))
        return name

    assert await uow.run(create, "a", value=3) == "a"
    async with uow.read() as session:
        assert (await session.get(Counter, "a")).value == 3


async def test_run_retries_a_lost_unique_key_race_then_succeeds(sessionmaker) -> None:
    uow = UnitOfWork(sessionmaker, attempts=3)
    await uow.run(lambda s: _add(s, "taken"))
    calls = 0

    async def insert_or_update(session: AsyncSession) -> int:
        nonlocal calls
        calls += 1
        if calls == 1:  # the first attempt inserts a key another writer already has
            session.add(Counter(name="taken", value=1))
            await session.flush()
        row = (await session.scalars(select(Counter).where(Counter.name == "taken"))).one()
        row.value += 10
        return row.value

    assert await uow.run(insert_or_update) == 10
    assert calls == 2


async def test_exhausted_retries_and_stale_rows_are_409(sessionmaker) -> None:
    refusals: list[str] = []
    uow = UnitOfWork(sessionmaker, attempts=2, conflict_message="Diubah orang lain.",
                     conflict_code="concurrent_decision",
                     on_refusal=lambda e: refusals.append(e.code))
    await uow.run(lambda s: _add(s, "x"))

    async def always_duplicate(session: AsyncSession) -> None:
        session.add(Counter(name="x"))
        await session.flush()

    with pytest.raises(Conflict) as info:
        await uow.run(always_duplicate)
    assert info.value.status_code == 409 and info.value.code == "concurrent_decision"
    assert info.value.message == "Diubah orang lain."

    # optimistic lock: the row changed (version bumped) between read and write
    async with uow.read() as other:
        stale = await other.get(Counter, "x")
    await uow.run(_bump, "x")

    async def write_stale(session: AsyncSession) -> None:
        assert stale is not None
        merged = await session.merge(stale, load=False)
        merged.value = 99
        await session.flush()

    with pytest.raises(Conflict):
        await uow.run(write_stale)
    assert refusals == ["concurrent_decision", "concurrent_decision"]


async def test_rule_refusals_are_reported_and_roll_back(sessionmaker) -> None:
    refusals: list[str] = []
    uow = UnitOfWork(sessionmaker, on_refusal=lambda e: refusals.append(e.code))

    async def refuse(session: AsyncSession) -> None:
        session.add(Counter(name="never"))
        await session.flush()
        raise DomainError("Tidak boleh.", code="overlap")

    with pytest.raises(DomainError):
        await uow.run(refuse)
    assert refusals == ["overlap"]
    async with uow.read() as session:
        assert await session.get(Counter, "never") is None


async def test_a_returned_refusal_commits_then_raises(sessionmaker) -> None:
    """A failed sign-in's audit row is kept although the request is refused."""
    refusals: list[str] = []
    uow = UnitOfWork(sessionmaker, on_refusal=lambda e: refusals.append(e.code))

    async def record_then_refuse(session: AsyncSession, name: str) -> Refused | str:
        session.add(Counter(name=name, value=1))
        return Refused(Forbidden("Tidak boleh.", code="bad_password"))

    with pytest.raises(Forbidden) as info:
        await uow.run(record_then_refuse, "kept")
    assert info.value.code == "bad_password" and refusals == ["bad_password"]
    async with uow.read() as session:
        assert (await session.get(Counter, "kept")).value == 1


async def test_other_errors_propagate_unretried(sessionmaker) -> None:
    uow = UnitOfWork(sessionmaker)
    calls = 0

    async def bug(session: AsyncSession) -> None:
        nonlocal calls
        calls += 1
        raise ValueError("a bug")

    with pytest.raises(ValueError):
        await uow.run(bug)
    assert calls == 1


async def _add(session: AsyncSession, name: str) -> None:
    session.add(Counter(name=name, value=0))


async def _bump(session: AsyncSession, name: str) -> None:
    row = await session.get(Counter, name)
    assert row is not None
    row.value += 1


# --- periodic jobs -------------------------------------------------------------------------


async def test_periodic_job_survives_failures_and_stops_cleanly() -> None:
    runs = 0

    async def flaky() -> None:
        nonlocal runs
        runs += 1
        if runs == 1:
            raise RuntimeError("database away")

    runner = JobRunner([PeriodicJob("flaky", flaky, interval_s=0.01)])
    runner.start()
    await asyncio.sleep(0.2)
    await runner.stop()
    seen = runs
    assert seen >= 3, "a failed pass must not end the job"
    await asyncio.sleep(0.05)
    assert runs == seen, "a stopped job does not run again"


async def test_busy_job_runs_again_at_once_and_disabled_job_never_runs() -> None:
    backlog = [5, 4, 3, 0]
    done: list[int] = []

    async def drain() -> int:
        n = backlog.pop(0) if backlog else 0
        done.append(n)
        return n

    never: list[int] = []

    async def disabled() -> None:
        never.append(1)

    runner = JobRunner([PeriodicJob("drain", drain, interval_s=60, again_when_busy=True),
                        PeriodicJob("off", disabled, interval_s=0)])
    runner.start()
    await asyncio.sleep(0.1)
    await runner.stop()
    assert done == [5, 4, 3, 0], "drains the backlog without waiting, then waits an interval"
    assert never == []


# --- callers -------------------------------------------------------------------------------


def _person(tenant: str | None, nip: str | None, *roles: Role) -> Caller:
    return Caller(subject=f"{tenant}:{nip}", tenant_id=tenant, nip=nip, roles=frozenset(roles))


def test_caller_decisions() -> None:
    hr = _person("cilegon", "1", Role.HR, Role.EMPLOYEE)
    staff = _person("cilegon", "2", Role.EMPLOYEE)
    operator = _person(None, None, Role.OPERATOR)

    assert hr.require("cilegon", Role.HR) is hr
    with pytest.raises(NotFound):  # another regency is not revealed
        hr.require("kediri", Role.HR)
    with pytest.raises(Forbidden):
        staff.require("cilegon", Role.HR)
    assert staff.require("cilegon") is staff
    with pytest.raises(Unauthenticated):
        ANONYMOUS.require("cilegon")
    assert operator.require("kediri", Role.HR) is operator

    assert staff.require_self_or("cilegon", "2", Role.HR) is staff
    with pytest.raises(Forbidden):
        staff.require_self_or("cilegon", "1", Role.HR)
    assert hr.require_self_or("cilegon", "2", Role.HR) is hr

    client = Caller(subject="client:simpeg", tenant_id="cilegon", nip=None,
                    scopes=frozenset({"roster:write"}), kind="client")
    assert client.require("cilegon", Role.HR, scope="roster:write") is client
    with pytest.raises(Forbidden):
        client.require("cilegon", Role.HR, scope="scores:read")


async def test_without_token_verification_a_service_never_falls_open() -> None:
    unconfigured = AdminTokenAuthenticator(None)
    assert await unconfigured.authenticate(None, {}) is ANONYMOUS
    with pytest.raises(Unauthenticated):
        await unconfigured.authenticate("Bearer anything", {})
    guarded = AdminTokenAuthenticator("rahasia")
    assert (await guarded.authenticate("Bearer rahasia", {})).is_operator
    assert await guarded.authenticate(None, {}) is ANONYMOUS
    with pytest.raises(Unauthenticated) as info:
        await guarded.authenticate("Bearer salah", {})
    assert info.value.code == "invalid_token"


# --- subscribers ---------------------------------------------------------------------------


async def test_subscribe_batch_names_group_and_inbox_after_service_and_purpose(
        tmp_path: Path) -> None:
    settings = ServiceSettings(service_name="svc",
                               database_url=f"sqlite+aiosqlite:///{tmp_path / 'svc.db'}")
    rt = Runtime.build(settings, inbox_model=Inbox, quarantine_model=Quarantine,
                       outbox_model=Outbox)
    async with rt.engine.begin() as conn:
        await conn.run_sync(PlumbingBase.metadata.create_all)
    applied: list[str] = []

    async def apply(session: AsyncSession, event: ev.Event) -> None:
        assert isinstance(event, ev.PeriodClosed)
        applied.append(event.period)
        session.add(ClosedPeriod(tenant_id=event.tenant_id, period=event.period,
                                 times_applied=1))

    consumer = rt.subscribe_batch(PERIODS, "periods", in_order(apply), (ev.PeriodClosed,),
                                  description="test")
    assert consumer.name == "svc-periods"
    closed = ev.PeriodClosed(tenant_id="t1", occurred_at=utcnow(), period="2026-10",
                             closed_by="hr")
    groups = [sub.group_id for sub in rt.broker.subscribers]
    assert groups == ["ekinerja-svc-periods"]
    assert rt.durable_groups == {"ekinerja-svc-periods": PERIODS.name}
    body = ev.dump_event(closed)
    ctx = [{"topic": PERIODS.name, "partition": 0, "offset": i} for i in range(2)]
    outcome = await consumer.handle_batch([], in_order(apply), (ev.PeriodClosed,),
                                          bodies=[body, body], contexts=ctx)  # redelivered
    again = await consumer.handle_batch([], in_order(apply), (ev.PeriodClosed,),
                                        bodies=[body], contexts=ctx[:1])
    assert outcome["applied"] == 1 and again["duplicate"] == 1
    assert applied == ["2026-10"], "the inbox applies an event once"
    await rt.engine.dispose()


async def test_an_http_instance_beside_a_consumer_instance_starts_no_durable_consumer(
        tmp_path: Path) -> None:
    """``EK_CONSUMERS_IN_PROCESS`` false: the durable subscriber is not registered with the
    broker (the consumer instance reads its group), while the live fan-out still is (every
    instance streams); the consumer and its group stay known to the runtime, for the
    quarantine API's replays and the group offsets the tests set."""
    settings = ServiceSettings(service_name="svc", consumers_in_process=False,
                               database_url=f"sqlite+aiosqlite:///{tmp_path / 'svc.db'}")
    rt = Runtime.build(settings, inbox_model=Inbox, quarantine_model=Quarantine)

    async def apply(session: AsyncSession, event: ev.Event) -> None:
        raise AssertionError("not consumed here")

    async def handle(body: bytes) -> None:
        pass

    consumer = rt.subscribe_batch(PERIODS, "periods", in_order(apply), (ev.PeriodClosed,),
                                  description="test")
    rt.subscribe_fanout(PERIODS, "live", handle, description="test")
    assert [sub.group_id for sub in rt.broker.subscribers] == [None]
    assert rt.consumers == {"svc-periods": consumer}
    assert rt.durable_groups == {"ekinerja-svc-periods": PERIODS.name}
    await rt.engine.dispose()


async def test_subscribe_fanout_hands_each_record_value_over_as_it_came(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The live fan-out subscriber: no group, and its handler gets every record's bytes as
    they came, even a body the JSON decoder would have turned into a dict (a JSON content
    type) or refused (not JSON): the handler decides. No record costs a hop to a worker
    thread (FastDepends runs a sync resolver, such as a context field's, in one)."""
    hops: list[object] = []
    to_thread = fast_depends.utils.run_in_threadpool

    async def counted(func: Any, *args: Any, **kwargs: Any) -> Any:
        hops.append(func)
        return await to_thread(func, *args, **kwargs)

    monkeypatch.setattr(fast_depends.utils, "run_in_threadpool", counted)
    settings = ServiceSettings(service_name="svc",
                               database_url=f"sqlite+aiosqlite:///{tmp_path / 'svc.db'}")
    rt = Runtime.build(settings, inbox_model=Inbox, quarantine_model=Quarantine)
    seen: list[bytes] = []

    async def handle(body: bytes) -> None:
        seen.append(body)

    rt.subscribe_fanout(PERIODS, "live", handle, description="test")
    (sub,) = rt.broker.subscribers
    assert sub.group_id is None
    async with TestKafkaBroker(rt.broker) as broker:
        await broker.publish(b'{"a": 1}', PERIODS.name,
                             headers={"content-type": "application/json"})
        await broker.publish(b"bukan json", PERIODS.name)
        await broker.publish({"b": 2}, PERIODS.name)
    assert seen == [b'{"a": 1}', b"bukan json", b'{"b":2}']
    assert hops == []
    await rt.engine.dispose()


async def _periods_consumer(tmp_path: Path, *, max_attempts: int) -> tuple[Runtime, Any]:
    """A runtime on a fresh SQLite file and its consumer ``svc-periods``."""
    settings = ServiceSettings(service_name="svc", consumer_max_attempts=max_attempts,
                               database_url=f"sqlite+aiosqlite:///{tmp_path / 'svc.db'}")
    rt = Runtime.build(settings, inbox_model=Inbox, quarantine_model=Quarantine)
    async with rt.engine.begin() as conn:
        await conn.run_sync(PlumbingBase.metadata.create_all)
    return rt, rt.consumer("svc-periods")


async def test_a_failing_record_is_found_by_halves_and_then_tried_alone(
        tmp_path: Path) -> None:
    """A batch of 64 with one record that fails every time (a bug, not a PoisonEvent): the
    batch is split in halves until that record is alone (not applied one by one: 64
    transactions on every redelivery), the records before it are committed once, in order;
    consumed again, the known failing record is tried alone at once, and once quarantined
    the records behind it are applied as one batch."""
    rt, consumer = await _periods_consumer(tmp_path, max_attempts=3)
    periods = [f"{2020 + i // 12}-{i % 12 + 1:02d}" for i in range(64)]
    bad = periods[37]
    calls: list[int] = []  # the size of each batch handed over
    applied: list[str] = []

    async def apply_batch(session: AsyncSession, events: list[ev.Event]) -> None:
        calls.append(len(events))
        for event in events:
            assert isinstance(event, ev.PeriodClosed)
            if event.period == bad:
                raise RuntimeError("a bug in the apply function")
            session.add(ClosedPeriod(tenant_id=event.tenant_id, period=event.period,
                                     times_applied=1))
        await session.flush()  # applying one twice would violate the key
        applied.extend(e.period for e in events if isinstance(e, ev.PeriodClosed))

    bodies = [ev.dump_event(ev.PeriodClosed(tenant_id="t1", period=p)) for p in periods]
    ctx = [{"topic": PERIODS.name, "partition": 0, "offset": i} for i in range(64)]

    async def consume() -> dict[str, int]:
        calls.clear()
        return await consumer.handle_batch([], apply_batch, (ev.PeriodClosed,),
                                           bodies=bodies, contexts=ctx)

    with pytest.raises(RuntimeError):
        await consume()
    assert len(calls) <= 2 + 2 * 6, calls  # the whole batch, then halves down to one
    assert calls[:2] == [64, 32] and calls[-1] == 1  # the batch, then its first half
    with pytest.raises(RuntimeError):
        await consume()
    assert calls == [1], "the known failing record alone; the ones before it are in the inbox"
    outcome = await consume()
    assert calls == [1, 26]
    assert outcome == {"applied": 26, "duplicate": 37, "ignored": 0, "quarantined": 1}
    async with rt.uow.read() as session:
        stored = (await session.scalars(select(ClosedPeriod.period))).all()
        quarantined = (await session.scalars(select(Quarantine))).all()
    assert sorted(stored) == [p for p in periods if p != bad]
    committed = [p for p in applied if p != bad]
    assert sorted(set(committed)) == sorted(stored)
    assert len(quarantined) == 1 and bad in quarantined[0].raw
    assert "failed 3 times" in quarantined[0].reason
    await rt.engine.dispose()


async def test_transient_faults_back_off_and_never_quarantine(tmp_path: Path) -> None:
    """The database away (a connection error) is not the record's fault: however often it
    happens, the record is consumed again after a back-off and applied once it is back."""
    from sqlalchemy.exc import OperationalError

    rt, consumer = await _periods_consumer(tmp_path, max_attempts=2)
    consumer._max_backoff_s = 0.01
    outages = 5  # more than consumer_max_attempts

    async def apply(session: AsyncSession, event: ev.Event) -> None:
        nonlocal outages
        if outages:
            outages -= 1
            raise OperationalError("INSERT", {}, ConnectionRefusedError("db restarting"))
        session.add(ClosedPeriod(tenant_id=event.tenant_id, period="2026-10", times_applied=1))

    body = ev.dump_event(ev.PeriodClosed(tenant_id="t1", period="2026-10"))
    ctx = [{"topic": PERIODS.name, "partition": 0, "offset": 7}]
    redeliveries = 0
    while True:
        try:
            outcome = await consumer.handle_batch([], in_order(apply), (ev.PeriodClosed,),
                                                  bodies=[body], contexts=ctx)
            break
        except OperationalError:
            redeliveries += 1
            assert redeliveries < 20
    assert redeliveries == 5 and outcome["applied"] == 1
    async with rt.uow.read() as session:
        assert (await session.scalars(select(Quarantine))).all() == []
    backoffs = rt.metrics.registry.get_sample_value(
        "ekinerja_consumer_backoffs_total", {"consumer": "svc-periods"})
    assert backoffs == 5
    await rt.engine.dispose()


async def test_a_batch_that_loses_to_a_concurrent_writer_runs_again_whole(
        tmp_path: Path) -> None:
    """A concurrent writer won a key the batch inserts (a request evaluating the same
    employee-day at once): the batch's transaction runs again as a whole, nothing is
    split, counted as an attempt or quarantined."""
    from sqlalchemy.exc import IntegrityError

    rt, consumer = await _periods_consumer(tmp_path, max_attempts=1)
    lost = 2  # fewer than the runs a batch gets
    calls: list[int] = []

    async def apply_batch(session: AsyncSession, events: list[ev.Event]) -> None:
        nonlocal lost
        calls.append(len(events))
        if lost:
            lost -= 1
            raise IntegrityError("INSERT", {}, Exception("duplicate key"))
        for event in events:
            assert isinstance(event, ev.PeriodClosed)
            session.add(ClosedPeriod(tenant_id=event.tenant_id, period=event.period,
                                     times_applied=1))

    bodies = [ev.dump_event(ev.PeriodClosed(tenant_id="t1", period=p))
              for p in ("2026-09", "2026-10")]
    ctx = [{"topic": PERIODS.name, "partition": 0, "offset": i} for i in range(2)]
    outcome = await consumer.handle_batch([], apply_batch, (ev.PeriodClosed,),
                                          bodies=bodies, contexts=ctx)
    assert outcome == {"applied": 2, "duplicate": 0, "ignored": 0, "quarantined": 0}
    assert calls == [2, 2, 2]
    async with rt.uow.read() as session:
        assert sorted((await session.scalars(select(ClosedPeriod.period))).all()) == [
            "2026-09", "2026-10"]
        assert (await session.scalars(select(Quarantine))).all() == []
    await rt.engine.dispose()


def test_one_entry_point_runs_a_command_or_refuses_an_unknown_one() -> None:
    """``python -m <service> <command>``: the command gets the arguments from its name on
    and the settings; its status is the exit status; an unknown one is a usage error."""
    from ekinerja_shared.main import run

    settings = ServiceSettings(service_name="svc")
    seen: list[tuple[list[str], ServiceSettings]] = []

    def check(argv: list[str], s: ServiceSettings) -> int:
        seen.append((argv, s))
        return 3

    def never(_s: ServiceSettings) -> Any:
        raise AssertionError("the app is not built for a command")

    with pytest.raises(SystemExit) as done:
        run("svc", settings, never, commands={"check": check}, argv=["check", "--tenant", "t"])
    assert done.value.code == 3 and seen == [(["check", "--tenant", "t"], settings)]
    with pytest.raises(SystemExit) as done:
        run("svc", settings, never, commands={"check": check}, argv=["chek"])
    assert "usage: python -m svc [migrate | relay | check]" in str(done.value.code)


async def test_a_shutdown_step_that_hangs_is_cut_short_and_the_next_steps_run(
        caplog: pytest.LogCaptureFixture) -> None:
    from ekinerja_shared.service import _step

    ran: list[str] = []

    async def hangs() -> None:
        await asyncio.sleep(3600)

    async def fails() -> None:
        raise RuntimeError("broker gone")

    async def works() -> None:
        ran.append("engine")

    loop = asyncio.get_running_loop()
    started = loop.time()
    await _step("outbox relay", hangs(), 0.2)
    await _step("kafka broker", fails(), 0.2)
    await _step("engine", works(), 0.2)
    assert loop.time() - started < 2
    assert ran == ["engine"]
    messages = [r.getMessage() for r in caplog.records]
    assert "shutdown: outbox relay did not stop within 0.2 s; cut short" in messages
    assert "shutdown: kafka broker failed" in messages


def test_period_of_is_the_month_of_a_day_or_an_instant_cached_or_not() -> None:
    period_of.cache_clear()
    assert period_of(dt.date(2026, 1, 31)) == "2026-01"
    assert period_of(dt.date(1970, 12, 1)) == "1970-12"
    assert period_of(dt.date(2026, 1, 31)) == "2026-01"  # from the cache
    assert period_of(dt.datetime(2099, 12, 31, 23, 59, tzinfo=dt.UTC)) == "2099-12"
    assert period_of.cache_info().hits == 1


async def test_subscribe_fanout_goes_on_past_a_record_its_handler_fails_on(
        tmp_path: Path) -> None:
    """Records come in batches: one the handler fails on is logged and the rest of its
    batch still reaches the handler (nothing redelivers a fan-out's records)."""
    settings = ServiceSettings(service_name="svc",
                               database_url=f"sqlite+aiosqlite:///{tmp_path / 'svc.db'}")
    rt = Runtime.build(settings, inbox_model=Inbox, quarantine_model=Quarantine)
    seen: list[bytes] = []

    async def handle(body: bytes) -> None:
        if body == b"rusak":
            raise RuntimeError("handler bug")
        seen.append(body)

    rt.subscribe_fanout(PERIODS, "live", handle, description="test")
    async with TestKafkaBroker(rt.broker) as broker:
        await broker.publish_batch(b"satu", b"rusak", b"dua", topic=PERIODS.name)
    assert seen == [b"satu", b"dua"]
    await rt.engine.dispose()
