"""Benchmark of the device-to-event path of attendance on the real PostgreSQL and Kafka: the
service runs as its own process (``python -m attendance``), one regency of N employees
(default 2,000) and D devices (default 20) that push ATTLOG batches of 200 lines through
``POST /iclock/cdata`` concurrently, each device one upload after the other, as real
devices do. Every employee punches in and out on each of the last working days (default
10: 40,000 lines), so each upload touches arrivals or departures of many employee-days.

Prints one JSON object: punches/s accepted, the upload latency (p50/p95/max), the time
from the first upload until every punch's day is evaluated (uploads only record punches:
the service's consumer of its punches topic evaluates the days) and until the last
day-evaluation event is on Kafka, the CPU time the service processes and the PostgreSQL
backends of its database used meanwhile (``/proc``, same machine: what a shared machine's
wall clock hides), and raw aiokafka
produce (acks=all, idempotent) and consume+parse figures of the same run on the same broker
(topic ``ekinerja.bench.raw``, created when missing), with the ratios.

    .venv/bin/python tests/bench/bench_ingest.py [--employees 500] [--devices 5] [--days 4]
        [--profile .run/ingest-profile.json]

``--profile`` records the service process with py-spy during the load (tests/bench/pyspy.py;
with ``--consumer-instance``, the process of the day evaluation) and writes the top frames
(self and inclusive shares of the busy samples) there as JSON, the raw collapsed stacks
beside it (``.txt``).

Needs EK_BENCH_PG_ATTENDANCE_URL (the tables' owner; the service connects as
EK_BENCH_PG_ATTENDANCE_APP_URL when set) and EK_BENCH_KAFKA_BOOTSTRAP. The database's
public schema is emptied first. Run by `make bench`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import signal
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from aiokafka import AIOKafkaConsumer, TopicPartition  # noqa: E402
from sqlalchemy import func, insert, make_url, select  # noqa: E402

from attendance.adapters.orm import (  # noqa: E402
    DayRecord,
    Employee,
    Outbox,
)
from attendance.app import create_app  # noqa: E402
from attendance.settings import Settings  # noqa: E402
from attendance.service_layer.devices import register_device  # noqa: E402
from attendance.service_layer.directory import apply_directory_event  # noqa: E402
from ekinerja_shared import events as ev  # noqa: E402
from ekinerja_shared.db import make_engine, make_sessionmaker  # noqa: E402
from ekinerja_shared.migrations import upgrade_async  # noqa: E402
from ekinerja_shared.timeutil import utcnow, zone  # noqa: E402
from ekinerja_shared.topics import ATTENDANCE_DAY_BATCHES, ATTENDANCE_PUNCH_BATCHES  # noqa: E402
from ekinerja_shared.uow import UnitOfWork  # noqa: E402
from tests.bench import pyspy  # noqa: E402
from tests.bench.rawkafka import raw_kafka  # noqa: E402
from tests.support.apps import from_now_on  # noqa: E402
from tests.support.infra import reset_database  # noqa: E402
from tests.support.ports import free_port  # noqa: E402
from tests.support.processes import GroupLag  # noqa: E402
from tests.support.tokens import TEST_JWKS_JSON  # noqa: E402

BATCH = 200
TZ = "Asia/Makassar"  # WITA


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def work_days(n: int, today: dt.date) -> list[dt.date]:
    """The last ``n`` Monday-Thursdays before today (same 07:30-16:00 hours)."""
    out, day = [], today
    while len(out) < n:
        day -= dt.timedelta(days=1)
        if day.isoweekday() <= 4:
            out.append(day)
    return sorted(out)


def device_batches(n_emp: int, n_dev: int, days: list[dt.date],
                   mixed: bool = False) -> list[list[str]]:
    """Per device, its upload bodies: its employees' arrivals, then their departures, day
    after day (the order a device records them in), cut into 200-line batches. ``mixed``:
    each device starts at another day of its backlog (device d at its d-th batch, then
    round), so that the devices upload different dates at the same moment and the
    evaluation's batches mix dates, as when some devices send a backlog while others
    send today's punches."""
    out: list[list[str]] = []
    for d in range(n_dev):
        pins = [str(1000 + i) for i in range(d, n_emp, n_dev)]
        lines: list[str] = []
        for day in days:
            for k, pin in enumerate(pins):  # 07:05 .. 07:59: some late (TL)
                t = dt.datetime.combine(day, dt.time(7, 5 + k % 55, k % 60))
                lines.append(f"{pin}\t{t:%Y-%m-%d %H:%M:%S}\t0\t1\t0\t0\t0\t0\t0\t0")
            for k, pin in enumerate(pins):  # 15:40 .. 16:34: some early (PSW)
                t = dt.datetime.combine(day, dt.time(15, 40, k % 60)) + dt.timedelta(minutes=k % 55)
                lines.append(f"{pin}\t{t:%Y-%m-%d %H:%M:%S}\t1\t1\t0\t0\t0\t0\t0\t0")
        batches = ["\r\n".join(lines[i:i + BATCH]) + "\r\n" for i in range(0, len(lines), BATCH)]
        k = d % len(batches) if mixed else 0
        out.append(batches[k:] + batches[:k])
    return out


