"""Latency probe under load (issue 13: "punch or approval to the live stream: p99 <= 500 ms
while 1,000 punches/s flow"). The four services run as processes (``python -m <service>``)
on the real PostgreSQL and Kafka; one regency (WITA) of EK_BENCH_LIVE_EMPLOYEES employees
(default 1,000, 10 OPDs) signs in through the gateway; HR watches the gateway's live score
stream (SSE, ``/api/tenants/{t}/scores/stream``), as the leadership dashboard does.

Load: EK_BENCH_LIVE_DEVICES devices (default 10) push ATTLOG uploads of 200 lines through
the gateway's ``/iclock/cdata``, paced to EK_BENCH_LIVE_RATE punches/s in all (default
1,000) for EK_BENCH_LIVE_SECONDS (default 20): each employee of OPDs 1-9 arrives and leaves
on past working days, day after day, so every upload is new punches and new day
evaluations (new scores) for the whole pipeline.

Probes, alternating every 0.25 s while the load flows, each timed from the moment its
request is sent until its score update arrives on the stream:
- a punch: one more device uploads an arrival at 09:30 (late) and a departure of one
  employee of OPD 0 who has no punch that day (the day is evaluated: a new score);
- an approval: the head of OPD 0 approves one of the entries its staff logged before the
  load (the approved minutes change: a new score).

Prints one JSON object: the probes' p50/p95/p99/max in ms (and any that never arrived
within 30 s: ``missing``, which includes the probes whose request was refused or dropped,
counted in ``probes_refused``), the punches/s offered and accepted (an upload answered
with another status than 200 is counted in ``uploads_refused``, not accepted), the upload
latency, where each probe's time went (``hops``: each event of its path made and sent,
per service, read back from the run's Kafka records; tests/bench/hops.py), and raw
aiokafka produce/consume on the same broker in the same run. Run by `make bench`; needs the
EK_BENCH_PG_* URLs and EK_BENCH_KAFKA_BOOTSTRAP like the other benches.

Warm tables (EK_BENCH_LIVE_WARM_DAYS, default 2): before the load, the load devices upload
that many earlier days at once, the pipeline drains, and every service database is
analysed, as autovacuum does within a deployment's first minute; the load then meets
tables with statistics, as a running deployment's. 0: the load meets tables that were
empty a minute before (a new deployment's first minute, README), as before 24 Nov 2026.

EK_BENCH_LIVE_PROFILE=DIR records the four service processes with py-spy while the load
flows (tests/bench/pyspy.py): DIR/<service>.txt raw stacks, DIR/<service>.json the top
frames and each process's busy samples (how much of the load's seconds it was on a core).
EK_BENCH_LIVE_LOGS=DIR keeps the services' logs there. EK_BENCH_LIVE_CONSUMER_INSTANCES=
attendance,scoring (any of the services) runs each named service as an HTTP instance without
durable consumers beside a consumer instance (EK_CONSUMERS_IN_PROCESS; README, scaling)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import httpx  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlalchemy.ext.asyncio import create_async_engine  # noqa: E402

from ekinerja_shared.timeutil import zone  # noqa: E402
from tests.bench.bench_ingest import percentile, work_days  # noqa: E402
from tests.bench import pyspy  # noqa: E402
from tests.bench.hops import Probe, hops  # noqa: E402
from tests.bench.bench_pages import nip_of, roster  # noqa: E402
from tests.bench.benchenv import bench_databases_for_tests  # noqa: E402
from tests.bench.rawkafka import raw_kafka  # noqa: E402
from tests.support import infra  # noqa: E402
from tests.support.processes import (  # noqa: E402
    SERVICES,
    directory_everywhere,
    register_regency,
    running_system,
    sign_in,
)
from tests.support.sse import ScoreStream  # noqa: E402

EMPLOYEES = int(os.environ.get("EK_BENCH_LIVE_EMPLOYEES", "1000"))
UNITS = 10
DEVICES = int(os.environ.get("EK_BENCH_LIVE_DEVICES", "10"))
RATE = float(os.environ.get("EK_BENCH_LIVE_RATE", "1000"))
SECONDS = float(os.environ.get("EK_BENCH_LIVE_SECONDS", "20"))
WARM_DAYS = int(os.environ.get("EK_BENCH_LIVE_WARM_DAYS", "2"))
BATCH = 200
PROBE_EVERY_S = 0.25
PROBE_TIMEOUT_S = 30.0
AUTHORS = 5  # staff of OPD 0 who log the entries the approval probes approve
PROFILE = os.environ.get("EK_BENCH_LIVE_PROFILE")
LOGS = os.environ.get("EK_BENCH_LIVE_LOGS")  # keep the services' logs in this directory
SPLIT = tuple(s for s in os.environ.get("EK_BENCH_LIVE_CONSUMER_INSTANCES", "").split(",") if s)
ENTRY_SLOTS = [("08:00", "08:45"), ("08:45", "09:30"), ("09:30", "10:15"), ("10:15", "11:00")]


def pin_of(i: int) -> str:
    return str(i + 1)  # bench_pages' roster: employee i has device PIN i + 1


def newest_version(stream: ScoreStream, nip: str) -> int:
    return max((e["version"] for _, e in stream.arrived.get(nip, [])), default=0)


async def arrival(stream: ScoreStream, nip: str, since: float, above: int,
                  cause: str) -> float | None:
    """Seconds from ``since`` until an update of ``nip`` caused by ``cause`` with a version
    above ``above`` arrived on ``stream``; None after the probe timeout."""
    deadline = since + PROBE_TIMEOUT_S
    while time.perf_counter() < deadline:
        for at, event in stream.arrived.get(nip, []):
            if at >= since and event["version"] > above and event["cause_type"] == cause:
                return at - since
        await asyncio.sleep(0.005)
    return None


def load_uploads(days: list[dt.date]) -> list[list[str]]:
    """Per load device, its uploads: the employees of OPDs 1-9 (a share per device)
    arriving and leaving, day after day, in 200-line bodies."""
    staff = list(range(EMPLOYEES // UNITS, EMPLOYEES))
    out: list[list[str]] = []
    for d in range(DEVICES):
        mine = staff[d::DEVICES]
        lines: list[str] = []
        for day in days:
            for k, i in enumerate(mine):
                t_in = dt.datetime.combine(day, dt.time(7, 5 + k % 50, k % 60))
                t_out = dt.datetime.combine(day, dt.time(16, k % 50, k % 60))
                lines.append(f"{pin_of(i)}\t{t_in:%Y-%m-%d %H:%M:%S}\t0\t1\t0\t0\t0\t0\t0\t0")
                lines.append(f"{pin_of(i)}\t{t_out:%Y-%m-%d %H:%M:%S}\t1\t1\t0\t0\t0\t0\t0\t0")
        out.append(["\r\n".join(lines[j:j + BATCH]) + "\r\n"
                    for j in range(0, len(lines), BATCH)])
    return out


async def device(gw: httpx.AsyncClient, serial: str, uploads: list[str], start: float,
                 interval: float, until: float, accepted: list[int],
                 latencies: list[float], refused: list[str], finished: list[float],
                 first_stamp: int = 1) -> None:
    """One device: its uploads one after the other, each at its turn (never ahead)."""
    for k, body in enumerate(uploads):
        turn = start + k * interval
        if turn >= until:
            break
        await asyncio.sleep(max(0.0, turn - time.perf_counter()))
        t0 = time.perf_counter()
        r = await post(gw, "/iclock/cdata", refused, params={
            "SN": serial, "table": "ATTLOG", "Stamp": str(first_stamp + k)}, content=body)
        latencies.append(time.perf_counter() - t0)
        if r is not None and r.text.startswith("OK"):
            accepted.append(body.count("\r\n"))
    finished.append(time.perf_counter())


async def post(gw: httpx.AsyncClient, url: str, refused: list[str],
               **kwargs: Any) -> httpx.Response | None:
    """A request of the load or of a probe: its response, or None, the reason kept in
    ``refused``, when it fails or is answered with another status than 200 (an overloaded
    system answers 504 or drops the connection: that is a figure, not a crash)."""
    try:
        r = await gw.post(url, **kwargs)
    except httpx.HTTPError as exc:
        refused.append(type(exc).__name__)
        return None
    if r.status_code != 200:
        refused.append(f"{r.status_code} {r.text[:120]}")
        return None
    return r


async def warm_up(gw: httpx.AsyncClient, serials: list[str], days: list[dt.date],
                  stream: ScoreStream) -> dict[str, Any]:
    """The load devices upload ``days`` at once; then, once no score update has arrived
    for 3 s (at most 180 s), every service database is analysed."""
    uploads = load_uploads(days)
    accepted: list[int] = []
    refused: list[str] = []
    t0 = time.perf_counter()
    await asyncio.gather(*(device(gw, serials[d], uploads[d], t0, 0.0, float("inf"), accepted,
                                  [], refused, []) for d in range(DEVICES)))
    seen, quiet_since = len(stream.scores), time.perf_counter()
    while time.perf_counter() - quiet_since < 3 and time.perf_counter() - t0 < 180:
        await asyncio.sleep(0.5)
        if len(stream.scores) != seen:
            seen, quiet_since = len(stream.scores), time.perf_counter()
    drained = time.perf_counter() - t0
    for svc in SERVICES:
        engine = create_async_engine(infra.pg_url(svc))
        try:
            async with engine.begin() as conn:
                await conn.execute(text("ANALYZE"))
        finally:
            await engine.dispose()
    assert not refused, refused[:3]
    return {"days": len(days), "punches": sum(accepted), "drained_s": round(drained, 1),
            "uploads_per_device": max(len(u) for u in uploads)}


def summary(samples: list[float | None]) -> dict[str, Any]:
    got = sorted(s * 1000 for s in samples if s is not None)
    if not got:
        return {"probes": len(samples), "missing": len(samples)}
    return {"probes": len(samples), "missing": len(samples) - len(got),
            "p50_ms": round(percentile(got, 0.5), 1), "p95_ms": round(percentile(got, 0.95), 1),
            "p99_ms": round(percentile(got, 0.99), 1), "max_ms": round(got[-1], 1)}


async def main() -> dict[str, object]:
    bootstrap = os.environ["EK_BENCH_KAFKA_BOOTSTRAP"]
    bench_databases_for_tests()
    tenant = f"live{uuid.uuid4().hex[:6]}"
    today = dt.datetime.now(zone("WITA")).date()
    n_days = max(1, round(RATE * SECONDS / (2 * (EMPLOYEES - EMPLOYEES // UNITS))) + 1)
    older = work_days(WARM_DAYS + n_days + 4, today)
    warm_days, load_days = older[:WARM_DAYS], older[WARM_DAYS:WARM_DAYS + n_days]
    recent = work_days(3, today)  # the 3 latest: the probes' days and entries
    with (contextlib.nullcontext(LOGS) if LOGS else tempfile.TemporaryDirectory()) as logs:
        async with running_system(bootstrap, Path(logs),
                                  consumer_instances=SPLIT) as system, httpx.AsyncClient(
                base_url=system.gateway, timeout=60) as gw:
            await register_regency(gw, tenant, roster(EMPLOYEES, UNITS))
            head = await sign_in(gw, tenant, nip_of(0), roles=("hr",))
            authors = [await sign_in(gw, tenant, nip_of(i)) for i in range(1, AUTHORS + 1)]
            await directory_everywhere(system, timeout=300)
            serials = [f"LIVE{tenant[-6:].upper()}{d:02d}" for d in range(DEVICES + 1)]
            for serial in serials:
                r = await gw.post(f"/api/attendance/{tenant}/devices", headers=head,
                                  json={"serial_number": serial, "location": "Kantor"})
                assert r.status_code in (200, 201), r.text
                r = await gw.get("/iclock/cdata", params={"SN": serial, "options": "all",
                                                          "pushver": "2.4.1"})
                assert r.status_code == 200, r.text
            entries: list[tuple[str, str]] = []  # (nip, entry id) to approve, in turn
            for day in recent:
                for begins, ends in ENTRY_SLOTS:
                    for n, headers in enumerate(authors, start=1):
                        r = await gw.post(f"/api/activity/{tenant}/entries", headers=headers,
                                          json={"work_date": str(day), "start": begins,
                                                "end": ends, "submit": True,
                                                "description": "Menyusun laporan bulanan"})
                        assert r.status_code == 201, r.text
                        entries.append((nip_of(n), r.json()["id"]))
            punchers = list(range(AUTHORS + 1, EMPLOYEES // UNITS))  # OPD 0's other staff
            uploads = load_uploads(load_days)
            interval = DEVICES * BATCH / RATE  # each device's turn
            accepted: list[int] = []
            upload_lat: list[float] = []
            load_refused: list[str] = []
            load_finished: list[float] = []  # when each device sent its last upload
            probe_refused: list[str] = []
            async with ScoreStream(gw, f"/api/tenants/{tenant}/scores/stream", head) as stream:
                await asyncio.sleep(1)
                warm = await warm_up(gw, serials, warm_days, stream) if warm_days else None
                raws = ({svc: Path(PROFILE) / f"{svc}.txt" for svc in system.procs}
                        if PROFILE else {})
                recorders = {svc: pyspy.record(system.procs[svc].pid, raw)
                             for svc, raw in raws.items()}
                start = time.perf_counter()
                until = start + SECONDS
                load = [asyncio.create_task(device(
                    gw, serials[d], uploads[d], start + d * interval / DEVICES, interval,
                    until, accepted, upload_lat, load_refused, load_finished,
                    first_stamp=1 + (warm or {}).get("uploads_per_device", 0)))
                    for d in range(DEVICES)]
                probe_day = recent[-1]
                probes: list[Probe] = []  # each probe's path, traced after the load (hops)
                load_began = time.time()

                def traced(probe: Probe) -> Probe:
                    probes.append(probe)
                    return probe

                def streamed(probe: Probe, seconds: float | None) -> float | None:
                    if seconds is not None:
                        probe.streamed_at = probe.sent_at + seconds
                    return seconds

                async def punch(k: int, i: int) -> float | None:
                    above = newest_version(stream, nip_of(i))
                    body = (f"{pin_of(i)}\t{probe_day} 09:30:00\t0\t1\t0\t0\t0\t0\t0\t0\r\n"
                            f"{pin_of(i)}\t{probe_day} 16:05:00\t1\t1\t0\t0\t0\t0\t0\t0\r\n")
                    t0 = time.perf_counter()
                    probe = traced(Probe("punch", nip_of(i), time.time()))
                    r = await post(gw, "/iclock/cdata", probe_refused, content=body, params={
                        "SN": serials[-1], "table": "ATTLOG", "Stamp": str(k + 1)})
                    if r is None:
                        return None
                    return streamed(probe, await arrival(stream, nip_of(i), t0, above,
                                                         "attendance.day.evaluated"))

                async def approval(nip: str, entry_id: str) -> float | None:
                    above = newest_version(stream, nip)
                    t0 = time.perf_counter()
                    probe = traced(Probe("approval", nip, time.time(), entry_id=entry_id))
                    try:
                        r = await post(gw, f"/api/activity/{tenant}/entries/{entry_id}/approve",
                                       probe_refused, headers=head, json={})
                        if r is None:
                            return None
                        return streamed(probe, await arrival(stream, nip, t0, above,
                                                             "activity.entry.approved"))
                    finally:
                        busy.discard(nip)

                punch_probes: list[asyncio.Task[float | None]] = []
                approval_probes: list[asyncio.Task[float | None]] = []
                busy: set[str] = set()  # one approval probe per employee at a time
                k = 0
                while time.perf_counter() < until:
                    await asyncio.sleep(PROBE_EVERY_S)
                    if k % 2 == 0 and punchers:
                        punch_probes.append(asyncio.create_task(punch(k, punchers.pop(0))))
                    else:
                        for n, (nip, entry_id) in enumerate(entries):
                            if nip not in busy:
                                del entries[n]
                                busy.add(nip)
                                approval_probes.append(asyncio.create_task(
                                    approval(nip, entry_id)))
                                break
                    k += 1
                punch_lat = list(await asyncio.gather(*punch_probes))
                approval_lat = list(await asyncio.gather(*approval_probes))
                await asyncio.gather(*load)
                elapsed = time.perf_counter() - start
                profiles = {svc: pyspy.stop(recorder, raws[svc])
                            for svc, recorder in recorders.items()}
                for svc, prof in profiles.items():
                    raws[svc].with_suffix(".json").write_text(json.dumps(prof, indent=1))
                events = len(stream.scores)
    path = await hops(bootstrap, tenant, load_began, probes)
    raw = await raw_kafka(bootstrap, 20_000)
    punches = sum(accepted)
    return {"live_latency": {
        "employees": EMPLOYEES, "devices": DEVICES, "consumer_instances": list(SPLIT),
        "seconds": round(elapsed, 1),
        "warm_up": warm,
        # accepted over the load's own time (not the wait for the last probes after it)
        "punches_per_s_offered": RATE,
        "punches_per_s_accepted": round(punches / (max(load_finished) - start), 1),
        "upload_latency_s": ({"p50": round(statistics.median(upload_lat), 3),
                              "p95": round(percentile(upload_lat, 0.95), 3),
                              "max": round(max(upload_lat), 3)} if upload_lat else None),
        "punch_to_stream": summary(punch_lat), "approval_to_stream": summary(approval_lat),
        "hops": path,
        "stream_events": events, "target_p99_ms": 500,
        # requests answered with another status than 200, or dropped: the reasons (at most 5)
        "uploads_refused": len(load_refused), "probes_refused": len(probe_refused),
        "refusals": sorted(set(load_refused + probe_refused))[:5],
        "within_target": not probe_refused and all(
            s.get("p99_ms", 1e9) <= 500 and not s["missing"]
            for s in (summary(punch_lat), summary(approval_lat))),
        "raw_kafka": raw,
        "profiled_busy_s": {svc: round(p["busy_samples"] / pyspy.RATE_HZ, 1)
                            for svc, p in profiles.items()} or None,
        "load_average": [round(x, 2) for x in os.getloadavg()]}}


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main())))
