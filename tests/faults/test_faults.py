"""Faults on real processes: the four services, Kafka and PostgreSQL, under a steady load of
punches (ADMS pushes through the gateway) and approvals.

- single broker: each service is killed with SIGKILL and started again, then the broker is
  restarted, then PostgreSQL is restarted;
- three brokers (replication factor 3, ``min.insync.replicas`` 2): one broker is killed
  and started again later.

Afterwards, once the load has stopped: every consumer group's lag returns to zero, every
punch the device sent is stored exactly once, the approved minutes of every employee in
scoring equal those of the approved entries in activity (each approval counted exactly
once), ``python -m scoring check`` finds no difference, and no quarantine holds anything
(the load sends only valid data).

This suite restarts PostgreSQL and Kafka, so it runs only on its own throw-away instances:
``make test-faults`` (``deploy/test-faults.sh``) starts a PostgreSQL cluster of its own and
sets ``EK_TEST_FAULTS=1``; Kafka is started here on ``EK_FAULTS_KAFKA_PORT``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from ekinerja_shared.tenancy import CROSS_TENANT_SETTING
from ekinerja_shared.timeutil import zone
from ekinerja_shared.topics import DIRECTORY
from tests.faults.load import HEAD, PASSWORD, ROSTER, STAFF, Load, Person
from tests.integration.kafka_cluster.cluster import ROOT, LocalCluster
from tests.support import infra
from tests.support.apps import eventually
from tests.support.processes import (
    SERVICES,
    GroupLag,
    System,
    register_regency,
    running_system,
    sign_in,
)

pytestmark = [pytest.mark.integration]
log = logging.getLogger(__name__)

PACE_S = 0.3       # between two pushes of the device, and between two approvals
SETTLE_S = 8.0     # load between two faults
CONVERGE_S = 300.0


def _env() -> tuple[Path, int]:
    if os.environ.get("EK_TEST_FAULTS") != "1":
        pytest.skip("fault tests restart PostgreSQL and Kafka: run `make test-faults`")
    if os.environ.get("PG_CLUSTER", "main") == "main":
        pytest.fail("the fault tests need their own PostgreSQL cluster (PG_CLUSTER)")
    return (Path(os.environ.get("EK_FAULTS_RUN_DIR", ROOT / ".run" / "faults")),
            int(os.environ.get("EK_FAULTS_KAFKA_PORT", "24092")))


def restart_postgres() -> None:
    subprocess.run(["bash", str(ROOT / "deploy" / "postgres" / "pg.sh"), "restart"],
                   check=True, timeout=120, env={**os.environ})


def recent_days(n: int) -> list[dt.date]:
    """The last ``n`` Monday-Thursdays before today: inside the activity edit window."""
    day, days = dt.datetime.now(zone("WITA")).date(), []
    while len(days) < n:
        day -= dt.timedelta(days=1)
        if day.weekday() <= 3:
            days.append(day)
    return days


async def seed(gw: httpx.AsyncClient, tenant_id: str, serial: str
               ) -> tuple[Person, dict[str, Person]]:
    """The regency, its roster (the head of the office is also its HR officer), everyone
    signed in with a password of their own, and a registered device after its handshake."""
    await register_regency(gw, tenant_id, ROSTER)
    people = {}
    for nip in (HEAD, *STAFF):
        headers = await sign_in(gw, tenant_id, nip, ("hr",) if nip == HEAD else (), PASSWORD)
        people[nip] = Person(tenant_id, nip, headers["Authorization"].removeprefix("Bearer "))
    head = people.pop(HEAD)
    r = await gw.post(f"/api/attendance/{tenant_id}/devices", headers=head.headers,
                      json={"serial_number": serial, "location": "Kantor Bupati"})
    assert r.status_code in (200, 201), r.text
    r = await gw.get("/iclock/cdata", params={"SN": serial, "options": "all",
                                              "pushver": "2.4.1"})
    assert r.status_code == 200, r.text
    return head, people


async def crash_and_restart(system: System, service: str) -> None:
    system.kill(service)
    await asyncio.sleep(1)
    system.spawn(service)
    await system.healthy(service)


def single_broker_faults(system: System, kafka: LocalCluster
                         ) -> list[tuple[str, Callable[[], Awaitable[None]]]]:
    faults: list[tuple[str, Callable[[], Awaitable[None]]]] = [
        (f"SIGKILL {svc}", lambda svc=svc: crash_and_restart(system, svc))  # type: ignore[misc]
        for svc in SERVICES]
    faults.append(("broker restart", lambda: asyncio.to_thread(kafka.sh, "restart")))
    faults.append(("PostgreSQL restart", lambda: asyncio.to_thread(restart_postgres)))
    return faults


def cluster_faults(system: System, kafka: LocalCluster
                   ) -> list[tuple[str, Callable[[], Awaitable[None]]]]:
    async def lose_a_broker() -> None:
        await asyncio.to_thread(kafka.sh, "kill", "2")
        await asyncio.sleep(20)  # fenced after broker.session.timeout.ms (9 s); load goes on
        await asyncio.to_thread(kafka.sh, "start-node", "2")

    return [("SIGKILL broker 2 of 3", lose_a_broker)]


@pytest.mark.parametrize("profile", ["single", "cluster"])
async def test_faults_lose_and_duplicate_nothing(profile: str, tmp_path: Path) -> None:
    run_dir, port = _env()
    nodes = 3 if profile == "cluster" else 1
    kafka = LocalCluster(run_dir, [port + 100 * i for i in range(nodes)],
                         [port + 1 + 100 * i for i in range(nodes)], nodes=nodes,
                         # a node rejoining under load on two busy cores may take minutes
                         start_timeout_s=300)
    kafka.sh("reset")
    timings: dict[str, float] = {}
    try:
        kafka.timed("kafka_start_s", "start")
        replication = ["--replication-factor", "3", "--min-insync-replicas", "2"] if nodes > 1 \
            else []
        subprocess.run([sys.executable, "-m", "ekinerja_shared.topics", "--bootstrap",
                        kafka.bootstrap, *replication], check=True, timeout=180)
        extra = {"EK_KAFKA_REPLICATION_FACTOR": "3", "EK_KAFKA_MIN_INSYNC_REPLICAS": "2"} \
            if nodes > 1 else {}
        await _run(kafka, profile, tmp_path, extra, timings)
    finally:
        kafka.sh("reset", timeout=120)
        print(f"fault suite {profile}: {timings} {kafka.timings}")


async def _run(kafka: LocalCluster, profile: str, logs: Path, extra: dict[str, str],
               timings: dict[str, float]) -> None:
    tenant_id = infra.unique("flt")
    serial = f"FLT{tenant_id[-8:].upper()}"
    t0 = time.monotonic()
    async with running_system(kafka.bootstrap, logs, extra) as system, \
            httpx.AsyncClient(base_url=system.gateway, timeout=15) as gw:
        timings["system_start_s"] = round(time.monotonic() - t0, 1)
        head, staff = await seed(gw, tenant_id, serial)
        async with GroupLag(kafka.bootstrap, system.group_prefix) as lag:
            for svc in ("attendance", "activity", "scoring"):
                await eventually(lambda svc=svc: lag.caught_up(svc, DIRECTORY.name), timeout=120)
        load = Load(gw, tenant_id, serial, recent_days(3), head, staff)
        running = asyncio.create_task(load.run(PACE_S))
        await asyncio.sleep(SETTLE_S)
        faults = single_broker_faults(system, kafka) if profile == "single" \
            else cluster_faults(system, kafka)
        for name, fault in faults:
            started = time.monotonic()
            await fault()
            timings[name] = round(time.monotonic() - started, 1)
            assert not running.done(), running.exception()
            await asyncio.sleep(SETTLE_S)
        load.stop.set()
        await asyncio.wait_for(running, CONVERGE_S)
        timings["punches"], timings["approvals"] = len(load.punches), len(load.approved)
        assert len(load.punches) > 20 and len(load.approved) > 10
        started = time.monotonic()
        await converged(system, kafka.bootstrap, load)
        timings["converge_s"] = round(time.monotonic() - started, 1)
        await check_facts(load)
        await scoring_check(tenant_id)
        await quarantines_empty()


async def converged(system: System, bootstrap: str, load: Load) -> None:
    async def no_lag() -> dict[str, int] | None:
        async with GroupLag(bootstrap, system.group_prefix) as lag:
            lags = await lag.lags()
        return lags if lags and not any(lags.values()) else None

    async def scored() -> bool:
        return await approved_minutes_match(load)

    lags = await eventually(no_lag, timeout=CONVERGE_S, interval=2)
    assert {g.split("-")[2] for g in lags} >= {"attendance", "activity", "scoring", "gateway"}
    await eventually(scored, timeout=CONVERGE_S, interval=2)


def _periods(load: Load) -> list[str]:
    return sorted({f"{d:%Y-%m}" for d in load.days})


async def approved_minutes_match(load: Load) -> bool:
    """Scoring's approved minutes of every employee-month equal those of the approved
    entries in activity, and every acknowledged approval is among those entries."""
    t, gw, head = load.tenant_id, load.gw, load.head
    approved_ids: set[str] = set()
    for nip in load.staff:
        for period in _periods(load):
            r = await gw.get(f"/api/activity/{t}/entries", headers=head.headers,
                             params={"nip": nip, "period": period})
            r.raise_for_status()
            approved = [e for e in r.json() if e["status"] == "approved"]
            approved_ids |= {e["id"] for e in approved}
            r = await gw.get(f"/api/scoring/{t}/scores/{nip}", headers=head.headers,
                             params={"period": period})
            scored = r.json()["approved_minutes"] if r.status_code == 200 else 0
            if scored != sum(e["minutes"] for e in approved):
                return False
    missing = {str(i) for i in load.approved} - approved_ids
    assert not missing, f"acknowledged approvals not in activity: {missing}"
    return True


async def check_facts(load: Load) -> None:
    """Every punch the device sent is stored exactly once (and nothing else is)."""
    stored: list[tuple[str, dt.datetime]] = []
    for nip, pin in STAFF.items():
        for period in _periods(load):
            r = await load.gw.get(f"/api/attendance/{load.tenant_id}/employees/{nip}/punches",
                                  headers=load.head.headers, params={"period": period})
            r.raise_for_status()
            stored += [(p["pin"], dt.datetime.fromisoformat(p["local_time"]).replace(tzinfo=None))
                       for p in r.json()]
    assert len(stored) == len(set(stored)), "a punch is stored twice"
    assert set(stored) == load.punches


async def scoring_check(tenant_id: str) -> None:
    env = {**os.environ, "EK_DATABASE_URL": infra.pg_app_url("scoring")}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "scoring", "check", "--tenant", tenant_id, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await proc.communicate()
    assert proc.returncode == 0, f"scoring check: {out.decode()}\n{err.decode()[-2000:]}"


async def quarantines_empty() -> None:
    for svc in SERVICES:
        engine = create_async_engine(infra.pg_app_url(svc))
        try:
            async with engine.begin() as conn:
                await conn.execute(text("SELECT set_config(:c, 'on', true)"),
                                   {"c": CROSS_TENANT_SETTING})
                rows = (await conn.execute(text(
                    "SELECT source, reason, left(raw, 300) FROM quarantine"))).all()
        finally:
            await engine.dispose()
        assert not rows, f"{svc} quarantined valid input: {rows}"