async def seed(url: str, tenant: str, n_emp: int, serials: list[str]) -> None:
    engine = make_engine(url)
    uow = UnitOfWork(make_sessionmaker(engine)).in_tenant(tenant)
    now = utcnow()

    async def directory(s: Any) -> None:
        await apply_directory_event(s, ev.TenantUpserted(
            tenant_id=tenant, name="Kab. Bench", timezone=TZ,
            policy_preset="performance60_discipline40"), default_tz=TZ)
        await s.execute(insert(Employee), [
            {"tenant_id": tenant, "nip": f"19{i:016d}", "name": f"Pegawai {i}",
             "unit_id": f"u{i % 40}", "device_pin": str(1000 + i), "supervisor_nip": None,
             "active": True, "updated_at": now, "first_seen_on": dt.date(2000, 1, 1)}
            for i in range(n_emp)])
        for sn in serials:
            await register_device(s, tenant, sn, "Kantor", None)

    await uow.run(directory)
    await engine.dispose()


class DayProbe:
    """Counts the tenant's evaluated days on Kafka (the days of each
    ``AttendanceDaysEvaluated``) from the topic's end at start, and when the last one
    arrived."""

    def __init__(self, bootstrap: str, tenant: str) -> None:
        self._consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None,
                                          enable_auto_commit=False)
        self._tenant = f"{tenant}:".encode()
        self.count = 0  # days
        self.records = 0  # events
        self.last_at = 0.0
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self._consumer.start()
        parts = [TopicPartition(ATTENDANCE_DAY_BATCHES.name, p)
                 for p in range(ATTENDANCE_DAY_BATCHES.partitions)]
        self._consumer.assign(parts)
        await self._consumer.seek_to_end(*parts)
        for p in parts:  # resolve the end now, before any upload
            await self._consumer.position(p)
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        async for record in self._consumer:
            if record.key is not None and record.key.startswith(self._tenant):
                self.count += len(json.loads(record.value or b"{}").get("days", ()))
                self.records += 1
                self.last_at = time.perf_counter()

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        with contextlib.suppress(asyncio.CancelledError):  # aiokafka's own routine
            await self._consumer.stop()


def start_service(url: str, app_url: str, bootstrap: str, port: int, log: Path,
                  prefix: str, *, relay: str = "in_process",
                  consumers: bool = True) -> subprocess.Popen[bytes]:
    """One attendance process: ``relay`` ``in_process`` (the default set-up), ``none`` (an
    HTTP instance beside a relay process) or ``alone`` (``python -m attendance relay``);
    ``consumers`` false: an HTTP instance beside a consumer instance."""
    env = {**os.environ, "EK_DATABASE_URL": app_url, "EK_MIGRATION_DATABASE_URL": url,
           "EK_KAFKA_BOOTSTRAP": bootstrap, "EK_HTTP_HOST": "127.0.0.1",
           "EK_HTTP_PORT": str(port), "EK_AUTH_JWKS": TEST_JWKS_JSON,
           "EK_CONSUMER_GROUP_PREFIX": prefix,
           "EK_HOUSEKEEPING_INTERVAL_S": "0", "EK_OUTBOX_POLL_INTERVAL_S": "0.2",
           "EK_LOG_LEVEL": "WARNING", "PYTHONUNBUFFERED": "1",
           "EK_OUTBOX_RELAY_IN_PROCESS": "true" if relay == "in_process" else "false",
           "EK_CONSUMERS_IN_PROCESS": "true" if consumers else "false"}
    cmd = [sys.executable, "-m", "attendance"]
    if relay == "alone":
        cmd.append("relay")
        env["EK_OUTBOX_POLL_INTERVAL_S"] = "0.05"  # no commit of its own wakes it
    return subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=log.open("wb"),
                            stderr=subprocess.STDOUT, start_new_session=True)


def cpu_seconds(pid: int) -> float:
    """The CPU time (user + system) a process has used so far (Linux ``/proc``)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def backends_cpu(database: str, user: str) -> dict[int, float]:
    """The CPU time so far of each PostgreSQL backend serving ``user`` on ``database`` on
    this machine (their process titles name both), by pid: the service's connections, not
    the bench's own (it connects as the tables' owner)."""
    out: dict[int, float] = {}
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                title = (proc / "cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue
            if title.startswith("postgres:") and f" {user} {database} " in title:
                out[int(proc.name)] = cpu_seconds(int(proc.name))
    return out


async def healthy(base: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    async with httpx.AsyncClient(timeout=5) as client:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise SystemExit(f"attendance exited:\n{log.read_text()[-3000:]}")
            try:
                if (await client.get(f"{base}/health")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.3)
    raise SystemExit(f"attendance not healthy:\n{log.read_text()[-3000:]}")


async def push(client: httpx.AsyncClient, base: str, sn: str, bodies: list[str],
               latencies: list[float]) -> int:
    accepted = 0
    for body in bodies:
        t0 = time.perf_counter()
        r = await client.post(f"{base}/iclock/cdata", params={"SN": sn, "table": "ATTLOG",
                                                              "Stamp": "1"}, content=body)
        latencies.append(time.perf_counter() - t0)
        assert r.status_code == 200 and r.text.startswith("OK:"), (r.status_code, r.text[:200])
        accepted += int(r.text.strip()[3:])
    return accepted


async def groups_at_end(bootstrap: str, prefix: str) -> None:
    """The service's consumer groups start at the shared topics' end (the directory's and
    the punches' history of every earlier run is not this run's)."""
    app = create_app(Settings(database_url="sqlite+aiosqlite://", kafka_bootstrap=bootstrap,
                              consumer_group_prefix=prefix))
    await from_now_on(app)
    await app.state.runtime.engine.dispose()


async def evaluated(uow: UnitOfWork, bootstrap: str, group_prefix: str,
                    timeout: float) -> bool:
    """Wait until the evaluation consumer has applied every recorded punch: none of the
    run's ``PunchesRecorded`` is left unpublished in the outbox, and attendance's consumer
    group has committed the punches topic's end (it commits a batch once applied;
    ``GroupLag``). Kafka's offsets, not the database: counting the run's punches in the
    consumer's inbox (a join of 40,000 rows with 40,000, 57-274 ms) every 0.05 s kept a
    core of the machine under test half busy."""
    async with GroupLag(bootstrap, group_prefix) as lag:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            async with uow.read() as s:
                pending = await s.scalar(select(func.count()).select_from(Outbox).where(
                    Outbox.event_type == "attendance.punches.recorded"))
            if not pending and await lag.caught_up("attendance", ATTENDANCE_PUNCH_BATCHES.name):
                return True
            await asyncio.sleep(0.1)
        return False


async def main(args: argparse.Namespace) -> dict[str, Any]:
    url = os.environ["EK_BENCH_PG_ATTENDANCE_URL"]
    app_url = os.environ.get("EK_BENCH_PG_ATTENDANCE_APP_URL", url)
    bootstrap = os.environ["EK_BENCH_KAFKA_BOOTSTRAP"]
    await reset_database(url)
    await upgrade_async("attendance", url)
    tenant = f"bench-{uuid.uuid4().hex[:8]}"
    serials = [f"BENCH{uuid.uuid4().hex[:6].upper()}{d:03d}" for d in range(args.devices)]
    await seed(url, tenant, args.employees, serials)
    days = work_days(args.days, dt.datetime.now(zone(TZ)).date())
    bodies = device_batches(args.employees, args.devices, days, args.mixed_days)
    lines = sum(b.count("\n") for dev in bodies for b in dev)

    raw = await raw_kafka(bootstrap, args.raw_messages)
    port = free_port()
    log_path = ROOT / ".run" / "bench-ingest.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    prefix = f"bench-{uuid.uuid4().hex[:6]}"
    await groups_at_end(bootstrap, prefix)
    ports = [port] + [free_port() for _ in range(args.instances - 1)]
    mode = "none" if args.relay_process else "in_process"
    procs = [start_service(url, app_url, bootstrap, p, log_path.with_suffix(f".{i}.log"),
                           prefix, relay=mode, consumers=not args.consumer_instance)
             for i, p in enumerate(ports)]
    consumer_port = free_port()  # a port nobody uploads to
    consumer_proc: subprocess.Popen[bytes] | None = None
    if args.consumer_instance:  # the evaluation's own process
        consumer_proc = start_service(url, app_url, bootstrap, consumer_port,
                                      log_path.with_suffix(".consumers.log"), prefix, relay=mode)
        procs.append(consumer_proc)
    if args.relay_process:
        procs.append(start_service(url, app_url, bootstrap, 0,
                                   log_path.with_suffix(".relay.log"), prefix, relay="alone"))
    proc = procs[0]
    bases = [f"http://127.0.0.1:{p}" for p in ports]
    raw_profile = Path(args.profile).with_suffix(".txt") if args.profile else None
    recorder = None
    probe = DayProbe(bootstrap, tenant)
    try:
        for b, pr, i in zip(bases, procs, range(len(bases))):
            await healthy(b, pr, log_path.with_suffix(f".{i}.log"))
        if consumer_proc is not None:
            await healthy(f"http://127.0.0.1:{consumer_port}", consumer_proc,
                          log_path.with_suffix(".consumers.log"))
        await probe.start()
        cpu_before = sum(cpu_seconds(pr.pid) for pr in procs)
        consumer_cpu_before = cpu_seconds(consumer_proc.pid) if consumer_proc else 0.0
        service_db = make_url(app_url)  # the service's role and database
        database, user = service_db.database or "", service_db.username or ""
        pg_before = backends_cpu(database, user)
        if raw_profile:  # the load only: py-spy attaches now, to the consumer instance
            # when there is one (the evaluation), else to the first instance
            recorder = pyspy.record((consumer_proc or proc).pid, raw_profile)
        latencies: list[float] = []
        limits = httpx.Limits(max_connections=args.devices + 2)
        async with httpx.AsyncClient(timeout=300, limits=limits) as client:
            t0 = time.perf_counter()
            accepted = sum(await asyncio.gather(*[
                push(client, bases[i % len(bases)], sn, b, latencies)
                for i, (sn, b) in enumerate(zip(serials, bodies))]))
            upload_s = time.perf_counter() - t0
        engine = make_engine(url)  # the owner: sees the inbox (not tenant-scoped) too
        uow = UnitOfWork(make_sessionmaker(engine)).in_tenant(tenant)
        days_done = await evaluated(uow, bootstrap, prefix, args.event_timeout)
        evaluated_s = time.perf_counter() - t0 if days_done else None
        async with uow.read() as s:
            revisions = await s.scalar(select(func.coalesce(func.sum(DayRecord.revision), 0))
                                       .where(DayRecord.tenant_id == tenant))
            day_records = await s.scalar(select(func.count()).select_from(DayRecord)
                                         .where(DayRecord.tenant_id == tenant))
        await engine.dispose()
        deadline = time.monotonic() + args.event_timeout
        while probe.count < (revisions or 0) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        events_s = probe.last_at - t0 if probe.count >= (revisions or 0) else None
        cpu_s = sum(cpu_seconds(pr.pid) for pr in procs) - cpu_before
        consumer_cpu_s = (cpu_seconds(consumer_proc.pid) - consumer_cpu_before
                          if consumer_proc is not None else None)
        pg_cpu_s = sum(t - pg_before.get(pid, 0.0)
                       for pid, t in backends_cpu(database, user).items())
    finally:
        if recorder and raw_profile:
            Path(args.profile).write_text(json.dumps(pyspy.stop(recorder, raw_profile),
                                                     indent=1))
        for pr in procs:
            pr.send_signal(signal.SIGINT)  # a clean shutdown
        try:
            await probe.stop()
        finally:
            for pr in procs:
                await asyncio.to_thread(pr.wait, 120)
    punches_per_s = accepted / upload_s
    device_to_event = lines / events_s if events_s else None
    name = "attendance_ingest" + (
        f"_{args.instances}_instances" if args.instances > 1 else "") + (
        "_relay_process" if args.relay_process else "") + (
        "_consumer_instance" if args.consumer_instance else "") + (
        "_mixed_days" if args.mixed_days else "")
    return {name: {
        "employees": args.employees, "devices": args.devices, "days": len(days),
        "instances": args.instances, "relay_process": args.relay_process,
        "consumer_instance": args.consumer_instance, "mixed_days": args.mixed_days,
        "lines": lines, "batch_lines": BATCH, "uploads": len(latencies), "accepted": accepted,
        "upload_wall_s": round(upload_s, 3),
        "punches_per_s_accepted": round(punches_per_s, 1),
        "upload_latency_s": {"p50": round(statistics.median(latencies), 3),
                             "p95": round(percentile(latencies, 0.95), 3),
                             "max": round(max(latencies), 3)},
        "until_days_evaluated_s": round(evaluated_s, 3) if evaluated_s else None,
        "day_records": day_records, "days_on_kafka": probe.count, "day_events": probe.records,
        "until_last_day_event_on_kafka_s": round(events_s, 3) if events_s else None,
        "device_to_event_punches_per_s": round(device_to_event, 1) if device_to_event else None,
        "service_cpu_s": round(cpu_s, 2),
        "service_cpu_ms_per_punch": round(1000 * cpu_s / lines, 3),
        # the consumer instance alone (the day evaluation, and its share of the relaying)
        "consumer_cpu_ms_per_punch": (round(1000 * consumer_cpu_s / lines, 3)
                                      if consumer_cpu_s is not None else None),
        "postgres_cpu_s": round(pg_cpu_s, 2),
        "raw_kafka": raw,
        "ratio_accepted_to_raw_produce": round(punches_per_s / raw["produce_msgs_per_s"], 4),
        "ratio_device_to_event_to_raw_produce": (
            round(device_to_event / raw["produce_msgs_per_s"], 4) if device_to_event else None),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "profiled": bool(args.profile),
    }}


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    env = os.environ.get
    p.add_argument("--employees", type=int, default=int(env("EK_BENCH_INGEST_EMPLOYEES", 2000)))
    p.add_argument("--devices", type=int, default=int(env("EK_BENCH_INGEST_DEVICES", 20)))
    p.add_argument("--days", type=int, default=int(env("EK_BENCH_INGEST_DAYS", 10)))
    p.add_argument("--raw-messages", type=int, default=40_000)
    p.add_argument("--instances", type=int, default=int(env("EK_BENCH_INGEST_INSTANCES", 1)),
                   help="attendance HTTP processes; devices are spread over them")
    p.add_argument("--relay-process", action="store_true",
                   default=env("EK_BENCH_INGEST_RELAY_PROCESS", "") == "1",
                   help="the outbox relay as its own process (python -m attendance relay)")
    p.add_argument("--consumer-instance", action="store_true",
                   default=env("EK_BENCH_INGEST_CONSUMER_INSTANCE", "") == "1",
                   help="the HTTP instances without consumers, beside one attendance process "
                        "that runs them (EK_CONSUMERS_IN_PROCESS)")
    p.add_argument("--mixed-days", action="store_true",
                   default=env("EK_BENCH_INGEST_MIXED_DAYS", "") == "1",
                   help="each device starts at another day of its backlog: the evaluation's "
                        "batches mix dates")
    p.add_argument("--event-timeout", type=float, default=600.0)
    p.add_argument("--profile", default=None,
                   help="sample the service's stacks during the load, to this JSON file "
                        "(the consumer instance's, with --consumer-instance)")
    return p.parse_args()


if __name__ == "__main__":
    import logging

    logging.disable(logging.WARNING)
    print(json.dumps(asyncio.run(main(parse_args()))))
